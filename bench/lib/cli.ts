import os from 'node:os';
import { pathToFileURL } from 'node:url';
import { redactUrl } from '../../src/db/database.ts';

/**
 * The one way every benchmark reads its options and prints its result, so
 * `npm run bench -- --all` can run each of them on both backends and put
 * their figures side by side.
 *
 * Flags every bench understands:
 *   --database-url URL   measure on that PostgreSQL server (or BENCH_DATABASE_URL); default: embedded PGlite
 *   --backend embedded   ignore BENCH_DATABASE_URL for this run
 *   --scale N            demo-realty scale (500 leads per unit) where the bench seeds a large tenant
 *   --quick              a small, fast run (CI smoke, checking that the bench works)
 * plus the bench's own numeric flags (read with ctx.flag).
 */
export type Backend = 'embedded' | 'server';

export interface BenchContext {
  backend: Backend;
  /** Set when backend is 'server'. */
  databaseUrl: string | undefined;
  redisUrl: string;
  quick: boolean;
  /** A numeric flag (`--name N`), `def` when absent or not a positive number. */
  flag(name: string, def: number): number;
  /** A string flag (`--name value`). */
  str(name: string): string | undefined;
  has(name: string): boolean;
  /** Progress to stderr (stdout carries the JSON result only). */
  log(msg: string): void;
}

/**
 * One headline number of a bench. `key` is stable (the report's rows and
 * the targets are keyed by it); `baseline` is what the same run measured for
 * the reference the ratio is taken against.
 */
export interface Figure {
  key: string;
  label: string;
  value: number | null;
  unit: string;
  baseline?: { label: string; value: number } | undefined;
  /** value / baseline.value, or for throughputs ours / theirs: say which in the label. */
  ratio?: number | undefined;
  note?: string | undefined;
}

export interface BenchOutput {
  figures: Figure[];
  detail: Record<string, unknown>;
}

export interface BenchResult extends BenchOutput {
  name: string;
  backend: Backend;
  database: string;
  at: string;
  node: string;
  cpus: number;
  ms: number;
}

export function parseBenchArgs(argv: string[] = process.argv.slice(2), env: NodeJS.ProcessEnv = process.env): BenchContext {
  const at = (name: string) => argv.indexOf(name);
  const str = (name: string) => {
    const i = at(name);
    return i >= 0 && i + 1 < argv.length ? argv[i + 1] : undefined;
  };
  const forcedEmbedded = str('--backend') === 'embedded';
  const databaseUrl = forcedEmbedded ? undefined : (str('--database-url') ?? (env.BENCH_DATABASE_URL || undefined));
  return {
    backend: databaseUrl ? 'server' : 'embedded',
    databaseUrl,
    redisUrl: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    quick: at('--quick') >= 0,
    flag(name, def) {
      const v = Number(str(name));
      return Number.isFinite(v) && v > 0 ? v : def;
    },
    str,
    has: (name) => at(name) >= 0,
    log: (msg) => process.stderr.write(`${msg}\n`),
  };
}

export const round = (x: number, digits = 2): number => Math.round(x * 10 ** digits) / 10 ** digits;

/** A ratio rounded for reports; null when either side is missing. */
export function ratio(ours: number | null | undefined, theirs: number | null | undefined): number | undefined {
  if (ours === null || ours === undefined || !theirs) return undefined;
  return round(ours / theirs, 3);
}

/**
 * Runs `fn` when the file is the entry point (`node bin/run-ts.js bench/x.ts …`)
 * and prints its result as one JSON object on stdout.
 */
export async function benchMain(importMetaUrl: string, name: string, fn: (ctx: BenchContext) => Promise<BenchOutput>): Promise<void> {
  if (!process.argv[1] || importMetaUrl !== pathToFileURL(process.argv[1]).href) return;
  const ctx = parseBenchArgs();
  const t0 = performance.now();
  const out = await fn(ctx);
  const result: BenchResult = {
    name,
    backend: ctx.backend,
    database: ctx.databaseUrl ? redactUrl(ctx.databaseUrl) : 'embedded PGlite',
    at: new Date().toISOString(),
    node: process.version,
    cpus: os.cpus().length,
    ms: Math.round(performance.now() - t0),
    ...out,
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  // Pools, Redis connections and workers of a bench are closed by the bench; exit anyway so a forgotten timer cannot hang `--all`.
  process.exit(0);
}
