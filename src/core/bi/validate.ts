import { distance } from 'fastest-levenshtein';
import { DIMENSIONS, METRICS, dimensionDef, metricDef, type DimensionDef, type MetricDef } from './layer.ts';
import type { MetricQuery } from './query.ts';

/** A name the layer does not know, with the nearest names it does know. */
export class UnknownNameError extends Error {
  constructor(
    readonly kind: 'metric' | 'dimension',
    readonly term: string,
    readonly suggestions: string[],
  ) {
    super(`unknown ${kind} "${term}"${suggestions.length ? ` (did you mean ${suggestions.join(', ')}?)` : ''}`);
  }
}

/** A known name used where it cannot apply ("product" of leads, a time bucket of a snapshot). */
export class UnsupportedQueryError extends Error {
  constructor(
    message: string,
    readonly reason: 'dimension_not_for_metric' | 'time_for_snapshot' | 'numeric_filter' | 'filter_only',
    readonly detail: Record<string, string>,
  ) {
    super(message);
  }
}

// Names models and people reach for that mean a declared one.
const ALIASES: Record<string, string> = {
  owner: 'rep', salesperson: 'rep', agent: 'rep', staff: 'rep', assignee: 'rep',
  property_type: 'product', listing_type: 'product', category: 'product', treatment: 'product',
  lead_source: 'source', conversion: 'conversion_rate', sales: 'revenue', won_deals: 'deals_won',
  new_leads: 'leads_created', leads: 'leads_created', response_time: 'first_response_median', pipeline: 'pipeline_value',
};

/** Names within a small edit distance (scaled to the name's length), nearest first. */
export function closeMatches(name: string, candidates: readonly string[], max = 3): string[] {
  const n = name.toLowerCase();
  const scored = candidates
    .map((c) => ({ c, d: Math.min(distance(n, c), c.includes(n) || n.includes(c) ? 1 : Infinity) }))
    .filter((x) => x.d <= Math.max(2, Math.floor(x.c.length / 3)));
  scored.sort((a, b) => a.d - b.d || a.c.localeCompare(b.c));
  return scored.slice(0, max).map((x) => x.c);
}

export interface CheckedQuery {
  query: MetricQuery;
  metric: MetricDef;
  dimensions: DimensionDef[];
}

/** Resolves every name in the query against the layer, or says which is wrong and what was probably meant. */
export function checkQuery(q: MetricQuery): CheckedQuery {
  const metricKey = metricDef(q.metric) ? q.metric : ALIASES[q.metric.toLowerCase()] ?? q.metric.toLowerCase();
  const metric = metricDef(metricKey);
  if (!metric) throw new UnknownNameError('metric', q.metric, closeMatches(q.metric, METRICS.map((m) => m.key)));
  const dimKey = (k: string) => (dimensionDef(k) ? k : ALIASES[k.toLowerCase()] ?? k.toLowerCase());
  const dims: DimensionDef[] = [];
  for (const raw of q.dimensions) {
    const d = dimensionDef(dimKey(raw));
    if (!d) throw new UnknownNameError('dimension', raw, closeMatches(raw, DIMENSIONS.filter((x) => !x.filterOnly).map((x) => x.key)));
    if (d.filterOnly) throw new UnsupportedQueryError(`${d.key} can filter but not group`, 'filter_only', { dimension: d.key });
    assertApplies(d, metric);
    if (!dims.includes(d)) dims.push(d);
  }
  const filters = q.filters.map((f) => {
    const d = dimensionDef(dimKey(f.dimension));
    if (!d) throw new UnknownNameError('dimension', f.dimension, closeMatches(f.dimension, DIMENSIONS.map((x) => x.key)));
    if (d.timeUnit) throw new UnsupportedQueryError(`filter ${d.key} through the time range instead`, 'dimension_not_for_metric', { dimension: d.key, metric: metric.key });
    assertApplies(d, metric);
    const numericOp = f.op !== 'eq' && f.op !== 'neq';
    if (numericOp && !d.numeric) {
      throw new UnsupportedQueryError(`${d.key} compares with = and != only`, 'numeric_filter', { dimension: d.key });
    }
    if (d.numeric && f.values.some((v) => !Number.isFinite(Number(v)))) {
      throw new UnsupportedQueryError(`${d.key} needs a number`, 'numeric_filter', { dimension: d.key });
    }
    return { ...f, dimension: d.key };
  });
  if (metric.time === null && dims.some((d) => d.timeUnit)) {
    throw new UnsupportedQueryError(`${metric.key} is a snapshot of now; it has no history by ${dims.find((d) => d.timeUnit)!.key}`, 'time_for_snapshot', { metric: metric.key });
  }
  return { query: { ...q, metric: metric.key, dimensions: dims.map((d) => d.key), filters }, metric, dimensions: dims };
}

function assertApplies(d: DimensionDef, metric: MetricDef): void {
  if (d.timeUnit) return;
  if (!d.expr[metric.base]) {
    throw new UnsupportedQueryError(`${d.key} does not apply to ${metric.key}`, 'dimension_not_for_metric', { dimension: d.key, metric: metric.key });
  }
}
