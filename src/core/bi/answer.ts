import { stringify } from 'csv-stringify/sync';
import { protectCell } from '../import/csv.ts';
import type { OutboundPart } from '../messages/types.ts';
import type { Tenant } from '../tenants.ts';
import { dimensionDef } from './layer.ts';
import type { MetricResult } from './execute.ts';
import { formatBucket, formatChange, formatValue, periodLabel, previousLabel } from './format.ts';

type T = (key: string, opts?: Record<string, unknown>) => string;

export interface AnswerContext {
  tenant: Tenant;
  locale: string;
  t: T;
}

/** Row labels as people read them: localised time buckets, stage names from the layer's label column. */
export function rowLabels(result: MetricResult, locale: string): string[][] {
  return result.rows.map((r) =>
    r.labels.map((label, i) => {
      const unit = dimensionDef(result.query.dimensions[i] ?? '')?.timeUnit;
      return unit ? formatBucket(r.keys[i] ?? label, unit, locale) : label;
    }),
  );
}

/** The one line people read first: "Revenue this month: ฿1,245,000, +12% vs last month". */
export function headline(result: MetricResult, ctx: AnswerContext): string {
  const { t, locale, tenant } = ctx;
  const metric = t(`metrics.name.${result.query.metric}`);
  const value = formatValue(result.total, result.kind, tenant.currency, locale);
  const period = result.snapshot ? t('metrics.time.now') : periodLabel(result.range, tenant.timezone, locale, t);
  let line = t('metrics.answer', { metric, period, value });
  const filters = result.query.filters.map((f) => `${t(`metrics.dim.${f.dimension}`)} ${({ eq: '=', neq: '≠', gt: '>', gte: '≥', lt: '<', lte: '≤' } as const)[f.op]} ${f.values.join('/')}`);
  if (filters.length) line += ` (${filters.join(', ')})`;
  if (result.query.compare === 'previous_period' && result.range.previous) {
    const change = formatChange(result.total, result.previousTotal, result.kind, locale, t('metrics.pts'));
    const prev = formatValue(result.previousTotal, result.kind, tenant.currency, locale);
    line += change ? t('metrics.vs', { change, previous: previousLabel(result.range, t), value: prev }) : t('metrics.vs_no_change', { previous: previousLabel(result.range, t), value: prev });
  }
  if (result.scopedToOwner) line += ` ${t('metrics.own_numbers')}`;
  return line;
}

export function tablePart(result: MetricResult, ctx: AnswerContext): Extract<OutboundPart, { type: 'table' }> {
  const { t, locale, tenant } = ctx;
  const withPrev = result.rows.some((r) => r.previous !== undefined);
  const columns = [...result.query.dimensions.map((d) => t(`metrics.dim.${d}`)), t(`metrics.name.${result.query.metric}`)];
  if (withPrev) columns.push(t('metrics.col_previous'), t('metrics.col_change'));
  const labels = rowLabels(result, locale);
  const rows = result.rows.map((r, i) => {
    const cells = [...labels[i]!, formatValue(r.value, result.kind, tenant.currency, locale)];
    if (withPrev) cells.push(formatValue(r.previous ?? null, result.kind, tenant.currency, locale), formatChange(r.value, r.previous ?? null, result.kind, locale, t('metrics.pts')) ?? '—');
    return cells;
  });
  return { type: 'table', columns, rows };
}

/** Plain numbers, unformatted, for a spreadsheet; text cells (sources, names: outside data) are formula-safe. */
export function toCsv(result: MetricResult): string {
  const header = [...result.query.dimensions, result.query.metric];
  if (!result.query.dimensions.length) return stringify([header, [result.total ?? '']]);
  const cell = (v: unknown) => (typeof v === 'string' ? protectCell(v) : v);
  return stringify([header, ...result.rows.map((r) => [...r.keys.map((k, i) => cell(result.query.dimensions[i] === 'rep' ? r.labels[i] : k)), r.value ?? ''])]);
}
