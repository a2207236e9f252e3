import { BASE_FROM, FIRST_RESPONSE_JOIN, dimensionDef, ownerColumn, type DimensionDef } from './layer.ts';
import type { CheckedQuery } from './validate.ts';
import type { WeekStart } from './time.ts';

export interface CompileContext {
  start: Date | null;
  end: Date | null;
  now: Date;
  timezone: string;
  weekStart: WeekStart;
  locale: string;
  slaMinutes: number;
  /** Set for reps: every row is restricted to what this staff member owns. */
  forcedOwnerId?: string | undefined;
}

export interface CompiledSql {
  text: string;
  values: unknown[];
  /** Output columns g0, g1 (group keys) and l0, l1 (labels) per dimension. */
  dimensions: string[];
}

const OPS = { eq: '=', neq: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=' } as const;

/**
 * Compiles a checked query to one parameterised SELECT. SQL text comes only
 * from the layer; filter values, the time range, the timezone and the SLA
 * are bind parameters ($n), so no value can change the statement's shape.
 */
export function compileQuery(checked: CheckedQuery, ctx: CompileContext): CompiledSql {
  const { metric, dimensions, query } = checked;
  const values: unknown[] = [];
  const bind = (v: unknown): string => {
    values.push(v);
    return `$${values.length}`;
  };
  // Placeholders are bound once each, lazily, so unused ones add no parameters.
  const cache = new Map<string, string>();
  const ph = (name: string, v: () => unknown, cast: string) => {
    let s = cache.get(name);
    if (!s) {
      s = `${bind(v())}${cast}`;
      cache.set(name, s);
    }
    return s;
  };
  const owner = ownerColumn(metric.base);
  const fill = (sql: string): string =>
    sql
      .replaceAll('{owner}', owner)
      .replaceAll('{sla}', () => ph('sla', () => ctx.slaMinutes, '::numeric'))
      .replaceAll('{now}', () => ph('now', () => ctx.now.toISOString(), '::timestamptz'))
      .replaceAll('{tz}', () => ph('tz', () => ctx.timezone, '::text'))
      .replaceAll('{locale}', () => ph('locale', () => ctx.locale, '::text'));

  const joins = new Set<string>(['LEFT JOIN pipeline_stages ps ON ps.key = l.stage_key']);
  if (metric.firstResponse) joins.add(FIRST_RESPONSE_JOIN);
  const where: string[] = metric.where.map(fill);
  if (metric.time && ctx.start) where.push(`${metric.time} >= ${bind(ctx.start.toISOString())}::timestamptz`);
  if (metric.time && ctx.end) where.push(`${metric.time} < ${bind(ctx.end.toISOString())}::timestamptz`);
  if (ctx.forcedOwnerId) where.push(`${owner} = ${bind(ctx.forcedOwnerId)}::uuid`);

  const usesDim = (d: DimensionDef) => d.joins?.forEach((j) => joins.add(fill(j)));
  for (const f of query.filters) {
    // checkQuery has already resolved every filter's dimension.
    const d = dimensionDef(f.dimension)!;
    usesDim(d);
    const expr = fill(d.expr[metric.base]!);
    const one = (v: string): string => {
      if (d.numeric) return `(${expr}) ${OPS[f.op]} ${bind(Number(v))}::numeric`;
      const p = bind(v);
      return d.match ? fill(d.match).replaceAll('{v}', `${p}::text`) : `lower(${expr}) = lower(${p}::text)`;
    };
    const any = f.values.map(one).join(' OR ');
    where.push(f.op === 'neq' ? `NOT (${any})` : `(${any})`);
  }

  const select: string[] = [];
  const group: string[] = [];
  dimensions.forEach((d, i) => {
    usesDim(d);
    if (d.timeUnit) {
      const local = `(${metric.time} AT TIME ZONE ${ph('tz', () => ctx.timezone, '::text')})`;
      // date_trunc weeks start on Monday; a Sunday week is the Monday week of the next day, moved back a day.
      const bucket =
        d.timeUnit === 'week' && ctx.weekStart === 'sunday'
          ? `(date_trunc('week', ${local} + interval '1 day') - interval '1 day')`
          : `date_trunc('${d.timeUnit}', ${local})`;
      select.push(`to_char(${bucket}, 'YYYY-MM-DD') AS g${i}`, `to_char(${bucket}, 'YYYY-MM-DD') AS l${i}`);
      group.push(`g${i}`);
    } else {
      const expr = fill(d.expr[metric.base]!);
      select.push(`${expr} AS g${i}`, `${d.label ? fill(d.label) : `min(${expr})`} AS l${i}`);
      group.push(`g${i}`);
    }
  });
  select.push(`${fill(metric.value)} AS value`, 'count(*)::int AS n');
  const timeOrder = dimensions.findIndex((d) => d.timeUnit);
  const order = timeOrder >= 0 ? `g${timeOrder} ASC` : dimensions.length ? 'value DESC NULLS LAST, l0 ASC' : '';
  const text = [
    `SELECT ${select.join(', ')}`,
    `FROM ${BASE_FROM[metric.base]}`,
    ...joins,
    where.length ? `WHERE ${where.join('\n  AND ')}` : '',
    group.length ? `GROUP BY ${group.join(', ')}` : '',
    order ? `ORDER BY ${order}` : '',
    group.length ? `LIMIT ${bind(query.limit)}::int` : '',
  ]
    .filter(Boolean)
    .join('\n');
  return { text, values, dimensions: dimensions.map((d) => d.key) };
}
