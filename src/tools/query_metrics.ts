import { z } from 'zod';
import { PolicyRefusal, ToolInputError } from '../errors.ts';
import { detectLocale, normaliseLocale, translator } from '../agents/i18n.ts';
import { outbound, type OutboundPart } from '../core/messages/types.ts';
import type { Tenant } from '../core/tenants.ts';
import type { Actor } from '../core/actors.ts';
import { FilterSchema, MetricQuerySchema, filterString, parseFilterString, queryToArgs, type MetricQuery } from '../core/bi/query.ts';
import { readQuestion } from '../core/bi/parse.ts';
import { findStaffInText, loadStaffNames, staffFilterValue, type StaffName } from '../core/bi/people.ts';
import { lastQuery, rememberQuery } from '../core/bi/memory.ts';
import { executeMetricQuery, tenantWeekStart, type MetricResult } from '../core/bi/execute.ts';
import { UnknownNameError, UnsupportedQueryError } from '../core/bi/validate.ts';
import { METRICS, DIMENSIONS } from '../core/bi/layer.ts';
import { headline, rowLabels, tablePart, toCsv } from '../core/bi/answer.ts';
import { renderChartDataUrl } from '../charts/render.ts';
import { dimensionDef } from '../core/bi/layer.ts';
import type { Sql } from '../db/database.ts';
import { defineTool } from './types.ts';

const csvList = (v: unknown) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : v);

export const QueryMetricsInput = z
  .object({
    question: z.string().trim().min(1).max(500).optional().describe('The question as the person asked it (rules mode passes the whole message)'),
    metric: z.string().trim().min(1).max(60).optional().describe(`One of: ${METRICS.map((m) => m.key).join(', ')}`),
    dimensions: z.preprocess(csvList, z.array(z.string().trim().min(1).max(40)).max(2)).optional().describe(`Group by up to two of: ${DIMENSIONS.filter((d) => !d.filterOnly).map((d) => d.key).join(', ')}`),
    filters: z
      .preprocess((v) => (typeof v === 'string' ? parseFilterSafe(v) : v), z.array(FilterSchema).max(10))
      .optional()
      .describe('Filters: [{dimension, op (eq|neq|gt|gte|lt|lte), values[]}] or "source=line;idle_hours>24"'),
    time: z.string().trim().max(40).optional().describe('this_month, last_quarter, last_30_days, 2026-03, 2026-Q1, 2026, 2026-03-01..2026-03-31, all_time…'),
    compare: z.enum(['none', 'previous_period']).optional(),
    limit: z.coerce.number().int().min(1).max(200).optional(),
    format: z.enum(['default', 'csv']).optional().describe('csv attaches the rows as CSV text'),
  })
  .refine((a) => a.question !== undefined || a.metric !== undefined, { message: 'give a question or a metric' });

function parseFilterSafe(s: string): unknown {
  try {
    return parseFilterString(s);
  } catch {
    return s; // Left as a string, the schema reports it as invalid input.
  }
}

type Args = z.output<typeof QueryMetricsInput>;

export type QueryMetricsResult =
  | { kind: 'answer'; result: MetricResult; csv: boolean; chart: string | null; locale: string }
  | { kind: 'clarify'; options: MetricQuery[] }
  | { kind: 'not_understood' }
  | { kind: 'unknown'; what: 'metric' | 'dimension'; term: string; suggestions: string[]; query: MetricQuery | null }
  | { kind: 'unsupported'; reason: string; detail: Record<string, string> };

/** The language of the answer: the question's own script when the tenant speaks it, else the person's. */
export function answerLocale(tenant: Tenant, actor: Actor, question: string | undefined): string {
  const written = question ? detectLocale(question) : undefined;
  return normaliseLocale(written && (tenant.locales.includes(written) || written === 'en') ? written : actor.locale);
}

export interface PrepareContext {
  tenant: Tenant;
  now: Date;
  /** The tenant's staff, so a question can name a rep. */
  staff: StaffName[];
  /** The query last answered in this conversation, which a follow-up modifies. */
  previous?: MetricQuery | undefined;
}

/** Turns tool arguments into a structured query, or into the reply that stands in for one. */
export function argsToQuery(args: Args, pctx: PrepareContext): { query: MetricQuery; csv: boolean; followUp: boolean } | Exclude<QueryMetricsResult, { kind: 'answer' }> {
  const { tenant, now, staff, previous } = pctx;
  const csv = args.format === 'csv';
  if (args.metric === undefined) {
    const p = readQuestion(args.question!, { now, timezone: tenant.timezone, weekStart: tenantWeekStart(tenant) });
    const person = findStaffInText(p.rest, staff);
    const filters = [...p.filters];
    if (person && !filters.some((f) => f.dimension === 'rep')) filters.push({ dimension: 'rep', op: 'eq', values: [staffFilterValue(person, staff)] });
    if (p.options.length === 0) {
      // No metric named: a follow-up ("compare with the month before", "what about by source") changes the last answer's query.
      const modifies = p.compare || p.time !== undefined || p.dimensions.length > 0 || filters.length > 0;
      if (!previous || !modifies) return { kind: 'not_understood' };
      const replaced = new Set(filters.map((f) => f.dimension));
      const query = MetricQuerySchema.parse({
        ...previous,
        // With a comparison word, a time phrase names the period compared against, not a new period.
        ...(p.time !== undefined && !p.compare ? { time: p.time } : {}),
        dimensions: p.dimensions.length ? p.dimensions : previous.dimensions,
        filters: [...previous.filters.filter((f) => !replaced.has(f.dimension)), ...filters],
        compare: p.compare ? 'previous_period' : previous.compare,
      });
      return { query, csv: csv || p.csv, followUp: true };
    }
    const build = (metric: string) =>
      MetricQuerySchema.parse({ metric, dimensions: p.dimensions, filters, ...(p.time ? { time: p.time } : {}), compare: p.compare ? 'previous_period' : 'none', limit: 20 });
    if (p.options.length > 1) return { kind: 'clarify', options: p.options.map(build) };
    return { query: build(p.options[0]!), csv: csv || p.csv, followUp: false };
  }
  const q = MetricQuerySchema.safeParse({
    metric: args.metric,
    dimensions: args.dimensions ?? [],
    filters: args.filters ?? [],
    ...(args.time ? { time: args.time } : {}),
    compare: args.compare ?? 'none',
    limit: args.limit ?? 20,
  });
  if (!q.success) throw new ToolInputError(`invalid query: ${q.error.issues.map((i) => `${i.path.join('.') || 'query'}: ${i.message}`).join('; ')}`);
  return { query: q.data, csv, followUp: false };
}

/** Answers one query for an actor: reps only ever see their own rows. Shared with scheduled reports. */
export async function answerQuery(sql: Sql, tenant: Tenant, actor: Actor, query: MetricQuery, opts: { now: Date; locale: string; csv: boolean; chart?: boolean }): Promise<QueryMetricsResult> {
  if (actor.role === 'customer') throw new PolicyRefusal('business numbers are for staff.');
  if (actor.role === 'rep' && !actor.staffUserId) throw new PolicyRefusal('this conversation is not linked to a staff member.');
  const forcedOwnerId = actor.role === 'rep' ? actor.staffUserId : undefined;
  try {
    const result = await executeMetricQuery(sql, query, { tenant, now: opts.now, locale: opts.locale, forcedOwnerId });
    const chart = opts.chart === false ? null : await chartFor(result, tenant, opts.locale);
    return { kind: 'answer', result, csv: opts.csv, chart, locale: opts.locale };
  } catch (err) {
    if (err instanceof UnknownNameError) return { kind: 'unknown', what: err.kind, term: err.term, suggestions: err.suggestions, query };
    if (err instanceof UnsupportedQueryError) return { kind: 'unsupported', reason: err.reason, detail: err.detail };
    if (err instanceof Error && /^(unknown time spec|no such|a period needs|".*" ends before)/.test(err.message)) throw new ToolInputError(err.message);
    throw err;
  }
}

/** A chart when a picture says more than the table: more than a few rows. Bars for categories, a line over time. */
async function chartFor(result: MetricResult, tenant: Tenant, locale: string): Promise<string | null> {
  if (result.rows.length <= 3 || result.query.dimensions.length !== 1) return null;
  const t = translator(locale);
  const overTime = Boolean(dimensionDef(result.query.dimensions[0]!)?.timeUnit);
  const labels = rowLabels(result, locale);
  return renderChartDataUrl({
    kind: overTime ? 'line' : 'bar',
    title: `${t(`metrics.name.${result.query.metric}`)} · ${t(`metrics.dim.${result.query.dimensions[0]}`)}`,
    points: result.rows.map((r, i) => ({ label: labels[i]![0]!, value: r.value ?? 0 })),
    valueTitle: result.kind === 'money' ? tenant.currency : result.kind === 'rate' ? '%' : result.kind === 'minutes' ? 'min' : undefined,
    rtl: locale === 'ar',
  });
}

export const queryMetrics = defineTool({
  name: 'query_metrics',
  description:
    'Business numbers for managers: revenue, leads created/contacted, first-response time (median, p90), reply rate, conversion rate, deals won, win rate, average deal size, open and weighted pipeline, follow-ups sent, hot leads open, SLA breaches; grouped by rep, source, channel, stage, product, city, day/week/month; filtered; for a period in the tenant timezone; optionally compared with the previous period. Give either `question` (plain words) or a structured query (metric, dimensions, filters, time, compare, limit). Reps only see their own numbers.',
  roles: ['rep', 'manager', 'admin'],
  input: QueryMetricsInput,
  async run(ctx, args) {
    const locale = answerLocale(ctx.tenant, ctx.actor, args.question);
    const staff = args.question !== undefined ? await loadStaffNames(ctx.sql) : [];
    const last = args.question !== undefined && ctx.conversationId ? await lastQuery(ctx.sql, ctx.conversationId) : undefined;
    const prepared = argsToQuery(args, { tenant: ctx.tenant, now: ctx.now, staff, previous: last?.query });
    if ('kind' in prepared) return { data: prepared as QueryMetricsResult, summary: `metrics: ${prepared.kind}` };
    const data = await answerQuery(ctx.sql, ctx.tenant, ctx.actor, prepared.query, { now: ctx.now, locale, csv: prepared.csv });
    const q = prepared.query;
    if (data.kind === 'answer' && ctx.conversationId) {
      await rememberQuery(ctx.sql, { tenantId: ctx.tenant.id, actor: ctx.actor, conversationId: ctx.conversationId, query: q, question: prepared.followUp && last?.question ? `${last.question} · ${args.question}` : args.question });
    }
    return {
      data,
      summary:
        data.kind === 'answer'
          ? `${q.metric}${q.dimensions.length ? ` by ${q.dimensions.join(',')}` : ''}${q.filters.length ? ` where ${filterString(q.filters)}` : ''} ${data.result.range.spec}${q.compare !== 'none' ? ' vs previous' : ''}${data.result.scopedToOwner ? ' (own)' : ''}: ${data.result.rows.length} rows`
          : `metrics: ${data.kind}`,
    };
  },
  present(res, ctx) {
    return outbound(presentMetrics(res.data, ctx.tenant, ctx.t, ctx.locale));
  },
});

export function presentMetrics(r: QueryMetricsResult, tenant: Tenant, t: (k: string, o?: Record<string, unknown>) => string, locale: string): OutboundPart[] {
  const button = (q: MetricQuery, label: string) => ({ label: label.slice(0, 80), payload: { action: 'query_metrics', args: queryToArgs(q) }, style: 'default' as const });
  switch (r.kind) {
    case 'not_understood':
      return [{ type: 'text', text: t('metrics.not_understood') }];
    case 'clarify':
      return [
        { type: 'text', text: t('metrics.clarify') },
        { type: 'buttons', buttons: r.options.slice(0, 10).map((q) => button(q, t(`metrics.name.${q.metric}`))) },
      ];
    case 'unknown': {
      const parts: OutboundPart[] = [
        { type: 'text', text: r.suggestions.length ? t(`metrics.unknown_${r.what}`, { term: r.term, suggestions: r.suggestions.join(', ') }) : t(`metrics.unknown_${r.what}_none`, { term: r.term, known: (r.what === 'metric' ? METRICS.map((m) => m.key) : DIMENSIONS.filter((d) => !d.filterOnly).map((d) => d.key)).join(', ') }) },
      ];
      if (r.query && r.suggestions.length) {
        const q = r.query;
        const fixed = r.suggestions.map((s) => (r.what === 'metric' ? { ...q, metric: s } : { ...q, dimensions: q.dimensions.map((d) => (d === r.term ? s : d)) }));
        parts.push({ type: 'buttons', buttons: fixed.map((q, i) => button(q, r.what === 'metric' ? t(`metrics.name.${q.metric}`) : r.suggestions[i]!)) });
      }
      return parts;
    }
    case 'unsupported':
      return [{ type: 'text', text: t(`metrics.unsupported_${r.reason}`, { ...r.detail, metric: r.detail.metric ? t(`metrics.name.${r.detail.metric}`) : '', dimension: r.detail.dimension ? t(`metrics.dim.${r.detail.dimension}`) : '' }) }];
    case 'answer': {
      const actx = { tenant, locale: r.locale || locale, t };
      const parts: OutboundPart[] = [{ type: 'text', text: headline(r.result, actx) }];
      if (r.result.rows.length) parts.push(tablePart(r.result, actx));
      else if (r.result.query.dimensions.length) parts.push({ type: 'text', text: t('metrics.no_rows') });
      if (r.chart) parts.push({ type: 'image', url: r.chart, alt: t('metrics.chart_alt', { metric: t(`metrics.name.${r.result.query.metric}`) }) });
      if (r.csv) parts.push({ type: 'text', text: `${t('metrics.csv_note')}\n${toCsv(r.result)}` });
      return parts;
    }
  }
}
