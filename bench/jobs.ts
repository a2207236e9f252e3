import { Queue, Worker } from 'bullmq';
import { withTenant } from '../src/db/tenant.ts';
import { getTenantById } from '../src/core/tenants.ts';
import { loadRules } from '../src/core/followups/rules.ts';
import { startSequences } from '../src/core/followups/events.ts';
import { createQueues, bullConnection } from '../src/jobs/queues.ts';
import { createFollowupQueue, FOLLOWUPS_QUEUE, processFollowup, type FollowupJob } from '../src/jobs/followups.ts';
import { reconcileFollowups } from '../src/jobs/reconcile.ts';
import { createLogger } from '../src/log.ts';
import { redisOptionsFromUrl } from '../src/redis.ts';
import { getBenchDatabase } from './fixture.ts';
import { benchMain, ratio, round } from './lib/cli.ts';
import crypto from 'node:crypto';
import { FakeTelegram } from '../test/fakes/telegram.ts';
import { SecretBox } from '../src/core/secrets.ts';
import { EventBus } from '../src/jobs/bus.ts';
import { loadConfig } from '../src/config.ts';
import { telegramModule } from '../src/bots/telegram/module.ts';
import { upsertAccount } from '../src/bots/accounts.ts';
import { startDeliveryWorker } from '../src/jobs/delivery.ts';
import type { Channel } from '../src/core/messages/types.ts';
import type { ChannelAdapter } from '../src/bots/types.ts';

/**
 * Background jobs throughput on the bench agency tenant:
 * - scheduling: N follow-up rows written through startSequences (the path a
 *   trigger takes), in transactions of about 5,000 rows (one statement each), then queued as delayed
 *   jobs by the reconciler;
 * - dispatch: M due follow-ups sent end to end with platform limits off
 *   (follow-up job: claim, checks, template, outbound row; delivery job:
 *   claim, grammY sendMessage to a fake Bot API, mark sent) against BullMQ's
 *   own throughput for no-op jobs with the same concurrency, same run;
 * - Telegram's limits on: R messages to each of C chats queued at once; the
 *   fake Bot API's arrival times show the most any chat got in one second
 *   and the most the bot sent in any second (Telegram: 1/s per chat, 30/s per bot).
 */

export async function benchJobs(opts: { scale: number; databaseUrl?: string | undefined; schedule: number; dispatch: number; concurrency: number; limitChats: number; limitRounds: number; redisUrl: string }): Promise<Record<string, unknown>> {
  const bench = await getBenchDatabase({ scale: opts.scale, databaseUrl: opts.databaseUrl, scratch: true });
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
    // Batches of about 5,000 rows, one transaction and one statement each (startSequences).
    const perBatch = Math.ceil(5_000 / perSequence);
    for (let i = 0; i < sequences; i += perBatch) {
      const batch = Array.from({ length: Math.min(perBatch, sequences - i) }, (_, k) => leads[(i + k) % leads.length]!);
      await withTenant(db, tenantId, (sql) => startSequences(sql, tenant, rule, batch, new Date(now.getTime() + 86_400_000 * 30)));
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

    // Dispatch: M contactable leads, each with a live Telegram conversation and one due follow-up, sent end to end
    // (follow-up job → outbound row → delivery job → grammY → the fake Bot API) with platform limits off.
    const fake = await new FakeTelegram().start();
    const secrets = new SecretBox(crypto.randomBytes(32).toString('hex'));
    const bus = new EventBus(connection, prefix);
    const config = loadConfig({ REDIS_URL: opts.redisUrl, REDIS_PREFIX: prefix, DEMO_SEED: 'off', LOG_LEVEL: 'silent' });
    const adapters = new Map<Channel, ChannelAdapter>([['telegram', telegramModule.createAdapter({ db, log, config, secrets, queues, bus })]]);
    const targets = leads.slice(0, opts.dispatch);
    const chatOf = new Map<string, string>();
    const ids = await withTenant(db, tenantId, async (sql) => {
      const accountId = await upsertAccount(sql, tenantId, secrets, { channel: 'telegram', name: 'Bench bot', externalId: fake.botId, secrets: { token: fake.token }, apiBaseUrl: fake.url });
      await sql.query(`UPDATE leads SET consent = 'opted_in', unreachable = false, last_inbound_at = NULL WHERE id = ANY($1)`, [targets]);
      const convs = await sql.query<{ lead_id: string; external_chat_id: string }>(
        `INSERT INTO conversations (tenant_id, channel_account_id, channel, external_chat_id, lead_id, last_message_at)
         SELECT $1, $2, 'telegram', (900000000 + row_number() OVER ())::text, id, $4 FROM unnest($3::uuid[]) AS id
         ON CONFLICT (channel_account_id, external_chat_id) DO UPDATE SET status = 'bot' RETURNING lead_id, external_chat_id`,
        [tenantId, accountId, targets, new Date(now.getTime() + 60_000)],
      );
      for (const c of convs.rows) chatOf.set(c.lead_id, c.external_chat_id);
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
    const untilSent = async (count: number, timeoutMs: number) => {
      const deadline = Date.now() + timeoutMs;
      while (fake.sent.length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    };
    let delivery = startDeliveryWorker({ db, log, bus, adapters, limiter: false }, connection, prefix, opts.concurrency);
    const t2 = performance.now();
    const followWorker = new Worker<FollowupJob>(FOLLOWUPS_QUEUE, async (job) => {
      const r = await processFollowup({ db, queues, followups, log, now: () => now }, job.data);
      statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    }, { connection: bullConnection(connection), prefix, concurrency: opts.concurrency });
    await followups.addBulk(ids.map((id) => ({ name: 'followup', data: { tenantId, executionId: id }, opts: { jobId: `fu-${id}`, removeOnComplete: true } })));
    // Every follow-up job runs once here (a deferred one is re-queued hours ahead); only the sent ones reach the fake.
    const processed = () => Object.values(statuses).reduce((a, b) => a + b, 0);
    for (const deadline = Date.now() + 600_000; processed() < ids.length && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 20));
    await untilSent(statuses.sent ?? 0, 600_000);
    const dispatchMs = performance.now() - t2;
    const delivered = fake.sent.length;
    await followWorker.close();
    await delivery.close();
    const dispatch = { jobs: ids.length, delivered, ms: Math.round(dispatchMs), perSecond: Math.round((delivered / dispatchMs) * 1000), outcomes: statuses, concurrency: opts.concurrency };

    // Telegram's limits on: R messages to each of C chats, all queued at once, through the shared Redis limiter.
    const chats = [...chatOf.values()].slice(0, opts.limitChats);
    fake.sent.length = 0;
    const messageIds = await withTenant(db, tenantId, async (sql) => {
      const out: string[] = [];
      for (let round = 0; round < opts.limitRounds; round++) {
        const { rows } = await sql.query<{ id: string }>(
          `INSERT INTO messages (tenant_id, conversation_id, channel_account_id, direction, author, text, parts, status, created_at)
           SELECT $1, c.id, c.channel_account_id, 'out', 'bot', 'rate-limit bench ' || $3::int, '[]', 'pending', clock_timestamp()
           FROM conversations c WHERE c.channel = 'telegram' AND c.external_chat_id = ANY($2) RETURNING id`,
          [tenantId, chats, round],
        );
        out.push(...rows.map((r) => r.id));
      }
      return out;
    });
    delivery = startDeliveryWorker({ db, log, bus, adapters }, connection, prefix, opts.concurrency);
    const t3 = performance.now();
    await queues.delivery.addBulk(messageIds.map((messageId) => ({ name: 'deliver', data: { tenantId, messageId }, opts: { jobId: `bench-rl-${messageId}`, removeOnComplete: true, attempts: 20 } })));
    await untilSent(messageIds.length, 600_000);
    const limitedMs = performance.now() - t3;
    await delivery.close();
    const limited = rateLimitReport(fake.sent.map((m) => ({ chat: m.chatId, at: m.at })), limitedMs, messageIds.length, chats.length);
    await fake.close();
    await bus.close();
    return {
      scale: opts.scale,
      scheduling: { rows, ms: Math.round(scheduleMs), rowsPerSecond: Math.round((rows / scheduleMs) * 1000) },
      enqueue: { jobs: queued.queued, ms: Math.round(enqueueMs), jobsPerSecond: Math.round((queued.queued / enqueueMs) * 1000) },
      dispatch,
      bullmqNoop: raw,
      ratio: Math.round((dispatch.perSecond / raw.perSecond) * 1000) / 1000,
      telegramLimitsOn: limited,
    };
  } finally {
    await followups.obliterate({ force: true }).catch(() => undefined);
    await followups.close();
    await queues.close();
    await db.close();
  }
}

/**
 * What the fake Bot API saw with limits on: the most messages any chat got
 * within one second (sliding, from each arrival), the closest two messages to
 * one chat came, and the most the bot sent in any sliding second.
 */
export function rateLimitReport(sent: { chat: string; at: number }[], ms: number, expected: number, chats: number) {
  const byChat = new Map<string, number[]>();
  for (const m of sent) byChat.set(m.chat, [...(byChat.get(m.chat) ?? []), m.at]);
  const maxInWindow = (times: number[]) => {
    const t = [...times].sort((a, b) => a - b);
    let best = 0;
    for (let i = 0, j = 0; i < t.length; i++) {
      while (t[i]! - t[j]! >= 1000) j++;
      best = Math.max(best, i - j + 1);
    }
    return best;
  };
  let minGap = Infinity;
  let perChatMax = 0;
  for (const times of byChat.values()) {
    const t = [...times].sort((a, b) => a - b);
    for (let i = 1; i < t.length; i++) minGap = Math.min(minGap, t[i]! - t[i - 1]!);
    perChatMax = Math.max(perChatMax, maxInWindow(t));
  }
  const botMax = maxInWindow(sent.map((m) => m.at));
  return {
    messages: expected,
    delivered: sent.length,
    chats,
    ms: Math.round(ms),
    perSecond: Math.round((sent.length / ms) * 1000 * 10) / 10,
    maxPerChatInAnySecond: perChatMax,
    minGapSameChatMs: Number.isFinite(minGap) ? minGap : null,
    maxPerBotInAnySecond: botMax,
    withinTelegramLimits: sent.length === expected && perChatMax <= 1 && botMax <= 30,
  };
}

await benchMain(import.meta.url, 'jobs', async (ctx) => {
  const q = ctx.quick;
  const r = await benchJobs({
    scale: ctx.flag('--scale', q ? 2 : 200),
    databaseUrl: ctx.databaseUrl,
    schedule: ctx.flag('--schedule', q ? 2_000 : 100_000),
    dispatch: ctx.flag('--dispatch', q ? 200 : 2_000),
    concurrency: ctx.flag('--concurrency', 10),
    limitChats: ctx.flag('--limit-chats', q ? 10 : 60),
    limitRounds: ctx.flag('--limit-rounds', q ? 2 : 8),
    redisUrl: ctx.redisUrl,
  });
  const scheduling = r.scheduling as { rows: number; ms: number };
  const dispatch = r.dispatch as { perSecond: number };
  const raw = r.bullmqNoop as { perSecond: number };
  const limited = r.telegramLimitsOn as { withinTelegramLimits: boolean };
  return {
    figures: [
      { key: 'schedule_followups_s', label: `scheduling ${scheduling.rows.toLocaleString('en')} follow-ups`, value: round(scheduling.ms / 1000, 1), unit: 's' },
      {
        key: 'dispatch_ratio_to_bullmq',
        label: 'follow-up dispatch end to end (limits off) / raw BullMQ no-op jobs',
        value: ratio(dispatch.perSecond, raw.perSecond) ?? null,
        unit: 'ratio',
        baseline: { label: 'BullMQ no-op jobs/s', value: raw.perSecond },
        note: `${dispatch.perSecond} sends/s`,
      },
      { key: 'telegram_limits_kept', label: 'Telegram limits kept (1/s per chat, 30/s per bot)', value: limited.withinTelegramLimits ? 1 : 0, unit: 'bool' },
    ],
    detail: r,
  };
});
