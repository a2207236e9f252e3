import type { Sql } from '../../db/database.ts';
import type { Tenant } from '../tenants.ts';
import { loadStages, type StageInfo } from '../scoring/context.ts';
import { recomputeStaleScores } from '../scoring/recompute.ts';
import { bestTimeToContact, type BestTime } from './best-time.ts';

/**
 * How much each consideration can add to a lead's priority. The score
 * carries most of it; an unanswered message past the SLA outranks a
 * slightly better score, because a reply delayed is a lead cooled down.
 * leads.hot_bound (migration 0020) is an upper bound of the sum of these
 * terms: raising a weight here needs a migration that raises the bound too
 * (test/integration/hot-bound.test.ts checks the bound holds).
 */
export const PRIORITY = {
  scoreWeight: 0.6,
  slaBreached: 25,
  replyDue: 15,
  /** An unanswered message older than this is no longer a reply "due": the lead has gone cold. */
  awaitingMaxDays: 14,
  recent: 10,
  recentDays: 7,
  value: 15,
  cold: 5,
  coldDays: 14,
} as const;

/** Lazily re-scored per request at most; more stale leads than this are reported, not silently ignored. */
export const LAZY_RESCORE_LIMIT = 5_000;

export type ReasonKey = 'sla_breached' | 'reply_due' | 'recent' | 'value' | 'cold' | 'score';

export interface HotLead {
  leadId: string;
  name: string;
  score: number | null;
  grade: string | null;
  stage: StageInfo | undefined;
  ownerName: string | null;
  dealAmount: number;
  priority: number;
  components: Record<Exclude<ReasonKey, 'reply_due' | 'sla_breached'> | 'sla', number>;
  reasons: { key: ReasonKey; params: Record<string, string | number> }[];
  best: BestTime;
}

export interface HotLeadQuery {
  now: Date;
  limit: number;
  /** Only this owner's leads; undefined = the whole team. */
  ownerId?: string | undefined;
  stageKey?: string | undefined;
}

export interface HotLeadList {
  leads: HotLead[];
  /** Leads still unscored after the lazy rescore (ranked as score 0): a full `closer scores recompute` fixes it. */
  staleRemaining: boolean;
}

interface Row {
  id: string;
  display_name: string;
  score: number | null;
  grade: string | null;
  stage_key: string;
  owner_name: string | null;
  timezone: string | null;
  deal_amount: number;
  waited_min: number | null;
  days_since_contact: number;
  awaiting: boolean;
  p_score: number;
  p_sla: number;
  p_recent: number;
  p_value: number;
  p_cold: number;
  priority: number;
  sla: number;
}

/**
 * Open leads (not won or lost, not opted out, not unreachable) ranked by
 * priority, computed set-based in one query; then the best time to contact
 * for just the leads returned.
 */
export async function listHotLeads(sql: Sql, tenant: Tenant, q: HotLeadQuery): Promise<HotLeadList> {
  const stale = await recomputeStaleScores(sql, tenant, { now: q.now, limit: LAZY_RESCORE_LIMIT, scope: { ownerId: q.ownerId, openOnly: true } });
  const stages = await loadStages(sql);
  const open = stages.filter((s) => s.openIndex !== null && (!q.stageKey || s.key === q.stageKey)).map((s) => s.key);
  // What a big deal is, in this tenant: value counts up to the 90th percentile of open deal totals per lead
  // (leads.open_deal_amount, kept by the deals triggers of migration 0020; an index-only scan).
  const p90 = (
    await sql.query<{ p90: number }>(
      `SELECT coalesce(percentile_cont(0.9) WITHIN GROUP (ORDER BY open_deal_amount), 0)::float8 AS p90
       FROM leads WHERE tenant_id = closer_current_tenant() AND open_deal_amount IS NOT NULL`,
    )
  ).rows[0]!.p90;
  const rows = await rankHotLeads(sql, tenant, q, open, p90);
  const hours = await inboundHours(sql, rows, tenant.timezone, q.now);
  const byKey = new Map(stages.map((s) => [s.key, s]));
  const leads = rows.map((r): HotLead => {
    const tz = validZone(r.timezone) ?? tenant.timezone;
    return {
      leadId: r.id,
      name: r.display_name,
      score: r.score,
      grade: r.grade,
      stage: byKey.get(r.stage_key),
      ownerName: r.owner_name,
      dealAmount: Number(r.deal_amount),
      priority: Math.round(r.priority * 10) / 10,
      components: { score: r.p_score, sla: r.p_sla, recent: r.p_recent, value: r.p_value, cold: r.p_cold },
      reasons: reasonsFor(r, tenant.settings.sla_response_minutes),
      best: bestTimeToContact({ now: q.now, timeZone: tz, businessHours: tenant.settings.business_hours, inboundHours: hours.get(r.id) ?? new Map() }),
    };
  });
  return { leads, staleRemaining: stale.remaining };
}

/**
 * The priority of a lead as SQL over `leads l`, and the parameters it reads.
 * Comparing timestamps with cut-offs computed once instead of doing
 * arithmetic per row ($3-$5); float8 throughout (numeric per row is several times
 * slower). The columns that explain a rank come from the same fragments, so
 * the explanation always matches the ranking.
 */
function priorityTerms(tenant: Tenant, q: HotLeadQuery, openStages: string[], dealP90: number) {
  const P = PRIORITY;
  const sla = tenant.settings.sla_response_minutes;
  const at = (ms: number) => new Date(q.now.getTime() - ms);
  // $1 now, $2 open stages, $3-$5 cut-offs, $6 the big-deal yardstick, $7 the owner (if any); each query appends its own.
  const params: unknown[] = [q.now, openStages, at(P.awaitingMaxDays * 86_400_000), at(sla * 60_000), at(P.recentDays * 86_400_000), dealP90];
  let ownerSql = '';
  if (q.ownerId) {
    params.push(q.ownerId);
    ownerSql = `AND l.owner_id = $${params.length}`;
  }
  const awaiting = `(l.last_inbound_at <= $1 AND l.last_inbound_at > $3 AND (l.last_contact_at IS NULL OR l.last_inbound_at > l.last_contact_at))`;
  const c = {
    score: `${P.scoreWeight} * coalesce(l.score, 0)::float8`,
    sla: `CASE WHEN ${awaiting} AND l.last_inbound_at < $4 THEN ${P.slaBreached} WHEN ${awaiting} THEN ${P.replyDue} ELSE 0 END`,
    recent: `CASE WHEN l.last_inbound_at > $5 AND l.last_inbound_at <= $1 THEN ${P.recent} * date_part('epoch', l.last_inbound_at - $5::timestamptz) / ${P.recentDays * 86_400} ELSE 0 END`,
    value: `CASE WHEN $6::float8 > 0 AND l.open_deal_amount IS NOT NULL THEN ${P.value} * least(1, l.open_deal_amount / $6::float8) ELSE 0 END`,
    cold: `${P.cold / 100} * coalesce(l.score, 0)::float8 * least(1, greatest(0, date_part('epoch', $1::timestamptz - coalesce(l.last_contact_at, l.created_at))) / ${P.coldDays * 86_400})`,
  };
  return {
    params,
    c,
    priority: `${c.score} + ${c.sla} + ${c.recent} + ${c.value} + ${c.cold}`,
    // The tenant named although RLS applies it: RLS's qual (tenant OR system transaction, migration 0060) serves no index.
    eligible: `l.tenant_id = closer_current_tenant() AND l.stage_key = ANY($2::text[]) AND l.consent <> 'opted_out' AND NOT l.unreachable ${ownerSql}`,
  };
}

/** The columns of a listed lead, `top(id, priority)` being the chosen ones. */
function detailSelect(t: ReturnType<typeof priorityTerms>, slaParam: number): string {
  const c = t.c;
  return `SELECT l.id, l.display_name, l.score, l.grade, l.stage_key, l.timezone, s.name AS owner_name,
            coalesce(l.open_deal_amount, 0) AS deal_amount,
            date_part('epoch', $1::timestamptz - l.last_inbound_at) / 60 AS waited_min,
            greatest(0, date_part('epoch', $1::timestamptz - coalesce(l.last_contact_at, l.created_at)) / 86400) AS days_since_contact,
            ${c.score} AS p_score, ${c.sla} AS p_sla, ${c.recent} AS p_recent, ${c.value} AS p_value, ${c.cold} AS p_cold,
            top.priority, $${slaParam}::int AS sla
     FROM top
     JOIN leads l ON l.id = top.id
     LEFT JOIN staff_users s ON s.id = l.owner_id
     -- Always true for the chosen rows; keeps every parameter of the fragments referenced.
     WHERE ${t.eligible}
     ORDER BY top.priority DESC, l.id`;
}

/**
 * The full ranking in one query: every eligible lead's priority computed,
 * sorted, cut. Exported as the reference the bounded ranking is tested
 * against, and for EXPLAIN; the list itself uses rankHotLeads.
 */
export function hotLeadsQuery(tenant: Tenant, q: HotLeadQuery, openStages: string[], dealP90: number): { text: string; params: unknown[] } {
  const t = priorityTerms(tenant, q, openStages, dealP90);
  const n = t.params.length;
  return {
    text: `WITH top AS (
       SELECT l.id, ${t.priority} AS priority FROM leads l WHERE ${t.eligible} ORDER BY priority DESC, l.id LIMIT $${n + 1}
     )
     ${detailSelect(t, n + 2)}`,
    params: [...t.params, q.limit, tenant.settings.sla_response_minutes],
  };
}

/** One page of leads in hot_bound order after a keyset cursor, with their priorities (exported for EXPLAIN). */
export function hotLeadsPageQuery(tenant: Tenant, q: HotLeadQuery, openStages: string[], dealP90: number, pageSize: number, after?: { bound: number; id: string }): { text: string; params: unknown[] } {
  const t = priorityTerms(tenant, q, openStages, dealP90);
  const params = [...t.params, pageSize];
  let cursor = '';
  if (after) {
    params.push(after.bound, after.id);
    cursor = `AND (l.hot_bound, l.id) < ($${params.length - 1}::float8, $${params.length}::uuid)`;
  }
  return {
    text: `SELECT l.id, l.hot_bound, ${t.priority} AS priority
     FROM leads l
     WHERE ${t.eligible} ${cursor}
     ORDER BY l.hot_bound DESC, l.id DESC
     LIMIT $${t.params.length + 1}`,
    params,
  };
}

/**
 * The top `limit` leads by priority without computing every lead's. The
 * priority depends on the time of the request, so it cannot be indexed; its
 * upper bound leads.hot_bound (migration 0020) can. Leads are read in bound
 * order, a page at a time (an index range scan per page), keeping the best
 * `limit` so far; once the next bound is below the priority the list would
 * have to beat, no lead further down can enter (its priority ≤ its bound),
 * so the scan stops. Pages grow, as a page costs a round trip.
 */
async function rankHotLeads(sql: Sql, tenant: Tenant, q: HotLeadQuery, openStages: string[], dealP90: number): Promise<Row[]> {
  if (q.limit <= 0) return [];
  let best: { id: string; priority: number }[] = [];
  const worse = (a: { id: string; priority: number }, b: { id: string; priority: number }) => b.priority - a.priority || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  let after: { bound: number; id: string } | undefined;
  let pageSize = Math.max(50, q.limit * 4);
  for (;;) {
    const { text, params } = hotLeadsPageQuery(tenant, q, openStages, dealP90, pageSize, after);
    const { rows } = await sql.query<{ id: string; hot_bound: number; priority: number }>(text, params);
    best = [...best, ...rows.map((r) => ({ id: r.id, priority: r.priority }))].sort(worse).slice(0, q.limit);
    const last = rows.at(-1);
    if (!last || rows.length < pageSize) break;
    // The bound and the priority are summed in different orders: allow for float rounding.
    if (best.length === q.limit && last.hot_bound < best.at(-1)!.priority - 1e-6) break;
    after = { bound: last.hot_bound, id: last.id };
    pageSize = Math.min(pageSize * 4, 5_000);
  }
  if (best.length === 0) return [];
  const t = priorityTerms(tenant, q, openStages, dealP90);
  const n = t.params.length;
  const params = [...t.params, best.map((b) => b.id), best.map((b) => b.priority), tenant.settings.sla_response_minutes];
  const { rows } = await sql.query<Row>(
    `WITH top AS (SELECT * FROM unnest($${n + 1}::uuid[], $${n + 2}::float8[]) AS top(id, priority))
     ${detailSelect(t, n + 3)}`,
    params,
  );
  return rows;
}

/** The one or two things that put the lead where it is, biggest first; the score when nothing else stands out. */
export function reasonsFor(
  r: Pick<Row, 'p_sla' | 'p_recent' | 'p_value' | 'p_cold' | 'waited_min' | 'days_since_contact' | 'deal_amount' | 'score' | 'grade'>,
  slaMinutes: number,
): HotLead['reasons'] {
  const items: { size: number; key: ReasonKey; params: Record<string, string | number> }[] = [];
  const waited = Math.max(0, Math.round(r.waited_min ?? 0));
  if (r.p_sla >= PRIORITY.slaBreached) items.push({ size: r.p_sla, key: 'sla_breached', params: { minutes: waited, hours: Math.round(waited / 60), sla: slaMinutes } });
  else if (r.p_sla > 0) items.push({ size: r.p_sla, key: 'reply_due', params: { minutes: waited, sla: slaMinutes } });
  // "Wrote recently" adds nothing once the unanswered message is already the reason.
  if (r.p_recent >= 2 && r.p_sla === 0) items.push({ size: r.p_recent, key: 'recent', params: { minutes: waited } });
  if (r.p_value >= 2) items.push({ size: r.p_value, key: 'value', params: { amount: Number(r.deal_amount) } });
  if (r.p_cold >= 2) items.push({ size: r.p_cold, key: 'cold', params: { days: Math.round(r.days_since_contact) } });
  items.sort((a, b) => b.size - a.size);
  const out = items.slice(0, 2).map(({ key, params }) => ({ key, params }));
  if (out.length === 0 || r.score !== null) out.push({ key: 'score', params: { score: r.score ?? 0, grade: r.grade ?? '-' } });
  return out.slice(0, 3);
}

function validZone(tz: string | null): string | undefined {
  if (!tz) return undefined;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return tz;
  } catch {
    return undefined;
  }
}

async function inboundHours(sql: Sql, rows: Row[], tenantZone: string, now: Date): Promise<Map<string, Map<number, number>>> {
  const out = new Map<string, Map<number, number>>();
  if (rows.length === 0) return out;
  const zones = new Map(rows.map((r) => [r.id, validZone(r.timezone) ?? tenantZone]));
  const { rows: acts } = await sql.query<{ lead_id: string; occurred_at: Date }>(
    `SELECT lead_id, occurred_at FROM activities WHERE tenant_id = closer_current_tenant() AND lead_id = ANY($1::uuid[]) AND kind = 'message_in' AND occurred_at <= $2`,
    [rows.map((r) => r.id), now],
  );
  const fmt = new Map<string, Intl.DateTimeFormat>();
  for (const a of acts) {
    const tz = zones.get(a.lead_id)!;
    let f = fmt.get(tz);
    if (!f) fmt.set(tz, (f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hour: 'numeric', hourCycle: 'h23' })));
    const h = Number(f.format(a.occurred_at)) % 24;
    const m = out.get(a.lead_id) ?? new Map<number, number>();
    m.set(h, (m.get(h) ?? 0) + 1);
    out.set(a.lead_id, m);
  }
  return out;
}
