import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTenant } from '../../src/db/tenant.ts';
import { deliverMessage, type DeliveryDeps } from '../../src/jobs/delivery.ts';
import { DeliveryRateLimiter, WINDOW_MARGIN } from '../../src/jobs/ratelimit.ts';
import { ChannelApiError } from '../../src/errors.ts';
import type { ChannelAdapter, DeliveryTarget } from '../../src/bots/types.ts';
import type { OutboundMessage } from '../../src/core/messages/types.ts';
import { createTestDatabase } from '../helpers/db.ts';
import type { Database } from '../../src/db/database.ts';
import { dropPrefix, testPrefix, testRedis } from '../helpers/redis.ts';
import { createLogger } from '../../src/log.ts';
import type { EventBus } from '../../src/jobs/bus.ts';
import { createQueues } from '../../src/jobs/queues.ts';
import { reconcileMessages } from '../../src/jobs/reconcile.ts';
import { telegramModule } from '../../src/bots/telegram/module.ts';
import { upsertAccount } from '../../src/bots/accounts.ts';
import { SecretBox } from '../../src/core/secrets.ts';
import { loadConfig } from '../../src/config.ts';
import { FakeTelegram } from '../fakes/telegram.ts';

let db: Database;
let redis: Redis;
const prefix = testPrefix();
let tenantId: string;
let accountId: string;

beforeAll(async () => {
  db = await createTestDatabase({ seeded: true });
  redis = new Redis(testRedis().options);
  tenantId = (await db.pool.query<{ id: string }>(`SELECT id FROM tenants WHERE slug = 'demo-clinic'`)).rows[0]!.id;
  accountId = (await db.pool.query<{ id: string }>(`SELECT id FROM channel_accounts WHERE tenant_id = $1 AND channel = 'local'`, [tenantId])).rows[0]!.id;
}, 60_000);
afterAll(async () => {
  redis?.disconnect();
  await dropPrefix(prefix);
  await db?.close();
});

class Recorder implements ChannelAdapter {
  readonly channel = 'local' as const;
  readonly sent: { chat: string; text: string }[] = [];
  failNext: Error | undefined;
  async send(target: DeliveryTarget, message: OutboundMessage) {
    if (this.failNext) {
      const e = this.failNext;
      this.failNext = undefined;
      throw e;
    }
    this.sent.push({ chat: target.externalChatId, text: message.text });
    return { platformMessageId: String(this.sent.length) };
  }
}

const bus = { publish: async () => undefined } as unknown as EventBus;

async function chatWithPending(texts: string[]): Promise<{ chat: string; ids: string[]; leadId: string }> {
  const chat = `delivery-${randomUUID().slice(0, 8)}`;
  return withTenant(db, tenantId, async (sql) => {
    const leadId = (await sql.query<{ id: string }>(`SELECT id FROM leads ORDER BY created_at LIMIT 1`)).rows[0]!.id;
    const identity = (await sql.query<{ id: string }>(`INSERT INTO channel_identities (tenant_id, channel_account_id, channel, external_id, lead_id) VALUES ($1, $2, 'local', $3, $4) RETURNING id`, [tenantId, accountId, chat, leadId])).rows[0]!.id;
    const conv = (await sql.query<{ id: string }>(`INSERT INTO conversations (tenant_id, channel_account_id, channel_identity_id, channel, external_chat_id, lead_id) VALUES ($1, $2, $3, 'local', $4, $5) RETURNING id`, [tenantId, accountId, identity, chat, leadId])).rows[0]!.id;
    const ids: string[] = [];
    for (const [i, text] of texts.entries()) {
      ids.push((await sql.query<{ id: string }>(`INSERT INTO messages (tenant_id, conversation_id, channel_account_id, direction, author, text, status, created_at) VALUES ($1, $2, $3, 'out', 'bot', $4, 'pending', now() + ($5::int * interval '1 millisecond')) RETURNING id`, [tenantId, conv, accountId, text, i])).rows[0]!.id);
    }
    return { chat, ids, leadId };
  });
}

describe('delivery worker', () => {
  it('holds a message while an older one of the same chat is undelivered, so a chat keeps its order', async () => {
    const adapter = new Recorder();
    const deps: DeliveryDeps = { db, log: createLogger('silent'), bus, adapters: new Map([['local', adapter]]) };
    const { chat, ids } = await chatWithPending(['first', 'second']);
    expect(await deliverMessage(deps, { tenantId, messageId: ids[1]! }, { isFinal: false })).toEqual({ status: 'wait', waitMs: expect.any(Number), reason: 'order' });
    expect(await deliverMessage(deps, { tenantId, messageId: ids[0]! }, { isFinal: false })).toEqual({ status: 'sent' });
    expect(await deliverMessage(deps, { tenantId, messageId: ids[1]! }, { isFinal: false })).toEqual({ status: 'sent' });
    expect(adapter.sent.filter((s) => s.chat === chat).map((s) => s.text)).toEqual(['first', 'second']);
    // A job re-added for a sent row does nothing.
    expect(await deliverMessage(deps, { tenantId, messageId: ids[0]! }, { isFinal: false })).toEqual({ status: 'skipped' });
  });

  it('puts a reply a dead worker left sending back to pending after the lease, so it goes out and its chat moves on', async () => {
    // The worker "dies" inside the platform call: the send never returns and the row stays 'sending'.
    const hung: ChannelAdapter = { channel: 'local', send: () => new Promise(() => undefined) } as unknown as ChannelAdapter;
    const dead: DeliveryDeps = { db, log: createLogger('silent'), bus, adapters: new Map([['local', hung]]), limiter: false };
    const { chat, ids } = await chatWithPending(['first', 'second']);
    void deliverMessage(dead, { tenantId, messageId: ids[0]! }, { isFinal: false });
    const claimed = async () => (await db.pool.query<{ status: string; claimed_at: Date | null }>('SELECT status, claimed_at FROM messages WHERE id = $1', [ids[0]])).rows[0]!;
    for (let i = 0; i < 200 && (await claimed()).status !== 'sending'; i++) await new Promise((r) => setTimeout(r, 10));
    expect((await claimed()).claimed_at).toBeInstanceOf(Date);
    const adapter = new Recorder();
    const deps: DeliveryDeps = { db, log: createLogger('silent'), bus, adapters: new Map([['local', adapter]]), limiter: false };
    // Held: the older reply is on its way as far as anyone can tell.
    expect(await deliverMessage(deps, { tenantId, messageId: ids[1]! }, { isFinal: false })).toMatchObject({ status: 'wait', reason: 'order' });
    const queues = createQueues(testRedis().options, prefix);
    try {
      // Within the lease the reconciler leaves it alone; past it (the claim backdated, as time would), it is put back.
      expect((await reconcileMessages(db, queues, 30_000, 60_000)).reclaimed).toBe(0);
      await db.pool.query(`UPDATE messages SET claimed_at = now() - interval '2 minutes' WHERE id = $1`, [ids[0]]);
      expect((await reconcileMessages(db, queues, 30_000, 60_000)).reclaimed).toBe(1);
      expect((await claimed()).status).toBe('pending');
      expect(await queues.delivery.getJob(`send-${ids[0]}`)).toBeDefined();
    } finally {
      await queues.close();
    }
    expect(await deliverMessage(deps, { tenantId, messageId: ids[0]! }, { isFinal: false })).toEqual({ status: 'sent' });
    expect(await deliverMessage(deps, { tenantId, messageId: ids[1]! }, { isFinal: false })).toEqual({ status: 'sent' });
    expect(adapter.sent.filter((s) => s.chat === chat).map((s) => s.text)).toEqual(['first', 'second']);
  });

  it('gives a claimed reply back when the rate limiter cannot be reached (Redis restarting), so the retry sends it', async () => {
    const adapter = new Recorder();
    const down = { check: async () => 0, take: async () => Promise.reject(new Error('Connection is closed.')) } as unknown as DeliveryRateLimiter;
    const limits = new Map([['local' as const, { perAccount: { max: 30, durationMs: 1000 }, perChat: { max: 1, durationMs: 1000 }, maxTextLength: 4096 }]]);
    const { chat, ids } = await chatWithPending(['only']);
    await expect(deliverMessage({ db, log: createLogger('silent'), bus, adapters: new Map([['local', adapter]]), limiter: down, limits }, { tenantId, messageId: ids[0]! }, { isFinal: false })).rejects.toThrow(/Connection is closed/);
    const row = (await db.pool.query<{ status: string; attempts: number }>('SELECT status, attempts FROM messages WHERE id = $1', [ids[0]])).rows[0]!;
    expect(row).toEqual({ status: 'pending', attempts: 0 });
    expect(await deliverMessage({ db, log: createLogger('silent'), bus, adapters: new Map([['local', adapter]]), limiter: false }, { tenantId, messageId: ids[0]! }, { isFinal: false })).toEqual({ status: 'sent' });
    expect(adapter.sent.filter((s) => s.chat === chat).map((s) => s.text)).toEqual(['only']);
  });

  it('honours retry-after without using up the attempts, even on the last attempt', async () => {
    const adapter = new Recorder();
    const deps: DeliveryDeps = { db, log: createLogger('silent'), bus, adapters: new Map([['local', adapter]]) };
    const { ids } = await chatWithPending(['only']);
    adapter.failNext = new ChannelApiError('429', 'local', false, 3000);
    expect(await deliverMessage(deps, { tenantId, messageId: ids[0]! }, { isFinal: true })).toEqual({ status: 'retry', retryAfterMs: 3000 });
    expect(await deliverMessage(deps, { tenantId, messageId: ids[0]! }, { isFinal: true })).toEqual({ status: 'sent' });
  });

  it('fails a permanent refusal at once and marks the identity and the lead unreachable', async () => {
    const adapter = new Recorder();
    const deps: DeliveryDeps = { db, log: createLogger('silent'), bus, adapters: new Map([['local', adapter]]) };
    const { chat, ids, leadId } = await chatWithPending(['one']);
    adapter.failNext = new ChannelApiError('blocked', 'local', true, undefined, { unreachable: true });
    expect(await deliverMessage(deps, { tenantId, messageId: ids[0]! }, { isFinal: false })).toEqual({ status: 'failed' });
    const r = await withTenant(db, tenantId, async (sql) =>
      (await sql.query<{ unreachable_at: Date | null; unreachable: boolean; status: string }>(
        `SELECT i.unreachable_at, l.unreachable, m.status FROM channel_identities i JOIN leads l ON l.id = i.lead_id, messages m WHERE i.external_id = $1 AND m.id = $2`,
        [chat, ids[0]],
      )).rows[0]!,
    );
    expect(r.unreachable_at).not.toBeNull();
    expect(r.unreachable).toBe(true);
    expect(r.status).toBe('failed');
    await withTenant(db, tenantId, (sql) => sql.query('UPDATE leads SET unreachable = false WHERE id = $1', [leadId]));
  });

  it('rate limits per chat and per account through Redis, shared by every process', async () => {
    // Two limiters on their own connections stand for two worker processes.
    const other = new Redis(testRedis().options);
    try {
      const a = new DeliveryRateLimiter(redis, prefix);
      const b = new DeliveryRateLimiter(other, prefix);
      const limits = { perAccount: { max: 3, durationMs: 60_000 }, perChat: { max: 1, durationMs: 60_000 }, maxTextLength: 100 };
      expect(await a.take('telegram', limits, 'acct', 'chat1')).toBe(0);
      const wait = await b.take('telegram', limits, 'acct', 'chat1');
      expect(wait).toBeGreaterThan(0);
      expect(wait).toBeLessThanOrEqual(60_000 * WINDOW_MARGIN);
      expect(await b.take('telegram', limits, 'acct', 'chat2')).toBe(0);
      expect(await a.take('telegram', limits, 'acct', 'chat3')).toBe(0);
      // The account's budget (3) is spent; a chat refused for the account keeps its own budget.
      expect(await b.take('telegram', limits, 'acct', 'chat4')).toBeGreaterThan(0);
      expect(await a.take('telegram', limits, 'other-acct', 'chat4')).toBe(0);
    } finally {
      other.disconnect();
    }
  });

  it('paces the parts of a split message by the same budgets as whole messages', async () => {
    // The real Telegram adapter against the fake Bot API: a 9,000-character text goes out as three messages (4,096 each at most).
    const fake = await new FakeTelegram().start();
    const secrets = new SecretBox(randomBytes(32).toString('hex'));
    const queues = createQueues(testRedis().options, `${prefix}-pace`);
    try {
      const config = loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379', DEMO_SEED: 'off', LOG_LEVEL: 'silent' });
      const adapter = telegramModule.createAdapter({ db, log: createLogger('silent'), config, secrets, queues, bus });
      const chat = String(randomInt(100_000_000, 999_999_999));
      const messageId = await withTenant(db, tenantId, async (sql) => {
        const account = await upsertAccount(sql, tenantId, secrets, { channel: 'telegram', name: 'Pacing bot', externalId: fake.botId, secrets: { token: fake.token }, apiBaseUrl: fake.url });
        const conv = (await sql.query<{ id: string }>(`INSERT INTO conversations (tenant_id, channel_account_id, channel, external_chat_id) VALUES ($1, $2, 'telegram', $3) RETURNING id`, [tenantId, account, chat])).rows[0]!.id;
        return (await sql.query<{ id: string }>(`INSERT INTO messages (tenant_id, conversation_id, channel_account_id, direction, author, text, status) VALUES ($1, $2, $3, 'out', 'bot', $4, 'pending') RETURNING id`, [tenantId, conv, account, 'word '.repeat(1_800).trim()])).rows[0]!.id;
      });
      const limits = new Map([['telegram' as const, { perAccount: { max: 30, durationMs: 1_000 }, perChat: { max: 1, durationMs: 2_000 }, maxTextLength: 4_096 }]]);
      const deps: DeliveryDeps = { db, log: createLogger('silent'), bus, adapters: new Map([['telegram', adapter]]), limiter: new DeliveryRateLimiter(redis, `${prefix}-pace`), limits };
      expect(await deliverMessage(deps, { tenantId, messageId }, { isFinal: false })).toEqual({ status: 'sent' });
      const times = fake.sentTo(chat).map((m) => m.at);
      expect(times).toHaveLength(3);
      // One per 2 s window (plus the margin) for the chat: without pacing the three calls come a few ms apart.
      expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(1_500);
      expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(1_500);
    } finally {
      await queues.close();
      await fake.close();
    }
  });

  it('counts a sliding window, so no edge of a fixed window lets a second burst through', async () => {
    const limiter = new DeliveryRateLimiter(redis, `${prefix}-sliding`);
    const limits = { perAccount: { max: 100, durationMs: 60_000 }, perChat: { max: 2, durationMs: 2_000 }, maxTextLength: 100 };
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    expect(await limiter.take('telegram', limits, 'acct', 'chat')).toBe(0); // A
    await sleep(1_000);
    expect(await limiter.take('telegram', limits, 'acct', 'chat')).toBe(0); // B, a second after A
    const wait = await limiter.take('telegram', limits, 'acct', 'chat');
    // C must wait until A leaves the window (2 s plus the margin after A), not until a clock-aligned second.
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(2_000 * WINDOW_MARGIN);
    await sleep(wait);
    expect(await limiter.take('telegram', limits, 'acct', 'chat')).toBe(0); // C
    // B is still inside C's window, so D waits: a fixed window that C opened would have let it through.
    expect(await limiter.take('telegram', limits, 'acct', 'chat')).toBeGreaterThan(0);
  });
});
