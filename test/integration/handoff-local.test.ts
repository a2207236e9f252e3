import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTenant } from '../../src/db/tenant.ts';
import { upsertAccount } from '../../src/bots/accounts.ts';
import { forgetCachedTenant } from '../../src/core/tenants.ts';
import { localAsk } from '../../src/bots/local/session.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { FakeSlack } from '../fakes/slack.ts';

/**
 * The handoff through `closer ask`'s path (the local channel) on the demo
 * clinic, whose seeded settings name `#demo-clinic-handoff`: Thai and
 * English requests hand the conversation over; staff cannot call the tool.
 */
let app: TestApp;
let slack: FakeSlack;
let tenantId: string;

beforeAll(async () => {
  slack = await new FakeSlack().start();
  slack.channelIds.set('#demo-clinic-handoff', 'CCLINICHO1');
  app = await startTestApp();
  tenantId = (await app.db.pool.query<{ id: string }>(`SELECT id FROM tenants WHERE slug = 'demo-clinic'`)).rows[0]!.id;
  await withTenant(app.db, tenantId, (sql) =>
    upsertAccount(sql, tenantId, app.secrets, { channel: 'slack', name: 'Clinic workspace', externalId: 'TCLINICLOC1', secrets: { bot_token: 'xoxb-clinic', signing_secret: 's' }, apiBaseUrl: slack.url }),
  );
}, 60_000);
afterAll(async () => {
  await app?.close();
  await slack?.stop();
});

const status = (conversationId: string) =>
  withTenant(app.db, tenantId, async (sql) => (await sql.query<{ status: string }>('SELECT status FROM conversations WHERE id = $1', [conversationId])).rows[0]!.status);

describe('talk_to_human through the local channel', () => {
  it.each([
    ['en', 'I want to talk to a person'],
    ['th', 'ขอคุยกับเจ้าหน้าที่หน่อยค่ะ'],
  ])('hands the conversation to staff (%s) and stays quiet after', async (_locale, text) => {
    const chat = `handoff-${randomUUID().slice(0, 8)}`;
    const asked = await localAsk(app.local, { tenant: 'demo-clinic', as: 'customer', text, chat }, 20_000);
    expect(asked.toolCalls.map((c) => c.name)).toEqual(['talk_to_human']);
    expect(asked.replies).toHaveLength(1);
    expect(await status(asked.conversationId)).toBe('handoff');
    const quiet = await localAsk(app.local, { tenant: 'demo-clinic', as: 'customer', text: 'hello?', chat }, 20_000);
    expect(quiet.replies).toHaveLength(0);
    expect(quiet.status).toBe('ignored');
    // The thread opens in the handoff worker, after the turn: wait for it before resolving, or a slow worker finds the handoff closed and rightly posts nothing.
    const deadline = Date.now() + 15_000;
    while (!slack.posts((c) => c.args.channel === '#demo-clinic-handoff' && !c.args.thread_ts && JSON.stringify(c.args.blocks).includes(text)).length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(slack.posts((c) => c.args.channel === '#demo-clinic-handoff' && !c.args.thread_ts && JSON.stringify(c.args.blocks).includes(text))).toHaveLength(1);
    // Resolve the open handoff so the demo customer's other chats start clean.
    await withTenant(app.db, tenantId, (sql) => sql.query(`UPDATE handoffs SET status = 'resolved' WHERE conversation_id = $1`, [asked.conversationId]));
    await withTenant(app.db, tenantId, (sql) => sql.query(`UPDATE conversations SET status = 'bot' WHERE id = $1`, [asked.conversationId]));
  });

  it('hands a customer over by itself after two questions in a row it cannot answer; an answered question in between resets the count', async () => {
    const chat = `auto-${randomUUID().slice(0, 8)}`;
    const ask = (text: string) => localAsk(app.local, { tenant: 'demo-clinic', as: 'customer', text, chat }, 20_000);
    const first = await ask('What is the wifi password?');
    expect(first.toolCalls.map((c) => c.name)).toEqual(['answer_question']);
    expect(await status(first.conversationId)).toBe('bot');
    // Answered: the count starts again.
    expect((await ask('How much is Botox?')).toolCalls.map((c) => c.name)).toEqual(['answer_question']);
    await ask('Can I bring my dog?');
    expect(await status(first.conversationId)).toBe('bot');
    const second = await ask('Who won the football last night?');
    expect(second.toolCalls.map((c) => c.name)).toEqual(['answer_question', 'talk_to_human']);
    expect(second.replies).toHaveLength(1);
    expect(second.reply).toContain('a person from');
    expect(await status(first.conversationId)).toBe('handoff');
    const reason = await withTenant(app.db, tenantId, async (sql) => (await sql.query<{ reason: string }>(`SELECT reason FROM handoffs WHERE conversation_id = $1 AND status = 'open'`, [first.conversationId])).rows[0]?.reason);
    expect(reason).toMatch(/^auto: 2 questions in a row/);
    // The thread opens with the conversation, then the handoff is closed so other tests start clean.
    const deadline = Date.now() + 15_000;
    const thread = () => slack.posts((c) => c.args.channel === '#demo-clinic-handoff' && !c.args.thread_ts && JSON.stringify(c.args.blocks).includes('football last night'));
    while (!thread().length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(thread()).toHaveLength(1);
    await withTenant(app.db, tenantId, (sql) => sql.query(`UPDATE handoffs SET status = 'resolved' WHERE conversation_id = $1`, [first.conversationId]));
    await withTenant(app.db, tenantId, (sql) => sql.query(`UPDATE conversations SET status = 'bot' WHERE id = $1`, [first.conversationId]));
  });

  it('never hands over by itself when the tenant turned it off', async () => {
    await withTenant(app.db, tenantId, (sql) => sql.query(`UPDATE tenants SET settings = settings || '{"handoff_auto_after_unanswered": 0}' WHERE id = $1`, [tenantId]));
    forgetCachedTenant(app.db, tenantId);
    try {
      const chat = `auto-off-${randomUUID().slice(0, 8)}`;
      for (const text of ['What is the wifi password?', 'Can I bring my dog?', 'Who won the football last night?']) {
        const r = await localAsk(app.local, { tenant: 'demo-clinic', as: 'customer', text, chat }, 20_000);
        expect(r.toolCalls.map((c) => c.name)).toEqual(['answer_question']);
        expect(await status(r.conversationId)).toBe('bot');
      }
    } finally {
      await withTenant(app.db, tenantId, (sql) => sql.query(`UPDATE tenants SET settings = settings - 'handoff_auto_after_unanswered' WHERE id = $1`, [tenantId]));
      forgetCachedTenant(app.db, tenantId);
    }
  });

  it('refuses staff calling the customer-only tool, and hands nothing over', async () => {
    const r = await localAsk(app.local, { tenant: 'demo-clinic', as: 'rep', payload: { action: 'talk_to_human', args: {} } }, 20_000);
    expect(r.replies).toHaveLength(1);
    expect(await status(r.conversationId)).toBe('bot');
    const handoffs = await withTenant(app.db, tenantId, async (sql) => (await sql.query<{ n: number }>('SELECT count(*)::int AS n FROM handoffs WHERE conversation_id = $1', [r.conversationId])).rows[0]!.n);
    expect(handoffs).toBe(0);
  });
});
