import type { Sql } from '../../db/database.ts';
import type { Tenant } from '../tenants.ts';
import { comparableListings } from '../objections/comparables.ts';
import { consideredItem, itemRef, starterOptions, type ItemRef } from '../objections/tailor.ts';
import { searchPlaybook, stageEntries, StageData } from '../playbooks.ts';
import { loadCatalogue } from '../upsell/catalogue.ts';
import { loadLeadContext, type BuyerRequest } from './lead-context.ts';
import { coachConfidence, contactSignals, findLastObjection, type CoachBasis, type ContactSignals, type LastObjection, type TimelineItem } from './signals.ts';

export interface StageAdvice extends StageData {
  title: string;
}

export type BudgetFit =
  | { kind: 'item'; item: ItemRef; budget: number | null; withinBudget: boolean; starter: ItemRef | null }
  | { kind: 'listings'; count: number; cap: number };

export interface CoachResult {
  lead: {
    id: string;
    displayName: string;
    stageKey: string;
    stageNames: Record<string, string>;
    grade: string | null;
    score: number | null;
    budget: number | null;
    concerns: string[];
    urgency: number | null;
    buyerRequest: BuyerRequest | null;
  };
  /** The stage playbook per locale; empty when the tenant has none for this stage. */
  stage: Record<string, StageAdvice>;
  signals: ContactSignals;
  lastObjection: LastObjection | null;
  /** The playbook's best answer to the last objection, per locale. */
  objectionTips: Record<string, { title: string; followUpQuestion: string | null }>;
  fit: BudgetFit | null;
  confidence: number;
  basis: CoachBasis;
  recentActivities: number;
}

const RECENT = 20;
const RECENT_DAYS = 14;

/**
 * Coaching for one lead: the stage playbook's suggestion, talking points and
 * closing technique, sharpened by what this lead's record and history say
 * (concerns, budget, grade, the last objection, how long since contact).
 * Customer messages and bot replies are in `activities` (ingest mirrors
 * them there), so the history is read from that one table.
 */
export async function coachAdvice(sql: Sql, tenant: Tenant, leadId: string, now: Date): Promise<CoachResult> {
  const lead = await loadLeadContext(sql, leadId);
  const stage: Record<string, StageAdvice> = {};
  for (const e of await stageEntries(sql, lead.stageKey)) {
    const data = StageData.safeParse(e.data);
    if (data.success && !stage[e.locale]) stage[e.locale] = { title: e.title, ...data.data };
  }

  const timeline: TimelineItem[] = (
    await sql.query<{ kind: string; body: string | null; data: Record<string, unknown> | null; occurred_at: Date }>(
      `SELECT kind, body, data, occurred_at FROM activities WHERE lead_id = $1 AND occurred_at <= $2 ORDER BY occurred_at DESC LIMIT $3`,
      [leadId, now, RECENT],
    )
  ).rows.map((r) => ({ at: r.occurred_at, kind: r.kind, body: r.body, data: r.data ?? {} }));
  const signals = contactSignals(lead, timeline, now);
  const lastObjection = findLastObjection(timeline);

  const objectionTips: CoachResult['objectionTips'] = {};
  if (lastObjection) {
    const entries = await searchPlaybook(sql, { kind: 'objection', categories: [lastObjection.category], text: lastObjection.text, limit: 100 });
    const anchor = entries.find((e) => e.distance !== null) ?? entries[0];
    for (const e of entries) {
      if (objectionTips[e.locale]) continue;
      const sameTechnique = entries.find((x) => x.locale === e.locale && anchor && x.data.technique === anchor.data.technique);
      const pick = sameTechnique ?? e;
      const q = pick.data.follow_up_question;
      objectionTips[e.locale] = { title: pick.title, followUpQuestion: typeof q === 'string' ? q : null };
    }
  }

  let fit: BudgetFit | null = null;
  if (tenant.vertical === 'clinic') {
    const catalogue = await loadCatalogue(sql);
    const item = consideredItem(lead, catalogue);
    if (item) {
      const withinBudget = lead.budget === null || item.price <= lead.budget;
      const starter = withinBudget ? undefined : starterOptions(lead, catalogue)[0];
      fit = { kind: 'item', item: itemRef(item), budget: lead.budget, withinBudget, starter: starter ? itemRef(starter) : null };
    }
  } else if (lead.buyerRequest?.priceMax != null) {
    const listings = await comparableListings(sql, lead.buyerRequest, lead.buyerRequest.priceMax, 10);
    fit = { kind: 'listings', count: listings.length, cap: lead.buyerRequest.priceMax };
  }

  const recentCutoff = now.getTime() - RECENT_DAYS * 86_400_000;
  const basis: CoachBasis = {
    stagePlaybook: Object.keys(stage).length > 0,
    budget: lead.budget !== null || lead.buyerRequest?.priceMax != null,
    needs: (lead.skin?.concerns.length ?? 0) > 0 || lead.buyerRequest !== null,
    grade: lead.grade !== null,
    recentHistory: timeline.some((t) => t.at.getTime() >= recentCutoff),
    lastObjection: lastObjection !== null,
  };

  return {
    lead: {
      id: lead.id,
      displayName: lead.displayName,
      stageKey: lead.stageKey,
      stageNames: lead.stageNames,
      grade: lead.grade,
      score: lead.score,
      budget: lead.budget,
      concerns: lead.skin?.concerns ?? [],
      urgency: lead.skin?.urgency ?? null,
      buyerRequest: lead.buyerRequest,
    },
    stage,
    signals,
    lastObjection,
    objectionTips,
    fit,
    confidence: coachConfidence(basis, signals.daysSinceContact),
    basis,
    recentActivities: timeline.filter((t) => t.at.getTime() >= recentCutoff).length,
  };
}
