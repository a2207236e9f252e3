import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AIMessage } from '@langchain/core/messages';
import { fakeModel } from 'langchain';
import { Redis } from 'ioredis';
import { withTenant } from '../../src/db/tenant.ts';
import { localAsk, localSend } from '../../src/bots/local/session.ts';
import { loadConfig } from '../../src/config.ts';
import { createConfiguredAgent } from '../../src/agents/select.ts';
import type { ChatProvider } from '../../src/agents/llm/provider.ts';
import { translator } from '../../src/agents/i18n.ts';
import { note } from '../../src/agents/llm/prompt.ts';
import { ModelCallCap } from '../../src/core/limits.ts';
import { runTurnJob } from '../../src/jobs/turns.ts';
import { createTestDatabase } from '../helpers/db.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { dropPrefix, testPrefix, TEST_REDIS_URL } from '../helpers/redis.ts';
import { redisOptionsFromUrl } from '../../src/redis.ts';

/**
 * Issue #12 item 7, attack: a flood. One person sending faster than anyone
 * types must not get a turn (and a model call) per message, and one
 * conversation must not run up the model bill.
 */
describe('inbound flood: a per-identity bucket before a turn is queued', () => {
  let app: TestApp;
  beforeAll(async () => {
    // No workers: the test sees exactly what the webhook path queued, then runs the turn job itself (the worker's code).
    app = await startTestApp({ workers: false, env: { INBOUND_RATE_LIMIT: '3', INBOUND_RATE_WINDOW_S: '600' } });
  }, 60_000);
  afterAll(async () => {
    await app?.close();
  });

  it('ten messages in a burst: all stored, three turns queued, the rest coalesced into one later turn, one polite "slow down"', async () => {
    const chat = `flood-${randomUUID().slice(0, 8)}`;
    const sent = [];
    for (let i = 1; i <= 10; i++) sent.push(await localSend(app.local, { tenant: 'demo-clinic', as: 'customer', text: `hello ${i}`, chat }));
    const { tenant, conversationId } = sent[0]!;
    expect(new Set(sent.map((s) => s.conversationId)).size).toBe(1);

    const stored = await withTenant(app.db, tenant.id, async (sql) =>
      (await sql.query<{ id: string; status: string }>(`SELECT id, status FROM messages WHERE conversation_id = $1 AND direction = 'in' ORDER BY created_at`, [conversationId])).rows,
    );
    expect(stored.map((m) => m.status)).toEqual(Array(10).fill('received'));

    const jobs = await app.queues.turns.getJobs(['wait', 'delayed', 'prioritized']);
    const ours = jobs.filter((j) => j.data.conversationId === conversationId);
    const own = ours.filter((j) => j.id!.startsWith('turn-')).map((j) => j.data.messageId);
    expect(own.sort()).toEqual(sent.slice(0, 3).map((s) => s.inboundMessageId).sort());
    const coalesced = ours.filter((j) => j.id === `coalesce-${conversationId}`);
    expect(coalesced).toHaveLength(1);
    expect(await coalesced[0]!.isDelayed()).toBe(true);
    expect(coalesced[0]!.opts.delay).toBeGreaterThan(60_000);

    const slowDown = translator(tenant.defaultLocale)('errors.slow_down');
    const notices = await withTenant(app.db, tenant.id, async (sql) =>
      (await sql.query<{ text: string; status: string }>(`SELECT text, status FROM messages WHERE conversation_id = $1 AND direction = 'out'`, [conversationId])).rows,
    );
    expect(notices).toEqual([{ text: slowDown, status: 'pending' }]);

    // The coalesced turn (here run at once instead of after the window): one turn answers everything that piled up.
    const deps = { db: app.db, log: app.log, bus: app.bus, queues: app.queues, agent: app.agent, turnTimeoutMs: 20_000 };
    expect(await runTurnJob(deps, coalesced[0]!.data)).toBe('done');
    for (const j of ours.filter((x) => x.id!.startsWith('turn-'))) expect(await runTurnJob(deps, j.data)).toBe('nothing-to-do');
    const after = await withTenant(app.db, tenant.id, async (sql) =>
      (await sql.query<{ status: string; turn_id: string }>(`SELECT status, turn_id FROM messages WHERE conversation_id = $1 AND direction = 'in'`, [conversationId])).rows,
    );
    expect(after.every((m) => m.status === 'handled')).toBe(true);
    expect(new Set(after.map((m) => m.turn_id)).size).toBe(1);
  });

  it('another person is not slowed down by someone else\'s flood', async () => {
    const r = await localSend(app.local, { tenant: 'demo-clinic', as: 'ploy@demo-clinic.example', text: 'help', chat: `calm-${randomUUID().slice(0, 8)}` });
    const jobs = await app.queues.turns.getJobs(['wait', 'delayed', 'prioritized']);
    expect(jobs.some((j) => j.id === `turn-${r.inboundMessageId}`)).toBe(true);
  });
});

describe('model calls: a per-conversation cap per hour', () => {
  const provider: ChatProvider = { model: fakeModel(), provider: 'fake', modelName: 'fake-model' };
  const prefix = testPrefix();
  let redis: Redis;
  let app: TestApp;
  beforeAll(async () => {
    redis = new Redis(redisOptionsFromUrl(TEST_REDIS_URL));
    const db = await createTestDatabase({ seeded: true });
    const cfg = loadConfig({ LLM_MAX_STEPS: '3', TURN_TIMEOUT_MS: '20000', LLM_TIMEOUT_MS: '8000' }).llm;
    app = await startTestApp({ db, agent: await createConfiguredAgent(db, cfg, undefined, { provider, modelCalls: new ModelCallCap(redis, prefix, 2) }) });
  }, 60_000);
  afterAll(async () => {
    const db = app?.db;
    await app?.close();
    await db?.close();
    redis?.disconnect();
    await dropPrefix(prefix);
  });

  it('past the cap the conversation is answered in rules mode with a note; another conversation still reaches the model', async () => {
    provider.model = fakeModel().respond(new AIMessage('We open at 9.')).respond(new AIMessage('Until 6 pm.')).respond(new AIMessage('Yes.')).respond(new AIMessage('Other chat.'));
    const chat = `cap-${randomUUID().slice(0, 8)}`;
    const ask = (text: string, c = chat) => localAsk(app.local, { tenant: 'demo-clinic', as: 'customer', text, chat: c }, 20_000);
    expect((await ask('what time do you open?')).mode).toBe('llm');
    expect((await ask('and close?')).mode).toBe('llm');
    const third = await ask('are you open on sunday?');
    expect(third.mode).toBe('rules');
    expect(third.replies[0]!.text).toContain(note('en', 'conversation_cap'));
    const fallbacks = await withTenant(app.db, (await app.db.pool.query<{ id: string }>(`SELECT id FROM tenants WHERE slug = 'demo-clinic'`)).rows[0]!.id, async (sql) =>
      (await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'llm_fallback' AND result_summary = 'conversation_cap' AND conversation_id = $1`, [third.conversationId])).rows[0]!.n,
    );
    expect(fallbacks).toBe(1);
    expect((await ask('hello', `cap-other-${randomUUID().slice(0, 8)}`)).mode).toBe('llm');
  });
});
