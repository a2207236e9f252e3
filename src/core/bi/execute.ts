import { z } from 'zod';
import type { Sql } from '../../db/database.ts';
import type { Tenant } from '../tenants.ts';
import { compileQuery, type CompileContext } from './compile.ts';
import type { MetricQuery } from './query.ts';
import { resolveTime, type TimeRange, type WeekStart } from './time.ts';
import { checkQuery, type CheckedQuery } from './validate.ts';
import type { ValueKind } from './layer.ts';

export interface MetricRow {
  keys: string[];
  labels: string[];
  value: number | null;
  previous?: number | null | undefined;
  n: number;
}

export interface MetricResult {
  query: MetricQuery;
  kind: ValueKind;
  higherIsBetter: boolean;
  /** A state of now (open pipeline), not a period's total. */
  snapshot: boolean;
  range: TimeRange;
  total: number | null;
  previousTotal: number | null;
  rows: MetricRow[];
  /** Set when a rep's question was narrowed to their own numbers. */
  scopedToOwner: boolean;
}

export interface ExecuteOptions {
  tenant: Tenant;
  now: Date;
  locale: string;
  forcedOwnerId?: string | undefined;
  statementTimeoutMs?: number;
}

const WeekStartSchema = z.enum(['monday', 'sunday']).catch('monday');

export function tenantWeekStart(tenant: Tenant): WeekStart {
  return WeekStartSchema.parse((tenant.settings as Record<string, unknown>).week_start ?? 'monday');
}

function num(v: unknown): number | null {
  if (v === null || v === undefined) return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

/**
 * Runs a question against the tenant's data, read-only. The statements run
 * inside a savepoint that is made read-only with a statement timeout and
 * then rolled back, so the surrounding tool transaction (which still writes
 * the audit log) is left as it was.
 */
export async function executeMetricQuery(sql: Sql, raw: MetricQuery, opts: ExecuteOptions): Promise<MetricResult> {
  const checked = checkQuery(raw);
  const range = resolveTime(checked.query.time ?? checked.metric.defaultTime, {
    now: opts.now,
    timezone: opts.tenant.timezone,
    weekStart: tenantWeekStart(opts.tenant),
  });
  if (checked.metric.time === null) {
    // A snapshot has no period: "open pipeline" is always now.
    range.start = null;
    range.end = null;
    range.previous = null;
  }
  const base: Omit<CompileContext, 'start' | 'end'> = {
    now: opts.now,
    timezone: opts.tenant.timezone,
    weekStart: tenantWeekStart(opts.tenant),
    locale: opts.locale,
    slaMinutes: opts.tenant.settings.sla_response_minutes,
    forcedOwnerId: opts.forcedOwnerId,
  };
  const wantCompare = checked.query.compare === 'previous_period' && range.previous !== null;
  const timeDims = checked.dimensions.some((d) => d.timeUnit);
  await sql.query('SAVEPOINT closer_bi');
  try {
    await sql.query('SET TRANSACTION READ ONLY');
    await sql.query(`SET LOCAL statement_timeout = ${Math.max(100, Math.floor(opts.statementTimeoutMs ?? 10_000))}`);
    const run = async (c: CheckedQuery, start: Date | null, end: Date | null) => {
      const compiled = compileQuery(c, { ...base, start, end });
      const { rows } = await sql.query<Record<string, unknown>>(compiled.text, compiled.values);
      return rows.map((r): MetricRow => ({
        keys: compiled.dimensions.map((_, i) => String(r[`g${i}`] ?? '—')),
        labels: compiled.dimensions.map((_, i) => String(r[`l${i}`] ?? r[`g${i}`] ?? '—')),
        value: num(r.value),
        n: Number(r.n ?? 0),
      }));
    };
    const totalOnly: CheckedQuery = { ...checked, dimensions: [], query: { ...checked.query, dimensions: [] } };
    const totalRows = await run(totalOnly, range.start, range.end);
    const empty = /^(count\(|COALESCE\(sum)/.test(checked.metric.value) ? 0 : null;
    const total = totalRows[0]?.value ?? empty;
    let previousTotal: number | null = null;
    let rows: MetricRow[] = [];
    if (checked.dimensions.length) rows = await run(checked, range.start, range.end);
    if (wantCompare) {
      const prev = range.previous!;
      previousTotal = (await run(totalOnly, prev.start, prev.end))[0]?.value ?? empty;
      // Time buckets of different periods do not line up; category rows do.
      if (checked.dimensions.length && !timeDims) {
        const prevRows = await run({ ...checked, query: { ...checked.query, limit: 200 } }, prev.start, prev.end);
        const byKey = new Map(prevRows.map((r) => [r.keys.join('\u0000'), r.value]));
        rows = rows.map((r) => ({ ...r, previous: byKey.get(r.keys.join('\u0000')) ?? empty }));
      }
    }
    return {
      query: checked.query,
      kind: checked.metric.kind,
      higherIsBetter: checked.metric.higherIsBetter,
      snapshot: checked.metric.time === null,
      range,
      total,
      previousTotal,
      rows,
      scopedToOwner: opts.forcedOwnerId !== undefined,
    };
  } finally {
    // Rolling back to the savepoint also drops READ ONLY and the timeout for the rest of the transaction.
    await sql.query('ROLLBACK TO SAVEPOINT closer_bi');
    await sql.query('RELEASE SAVEPOINT closer_bi');
  }
}
