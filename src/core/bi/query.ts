import { z } from 'zod';

/**
 * The structured question: what an LLM fills in and what the rules parser
 * produces. Every name in it is checked against the semantic layer before any
 * SQL exists; values only ever travel as bind parameters.
 */

// Time specs are strings so a clarifying button can carry one as a flat argument.
export const TIME_PRESETS = [
  'today', 'yesterday', 'this_week', 'last_week', 'this_month', 'last_month',
  'this_quarter', 'last_quarter', 'this_year', 'last_year', 'all_time',
] as const;
export const TIME_SPEC_RE =
  /^(?:today|yesterday|this_week|last_week|this_month|last_month|this_quarter|last_quarter|this_year|last_year|all_time|last_\d{1,4}_(?:days|weeks|months)|\d{4}|\d{4}-Q[1-4]|\d{4}-\d{2}|\d{4}-\d{2}-\d{2}|\d{4}-\d{2}-\d{2}\.\.\d{4}-\d{2}-\d{2})$/;

export const TimeSpecSchema = z
  .string()
  .trim()
  .regex(TIME_SPEC_RE, 'use a preset (this_month, last_quarter, last_30_days…), YYYY, YYYY-Qn, YYYY-MM, YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD');

export const FILTER_OPS = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte'] as const;

export const FilterSchema = z.object({
  dimension: z.string().trim().min(1).max(40),
  op: z.enum(FILTER_OPS).default('eq'),
  // One value or several (OR); always bound as parameters.
  values: z.array(z.string().max(200)).min(1).max(20),
});
export type Filter = z.infer<typeof FilterSchema>;

export const MetricQuerySchema = z.object({
  metric: z.string().trim().min(1).max(60),
  dimensions: z.array(z.string().trim().min(1).max(40)).max(2).default([]),
  filters: z.array(FilterSchema).max(10).default([]),
  time: TimeSpecSchema.optional(),
  compare: z.enum(['none', 'previous_period']).default('none'),
  limit: z.number().int().min(1).max(200).default(20),
});
export type MetricQuery = z.infer<typeof MetricQuerySchema>;

/**
 * Filters in button form: "source=line;stage!=lost;idle_hours>24;owner=a|b".
 * Parsed here so a button press and an LLM call end up as the same query.
 */
export function parseFilterString(s: string): Filter[] {
  const out: Filter[] = [];
  for (const raw of s.split(';').map((x) => x.trim()).filter(Boolean)) {
    const m = /^([a-z_]+)\s*(!=|>=|<=|=|>|<)\s*(.*)$/.exec(raw);
    if (!m) throw new Error(`bad filter "${raw}"`);
    const op = ({ '=': 'eq', '!=': 'neq', '>': 'gt', '>=': 'gte', '<': 'lt', '<=': 'lte' } as const)[m[2] as '=' | '!=' | '>' | '>=' | '<' | '<='];
    out.push({ dimension: m[1]!, op, values: m[3]!.split('|').map((v) => v.trim()).filter((v) => v.length > 0) });
  }
  return out;
}

export function filterString(filters: Filter[]): string {
  const sym = { eq: '=', neq: '!=', gt: '>', gte: '>=', lt: '<', lte: '<=' } as const;
  return filters.map((f) => `${f.dimension}${sym[f.op]}${f.values.join('|')}`).join(';');
}

/** A query as flat string args (for buttons and saved reports' display). */
export function queryToArgs(q: MetricQuery): Record<string, string> {
  const args: Record<string, string> = { metric: q.metric };
  if (q.dimensions.length) args.dimensions = q.dimensions.join(',');
  if (q.filters.length) args.filters = filterString(q.filters);
  if (q.time) args.time = q.time;
  if (q.compare !== 'none') args.compare = q.compare;
  if (q.limit !== 20) args.limit = String(q.limit);
  return args;
}
