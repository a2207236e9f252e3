import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupTargets, type FuzzTargets } from '../../bench/fuzz/targets.ts';
import { runFuzz } from '../../bench/fuzz/webhooks.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

/** Item 10 (and 4): a bounded run of the webhook fuzzer (`npm run fuzz` does 10,000 bodies per route). */
let app: TestApp;
let setup: FuzzTargets;

beforeAll(async () => {
  app = await startTestApp({ http: true, workers: false, env: { TRUST_PROXY: 'on' } });
  setup = await setupTargets(app);
}, 120_000);
afterAll(async () => {
  await setup?.close();
  await app?.close();
});

describe('webhook fuzzer (300 bodies per route)', () => {
  it('no crash, no 5xx, nothing stored for unauthenticated requests, bounded heap', async () => {
    const report = await runFuzz(app, setup, { perRoute: 300, timeBudgetMs: 240_000, seed: 7, concurrency: 8, heapBoundMb: 64 });
    const summary = Object.fromEntries(Object.entries(report.routes).map(([k, r]) => [k, { statuses: r.statuses, fiveXX: r.examples5xx, crashes: r.examplesCrashes }]));
    expect(report.timedOut, JSON.stringify(summary)).toBe(false);
    expect(report.totals.sent).toBe(1500);
    expect(report.totals.fiveXX, JSON.stringify(summary)).toBe(0);
    expect(report.totals.crashes, JSON.stringify(summary)).toBe(0);
    expect(report.totals.rowsStoredUnauthenticated).toBe(0);
    // Signed bodies reached the parsers (answered 200 or 400, not refused as unauthenticated).
    for (const r of Object.values(report.routes)) {
      expect((r.statuses['200'] ?? 0) + (r.statuses['400'] ?? 0)).toBeGreaterThan(r.signed / 2);
    }
    expect(report.memory.heapGrowthMb).toBeLessThanOrEqual(64);
  }, 300_000);
});
