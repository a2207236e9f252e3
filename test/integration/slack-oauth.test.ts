import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withSystem, withTenant } from '../../src/db/tenant.ts';
import { AccountDirectory } from '../../src/bots/accounts.ts';
import { installLinkUrl, signInstallLink } from '../../src/bots/slack/install-link.ts';
import { mountSlackOAuth } from '../../src/bots/slack/oauth.ts';
import { mapSlackUser } from '../../src/bots/slack/staff.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { FakeSlack, slackEvent, slackSignature, type FakeGrant } from '../fakes/slack.ts';
import { waitFor } from '../helpers/wait.ts';

/**
 * The OAuth install flow end to end: an admin's signed install link, the
 * redirect to (fake) Slack's authorize page, the callback exchanging the
 * code with oauth.v2.access on the fake Web API, and then an event for the
 * new workspace answered through the real pipeline.
 */
const SIGNING = 'distributed-app-signing-secret';
const STATE_SECRET = 'state-secret-0123456789abcdef0123456789';
let app: TestApp;
let fake: FakeSlack;
let clinic: string;
let realty: string;

/** Opens an install link as a browser would; returns Slack's authorize URL, the state in it and the state cookie. */
async function startInstall(tenant: string): Promise<{ location: URL; state: string; cookie: string }> {
  const res = await fetch(installLinkUrl(app.http!.url, STATE_SECRET, tenant), { redirect: 'manual' });
  expect(res.status).toBe(302);
  const location = new URL(res.headers.get('location')!);
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0]!;
  return { location, state: location.searchParams.get('state')!, cookie };
}

/** Slack sending the installer back to the Redirect URL. */
async function callback(query: Record<string, string>, cookie?: string): Promise<{ status: number; html: string }> {
  const res = await fetch(`${app.http!.url}/slack/oauth_redirect?${new URLSearchParams(query).toString()}`, { headers: cookie ? { cookie } : {}, redirect: 'manual' });
  return { status: res.status, html: await res.text() };
}

async function install(tenant: string, grant: FakeGrant): Promise<{ status: number; html: string }> {
  const { state, cookie } = await startInstall(tenant);
  const code = `code-${randomUUID()}`;
  fake.grant(code, grant);
  return callback({ code, state }, cookie);
}

const accountsOf = (teamId: string) =>
  withSystem(app.db, async (sql) => (await sql.query<{ id: string; tenant_id: string; secrets_enc: string; config: Record<string, unknown>; api_base_url: string | null }>(`SELECT id, tenant_id, secrets_enc, config, api_base_url FROM channel_accounts WHERE channel = 'slack' AND external_id = $1`, [teamId])).rows);
const stateRows = () => withSystem(app.db, async (sql) => (await sql.query<{ n: number }>('SELECT count(*)::int AS n FROM slack_oauth_states')).rows[0]!.n);
const exchanges = () => fake.calls.filter((c) => c.method === 'oauth.v2.access').length;

async function sendDm(teamId: string, user: string, text: string): Promise<{ status: number; channel: string }> {
  const channel = `D${randomUUID().slice(0, 8).toUpperCase()}`;
  const body = slackEvent(teamId, `Ev${randomUUID()}`, { type: 'message', channel_type: 'im', channel, user, text, ts: `${Math.floor(Date.now() / 1000)}.000100` });
  const res = await fetch(`${app.http!.url}/webhooks/slack/events`, { method: 'POST', headers: { 'content-type': 'application/json', ...slackSignature(SIGNING, body, Math.floor(Date.now() / 1000)) }, body });
  return { status: res.status, channel };
}

beforeAll(async () => {
  fake = await new FakeSlack().start();
  app = await startTestApp({
    http: true,
    env: {
      SLACK_CLIENT_ID: fake.oauthApp.clientId,
      SLACK_CLIENT_SECRET: fake.oauthApp.clientSecret,
      SLACK_SIGNING_SECRET: SIGNING,
      SLACK_STATE_SECRET: STATE_SECRET,
      SLACK_OAUTH_AUTHORIZE_URL: `${fake.origin}/oauth/v2/authorize`,
      SLACK_API_URL: fake.url,
    },
  });
  const ids = (await app.db.pool.query<{ id: string; slug: string }>('SELECT id, slug FROM tenants')).rows;
  clinic = ids.find((t) => t.slug === 'demo-clinic')!.id;
  realty = ids.find((t) => t.slug === 'demo-realty')!.id;
}, 60_000);
afterAll(async () => {
  await app?.close();
  await fake?.stop();
});

describe('slack oauth install', () => {
  it('installs a workspace for the tenant of the link, and its events then reach that tenant', async () => {
    const { location, state, cookie } = await startInstall('demo-clinic');
    expect(`${location.origin}${location.pathname}`).toBe(`${fake.origin}/oauth/v2/authorize`);
    expect(location.searchParams.get('client_id')).toBe(fake.oauthApp.clientId);
    expect(location.searchParams.get('scope')!.split(',')).toEqual(expect.arrayContaining(['chat:write', 'im:history', 'app_mentions:read', 'commands']));
    expect(state).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(cookie).toContain(state);
    // The state is held server-side, under the link's tenant.
    expect(await withTenant(app.db, clinic, async (sql) => (await sql.query<{ n: number }>('SELECT count(*)::int AS n FROM slack_oauth_states')).rows[0]!.n)).toBe(1);

    fake.grant('code-first', { teamId: 'TOAUTH1', teamName: 'Clinic <Team> & Co', botToken: 'xoxb-oauth-first', botUserId: 'UBOTOAUTH', installerId: 'UINSTALL1' });
    const page = await callback({ code: 'code-first', state }, cookie);
    expect(page.status).toBe(200);
    expect(page.html).toContain('Clinic &lt;Team&gt; &amp; Co');
    expect(page.html).not.toContain('<Team>');
    expect(page.html).toContain('closer slack map --tenant demo-clinic --slack-user UINSTALL1');
    expect(await stateRows()).toBe(0);

    const [row] = await accountsOf('TOAUTH1');
    expect(row!.tenant_id).toBe(clinic);
    expect(row!.secrets_enc).not.toContain('xoxb-oauth-first');
    expect(app.secrets.open(row!.secrets_enc, { table: 'channel_accounts', id: row!.id, kind: 'slack' })).toEqual({ bot_token: 'xoxb-oauth-first', signing_secret: SIGNING });
    expect(row!.config).toMatchObject({ bot_user_id: 'UBOTOAUTH', installed_via: 'oauth', team_name: 'Clinic <Team> & Co' });
    expect(row!.api_base_url).toBe(fake.url);

    // A signed event for the new team now goes through the pipeline to this tenant and is answered with the installed token.
    await withTenant(app.db, clinic, (sql) => mapSlackUser(sql, clinic, row!.id, 'UOAUTHREP', 'ploy@demo-clinic.example'));
    const sent = await sendDm('TOAUTH1', 'UOAUTHREP', 'help');
    expect(sent.status).toBe(200);
    const reply = await waitFor('the reply', () => fake.posts((c) => c.args.channel === sent.channel)[0]);
    expect(reply.token).toBe('xoxb-oauth-first');
    const tenants = await withSystem(app.db, async (sql) => (await sql.query<{ tenant_id: string }>(`SELECT m.tenant_id FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.external_chat_id = $1`, [sent.channel])).rows);
    expect(tenants.length).toBeGreaterThan(0);
    expect(tenants.every((t) => t.tenant_id === clinic)).toBe(true);
  });

  it('re-installing the same workspace updates its token and keeps what the CLI set', async () => {
    const [before] = await accountsOf('TOAUTH1');
    await withSystem(app.db, (sql) => sql.query(`UPDATE channel_accounts SET config = config || '{"handoff_channel": "CHANDOFF"}' WHERE id = $1`, [before!.id]));
    const page = await install('demo-clinic', { teamId: 'TOAUTH1', teamName: 'Clinic Team', botToken: 'xoxb-oauth-second', botUserId: 'UBOTOAUTH' });
    expect(page.status).toBe(200);
    expect(page.html).toContain('reconnected');
    const rows = await accountsOf('TOAUTH1');
    expect(rows).toHaveLength(1);
    expect(rows[0]!.id).toBe(before!.id);
    expect(app.secrets.open(rows[0]!.secrets_enc, { table: 'channel_accounts', id: rows[0]!.id, kind: 'slack' }).bot_token).toBe('xoxb-oauth-second');
    expect(rows[0]!.config).toMatchObject({ handoff_channel: 'CHANDOFF', team_name: 'Clinic Team' });
    // The running server uses the new token at once.
    const sent = await sendDm('TOAUTH1', 'UOAUTHREP', 'help');
    const reply = await waitFor('the reply', () => fake.posts((c) => c.args.channel === sent.channel)[0]);
    expect(reply.token).toBe('xoxb-oauth-second');
  });

  it('disables the workspace when it uninstalls the app, and a new install brings it back', async () => {
    const post = async (event: Record<string, unknown>) => {
      const body = slackEvent('TOAUTH1', `Ev${randomUUID()}`, event);
      return (await fetch(`${app.http!.url}/webhooks/slack/events`, { method: 'POST', headers: { 'content-type': 'application/json', ...slackSignature(SIGNING, body, Math.floor(Date.now() / 1000)) }, body })).status;
    };
    const status = async () => (await withSystem(app.db, async (sql) => (await sql.query<{ status: string }>(`SELECT status FROM channel_accounts WHERE channel = 'slack' AND external_id = 'TOAUTH1'`)).rows[0]!.status));
    // A user revoking their own token is not the app leaving.
    expect(await post({ type: 'tokens_revoked', tokens: { oauth: ['UOAUTHREP'] } })).toBe(200);
    expect(await status()).toBe('active');
    expect(await post({ type: 'app_uninstalled' })).toBe(200);
    expect(await status()).toBe('disabled');
    const audit = await withTenant(app.db, clinic, async (sql) => (await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'slack_uninstalled'`)).rows[0]!.n);
    expect(audit).toBe(1);
    // Its events are refused now: nobody there can reach the tenant through a dead install.
    expect((await sendDm('TOAUTH1', 'UOAUTHREP', 'help')).status).toBe(401);
    const page = await install('demo-clinic', { teamId: 'TOAUTH1', teamName: 'Clinic Team', botToken: 'xoxb-oauth-second', botUserId: 'UBOTOAUTH' });
    expect(page.status).toBe(200);
    expect(await status()).toBe('active');
    const sent = await sendDm('TOAUTH1', 'UOAUTHREP', 'help');
    const reply = await waitFor('the reply after reinstalling', () => fake.posts((c) => c.args.channel === sent.channel)[0]);
    expect(reply.token).toBe('xoxb-oauth-second');
  });

  it('refuses to move a workspace bound to another tenant', async () => {
    const page = await install('demo-realty', { teamId: 'TOAUTH1', teamName: 'Clinic Team', botToken: 'xoxb-oauth-stolen', botUserId: 'UBOTOAUTH' });
    expect(page.status).toBe(409);
    expect(page.html).toContain('already connected to another Closer tenant');
    expect(page.html).not.toContain('demo-clinic');
    const rows = await accountsOf('TOAUTH1');
    expect(rows).toHaveLength(1);
    expect(rows[0]!.tenant_id).toBe(clinic);
    expect(app.secrets.open(rows[0]!.secrets_enc, { table: 'channel_accounts', id: rows[0]!.id, kind: 'slack' }).bot_token).toBe('xoxb-oauth-second');
    expect(await withTenant(app.db, realty, async (sql) => (await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM channel_accounts WHERE channel = 'slack' AND external_id = 'TOAUTH1'`)).rows[0]!.n)).toBe(0);
  });

  it('refuses forged, tampered and expired install links before anything reaches Slack', async () => {
    const base = `${app.http!.url}/slack/install`;
    const good = signInstallLink(STATE_SECRET, 'demo-clinic');
    const tampered = new URLSearchParams(good);
    tampered.set('tenant', 'demo-realty');
    const otherSecret = signInstallLink('another-secret-0123456789abcdef01234567', 'demo-clinic');
    const expired = signInstallLink(STATE_SECRET, 'demo-clinic', { now: new Date(Date.now() - 2 * 3600_000) });
    const unknownTenant = signInstallLink(STATE_SECRET, 'no-such-tenant');
    const statesBefore = await stateRows();
    for (const [query, status, text] of [
      [tampered, 403, 'not valid'],
      [otherSecret, 403, 'not valid'],
      [expired, 403, 'expired'],
      [new URLSearchParams({ tenant: 'demo-clinic' }), 403, 'incomplete'],
      [unknownTenant, 404, 'does not exist'],
    ] as const) {
      const res = await fetch(`${base}?${query.toString()}`, { redirect: 'manual' });
      expect(res.status, query.toString()).toBe(status);
      expect(res.headers.get('location')).toBeNull();
      expect(await res.text()).toContain(text);
    }
    expect(await stateRows()).toBe(statesBefore);
  });

  it('refuses forged, foreign-browser, expired and reused states, and stores nothing', async () => {
    const exchangesBefore = exchanges();
    const grant = (teamId: string): string => {
      const code = `code-${randomUUID()}`;
      fake.grant(code, { teamId, teamName: teamId, botToken: `xoxb-${teamId}`, botUserId: 'UB' });
      return code;
    };
    // Forged: not signed by this server (the matching cookie does not help).
    const forged = `${'A'.repeat(32)}.${'B'.repeat(43)}`;
    let page = await callback({ code: grant('TFORGED'), state: forged }, `slack-app-oauth-state=${forged}`);
    expect(page.status).toBe(400);
    // A real state, but from another browser (no state cookie): refused, and the state stays usable by its own browser.
    const first = await startInstall('demo-clinic');
    page = await callback({ code: grant('TNOCOOKIE'), state: first.state });
    expect(page.status).toBe(400);
    expect(page.html).toContain('another browser');
    // Expired: ten minutes went by before Slack sent the installer back.
    await withSystem(app.db, (sql) => sql.query(`UPDATE slack_oauth_states SET expires_at = now() - interval '1 minute'`));
    page = await callback({ code: grant('TEXPIRED'), state: first.state }, first.cookie);
    expect(page.status).toBe(400);
    expect(exchanges()).toBe(exchangesBefore);
    for (const team of ['TFORGED', 'TNOCOOKIE', 'TEXPIRED']) expect(await accountsOf(team)).toEqual([]);

    // Reused: a state that finished one install cannot finish another.
    const second = await startInstall('demo-clinic');
    expect((await callback({ code: grant('TREUSE1'), state: second.state }, second.cookie)).status).toBe(200);
    page = await callback({ code: grant('TREUSE2'), state: second.state }, second.cookie);
    expect(page.status).toBe(400);
    expect(await accountsOf('TREUSE2')).toEqual([]);
    expect(exchanges()).toBe(exchangesBefore + 1);
  });

  it('says so plainly when Slack refuses the code, or the install is of a kind not built yet', async () => {
    const { state, cookie } = await startInstall('demo-clinic');
    let page = await callback({ code: 'code-never-granted', state }, cookie);
    expect(page.status).toBe(502);
    expect(page.html).toContain('invalid_code');

    page = await install('demo-clinic', { teamId: 'TGRID', teamName: 'Grid', botToken: 'xoxb-grid', botUserId: 'UB', enterprise: true });
    expect(page.status).toBe(409);
    expect(page.html).toContain('Enterprise Grid');
    expect(page.html).toContain('not supported yet');

    page = await install('demo-clinic', { teamId: 'TROTATE', teamName: 'Rotating', botToken: 'xoxb-rotate', botUserId: 'UB', refreshToken: 'xoxe-1' });
    expect(page.status).toBe(409);
    expect(page.html).toContain('token rotation');
    expect(await accountsOf('TROTATE')).toEqual([]);

    page = await callback({ error: 'access_denied', state: 'x' });
    expect(page.status).toBe(400);
    expect(page.html).toContain('cancelled');
  });

  it('without app credentials, the install routes say what to set', async () => {
    const http = new Hono();
    mountSlackOAuth(http, { ...app.channelContext, config: { ...app.config, slackOAuth: undefined } }, new AccountDirectory(app.db, app.secrets));
    for (const path of ['/slack/install?tenant=demo-clinic', '/slack/oauth_redirect?code=x&state=y']) {
      const res = await http.request(path);
      expect(res.status).toBe(503);
      const html = await res.text();
      for (const name of ['SLACK_CLIENT_ID', 'SLACK_CLIENT_SECRET', 'SLACK_SIGNING_SECRET', 'SLACK_STATE_SECRET']) expect(html).toContain(name);
    }
  });
});
