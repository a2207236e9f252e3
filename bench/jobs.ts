import { pathToFileURL } from 'node:url';
import { Queue, Worker } from 'bullmq';
import { withTenant } from '../src/db/tenant.ts';
import { getTenantById } from '../src/core/tenants.ts';
import { loadRules } from '../src/core/followups/rules.ts';
import { startSequence } from '../src/core/followups/events.ts';
import { createQueues, bullConnection } from '../src/jobs/queues.ts';
import { createFollowupQueue, FOLLOWUPS_QUEUE, processFollowup, type FollowupJob } from '../src/jobs/followups.ts';
import { reconcileFollowups } from '../src/jobs/reconcile.ts';
import { createLogger } from '../src/log.ts';
import { redisOptionsFromUrl } from '../src/redis.ts';
import { getBenchDatabase } from './fixture.ts';

/**
 * Background jobs throughput on the bench agency tenant:
 * - scheduling: N follow-up rows written through startSequence (the path a
 *   trigger takes), in transactions of 500 rows' worth, then queued as delayed
 *   jobs by the reconciler;
 * - dispatch: M due follow-ups run through a BullMQ worker (claim, checks,
 *   template, outbound message, mark sent) against BullMQ's own throughput for
 *   no-op jobs with the same concurrency, measured in the same run.
 * Platform rate limits are not exercised here (see the report).
 */
const flag = (name: string, def: number) => {
  const i = process.argv.indexOf(name);
  const v = i >= 0 ? Number(process.argv[i + 1]) : def;
  return Number.isFinite(v) && v > 0 ? v : def;
};

export async function benchJobs(opts: { scale: number; schedule: number; dispatch: number; concurrency: number; redisUrl: string }): Promise<Record<string, unknown>> {
  const bench = await getBenchDatabase({ scale: opts.scale });
  const { db, tenantId } = bench;
  const prefix = `closer-bench-${Date.now()}`;
  const connection = redisOptionsFromUrl(opts.redisUrl);
  const queues = createQueues(connection, prefix);
  const followups = createFollowupQueue(connection, prefix);
  const log = createLogger('silent');
  const now = new Date('2026-11-21T09:00:00Z'); // 12:00 in Riyadh: no quiet hours
  try {
    const { tenant, rule, leads } = await withTenant(db, tenantId, async (sql) => ({
      tenant: await getTenantById(sql, tenantId),
      rule: (await loadRules(sql)).find((r) => r.steps.length >= 1)!,
      leads: (await sql.query<{ id: string }>('SELECT id FROM leads ORDER BY id')).rows.map((r) => r.id),
    }));
    // Scheduling.
    const perSequence = rule.steps.length;
    const sequences = Math.ceil(opts.schedule / perSequence);
    const t0 = performance.now();
    for (let i = 0; i < sequences; ) {
      const batchEnd = Math.min(sequences, i + Math.ceil(500 / perSequence));
      await withTenant(db, tenantId, async (sql) => {
        for (; i < batchEnd; i++) await startSequence(sql, tenant, rule, leads[i % leads.length]!, new Date(now.getTime() + 86_400_000 * 30));
      });
    }
    const scheduleMs = performance.now() - t0;
    process.stderr.write(`bench: scheduled ${sequences * perSequence} rows in ${Math.round(scheduleMs)} ms\n`);
    const rows = sequences * perSequence;
    const pending = await withTenant(db, tenantId, async (sql) => (await sql.query<{ n: number; min: Date }>(`SELECT count(*)::int AS n, min(due_at) AS min FROM followup_executions WHERE status = 'pending'`)).rows[0]!);
    process.stderr.write(`bench: ${pending.n} pending, first due ${pending.min?.toISOString()}\n`);
    const t1 = performance.now();
    const queued = await reconcileFollowups(db, followups, now, { horizonMs: 86_400_000 * 365 });
    const enqueueMs = performance.now() - t1;
    await withTenant(db, tenantId, (sql) => sql.query(`UPDATE followup_executions SET status = 'cancelled', reason = 'bench' WHERE status = 'pending'`));
    await followups.obliterate({ force: true });

    // Dispatch: M contactable leads, each with a live conversation and one due follow-up.
    const targets = leads.slice(0, opts.dispatch);
    const ids = await withTenant(db, tenantId, async (sql) => {
      await sql.query(`UPDATE channel_accounts SET status = 'active'`);
      const account = (await sql.query<{ id: string; channel: string }>(`SELECT id, channel FROM channel_accounts ORDER BY channel = 'local' DESC LIMIT 1`)).rows[0]!;
      await sql.query(`UPDATE leads SET consent = 'opted_in', unreachable = false, last_inbound_at = NULL WHERE id = ANY($1)`, [targets]);
      await sql.query(
        `INSERT INTO conversations (tenant_id, channel_account_id, channel, external_chat_id, lead_id, last_message_at)
         SELECT $1, $2, $3, 'bench-' || id, id, $5 FROM unnest($4::uuid[]) AS id ON CONFLICT DO NOTHING`,
        [tenantId, account.id, account.channel, targets, now],
      );
      await sql.query(`UPDATE conversations SET status = 'bot' WHERE lead_id = ANY($1)`, [targets]);
      return (
        await sql.query<{ id: string }>(
          `INSERT INTO followup_executions (tenant_id, lead_id, due_at, status) SELECT $1, id, $2, 'pending' FROM unnest($3::uuid[]) AS id RETURNING id`,
          [tenantId, new Date(now.getTime() - 1000), targets],
        )
      ).rows.map((r) => r.id);
    });
    const runQueue = async (name: string, handler: (data: FollowupJob) => Promise<unknown>, jobs: FollowupJob[]) => {
      const q = new Queue<FollowupJob>(name, { connection: bullConnection(connection), prefix });
      await q.addBulk(jobs.map((data, i) => ({ name: 'j', data, opts: { jobId: `${name}-${i}`, removeOnComplete: true } })));
      let done = 0;
      const t = performance.now();
      const finished = new Promise<void>((resolve) => {
        const w = new Worker<FollowupJob>(name, async (job) => handler(job.data), { connection: bullConnection(connection), prefix, concurrency: opts.concurrency });
        w.on('completed', () => {
          if (++done === jobs.length) void w.close().then(resolve);
        });
      });
      await finished;
      const ms = performance.now() - t;
      await q.close();
      return { jobs: jobs.length, ms: Math.round(ms), perSecond: Math.round((jobs.length / ms) * 1000) };
    };
    const raw = await runQueue('bench-noop', async () => undefined, ids.map((id) => ({ tenantId, executionId: id })));
    const statuses: Record<string, number> = {};
    const real = await runQueue(FOLLOWUPS_QUEUE, async (data) => {
      const r = await processFollowup({ db, queues, followups, log, now: () => now }, data);
      statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    }, ids.map((id) => ({ tenantId, executionId: id })));
    return {
      scale: opts.scale,
      scheduling: { rows, ms: Math.round(scheduleMs), rowsPerSecond: Math.round((rows / scheduleMs) * 1000) },
      enqueue: { jobs: queued.queued, ms: Math.round(enqueueMs), jobsPerSecond: Math.round((queued.queued / enqueueMs) * 1000) },
      dispatch: { ...real, outcomes: statuses, concurrency: opts.concurrency },
      bullmqNoop: raw,
      ratio: Math.round((real.perSecond / raw.perSecond) * 1000) / 1000,
      rateLimits: 'not measured here: the Telegram per-chat/per-bot limits live in the delivery worker (src/jobs/ratelimit.ts); this bench stops at the queued outbound message',
    };
  } finally {
    await followups.obliterate({ force: true }).catch(() => undefined);
    await followups.close();
    await queues.close();
    await db.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await benchJobs({
    scale: flag('--scale', 20),
    schedule: flag('--schedule', 100_000),
    dispatch: flag('--dispatch', 2_000),
    concurrency: flag('--concurrency', 10),
    redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  });
  process.stdout.write(JSON.stringify({ at: new Date().toISOString(), node: process.version, ...result }, null, 2) + '\n');
  process.exit(0);
}
