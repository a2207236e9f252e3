import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTenant } from '../../src/db/tenant.ts';
import { upsertAccount } from '../../src/bots/accounts.ts';
import { outbound } from '../../src/core/messages/types.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { lineHarness } from '../contract/harness-line.ts';
import { waitFor } from '../helpers/wait.ts';

const h = lineHarness('demo-clinic');
let app: TestApp;
let accountId: string;
let tenantId: string;

const who = (user: string, account = accountId) =>
  withTenant(app.db, tenantId, async (sql) =>
    (
      await sql.query<{ source: string; consent: string; unreachable: boolean; unreachable_at: Date | null; display_name: string }>(
        `SELECT l.source, l.consent, l.unreachable, i.unreachable_at, l.display_name FROM channel_identities i JOIN leads l ON l.id = i.lead_id WHERE i.channel_account_id = $1 AND i.external_id = $2`,
        [account, user],
      )
    ).rows[0],
  );
/** An event as LINE sends it when the reply token is gone (or, for pushes, never given). */
const tokenless = (user: string, text: string) => ({ type: 'message', webhookEventId: `01J${randomBytes(10).toString('hex')}`, timestamp: Date.now(), mode: 'active', source: { type: 'user', userId: user }, message: { id: randomUUID(), type: 'text', text } });
const outRows = (user: string) =>
  withTenant(app.db, tenantId, async (sql) =>
    (
      await sql.query<{ status: string; error: string | null; payload: { line?: { pushes: number; replied: boolean } } | null }>(
        `SELECT m.status, m.error, m.payload FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.external_chat_id = $1 AND m.direction = 'out' ORDER BY m.created_at`,
        [user],
      )
    ).rows,
  );
const settled = (user: string, n: number) => waitFor(`${n} settled replies`, async () => {
  const rows = await outRows(user);
  return rows.length >= n && rows.every((r) => r.status === 'sent' || r.status === 'failed') ? rows : undefined;
});

beforeAll(async () => {
  app = await startTestApp({ http: true });
  tenantId = (await app.db.pool.query<{ id: string }>(`SELECT id FROM tenants WHERE slug = 'demo-clinic'`)).rows[0]!.id;
  accountId = await h.setup(app);
}, 60_000);
afterAll(async () => {
  await h.teardown();
  await app?.close();
});

describe('LINE for customers', () => {
  it('answers Nok on the demo clinic account with the free reply token, in Thai, by name', async () => {
    const demo = await withTenant(app.db, tenantId, (sql) =>
      upsertAccount(sql, tenantId, app.secrets, { channel: 'line', name: 'Demo clinic OA', externalId: 'demo-clinic-line', secrets: { channelSecret: h.fake.channelSecret, accessToken: h.fake.accessToken }, apiBaseUrl: h.fake.url }),
    );
    const nok = 'Unok0000000000000000000000000000';
    const body = JSON.stringify({ destination: 'Ux', events: [{ type: 'message', webhookEventId: '01NOK', timestamp: Date.now(), mode: 'active', source: { type: 'user', userId: nok }, replyToken: h.fake.issueReplyToken(nok), message: { id: '1', type: 'text', text: 'ช่วยเหลือ' } }] });
    const res = await fetch(`${app.http!.url}/webhooks/line/${demo}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-line-signature': h.fake.sign(body) }, body });
    expect(res.status).toBe(200);
    const [sent] = await waitFor('the reply', () => (h.fake.sentTo(nok).length ? h.fake.sentTo(nok) : undefined));
    expect(sent!.via).toBe('reply');
    expect(sent!.messages[0]!.text).toContain('นก');
  });

  it('follow opts a new contact in (source line); unfollow opts out and marks them unreachable; a new follow makes them reachable', async () => {
    const user = h.newUser();
    const follow = () => h.post([{ type: 'follow', webhookEventId: `01F${randomBytes(8).toString('hex')}`, timestamp: Date.now(), mode: 'active', source: { type: 'user', userId: user }, replyToken: h.fake.issueReplyToken(user) }]);
    expect(await follow()).toBe(200);
    await waitFor('the welcome', () => (h.fake.sentTo(user).length ? true : undefined));
    expect(await who(user)).toMatchObject({ source: 'line', consent: 'opted_in', unreachable: false });
    expect(await h.post([{ type: 'unfollow', webhookEventId: `01U${randomBytes(8).toString('hex')}`, timestamp: Date.now(), mode: 'active', source: { type: 'user', userId: user } }])).toBe(200);
    const after = await who(user);
    expect(after).toMatchObject({ consent: 'opted_out', unreachable: true });
    expect(after?.unreachable_at).not.toBeNull();
    expect(h.fake.sentTo(user)).toHaveLength(1);
    await follow();
    await waitFor('the second welcome', () => (h.fake.sentTo(user).length >= 2 ? true : undefined));
    expect(await who(user)).toMatchObject({ consent: 'opted_in', unreachable: false, unreachable_at: null });
  });

  it('pushes when there is no fresh reply token, counts pushes, alerts at 80 % of the monthly quota and refuses beyond it', async () => {
    const used = async () =>
      withTenant(app.db, tenantId, async (sql) => (await sql.query<{ n: number }>(`SELECT COALESCE(sum((payload->'line'->>'pushes')::int), 0)::int AS n FROM messages WHERE direction = 'out'`)).rows[0]!.n);
    const quota = (await used()) + 5;
    await app.db.pool.query(`UPDATE tenants SET settings = settings || jsonb_build_object('line_push_quota', $2::int) WHERE id = $1`, [tenantId, quota]);
    const user = h.newUser();
    for (let i = 1; i <= 5; i++) {
      await h.post([tokenless(user, 'help')]);
      const rows = await settled(user, i);
      expect(rows.at(-1)).toMatchObject({ status: 'sent', payload: { line: { pushes: 1, replied: false } } });
      const alerts = await withTenant(app.db, tenantId, async (sql) => (await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM alerts WHERE kind = 'line_quota'`)).rows[0]!.n);
      // 80 % of the quota is reached with the fourth push of this test.
      expect(alerts).toBe(i >= 4 ? 1 : 0);
    }
    expect(h.fake.sentTo(user).every((s) => s.via === 'push')).toBe(true);
    await h.post([tokenless(user, 'help')]);
    const rows = await settled(user, 6);
    expect(rows.at(-1)!.status).toBe('failed');
    expect(rows.at(-1)!.error).toMatch(/quota/);
    expect(h.fake.sentTo(user)).toHaveLength(5);
    // A reply token is free: within a minute the customer is still answered.
    await h.sendText(user, 'help');
    const last = await settled(user, 7);
    expect(last.at(-1)!.status).toBe('sent');
    expect(h.fake.sentTo(user).at(-1)!.via).toBe('reply');
    await app.db.pool.query(`UPDATE tenants SET settings = settings - 'line_push_quota' WHERE id = $1`, [tenantId]);
  });

  it('renders cards as Flex bubbles and buttons as quick replies carrying the payload as postback data', async () => {
    const user = h.newUser();
    await app.adapters.get('line')!.send(
      { tenantId, channelAccountId: accountId, conversationId: randomUUID(), externalChatId: user, messageId: randomUUID() },
      outbound([
        { type: 'card', title: 'นก', subtitle: 'contacted', fields: [{ label: 'Budget', value: '฿15,000' }] },
        { type: 'text', text: 'x '.repeat(3000).trim() },
        { type: 'buttons', buttons: [{ label: 'Book a consultation with the doctor', payload: { action: 'book_appointment', args: {} }, style: 'primary' }] },
      ]),
    );
    const [sent] = h.fake.sentTo(user);
    expect(sent!.messages.map((m) => m.type)).toEqual(['flex', 'text', 'text']);
    expect(sent!.messages[0]!.altText).toContain('Budget: ฿15,000');
    for (const m of sent!.messages.slice(1)) expect(m.text!.length).toBeLessThanOrEqual(5000);
    const items = sent!.messages.at(-1)!.quickReply!.items;
    expect(items).toHaveLength(1);
    expect(items[0]!.action.label.length).toBeLessThanOrEqual(20);
    expect(JSON.parse(items[0]!.action.data.slice(1))).toEqual(['book_appointment', {}]);
  });
});
