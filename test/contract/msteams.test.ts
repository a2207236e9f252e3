import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTenant } from '../../src/db/tenant.ts';
import { inlinePayload } from '../../src/bots/render/payloads.ts';
import { upsertAccount } from '../../src/bots/accounts.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { runChannelContract } from './suite.ts';
import { msteamsHarness } from './harness-msteams.ts';
import { waitFor } from '../helpers/wait.ts';

runChannelContract(() => msteamsHarness());

/**
 * Teams-specific cases on top of the contract: the token checks the SDK and
 * we add (issuer, audience, expiry, serviceurl claim), the serviceUrl
 * allowlist, Action.Execute invokes, the reply's wire shape and the bot
 * token it carries.
 */
describe('msteams webhook and delivery specifics', () => {
  const h = msteamsHarness();
  let app: TestApp;
  let tenantId: string;
  const rows = () => withTenant(app.db, tenantId, async (sql) => (await sql.query<{ n: number }>('SELECT count(*)::int AS n FROM messages WHERE channel_account_id = $1', [h.accountId()])).rows[0]!.n);
  const refs = () => withTenant(app.db, tenantId, async (sql) => (await sql.query<{ n: number }>('SELECT count(*)::int AS n FROM msteams_conversations WHERE channel_account_id = $1', [h.accountId()])).rows[0]!.n);

  beforeAll(async () => {
    app = await startTestApp({ http: true, env: { MSTEAMS_ALLOW_ANONYMOUS: 'on' } });
    tenantId = (await app.db.pool.query<{ id: string }>('SELECT id FROM tenants WHERE slug = $1', [h.tenant])).rows[0]!.id;
    await h.setup(app);
  }, 60_000);
  afterAll(async () => {
    await h.teardown();
    await app?.close();
  });

  it('refuses tokens with the wrong audience, another tenant as issuer, an expiry long past, or another serviceurl, storing nothing', async () => {
    const before = [await rows(), await refs()];
    const user = h.newUser();
    const a = () => h.activity(user, h.newEventId(), { text: 'help' });
    const f = h.fake;
    const cases = [
      f.inboundToken(h.serviceUrl(), { audience: 'someone-elses-app' }),
      f.inboundToken(h.serviceUrl(), { issuer: `https://login.microsoftonline.com/${randomUUID()}/v2.0` }),
      f.inboundToken(h.serviceUrl(), { expiredS: 3600 }),
      f.inboundToken('https://smba.trafficmanager.net/amer/'),
    ];
    for (const token of cases) expect((await h.post(a(), { auth: { token } })).status).toBe(401);
    expect((await h.post(a(), { auth: { token: 'not-a-jwt' } })).status).toBe(401);
    expect([await rows(), await refs()]).toEqual(before);
  });

  it('refuses an activity whose serviceUrl is not a Microsoft connector or the account api-url (403, nothing stored, nothing posted)', async () => {
    const before = [await rows(), await refs()];
    const user = h.newUser();
    for (const serviceUrl of ['https://evil.example.com/', 'http://169.254.169.254/latest/', 'http://smba.trafficmanager.net/amer/']) {
      const token = h.fake.inboundToken(serviceUrl);
      const r = await h.post({ ...h.activity(user, h.newEventId(), { text: 'help' }), serviceUrl }, { auth: { token } });
      expect(r.status).toBe(403);
    }
    expect([await rows(), await refs()]).toEqual(before);
  });

  it('ignores conversation updates, group chats and invokes it does not handle (501) without storing them', async () => {
    const before = await rows();
    const user = h.newUser();
    expect((await h.post(h.activity(user, h.newEventId(), { type: 'conversationUpdate', membersAdded: [{ id: user }] }))).status).toBe(200);
    const group = h.activity(user, h.newEventId(), { text: 'help' });
    expect((await h.post({ ...group, conversation: { ...(group.conversation as object), conversationType: 'groupChat', isGroup: true } })).status).toBe(200);
    expect((await h.post(h.activity(user, h.newEventId(), { type: 'invoke', name: 'composeExtension/query', value: {} }))).status).toBe(501);
    expect(await rows()).toBe(before);
  });

  it('treats removing the app as an opt-out (unreachable, follow-ups cancelled), and adding it back as reachable again', async () => {
    const user = h.newUser();
    expect(await h.sendText(user, 'help')).toBe(200);
    await waitFor('a reply', () => h.received(user).length > 0);
    const state = () =>
      withTenant(app.db, tenantId, async (sql) =>
        (
          await sql.query<{ unreachable_at: Date | null; consent: string; unreachable: boolean; pending: number }>(
            `SELECT i.unreachable_at, l.consent, l.unreachable,
               (SELECT count(*)::int FROM followup_executions f WHERE f.lead_id = l.id AND f.status = 'pending') AS pending
             FROM channel_identities i JOIN leads l ON l.id = i.lead_id WHERE i.channel_account_id = $1 AND i.external_id = $2`,
            [h.accountId(), h.identityKey(user)],
          )
        ).rows[0]!,
      );
    // A follow-up waiting for this lead must not go out once they have removed the bot.
    await withTenant(app.db, tenantId, (sql) =>
      sql.query(`INSERT INTO followup_executions (tenant_id, lead_id, due_at, status) SELECT $1, lead_id, now() + interval '1 day', 'pending' FROM channel_identities WHERE channel_account_id = $2 AND external_id = $3`, [tenantId, h.accountId(), h.identityKey(user)]),
    );
    expect((await state()).pending).toBe(1);
    expect((await h.post(h.activity(user, h.newEventId(), { type: 'installationUpdate', action: 'remove' }))).status).toBe(200);
    expect(await state()).toMatchObject({ consent: 'opted_out', unreachable: true, pending: 0 });
    expect((await state()).unreachable_at).not.toBeNull();
    expect((await h.post(h.activity(user, h.newEventId(), { type: 'installationUpdate', action: 'add' }))).status).toBe(200);
    // Reachable again; the opt-out stands until they opt back in themselves.
    expect(await state()).toMatchObject({ unreachable_at: null, unreachable: false, consent: 'opted_out' });
  });

  it('runs an Action.Execute invoke as its action and answers the invoke in the HTTP response', async () => {
    const user = h.newUser();
    const r = await h.post(h.activity(user, h.newEventId(), { type: 'invoke', name: 'adaptiveCard/action', value: { action: { type: 'Action.Execute', verb: 'x', data: { closer: inlinePayload({ action: 'set_consent', args: { consent: 'opted_out' } }) } }, trigger: 'manual' } }));
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toMatchObject({ statusCode: 200, type: 'application/vnd.microsoft.activity.message' });
    await waitFor('a reply', () => h.received(user).length > 0);
    const consent = await withTenant(app.db, tenantId, async (sql) =>
      (await sql.query<{ consent: string }>('SELECT l.consent FROM channel_identities i JOIN leads l ON l.id = i.lead_id WHERE i.channel_account_id = $1 AND i.external_id = $2', [h.accountId(), h.identityKey(user)])).rows[0]?.consent,
    );
    expect(consent).toBe('opted_out');
  });

  it('posts a reply addressed as the Bot Framework expects, with a client-credentials bot token fetched once', async () => {
    const user = h.newUser();
    expect(await h.sendText(user, 'help')).toBe(200);
    expect(await h.sendText(user, 'hello')).toBe(200);
    await waitFor('two replies', () => h.received(user).length >= 2);
    const [first] = h.fake.postedTo(h.externalChatId!(user));
    expect(first!.activity).toMatchObject({
      type: 'message',
      channelId: 'msteams',
      textFormat: 'plain',
      from: { id: `28:${h.fake.appId}` },
      recipient: { id: user },
      conversation: { id: h.externalChatId!(user) },
    });
    expect(JSON.stringify(first!.activity)).not.toContain('_channelId');
    expect(h.fake.tokenRequests.length).toBe(1);
    expect(h.fake.tokenRequests[0]).toMatchObject({ grant_type: 'client_credentials', client_id: h.fake.appId, scope: 'https://api.botframework.com/.default' });
  });

  it('runs an anonymous account (no app id) without tokens either way, posting only to its --api-url', async () => {
    const id = await withTenant(app.db, tenantId, (sql) =>
      upsertAccount(sql, tenantId, app.secrets, { channel: 'msteams', name: 'Emulator bot', externalId: `anonymous:${randomUUID()}`, config: { anonymous: true }, apiBaseUrl: h.fake.url }),
    );
    const url = `${app.http!.url}/webhooks/msteams/${id}`;
    const user = h.newUser();
    const conversation = `emulator-${randomUUID()}|livechat`;
    h.fake.openConversation(conversation, { anonymous: true });
    const a = { ...h.activity(user, h.newEventId(), { text: 'help' }), channelId: 'emulator', conversation: { id: conversation } };
    const post = async (body: unknown) => (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).status;
    expect(await post({ ...a, serviceUrl: 'https://smba.trafficmanager.net/amer/' })).toBe(403);
    expect(await post(a)).toBe(200);
    await waitFor('a post to the conversation', () => h.fake.postedTo(conversation).length > 0);
    const [reply] = h.fake.postedTo(conversation);
    expect(reply!.authorized).toBe(false);
    expect(reply!.activity).toMatchObject({ channelId: 'emulator', conversation: { id: conversation }, recipient: { id: user } });
  });
});

describe('msteams anonymous account when NODE_ENV=production', () => {
  let app: TestApp;
  afterAll(async () => {
    await app?.close();
  });

  it('refuses its webhook with 401 and stores nothing', async () => {
    app = await startTestApp({ http: true, env: { NODE_ENV: 'production', MSTEAMS_ALLOW_ANONYMOUS: 'on', LOCAL_CHAT: 'off' } });
    expect(app.config.env).toBe('production');
    const tenantId = (await app.db.pool.query<{ id: string }>(`SELECT id FROM tenants WHERE slug = 'demo-realty'`)).rows[0]!.id;
    const id = await withTenant(app.db, tenantId, (sql) =>
      upsertAccount(sql, tenantId, app.secrets, { channel: 'msteams', name: 'Emulator bot', externalId: `anonymous:${randomUUID()}`, config: { anonymous: true }, apiBaseUrl: 'http://127.0.0.1:9' }),
    );
    const activity = {
      type: 'message',
      id: 'p-1',
      channelId: 'emulator',
      serviceUrl: 'http://127.0.0.1:9/',
      from: { id: 'user-1' },
      recipient: { id: 'bot-1' },
      conversation: { id: 'conv-1' },
      text: 'help',
    };
    const res = await fetch(`${app.http!.url}/webhooks/msteams/${id}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(activity) });
    expect(res.status).toBe(401);
    const n = await withTenant(app.db, tenantId, async (sql) => (await sql.query<{ n: number }>('SELECT count(*)::int AS n FROM messages WHERE channel_account_id = $1', [id])).rows[0]!.n);
    expect(n).toBe(0);
  }, 60_000);
});
