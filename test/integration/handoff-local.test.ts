import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTenant } from '../../src/db/tenant.ts';
import { upsertAccount } from '../../src/bots/accounts.ts';
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
    // Resolve the open handoff so the demo customer's other chats start clean.
    await withTenant(app.db, tenantId, (sql) => sql.query(`UPDATE handoffs SET status = 'resolved' WHERE conversation_id = $1`, [asked.conversationId]));
    await withTenant(app.db, tenantId, (sql) => sql.query(`UPDATE conversations SET status = 'bot' WHERE id = $1`, [asked.conversationId]));
    // The thread opens in the handoff worker, after the turn.
    const deadline = Date.now() + 15_000;
    while (!slack.posts((c) => c.args.channel === '#demo-clinic-handoff' && !c.args.thread_ts && JSON.stringify(c.args.blocks).includes(text)).length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(slack.posts((c) => c.args.channel === '#demo-clinic-handoff' && !c.args.thread_ts && JSON.stringify(c.args.blocks).includes(text))).toHaveLength(1);
  });

  it('refuses staff calling the customer-only tool, and hands nothing over', async () => {
    const r = await localAsk(app.local, { tenant: 'demo-clinic', as: 'rep', payload: { action: 'talk_to_human', args: {} } }, 20_000);
    expect(r.replies).toHaveLength(1);
    expect(await status(r.conversationId)).toBe('bot');
    const handoffs = await withTenant(app.db, tenantId, async (sql) => (await sql.query<{ n: number }>('SELECT count(*)::int AS n FROM handoffs WHERE conversation_id = $1', [r.conversationId])).rows[0]!.n);
    expect(handoffs).toBe(0);
  });
});
