import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { openEmbeddedDatabase } from '../../src/db/database.ts';
import { migrate } from '../../src/db/migrate.ts';
import { seedDemo } from '../../src/db/seed/index.ts';
import { createLogger } from '../../src/log.ts';
import { setupTargets } from './targets.ts';
import { runFuzz } from './webhooks.ts';

/**
 * `npm run fuzz [-- --count 10000 --time-budget-s 900 --seed 1 --concurrency 16 --heap-bound-mb 64]`:
 * fuzzes every channel webhook of a real app (embedded database, demo seed,
 * REDIS_URL or a private redis-server, no workers) and prints a JSON report.
 * Exits 1 when any request crashed or got a 5xx, when an unauthenticated
 * request stored anything, or when the heap grew past the bound.
 */
const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '10000' },
    'time-budget-s': { type: 'string', default: '900' },
    seed: { type: 'string', default: '1' },
    concurrency: { type: 'string', default: '16' },
    'heap-bound-mb': { type: 'string', default: '64' },
  },
});
const num = (name: string, v: string | undefined, min: number, max: number) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} must be a whole number from ${min} to ${max}`);
  return n;
};
const opts = {
  perRoute: num('count', values.count, 1, 1_000_000),
  timeBudgetMs: num('time-budget-s', values['time-budget-s'], 1, 86_400) * 1000,
  seed: num('seed', values.seed, 0, 2 ** 31),
  concurrency: num('concurrency', values.concurrency, 1, 256),
  heapBoundMb: num('heap-bound-mb', values['heap-bound-mb'], 1, 10_000),
};

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'closer-fuzz-'));
const db = await openEmbeddedDatabase('memory://');
await migrate(db);
await seedDemo(db, {});
const config = loadConfig({
  CLOSER_HOME: home,
  PORT: '0',
  HOST: '127.0.0.1',
  REDIS_PREFIX: `closer-fuzz-${process.pid}`,
  DEMO_SEED: 'off',
  LOG_LEVEL: 'fatal',
  TRUST_PROXY: 'on',
  CLOSER_SECRET_KEY: '2'.repeat(64),
  ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
});
const app = await startApp({ config, log: createLogger('fatal'), http: true, workers: false, db });
const setup = await setupTargets(app);
try {
  const report = await runFuzz(app, setup, opts);
  process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  process.exitCode = report.ok ? 0 : 1;
} finally {
  await setup.close();
  await app.stop();
  await db.close();
  fs.rmSync(home, { recursive: true, force: true });
}
