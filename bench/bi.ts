import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Database } from '../src/db/database.ts';
import { withTenant } from '../src/db/tenant.ts';
import { getTenantById } from '../src/core/tenants.ts';
import { executeMetricQuery } from '../src/core/bi/execute.ts';
import { loadStaffNames } from '../src/core/bi/people.ts';
import { argsToQuery, QueryMetricsInput } from '../src/tools/query_metrics.ts';
import { renderChartDataUrl, type ChartInput } from '../src/charts/render.ts';
import { getBenchDatabase, BENCH_ANCHOR } from './fixture.ts';
import { benchMain } from './lib/cli.ts';
import { summarise } from './stats.ts';

/**
 * Business-question latency at scale: the golden questions compiled and run
 * against one large tenant, with and without the indexes of migration 0012
 * (dropped, measured, recreated, measured), plus chart rendering time.
 * Standalone: `node bin/run-ts.js bench/bi.ts [--scale 200] [--runs 5]`.
 */

export const GOLDEN_QUESTIONS = [
  'revenue this month by rep',
  'revenue last month vs the month before',
  'revenue by month this year',
  'win rate by source last year',
  'new leads this week',
  'new leads by channel last month',
  'leads contacted last 30 days',
  'median first response time this month by rep',
  'p90 first response time last quarter',
  'reply rate last month',
  'conversion rate by source this quarter',
  'deals won by product this year',
  'average deal size by city this year',
  'pipeline value by stage',
  'weighted pipeline by rep',
  'follow-ups sent last month',
  'hot leads uncontacted for more than 24 hours',
  'sla breaches this month by rep',
];

const MIGRATION = fileURLToPath(new URL('../db/migrations/0012_bi_indexes.sql', import.meta.url));

/** The indexes 0012 creates, read from the file so the benchmark always measures what ships. */
export function migrationIndexes(): { name: string; sql: string }[] {
  const text = fs.readFileSync(MIGRATION, 'utf8');
  return [...text.matchAll(/CREATE INDEX (\w+) ON [^;]+;/g)].map((m) => ({ name: m[1]!, sql: m[0] }));
}

interface QuestionTiming {
  question: string;
  metric: string;
  rows: number;
  p50_ms: number;
  p95_ms: number;
}

async function timeQuestions(db: Database, tenantId: string, runs: number, now: Date): Promise<{ perQuestion: QuestionTiming[]; all: { p50_ms: number; p95_ms: number } }> {
  const perQuestion: QuestionTiming[] = [];
  const every: number[] = [];
  for (const question of GOLDEN_QUESTIONS) {
    const samples: number[] = [];
    let metric = '';
    let rows = 0;
    for (let i = 0; i <= runs; i++) {
      const t0 = performance.now();
      await withTenant(db, tenantId, async (sql) => {
        const tenant = await getTenantById(sql, tenantId);
        const prepared = argsToQuery(QueryMetricsInput.parse({ question }), { tenant, now, staff: await loadStaffNames(sql) });
        if ('kind' in prepared) throw new Error(`golden question not understood: ${question} (${prepared.kind})`);
        const r = await executeMetricQuery(sql, prepared.query, { tenant, now, locale: 'en', statementTimeoutMs: 120_000 });
        metric = r.query.metric;
        rows = r.rows.length;
      });
      // The first run warms caches and plans; it is not counted.
      if (i > 0) samples.push(performance.now() - t0);
    }
    const s = summarise(samples);
    process.stderr.write(`bench bi: ${question}: p50 ${round(s.p50)} ms\n`);
    every.push(...samples);
    perQuestion.push({ question, metric, rows, p50_ms: round(s.p50), p95_ms: round(s.p95) });
  }
  const all = summarise(every);
  return { perQuestion, all: { p50_ms: round(all.p50), p95_ms: round(all.p95) } };
}

const round = (n: number) => Math.round(n * 10) / 10;

async function chartTimes(): Promise<Record<string, number>> {
  const bar: ChartInput = { kind: 'bar', title: 'Revenue · Rep', points: ['Omar', 'Khalid', 'Noura', 'Abdullah', 'Rania'].map((label, i) => ({ label, value: 100_000 * (i + 1) })), valueTitle: 'SAR' };
  const line: ChartInput = { kind: 'line', title: 'Revenue · Month', points: Array.from({ length: 12 }, (_, i) => ({ label: `2026-${String(i + 1).padStart(2, '0')}`, value: 50_000 + 7_000 * i })), valueTitle: 'SAR' };
  const out: Record<string, number> = {};
  for (const [name, input] of [['bar', bar], ['line', line]] as const) {
    let t0 = performance.now();
    await renderChartDataUrl(input);
    out[`${name}_cold_ms`] = round(performance.now() - t0);
    const warm: number[] = [];
    for (let i = 0; i < 10; i++) {
      t0 = performance.now();
      await renderChartDataUrl(input);
      warm.push(performance.now() - t0);
    }
    out[`${name}_warm_p50_ms`] = round(summarise(warm).p50);
  }
  return out;
}

/** Times the golden questions without the 0012 indexes and with them. Leaves the indexes in place. */
export async function benchBi(db: Database, tenantId: string, opts: { runs?: number; now?: Date } = {}): Promise<Record<string, unknown>> {
  const runs = opts.runs ?? 5;
  const now = opts.now ?? BENCH_ANCHOR;
  const indexes = migrationIndexes();
  const counts = await withTenant(db, tenantId, async (sql) =>
    (await sql.query<Record<string, number>>(`SELECT (SELECT count(*) FROM leads)::int AS leads, (SELECT count(*) FROM deals)::int AS deals, (SELECT count(*) FROM activities)::int AS activities, (SELECT count(*) FROM followup_executions)::int AS followups`)).rows[0]!,
  );
  // DDL as the owner of the schema (the pool's role), not as the app role.
  for (const i of indexes) await db.pool.query(`DROP INDEX IF EXISTS ${i.name}`);
  await db.pool.query('ANALYZE');
  const without = await timeQuestions(db, tenantId, runs, now);
  for (const i of indexes) await db.pool.query(i.sql.replace('CREATE INDEX', 'CREATE INDEX IF NOT EXISTS'));
  await db.pool.query('ANALYZE');
  const withIdx = await timeQuestions(db, tenantId, runs, now);
  return {
    bench: 'business_questions',
    counts,
    runs_per_question: runs,
    indexes: indexes.map((i) => i.name),
    without_0012: without.all,
    with_0012: withIdx.all,
    questions: withIdx.perQuestion.map((q, i) => ({ ...q, without_0012_p50_ms: without.perQuestion[i]!.p50_ms, without_0012_p95_ms: without.perQuestion[i]!.p95_ms })),
    charts: await chartTimes(),
  };
}

await benchMain(import.meta.url, 'bi', async (ctx) => {
  const bench = await getBenchDatabase({ scale: ctx.flag('--scale', ctx.quick ? 2 : 200), databaseUrl: ctx.databaseUrl });
  try {
    const r = await benchBi(bench.db, bench.tenantId, { runs: ctx.flag('--runs', ctx.quick ? 1 : 5) });
    const all = r.with_0012 as { p50_ms: number; p95_ms: number };
    const without = r.without_0012 as { p95_ms: number };
    return {
      figures: [
        { key: 'bi_golden_p95_ms', label: 'business questions, golden set, p95', value: all.p95_ms, unit: 'ms', baseline: { label: 'same questions without the 0012 indexes', value: without.p95_ms } },
        { key: 'bi_golden_p50_ms', label: 'business questions, golden set, p50', value: all.p50_ms, unit: 'ms' },
      ],
      detail: { scale: bench.scale, image: { name: bench.image, built: bench.built, ms: bench.buildMs }, ...r },
    };
  } finally {
    await bench.db.close();
  }
});
