import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Queue, QueueEvents, Worker } from 'bullmq';
import { startApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/log.ts';
import { localAsk } from '../src/bots/local/session.ts';
import { bullConnection } from '../src/jobs/queues.ts';
import { summarise } from './stats.ts';
import { openDemoDatabase } from './fixture.ts';
import { benchMain } from './lib/cli.ts';

/**
 * One local-chat turn end to end (persist → queue → agent → tool → persist →
 * delivery → seen by the waiting client) on the embedded database, against
 * a baseline measured in the same run: one trivial BullMQ job added, processed
 * and its completion observed (the queue hops alone).
 */
export async function benchTurnLatency(opts: { turns: number; concurrent: number; rounds: number; redisUrl: string | undefined; databaseUrl?: string | undefined }): Promise<Record<string, unknown>> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'closer-bench-'));
  const prefix = `closer-bench-${randomUUID().slice(0, 8)}`;
  // Flood limits off: 50 conversations of one demo person at once is the load here, not a flood to refuse.
  const config = loadConfig({ CLOSER_HOME: home, REDIS_PREFIX: prefix, TURN_DEBOUNCE_MS: '0', DEMO_SEED: 'off', LOG_LEVEL: 'warn', REDIS_URL: opts.redisUrl, INBOUND_RATE_LIMIT: '0' });
  const db = await openDemoDatabase({ databaseUrl: opts.databaseUrl });
  const app = await startApp({ config, log: createLogger('warn'), http: false, workers: true, db });
  try {
    const connection = bullConnection(app.redis.options);
    const q = new Queue('baseline', { connection, prefix });
    const events = new QueueEvents('baseline', { connection, prefix });
    const w = new Worker('baseline', async () => 'ok', { connection, prefix });
    await events.waitUntilReady();
    const base: number[] = [];
    for (let i = 0; i < opts.turns; i++) {
      const t0 = performance.now();
      const job = await q.add('noop', {});
      await job.waitUntilFinished(events);
      base.push(performance.now() - t0);
    }
    await Promise.all([w.close(), events.close(), q.close()]);

    const texts = ['ข้อมูล นก', 'tell me about Somjai', 'help', 'who is Nok?'];
    for (let i = 0; i < 5; i++) await localAsk(app.local, { tenant: 'demo-clinic', as: 'rep', text: 'help' }, 30_000); // warm-up
    const turns: number[] = [];
    for (let i = 0; i < opts.turns; i++) {
      const t0 = performance.now();
      await localAsk(app.local, { tenant: 'demo-clinic', as: 'rep', text: texts[i % texts.length]! }, 30_000);
      turns.push(performance.now() - t0);
    }
    // Rules mode under load: `concurrent` local conversations each asking at the same moment, `rounds` times.
    const concurrentTurns: number[] = [];
    for (let round = 0; round < opts.rounds; round++) {
      await Promise.all(
        Array.from({ length: opts.concurrent }, async (_, i) => {
          const t0 = performance.now();
          await localAsk(app.local, { tenant: 'demo-clinic', as: 'rep', text: texts[(i + round) % texts.length]!, chat: `load-${round}-${i}` }, 60_000);
          concurrentTurns.push(performance.now() - t0);
        }),
      );
    }
    const t = summarise(turns);
    const b = summarise(base);
    return {
      name: 'local_turn_latency_ms',
      database: db.kind,
      redis: app.redis.description,
      turn: t,
      concurrent: { conversations: opts.concurrent, rounds: opts.rounds, turn_ms: summarise(concurrentTurns) },
      baseline_bullmq_job_roundtrip: b,
      ratio_p50: Math.round((t.p50 / b.p50) * 100) / 100,
    };
  } finally {
    await app.stop();
    await db.close();
    fs.rmSync(home, { recursive: true, force: true });
  }
}

await benchMain(import.meta.url, 'turn_latency', async (ctx) => {
  const r = await benchTurnLatency({
    turns: ctx.flag('--turns', ctx.quick ? 20 : 200),
    concurrent: ctx.flag('--concurrent', 50),
    rounds: ctx.flag('--rounds', ctx.quick ? 2 : 6),
    redisUrl: ctx.redisUrl,
    databaseUrl: ctx.databaseUrl,
  });
  const turn = r.turn as { p50: number; p99: number };
  const loaded = (r.concurrent as { turn_ms: { p50: number; p99: number } }).turn_ms;
  const base = r.baseline_bullmq_job_roundtrip as { p50: number };
  return {
    figures: [
      { key: 'local_turn_p50_ms', label: 'one local-chat turn end to end (sequential), p50', value: turn.p50, unit: 'ms', baseline: { label: 'BullMQ job round trip p50', value: base.p50 }, ratio: r.ratio_p50 as number },
      { key: 'local_turn_p99_ms', label: 'one local-chat turn end to end (sequential), p99', value: turn.p99, unit: 'ms' },
      { key: 'rules_turn_50_p50_ms', label: 'rules-mode turn, 50 local conversations at once, p50', value: loaded.p50, unit: 'ms', baseline: { label: 'BullMQ job round trip p50', value: base.p50 } },
      { key: 'rules_turn_50_p99_ms', label: 'rules-mode turn, 50 local conversations at once, p99', value: loaded.p99, unit: 'ms' },
    ],
    detail: r,
  };
});
