import { randomInt, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Bot, webhookCallback } from 'grammy';
import { startApp, type App } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import type { Database } from '../src/db/database.ts';
import { withSystem, withTenant } from '../src/db/tenant.ts';
import { upsertAccount } from '../src/bots/accounts.ts';
import { createLogger } from '../src/log.ts';
import { FakeTelegram } from '../test/fakes/telegram.ts';
import { summarise } from './stats.ts';
import { openDemoDatabase } from './fixture.ts';
import { benchMain, ratio } from './lib/cli.ts';

/**
 * Telegram webhooks on loopback, in one run:
 *  1. acknowledgements per second and ack latency through our full ingest
 *     path (secret-token check, normalise, persist, enqueue the turn), with
 *     no workers running so only the ingest path is measured (500 returning
 *     senders: their first contact, which creates a lead, is in the warm-up);
 *  2. the same for a bare grammY echo bot (webhookCallback + ctx.reply to the
 *     same fake Bot API) — the floor a Telegram webhook can reach here;
 *  3. end-to-end turn latency (webhook → rules agent → delivery → sendMessage
 *     seen by the fake platform) with 50 conversations at once.
 * Bounded request counts; nothing leaves the machine.
 */
export interface WebhookBenchOptions {
  requests: number;
  concurrency: number;
  conversations: number;
  rounds: number;
  redisUrl: string | undefined;
  databaseUrl?: string | undefined;
}

const SECRET = 'bench-secret-token';

function update(id: number, user: number, text: string) {
  return JSON.stringify({ update_id: id, message: { message_id: id, date: Math.floor(Date.now() / 1000), chat: { id: user, type: 'private' }, from: { id: user, is_bot: false, first_name: `Bench ${user}`, language_code: 'en' }, text } });
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

function post(url: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-telegram-bot-api-secret-token': SECRET } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Fires `n` updates with `concurrency` in flight; returns per-request latencies and the rate. */
async function hammer(url: string, n: number, concurrency: number, firstId: number): Promise<{ latencies: number[]; perSecond: number; errors: number }> {
  const latencies: number[] = [];
  let next = 0;
  let errors = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const i = next++;
        const body = update(firstId + i, 1_000_000 + (i % 500), 'help');
        const s = performance.now();
        const status = await post(url, body);
        latencies.push(performance.now() - s);
        if (status !== 200) errors++;
      }
    }),
  );
  return { latencies, perSecond: Math.round((n / (performance.now() - t0)) * 1000), errors };
}

async function startBareEcho(fake: FakeTelegram): Promise<{ url: string; close(): Promise<void> }> {
  const bot = new Bot(fake.token, { client: { apiRoot: fake.url }, botInfo: { id: Number(fake.botId), is_bot: true, first_name: 'bare', username: 'bare_bot', can_join_groups: false, can_read_all_group_messages: false, supports_inline_queries: false, can_connect_to_business: false, has_main_web_app: false } as never });
  bot.on('message:text', (ctx) => ctx.reply(ctx.message.text));
  const server = http.createServer(webhookCallback(bot, 'http', { secretToken: SECRET }));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}

async function appFor(db: Database, workers: boolean, redisUrl: string | undefined, home: string): Promise<App> {
  const config = loadConfig({ CLOSER_HOME: home, PORT: '0', HOST: '127.0.0.1', REDIS_PREFIX: `closer-bench-${randomUUID().slice(0, 8)}`, TURN_DEBOUNCE_MS: '0', DEMO_SEED: 'off', LOG_LEVEL: 'error', CLOSER_SECRET_KEY: '1'.repeat(64), ...(redisUrl ? { REDIS_URL: redisUrl } : {}) });
  return startApp({ config, log: createLogger('error'), http: true, workers, db });
}

export async function benchWebhooks(opts: WebhookBenchOptions): Promise<Record<string, unknown>> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'closer-bench-wh-'));
  const db = await openDemoDatabase({ databaseUrl: opts.databaseUrl });
  const fake = await new FakeTelegram(`${randomInt(1_000_000, 9_999_999)}:${'C'.repeat(35)}`).start();
  const tenantId = await withSystem(db, async (sql) => (await sql.query<{ id: string }>(`SELECT id FROM tenants WHERE slug = 'demo-realty'`)).rows[0]!.id);
  const accountId = await withTenant(db, tenantId, async (sql) => {
    const { SecretBox } = await import('../src/core/secrets.ts');
    return upsertAccount(sql, tenantId, new SecretBox('1'.repeat(64)), { channel: 'telegram', name: 'bench', externalId: fake.botId, secrets: { token: fake.token, secretToken: SECRET }, apiBaseUrl: fake.url });
  });
  try {
    // 1. Our ingest path, no workers: acknowledgements only.
    const ingest = await appFor(db, false, opts.redisUrl, home);
    let ours: Awaited<ReturnType<typeof hammer>>;
    try {
      const url = `${ingest.http!.url}/webhooks/telegram/${accountId}`;
      // Warm-up: JIT, caches, and every one of the 500 senders' first contact (lead creation), so the figures are steady-state acks.
      await hammer(url, 500, opts.concurrency, 1);
      ours = await hammer(url, opts.requests, opts.concurrency, 10_000);
    } finally {
      await ingest.stop();
    }
    // The benchmark's inbound rows must not become turns in the next phase.
    await withSystem(db, (sql) => sql.query(`UPDATE messages SET status = 'ignored' WHERE direction = 'in' AND status = 'received'`));

    // 2. A bare grammY echo bot on the same fake platform.
    const bare = await startBareEcho(fake);
    let floor: Awaited<ReturnType<typeof hammer>>;
    try {
      await hammer(bare.url, 500, opts.concurrency, 1);
      floor = await hammer(bare.url, opts.requests, opts.concurrency, 10_000);
    } finally {
      await bare.close();
    }

    // 3. End to end with workers: `conversations` new customers at once, `rounds` times.
    const full = await appFor(db, true, opts.redisUrl, home);
    const turns: number[] = [];
    try {
      const url = `${full.http!.url}/webhooks/telegram/${accountId}`;
      let id = 5_000_000;
      for (let round = 0; round < opts.rounds; round++) {
        const users = Array.from({ length: opts.conversations }, (_, i) => 2_000_000 + round * 1000 + i);
        const started = new Map<string, number>();
        await Promise.all(
          users.map(async (u) => {
            started.set(String(u), performance.now() + performance.timeOrigin);
            await post(url, update(++id, u, 'help'));
          }),
        );
        const deadline = Date.now() + 60_000;
        for (;;) {
          const done = users.filter((u) => fake.sentTo(String(u)).length > 0);
          if (done.length === users.length) break;
          if (Date.now() > deadline) throw new Error(`only ${done.length} of ${users.length} replies arrived within 60 s`);
          await new Promise((r) => setTimeout(r, 5));
        }
        for (const u of users) turns.push(fake.sentTo(String(u))[0]!.at - started.get(String(u))!);
      }
    } finally {
      await full.stop();
    }
    const o = summarise(ours.latencies);
    const f = summarise(floor.latencies);
    return {
      name: 'telegram_webhooks',
      requests: opts.requests,
      concurrency: opts.concurrency,
      ours_ingest: { acks_per_second: ours.perSecond, non_200: ours.errors, ack_ms: o },
      bare_grammy_echo: { acks_per_second: floor.perSecond, non_200: floor.errors, ack_ms: f },
      ratio_ours_to_bare: { throughput: Math.round((ours.perSecond / floor.perSecond) * 100) / 100, p50: Math.round((o.p50 / f.p50) * 100) / 100, p99: Math.round((o.p99 / f.p99) * 100) / 100 },
      end_to_end_rules_mode: {
        concurrent_conversations: opts.conversations,
        rounds: opts.rounds,
        turn_ms: summarise(turns),
        note: 'Telegram limits a bot to ~30 messages/s, enforced here through Redis: with 50 replies at once the last ~20 wait for the next second.',
      },
    };
  } finally {
    await fake.close();
    await db.close();
    agent.destroy();
    fs.rmSync(home, { recursive: true, force: true });
  }
}

await benchMain(import.meta.url, 'telegram_webhooks', async (ctx) => {
  const q = ctx.quick;
  const r = await benchWebhooks({
    requests: Math.min(ctx.flag('--requests', q ? 300 : 2000), 20_000),
    concurrency: ctx.flag('--concurrency', 32),
    conversations: ctx.flag('--conversations', q ? 10 : 50),
    rounds: ctx.flag('--rounds', q ? 1 : 4),
    redisUrl: ctx.redisUrl,
    databaseUrl: ctx.databaseUrl,
  });
  const ours = r.ours_ingest as { acks_per_second: number; ack_ms: { p99: number } };
  const bare = r.bare_grammy_echo as { acks_per_second: number; ack_ms: { p99: number } };
  return {
    figures: [
      {
        key: 'telegram_ack_ratio',
        label: 'Telegram webhook acks/s, ours / bare grammY echo bot',
        value: ratio(ours.acks_per_second, bare.acks_per_second) ?? null,
        unit: 'ratio',
        baseline: { label: 'bare grammY echo acks/s', value: bare.acks_per_second },
        note: `${ours.acks_per_second} acks/s`,
      },
      { key: 'telegram_ack_p99_ms', label: 'Telegram webhook ack p99', value: ours.ack_ms.p99, unit: 'ms', baseline: { label: 'bare grammY p99', value: bare.ack_ms.p99 } },
    ],
    detail: r,
  };
});
