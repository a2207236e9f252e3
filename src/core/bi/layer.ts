/**
 * The semantic layer: every metric and dimension a question may name,
 * declared as data. The compiler only ever copies SQL text from here; nothing
 * a person or a model types becomes SQL text. `{sla}`, `{now}`, `{tz}` and
 * `{locale}` are placeholders the compiler replaces with bind parameters.
 */

export type Base = 'leads' | 'deals' | 'followups';
export type ValueKind = 'count' | 'money' | 'rate' | 'minutes';

export interface MetricDef {
  key: string;
  base: Base;
  kind: ValueKind;
  /** Joins the first-response facts (FIRST_RESPONSE_JOIN) when true. */
  firstResponse?: boolean;
  /** The instant the time range filters on; null for snapshots ("open pipeline now"). */
  time: string | null;
  where: string[];
  value: string;
  /** The period a question without one means. */
  defaultTime: string;
  higherIsBetter: boolean;
}

const RESPONSE_MINUTES = 'EXTRACT(EPOCH FROM (fr.first_out - fr.start_at)) / 60.0';
const OPEN_STAGE = 'NOT ps.is_won AND NOT ps.is_lost';

export const METRICS: readonly MetricDef[] = [
  { key: 'leads_created', base: 'leads', kind: 'count', time: 'l.created_at', where: [], value: 'count(*)', defaultTime: 'this_month', higherIsBetter: true },
  {
    key: 'leads_contacted', base: 'leads', kind: 'count', firstResponse: true, time: 'fr.first_out',
    where: ['fr.first_out IS NOT NULL'], value: 'count(*)', defaultTime: 'this_month', higherIsBetter: true,
  },
  {
    key: 'first_response_median', base: 'leads', kind: 'minutes', firstResponse: true, time: 'l.created_at',
    where: ['fr.first_out IS NOT NULL'], value: `percentile_cont(0.5) WITHIN GROUP (ORDER BY ${RESPONSE_MINUTES})`, defaultTime: 'this_month', higherIsBetter: false,
  },
  {
    key: 'first_response_p90', base: 'leads', kind: 'minutes', firstResponse: true, time: 'l.created_at',
    where: ['fr.first_out IS NOT NULL'], value: `percentile_cont(0.9) WITHIN GROUP (ORDER BY ${RESPONSE_MINUTES})`, defaultTime: 'this_month', higherIsBetter: false,
  },
  {
    // Of the leads we answered, the share who wrote back after our first reply.
    key: 'reply_rate', base: 'leads', kind: 'rate', firstResponse: true, time: 'l.created_at', where: ['fr.first_out IS NOT NULL'],
    // last_message_in_at: the lead's newest message_in (migration 0020), so "wrote after" is one comparison.
    value: 'avg(CASE WHEN l.last_message_in_at > fr.first_out THEN 1.0 ELSE 0.0 END)',
    defaultTime: 'this_month', higherIsBetter: true,
  },
  {
    // A cohort rate: of the leads created in the period, the share in a won stage now.
    key: 'conversion_rate', base: 'leads', kind: 'rate', time: 'l.created_at', where: [],
    value: 'avg(CASE WHEN ps.is_won THEN 1.0 ELSE 0.0 END)', defaultTime: 'this_quarter', higherIsBetter: true,
  },
  { key: 'deals_won', base: 'deals', kind: 'count', time: 'd.closed_at', where: ["d.status = 'won'"], value: 'count(*)', defaultTime: 'this_month', higherIsBetter: true },
  {
    key: 'win_rate', base: 'deals', kind: 'rate', time: 'd.closed_at', where: ["d.status IN ('won', 'lost')"],
    value: "avg(CASE WHEN d.status = 'won' THEN 1.0 ELSE 0.0 END)", defaultTime: 'this_quarter', higherIsBetter: true,
  },
  { key: 'revenue', base: 'deals', kind: 'money', time: 'd.closed_at', where: ["d.status = 'won'"], value: 'COALESCE(sum(d.amount), 0)', defaultTime: 'this_month', higherIsBetter: true },
  { key: 'avg_deal_size', base: 'deals', kind: 'money', time: 'd.closed_at', where: ["d.status = 'won'"], value: 'avg(d.amount)', defaultTime: 'this_quarter', higherIsBetter: true },
  { key: 'pipeline_value', base: 'deals', kind: 'money', time: null, where: ["d.status = 'open'"], value: 'COALESCE(sum(d.amount), 0)', defaultTime: 'all_time', higherIsBetter: true },
  {
    key: 'weighted_pipeline', base: 'deals', kind: 'money', time: null, where: ["d.status = 'open'"],
    value: 'COALESCE(sum(d.amount * ps.base_probability), 0)', defaultTime: 'all_time', higherIsBetter: true,
  },
  {
    // Executions carry no separate sent time; a sent one went out at its due time (the runner sends due rows).
    key: 'followups_sent', base: 'followups', kind: 'count', time: 'f.due_at', where: ["f.status = 'sent'"], value: 'count(*)', defaultTime: 'this_month', higherIsBetter: true,
  },
  { key: 'hot_leads_open', base: 'leads', kind: 'count', time: null, where: ["l.grade = 'A'", OPEN_STAGE], value: 'count(*)', defaultTime: 'all_time', higherIsBetter: true },
  {
    key: 'sla_breaches', base: 'leads', kind: 'count', firstResponse: true, time: 'l.created_at',
    where: [`((fr.first_out IS NOT NULL AND ${RESPONSE_MINUTES} > {sla}) OR (fr.first_out IS NULL AND EXTRACT(EPOCH FROM ({now} - fr.start_at)) / 60.0 > {sla}))`],
    value: 'count(*)', defaultTime: 'this_month', higherIsBetter: false,
  },
];

export interface DimensionDef {
  key: string;
  /** The value rows are grouped by (and time buckets are made of); by base where it differs. */
  expr: Partial<Record<Base, string>>;
  /** What people read for a group, when it is not the grouped value itself. */
  label?: string;
  /** How a filter value is compared, `{v}` being the bound value. Defaults to a case-insensitive equality. */
  match?: string;
  /** Extra joins the expression needs. */
  joins?: string[];
  numeric?: boolean;
  /** Groups by the metric's time column in the tenant's timezone. */
  timeUnit?: 'day' | 'week' | 'month';
  /** Only usable as a filter. */
  filterOnly?: boolean;
}

const OWNER: Record<Base, string> = { leads: 'l.owner_id', deals: 'd.owner_id', followups: 'l.owner_id' };
const ITEM_JOINS = ['LEFT JOIN catalogue_items cat ON cat.sku = d.item_ref', 'LEFT JOIN listings lst ON lst.ref = d.item_ref'];
// The channel of the lead's first message or call, kept by the activities triggers (migration 0020).
const FIRST_CHANNEL = "COALESCE(l.first_channel, 'unknown')";
const REQUEST_CITY = '(SELECT br.cities[1] FROM buyer_requests br WHERE br.tenant_id = l.tenant_id AND br.lead_id = l.id ORDER BY br.created_at LIMIT 1)';

export const DIMENSIONS: readonly DimensionDef[] = [
  {
    key: 'rep',
    expr: { leads: `${OWNER.leads}::text`, deals: `${OWNER.deals}::text`, followups: `${OWNER.followups}::text` },
    label: "COALESCE(min(su.name), '—')",
    joins: ['LEFT JOIN staff_users su ON su.id = {owner}'],
    match: "(su.id::text = {v} OR lower(su.email) = lower({v}) OR lower(su.name) = lower({v}) OR lower(split_part(su.name, ' ', 1)) = lower({v}))",
  },
  { key: 'source', expr: { leads: 'l.source', deals: 'l.source', followups: 'l.source' } },
  { key: 'channel', expr: { leads: FIRST_CHANNEL, deals: FIRST_CHANNEL, followups: 'f.channel' } },
  {
    key: 'stage',
    expr: { leads: 'l.stage_key', deals: 'l.stage_key', followups: 'l.stage_key' },
    label: 'COALESCE(min(ps.names->>{locale}), min(ps.names->>\'en\'), min(l.stage_key))',
    match: '(lower(l.stage_key) = lower({v}) OR EXISTS (SELECT 1 FROM jsonb_each_text(ps.names) sn WHERE lower(sn.value) = lower({v})))',
  },
  { key: 'product', expr: { deals: "COALESCE(cat.category, lst.property_type, 'other')" }, joins: ITEM_JOINS },
  { key: 'city', expr: { leads: `COALESCE(${REQUEST_CITY}, '—')`, deals: `COALESCE(lst.city, ${REQUEST_CITY}, '—')` }, joins: ITEM_JOINS },
  { key: 'grade', expr: { leads: "COALESCE(l.grade, '—')", deals: "COALESCE(l.grade, '—')", followups: "COALESCE(l.grade, '—')" } },
  { key: 'day', expr: {}, timeUnit: 'day' },
  { key: 'week', expr: {}, timeUnit: 'week' },
  { key: 'month', expr: {}, timeUnit: 'month' },
  {
    // Hours since we last reached out (or since the lead arrived, if never): "uncontacted for 24 hours".
    key: 'idle_hours',
    expr: { leads: 'EXTRACT(EPOCH FROM ({now} - COALESCE(l.last_contact_at, l.created_at))) / 3600.0', deals: 'EXTRACT(EPOCH FROM ({now} - COALESCE(l.last_contact_at, l.created_at))) / 3600.0' },
    numeric: true,
    filterOnly: true,
  },
];

export const BASE_FROM: Record<Base, string> = {
  leads: 'leads l',
  deals: 'deals d JOIN leads l ON l.id = d.lead_id',
  followups: 'followup_executions f JOIN leads l ON l.id = f.lead_id',
};

export function ownerColumn(base: Base): string {
  return OWNER[base];
}

/**
 * The first-response facts of a lead: when its clock started (first inbound
 * message, else its creation) and our first reply or call after that. Read
 * from columns the activities triggers keep (migration 0020) instead of
 * aggregating each lead's activities per question.
 */
export const FIRST_RESPONSE_JOIN = `CROSS JOIN LATERAL (
    SELECT COALESCE(l.first_inbound_at, l.created_at) AS start_at, l.first_response_at AS first_out
  ) fr`;

export function metricDef(key: string): MetricDef | undefined {
  return METRICS.find((m) => m.key === key);
}

export function dimensionDef(key: string): DimensionDef | undefined {
  return DIMENSIONS.find((d) => d.key === key);
}
