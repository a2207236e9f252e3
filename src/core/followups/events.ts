import type { Sql } from '../../db/database.ts';
import type { Tenant } from '../tenants.ts';
import { loadRules, stepDueTimes, type FollowupRule, type TriggerEvent } from './rules.ts';

/**
 * What happened to a lead, as far as follow-ups care. Triggers start
 * sequences; stops cancel what is still pending.
 */
export type LeadEvent =
  | { type: 'lead_created'; leadId: string; source: string }
  | { type: 'stage_entered'; leadId: string; stage: string }
  | { type: 'appointment_booked' | 'appointment_completed'; leadId: string }
  | { type: 'listing_matched'; leadId: string; listingId: string; listingTitle?: string | undefined }
  | { type: 'replied'; leadId: string }
  | { type: 'opted_out' | 'handoff' | 'unreachable' | 'won' | 'lost'; leadId: string };

export interface LeadEventResult {
  created: string[];
  cancelled: number;
}

/** Cancels pending follow-ups of a lead. `sequencesOnly` keeps the ones a person scheduled by hand (a reply does not void a rep's own plan). */
export async function cancelPending(sql: Sql, leadId: string, reason: string, now: Date, sequencesOnly = false): Promise<number> {
  const r = await sql.query(
    `UPDATE followup_executions SET status = 'cancelled', reason = $2, updated_at = $3
     WHERE lead_id = $1 AND status = 'pending' ${sequencesOnly ? 'AND rule_id IS NOT NULL' : ''}`,
    [leadId, reason, now],
  );
  if ((r.rowCount ?? 0) > 0) await refreshNextFollowup(sql, leadId, now);
  return r.rowCount ?? 0;
}

export async function refreshNextFollowup(sql: Sql, leadId: string, now: Date): Promise<void> {
  await sql.query(
    `UPDATE leads SET next_followup_at = (SELECT min(due_at) FROM followup_executions WHERE lead_id = $1 AND status = 'pending' AND due_at > $2) WHERE id = $1`,
    [leadId, now],
  );
}

/** Writes one pending row per step of a fired rule. */
export async function startSequence(sql: Sql, tenant: Tenant, rule: FollowupRule, leadId: string, firedAt: Date, vars: Record<string, string> = {}): Promise<string[]> {
  return (await startSequences(sql, tenant, rule, [leadId], firedAt, vars)).get(leadId) ?? [];
}

/**
 * startSequence for many leads at once (a quiet-leads scan, a bulk action):
 * one INSERT … SELECT over unnest(leads) × unnest(steps) and one update of
 * the leads' next follow-up, instead of a statement per row (issue #11:
 * 100,000 rows in seconds, not minutes). Returns each lead's new row ids in
 * step order; a lead listed twice gets two sequences, as two calls would.
 */
export async function startSequences(
  sql: Sql,
  tenant: Tenant,
  rule: FollowupRule,
  leadIds: readonly string[],
  firedAt: Date,
  vars: Record<string, string> = {},
  /** false when the caller sets leads.next_followup_at itself (the importer writes it with the new leads). */
  refreshNext = true,
): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (leadIds.length === 0 || rule.steps.length === 0) return out;
  const dues = stepDueTimes(rule, firedAt);
  const { rows } = await sql.query<{ id: string; lead_id: string }>(
    `INSERT INTO followup_executions (tenant_id, rule_id, lead_id, step_index, due_at, status, channel, template, created_at, updated_at)
     SELECT $1, $2, l.lead_id, s.step_index - 1, s.due_at, 'pending', s.channel, s.template, $3, $3
     FROM unnest($4::uuid[]) WITH ORDINALITY AS l(lead_id, n)
     CROSS JOIN unnest($5::timestamptz[], $6::text[], $7::jsonb[]) WITH ORDINALITY AS s(due_at, channel, template, step_index)
     ORDER BY l.n, s.step_index
     RETURNING id, lead_id`,
    [
      tenant.id,
      rule.id,
      firedAt,
      leadIds,
      dues,
      rule.steps.map((step) => step.channel),
      rule.steps.map((step) => JSON.stringify({ templates: step.templates, vars })),
    ],
  );
  for (const r of rows) {
    const ids = out.get(r.lead_id) ?? [];
    ids.push(r.id);
    out.set(r.lead_id, ids);
  }
  if (!refreshNext) return out;
  await sql.query(
    `UPDATE leads l SET next_followup_at = (SELECT min(f.due_at) FROM followup_executions f WHERE f.lead_id = l.id AND f.status = 'pending' AND f.due_at > $2)
     WHERE l.id = ANY($1::uuid[])`,
    [[...new Set(leadIds)], firedAt],
  );
  return out;
}

const STOPS = new Set(['replied', 'opted_out', 'handoff', 'unreachable', 'won', 'lost']);

/**
 * The one entry point the rest of the product calls when something happens
 * to a lead. Runs in the caller's transaction; the scheduler queues the rows
 * it writes (so nothing is queued for a transaction that rolls back).
 */
export async function onLeadEvent(sql: Sql, tenant: Tenant, event: LeadEvent, now: Date = new Date()): Promise<LeadEventResult> {
  if (STOPS.has(event.type)) {
    return { created: [], cancelled: await cancelPending(sql, event.leadId, event.type, now, event.type === 'replied') };
  }
  let cancelled = 0;
  if (event.type === 'stage_entered') {
    const stage = (await sql.query<{ is_won: boolean; is_lost: boolean }>('SELECT is_won, is_lost FROM pipeline_stages WHERE key = $1', [event.stage])).rows[0];
    if (stage?.is_won || stage?.is_lost) cancelled = await cancelPending(sql, event.leadId, stage.is_won ? 'won' : 'lost', now);
  }
  const rules = (await loadRules(sql)).filter((r) => matches(r, event));
  const vars: Record<string, string> = event.type === 'listing_matched' && event.listingTitle ? { listing_title: event.listingTitle } : {};
  const created: string[] = [];
  for (const rule of rules) created.push(...(await startSequence(sql, tenant, rule, event.leadId, now, vars)));
  return { created, cancelled };
}

function matches(rule: FollowupRule, event: LeadEvent): boolean {
  if (rule.trigger.event !== (event.type as TriggerEvent)) return false;
  if (event.type === 'lead_created' && rule.trigger.sources && !rule.trigger.sources.includes(event.source)) return false;
  const stage = 'stage' in event ? event.stage : undefined;
  return !rule.trigger.stage || !stage || rule.trigger.stage === stage;
}

/**
 * Fires no_reply and stage_idle rules for leads that have been quiet long
 * enough. Only silences that began within `windowMinutes` before the rule's
 * threshold count, so a first start (or a restored backup) does not message
 * every lead that went quiet months ago; one sequence per silence.
 */
export async function scanQuietLeads(sql: Sql, tenant: Tenant, now: Date, windowMinutes = 24 * 60): Promise<string[]> {
  const created: string[] = [];
  for (const rule of await loadRules(sql)) {
    if (rule.trigger.event !== 'no_reply' && rule.trigger.event !== 'stage_idle') continue;
    const after = rule.trigger.after_minutes ?? 24 * 60;
    // no_reply: our last contact got no answer; stage_idle: nothing logged on the lead since.
    const since = rule.trigger.event === 'no_reply' ? 'l.last_contact_at' : `(SELECT max(a.occurred_at) FROM activities a WHERE a.lead_id = l.id)`;
    const extra = rule.trigger.event === 'no_reply' ? 'AND (l.last_inbound_at IS NULL OR l.last_inbound_at < l.last_contact_at)' : '';
    const { rows } = await sql.query<{ id: string; since: Date }>(
      `SELECT l.id, s.since FROM leads l CROSS JOIN LATERAL (SELECT ${since} AS since) s
       WHERE ($1::text IS NULL OR l.stage_key = $1) AND l.consent = 'opted_in' AND NOT l.unreachable
         AND s.since IS NOT NULL
         AND s.since <= $2::timestamptz - ($3::int * interval '1 minute')
         AND s.since > $2::timestamptz - (($3::int + $4::int) * interval '1 minute') ${extra}
         AND NOT EXISTS (SELECT 1 FROM followup_executions f WHERE f.lead_id = l.id AND f.rule_id = $5 AND f.created_at >= s.since)
       LIMIT 500`,
      [rule.trigger.stage ?? null, now, after, windowMinutes, rule.id],
    );
    const started = await startSequences(sql, tenant, rule, rows.map((r) => r.id), now);
    for (const r of rows) created.push(...(started.get(r.id) ?? []));
  }
  return created;
}
