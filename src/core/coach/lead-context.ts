import type { Sql } from '../../db/database.ts';
import { NotFoundError } from '../../errors.ts';
import { BuyerProfile, SkinAnalysis } from '../leads/attributes.ts';

/** What objection handling, coaching and upsell know about one lead. */
export interface LeadContext {
  id: string;
  displayName: string;
  firstName: string;
  stageKey: string;
  stageNames: Record<string, string>;
  grade: string | null;
  score: number | null;
  budget: number | null;
  skin: SkinAnalysis | null;
  buyer: BuyerProfile | null;
  interests: string[];
  /** SKUs bought: `attributes.purchases` and the item of every won deal. */
  purchased: string[];
  /** Items of open deals: being sold right now. */
  inProgress: string[];
  buyerRequest: BuyerRequest | null;
  lastContactAt: Date | null;
  lastInboundAt: Date | null;
}

export interface BuyerRequest {
  cities: string[];
  districts: string[];
  propertyTypes: string[];
  priceMin: number | null;
  priceMax: number | null;
  bedroomsMin: number | null;
}

const num = (v: string | number | null): number | null => (v === null ? null : Number(v));

/**
 * Loads the lead under the caller's tenant transaction. Attributes are read
 * leniently, part by part: a malformed skin analysis must not stop a rep
 * from getting objection help, it just is not used.
 */
export async function loadLeadContext(sql: Sql, leadId: string): Promise<LeadContext> {
  const lead = (
    await sql.query<{
      id: string; display_name: string; first_name: string; stage_key: string; names: Record<string, string> | null; grade: string | null;
      score: number | null; budget: string | null; attributes: Record<string, unknown> | null; last_contact_at: Date | null; last_inbound_at: Date | null;
    }>(
      `SELECT l.id, l.display_name, l.first_name, l.stage_key, ps.names, l.grade, l.score, l.budget, l.attributes, l.last_contact_at, l.last_inbound_at
       FROM leads l LEFT JOIN pipeline_stages ps ON ps.key = l.stage_key WHERE l.id = $1`,
      [leadId],
    )
  ).rows[0];
  if (!lead) throw new NotFoundError(`No lead ${leadId}.`);
  const attrs = lead.attributes ?? {};
  const skin = SkinAnalysis.safeParse(attrs.skin);
  const buyer = BuyerProfile.safeParse(attrs.buyer);
  const listOf = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  const deals = (
    await sql.query<{ item_ref: string; status: string }>(`SELECT item_ref, status FROM deals WHERE lead_id = $1 AND item_ref IS NOT NULL AND status IN ('won', 'open')`, [leadId])
  ).rows;
  const br = (
    await sql.query<{ cities: string[]; districts: string[]; property_types: string[]; price_min: string | null; price_max: string | null; bedrooms_min: number | null }>(
      `SELECT cities, districts, property_types, price_min, price_max, bedrooms_min FROM buyer_requests
       WHERE lead_id = $1 AND status = 'active' ORDER BY updated_at DESC LIMIT 1`,
      [leadId],
    )
  ).rows[0];
  const purchased = [...new Set([...listOf(attrs.purchases), ...deals.filter((d) => d.status === 'won').map((d) => d.item_ref)])];
  return {
    id: lead.id,
    displayName: lead.display_name,
    firstName: lead.first_name,
    stageKey: lead.stage_key,
    stageNames: lead.names ?? {},
    grade: lead.grade,
    score: lead.score,
    budget: num(lead.budget),
    skin: skin.success ? skin.data : null,
    buyer: buyer.success ? buyer.data : null,
    interests: listOf(attrs.interests),
    purchased,
    inProgress: [...new Set(deals.filter((d) => d.status === 'open').map((d) => d.item_ref))].filter((s) => !purchased.includes(s)),
    buyerRequest: br
      ? { cities: br.cities, districts: br.districts, propertyTypes: br.property_types, priceMin: num(br.price_min), priceMax: num(br.price_max), bedroomsMin: br.bedrooms_min }
      : null,
    lastContactAt: lead.last_contact_at,
    lastInboundAt: lead.last_inbound_at,
  };
}
