import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTenant } from '../../src/db/tenant.ts';
import { upsertAccount } from '../../src/bots/accounts.ts';
import { mapSlackUser } from '../../src/bots/slack/staff.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { FakeSlack, slackAction, slackCommand, slackEvent, slackSignature, type SlackCall } from '../fakes/slack.ts';
import { waitFor } from '../helpers/wait.ts';

/**
 * Slack is a staff channel, so the shared customer contract (unknown users
 * become leads, set_consent buttons, blocked users) does not apply as is:
 * these are the same cases in Slack's terms, against the real Web API
 * client and the real webhook route.
 */
const SECRET = 'contract-signing-secret';
const TEAM = 'TCONTRACT1';
const PLOY = 'UPLOY00001';
let app: TestApp;
let fake: FakeSlack;
let tenantId: string;
let accountId: string;
let url: string;

async function post(body: string, opts: { type?: string; signature?: 'valid' | 'bad' | 'missing'; tsOffsetS?: number; headers?: Record<string, string>; path?: string } = {}): Promise<{ status: number; body: string; ms: number }> {
  const ts = Math.floor(Date.now() / 1000) + (opts.tsOffsetS ?? 0);
  const headers: Record<string, string> = { 'content-type': opts.type ?? 'application/json', ...opts.headers };
  if (opts.signature !== 'missing') Object.assign(headers, slackSignature(opts.signature === 'bad' ? 'wrong-secret' : SECRET, body, ts));
  const t0 = Date.now();
  const res = await fetch(`${app.http!.url}${opts.path ?? '/webhooks/slack/events'}`, { method: 'POST', headers, body });
  return { status: res.status, body: await res.text(), ms: Date.now() - t0 };
}

const dm = (channel: string, text: string, eventId = `Ev${randomUUID()}`, user = PLOY) =>
  slackEvent(TEAM, eventId, { type: 'message', channel_type: 'im', channel, user, text, ts: `${Math.floor(Date.now() / 1000)}.000100` });
const newDm = () => `D${randomUUID().slice(0, 8).toUpperCase()}`;
const postsTo = (channel: string) => fake.posts((c: SlackCall) => c.args.channel === channel);
const count = (q: string, params: unknown[]) => withTenant(app.db, tenantId, async (sql) => (await sql.query<{ n: number }>(q, params)).rows[0]!.n);

beforeAll(async () => {
  fake = await new FakeSlack().start();
  app = await startTestApp({ http: true });
  tenantId = (await app.db.pool.query<{ id: string }>(`SELECT id FROM tenants WHERE slug = 'demo-clinic'`)).rows[0]!.id;
  accountId = await withTenant(app.db, tenantId, async (sql) => {
    const id = await upsertAccount(sql, tenantId, app.secrets, {
      channel: 'slack',
      name: 'Contract workspace',
      externalId: TEAM,
      config: { bot_user_id: 'UBOT' },
      secrets: { bot_token: 'xoxb-contract', signing_secret: SECRET },
      apiBaseUrl: fake.url,
    });
    await mapSlackUser(sql, tenantId, id, PLOY, 'ploy@demo-clinic.example');
    return id;
  });
}, 60_000);
afterAll(async () => {
  await app?.close();
  await fake?.stop();
});

describe('slack channel contract', () => {
  it('answers a DM from a mapped rep in the DM, acknowledging at once', async () => {
    const channel = newDm();
    const r = await post(dm(channel, 'help'));
    expect(r.status).toBe(200);
    const [reply] = await waitFor('a reply', () => postsTo(channel).length > 0 && postsTo(channel));
    expect(reply!.token).toBe('xoxb-contract');
    expect(String(reply!.args.text).length).toBeGreaterThan(20);
    expect(Array.isArray(reply!.args.blocks)).toBe(true);
    await waitFor('sent row', async () => (await count(`SELECT count(*)::int AS n FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.external_chat_id = $1 AND m.direction = 'out' AND m.status = 'sent'`, [channel])) === 1);
  });

  it('answers an @mention in its thread and a /closer command in the DM', async () => {
    const channel = `C${randomUUID().slice(0, 8).toUpperCase()}`;
    const ts = `${Math.floor(Date.now() / 1000)}.000200`;
    expect((await post(slackEvent(TEAM, `Ev${randomUUID()}`, { type: 'app_mention', channel, user: PLOY, text: '<@UBOT> tell me about นก', ts }))).status).toBe(200);
    const [inThread] = await waitFor('thread reply', () => postsTo(channel).length > 0 && postsTo(channel));
    expect(inThread!.args.thread_ts).toBe(ts);
    expect(JSON.stringify(inThread!.args.blocks)).toContain('นก');

    const cmd = await post(slackCommand(TEAM, PLOY, 'C_GENERAL', 'tell me about นก'), { type: 'application/x-www-form-urlencoded' });
    expect(cmd.status).toBe(200);
    expect(cmd.body).toBe('');
    await waitFor('command reply in the DM', () => postsTo(PLOY).length > 0);
  });

  it('runs a button press as its action (Block Kit value = payload)', async () => {
    const channel = newDm();
    const body = slackAction(TEAM, PLOY, channel, { action: 'lookup_lead', args: { query: 'นก' } });
    expect((await post(body, { type: 'application/x-www-form-urlencoded' })).status).toBe(200);
    const [reply] = await waitFor('reply to the press', () => postsTo(channel).length > 0 && postsTo(channel));
    expect((reply!.args.blocks as { type: string }[]).some((b) => b.type === 'header')).toBe(true);
    const calls = await withTenant(app.db, tenantId, async (sql) =>
      (await sql.query<{ tool_calls: { name: string }[] }>(`SELECT m.tool_calls FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.external_chat_id = $1 AND m.direction = 'in'`, [channel])).rows,
    );
    expect(calls[0]?.tool_calls.map((c) => c.name)).toEqual(['lookup_lead']);
  });

  it('refuses bad, missing, stale and future signatures with 401 and stores nothing', async () => {
    const channel = newDm();
    const before = await count('SELECT count(*)::int AS n FROM messages WHERE channel_account_id = $1', [accountId]);
    expect((await post(dm(channel, 'help'), { signature: 'bad' })).status).toBe(401);
    expect((await post(dm(channel, 'help'), { signature: 'missing' })).status).toBe(401);
    expect((await post(dm(channel, 'help'), { tsOffsetS: -301 })).status).toBe(401);
    expect((await post(dm(channel, 'help'), { tsOffsetS: 301 })).status).toBe(401);
    // Signed with this workspace's secret but claiming another team.
    const other = slackEvent('TOTHER', `Ev${randomUUID()}`, { type: 'message', channel_type: 'im', channel, user: PLOY, text: 'help', ts: '1.1' });
    expect((await post(other, { path: `/webhooks/slack/${accountId}` })).status).toBe(401);
    expect(await count('SELECT count(*)::int AS n FROM messages WHERE channel_account_id = $1', [accountId])).toBe(before);
  });

  it('answers the url_verification challenge only when signed (on the account\'s own URL)', async () => {
    const body = JSON.stringify({ token: 'x', type: 'url_verification', challenge: 'ch4ll3nge' });
    const path = `/webhooks/slack/${accountId}`;
    expect(JSON.parse((await post(body, { path })).body)).toEqual({ challenge: 'ch4ll3nge' });
    expect((await post(body, { path, signature: 'bad' })).status).toBe(401);
    // The shared URL names no workspace: without the distributed app's SLACK_SIGNING_SECRET nothing can sign it.
    expect((await post(body)).status).toBe(401);
  });

  it('answers Slack retries (x-slack-retry-num, same event_id) exactly once', async () => {
    const channel = newDm();
    const eventId = `Ev${randomUUID()}`;
    const body = dm(channel, 'help', eventId);
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await post(body, { headers: i ? { 'x-slack-retry-num': String(i), 'x-slack-retry-reason': 'http_timeout' } : {} })).status);
    expect(statuses).toEqual([200, 200, 200, 200]);
    // A later message in the same DM is answered after the first: once it is in, any duplicate would be too.
    await post(dm(channel, 'hello'));
    await waitFor('both replies', () => postsTo(channel).length >= 2);
    await waitFor('settled', async () => (await count(`SELECT count(*)::int AS n FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.external_chat_id = $1 AND m.direction = 'out' AND m.status IN ('pending', 'sending')`, [channel])) === 0);
    expect(postsTo(channel)).toHaveLength(2);
    expect(await count('SELECT count(*)::int AS n FROM messages WHERE channel_account_id = $1 AND platform_message_id = $2', [accountId, eventId])).toBe(1);
  });

  it('waits as long as a 429 Retry-After says', async () => {
    const channel = newDm();
    fake.rateLimitNext('chat.postMessage', 1, channel);
    const t0 = Date.now();
    await post(dm(channel, 'help'));
    await waitFor('the reply after the wait', () => postsTo(channel).length > 0);
    const attempts = fake.calls.filter((c) => c.method === 'chat.postMessage' && c.args.channel === channel);
    // Refused once, then delivered no sooner than Retry-After allowed.
    expect(attempts.map((c) => c.ok)).toEqual([false, true]);
    expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(1000 - 20);
    expect(attempts[0]!.at).toBeGreaterThanOrEqual(t0);
  });

  it('marks a chat Slack says is gone as unreachable and stops retrying', async () => {
    const channel = newDm();
    fake.errorNext('chat.postMessage', 'channel_not_found', channel);
    await post(dm(channel, 'help'));
    await waitFor('failed row', async () => (await count(`SELECT count(*)::int AS n FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.external_chat_id = $1 AND m.direction = 'out' AND m.status = 'failed'`, [channel])) === 1);
    expect(await count(`SELECT count(*)::int AS n FROM channel_identities WHERE channel_account_id = $1 AND external_id = $2 AND unreachable_at IS NOT NULL`, [accountId, PLOY])).toBe(1);
    await withTenant(app.db, tenantId, (sql) => sql.query('UPDATE channel_identities SET unreachable_at = NULL WHERE channel_account_id = $1', [accountId]));
  });

  it('tells an unmapped Slack user who can add them, and stores nothing about them', async () => {
    const channel = newDm();
    const stranger = `U${randomUUID().slice(0, 8).toUpperCase()}`;
    const leadsBefore = await count('SELECT count(*)::int AS n FROM leads', []);
    expect((await post(dm(channel, 'show me hot leads', undefined, stranger))).status).toBe(200);
    const note = await waitFor('the ephemeral note', () => fake.calls.find((c) => c.method === 'chat.postEphemeral' && c.args.user === stranger));
    const admins = await withTenant(app.db, tenantId, async (sql) => (await sql.query<{ name: string }>(`SELECT name FROM staff_users WHERE role = 'admin' AND active`)).rows.map((r) => r.name));
    expect(admins.length).toBeGreaterThan(0);
    for (const name of admins) expect(String(note.args.text)).toContain(name);
    expect(await count('SELECT count(*)::int AS n FROM channel_identities WHERE external_id = $1', [stranger])).toBe(0);
    expect(await count('SELECT count(*)::int AS n FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.external_chat_id = $1', [channel])).toBe(0);
    expect(await count('SELECT count(*)::int AS n FROM leads', [])).toBe(leadsBefore);
  });

  it("publishes the rep's App Home with hot leads and tasks", async () => {
    const body = slackEvent(TEAM, `Ev${randomUUID()}`, { type: 'app_home_opened', user: PLOY, channel: 'D1', tab: 'home' });
    expect((await post(body)).status).toBe(200);
    const view = await waitFor('views.publish', () => fake.calls.find((c) => c.method === 'views.publish' && c.args.user_id === PLOY));
    const blocks = (view.args.view as { blocks: { type: string; accessory?: { value: string } }[] }).blocks;
    expect(blocks[0]!.type).toBe('header');
    const leadButtons = blocks.filter((b) => b.accessory).map((b) => JSON.parse(b.accessory!.value) as { action: string });
    expect(leadButtons.length).toBeGreaterThan(0);
    expect(leadButtons.every((p) => p.action === 'lookup_lead')).toBe(true);
  });
});
