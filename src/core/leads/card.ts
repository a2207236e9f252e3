import type { Sql } from '../../db/database.ts';
import { NotFoundError } from '../../errors.ts';

export interface LeadCard {
  id: string;
  displayName: string;
  stageKey: string;
  stageNames: Record<string, string>;
  ownerName: string | null;
  score: number | null;
  grade: string | null;
  scoreFactors: unknown;
  phone: string | null;
  email: string | null;
  source: string;
  consent: string;
  locale: string | null;
  budget: string | null;
  attributes: Record<string, unknown>;
  lastTouchAt: Date | null;
  nextFollowupAt: Date | null;
  openTasks: { title: string; dueAt: Date | null }[];
  buyerRequest: {
    cities: string[];
    districts: string[];
    propertyTypes: string[];
    priceMin: string | null;
    priceMax: string | null;
    bedroomsMin: number | null;
  } | null;
}

/** Everything a rep wants on one card, in one round of queries under the tenant's RLS. */
export async function getLeadCard(sql: Sql, leadId: string): Promise<LeadCard> {
  const lead = (
    await sql.query<{
      id: string; display_name: string; stage_key: string; names: Record<string, string> | null; owner_name: string | null;
      score: number | null; grade: string | null; score_factors: unknown; phone: string | null; email: string | null; source: string;
      consent: string; locale: string | null; budget: string | null; attributes: Record<string, unknown>;
      last_contact_at: Date | null; last_inbound_at: Date | null; next_followup_at: Date | null;
    }>(
      `SELECT l.id, l.display_name, l.stage_key, ps.names, s.name AS owner_name, l.score, l.grade, l.score_factors, l.phone, l.email,
              l.source, l.consent, l.locale, l.budget, l.attributes, l.last_contact_at, l.last_inbound_at,
              COALESCE(l.next_followup_at, (SELECT min(due_at) FROM followup_executions f WHERE f.lead_id = l.id AND f.status = 'pending')) AS next_followup_at
       FROM leads l
       LEFT JOIN staff_users s ON s.id = l.owner_id
       LEFT JOIN pipeline_stages ps ON ps.key = l.stage_key
       WHERE l.id = $1`,
      [leadId],
    )
  ).rows[0];
  if (!lead) throw new NotFoundError(`No lead ${leadId}.`);
  const tasks = await sql.query<{ title: string; due_at: Date | null }>(
    `SELECT title, due_at FROM tasks WHERE lead_id = $1 AND status = 'open' ORDER BY due_at NULLS LAST LIMIT 5`,
    [leadId],
  );
  const br = (
    await sql.query<{ cities: string[]; districts: string[]; property_types: string[]; price_min: string | null; price_max: string | null; bedrooms_min: number | null }>(
      `SELECT cities, districts, property_types, price_min, price_max, bedrooms_min FROM buyer_requests
       WHERE lead_id = $1 AND status = 'active' ORDER BY updated_at DESC LIMIT 1`,
      [leadId],
    )
  ).rows[0];
  const touches = [lead.last_contact_at, lead.last_inbound_at].filter((d): d is Date => d !== null);
  return {
    id: lead.id,
    displayName: lead.display_name,
    stageKey: lead.stage_key,
    stageNames: lead.names ?? {},
    ownerName: lead.owner_name,
    score: lead.score,
    grade: lead.grade,
    scoreFactors: lead.score_factors,
    phone: lead.phone,
    email: lead.email,
    source: lead.source,
    consent: lead.consent,
    locale: lead.locale,
    budget: lead.budget,
    attributes: lead.attributes ?? {},
    lastTouchAt: touches.length ? new Date(Math.max(...touches.map((d) => d.getTime()))) : null,
    nextFollowupAt: lead.next_followup_at,
    openTasks: tasks.rows.map((t) => ({ title: t.title, dueAt: t.due_at })),
    buyerRequest: br
      ? { cities: br.cities, districts: br.districts, propertyTypes: br.property_types, priceMin: br.price_min, priceMax: br.price_max, bedroomsMin: br.bedrooms_min }
      : null,
  };
}
