import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withSystem } from '../../src/db/tenant.ts';
import { installLinkUrl } from '../../src/bots/slack/install-link.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { FakeSlack } from '../fakes/slack.ts';

/**
 * Low item "single-use Slack install links": an install link that was
 * forwarded or leaked (a chat log, a browser history) must not connect a
 * second workspace to the tenant once it has been used, even while it has
 * not expired; a second use is refused with a page that says what to do.
 */
const STATE_SECRET = 'state-secret-0123456789abcdef0123456789';
let app: TestApp;
let fake: FakeSlack;

/** Opens a link as a browser would: Slack's authorize URL (state and cookie), or the refusal page. */
async function open(link: string): Promise<{ status: number; state?: string; cookie?: string; html: string }> {
  const res = await fetch(link, { redirect: 'manual' });
  if (res.status !== 302) return { status: res.status, html: await res.text() };
  const state = new URL(res.headers.get('location')!).searchParams.get('state')!;
  return { status: 302, state, cookie: (res.headers.get('set-cookie') ?? '').split(';')[0]!, html: '' };
}

/** Slack sending that browser back after the admin of `teamId` pressed Allow. */
async function finish(started: { state?: string; cookie?: string }, teamId: string): Promise<{ status: number; html: string }> {
  const code = `code-${randomUUID()}`;
  fake.grant(code, { teamId, teamName: `Team ${teamId}`, botToken: `xoxb-${teamId}`, botUserId: 'UBOT' });
  const res = await fetch(`${app.http!.url}/slack/oauth_redirect?${new URLSearchParams({ code, state: started.state! }).toString()}`, { headers: { cookie: started.cookie! }, redirect: 'manual' });
  return { status: res.status, html: await res.text() };
}

const workspaces = (teamId: string) => withSystem(app.db, async (sql) => (await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM channel_accounts WHERE channel = 'slack' AND external_id = $1`, [teamId])).rows[0]!.n);
const states = () => withSystem(app.db, async (sql) => (await sql.query<{ n: number }>('SELECT count(*)::int AS n FROM slack_oauth_states')).rows[0]!.n);

beforeAll(async () => {
  fake = await new FakeSlack().start();
  app = await startTestApp({
    http: true,
    workers: false,
    env: {
      SLACK_CLIENT_ID: fake.oauthApp.clientId,
      SLACK_CLIENT_SECRET: fake.oauthApp.clientSecret,
      SLACK_SIGNING_SECRET: 'distributed-app-signing-secret',
      SLACK_STATE_SECRET: STATE_SECRET,
      SLACK_OAUTH_AUTHORIZE_URL: `${fake.origin}/oauth/v2/authorize`,
      SLACK_API_URL: fake.url,
    },
  });
}, 60_000);
afterAll(async () => {
  await app?.close();
  await fake?.stop();
});

describe('Slack install links work once (attack: a leaked link)', () => {
  it('after it installed a workspace, opening the link again is refused politely and starts nothing', async () => {
    const link = installLinkUrl(app.http!.url, STATE_SECRET, 'demo-clinic');
    const page = await finish(await open(link), 'TONCE1');
    expect(page.status).toBe(200);
    expect(await workspaces('TONCE1')).toBe(1);

    const statesBefore = await states();
    const again = await open(link);
    expect(again.status).toBe(410);
    expect(again.html).toContain('This install link was already used');
    expect(again.html).toContain('Each link works once');
    expect(again.html).toContain('closer slack install-link');
    // Nothing about the workspace it connected is shown to whoever holds the link now.
    expect(again.html).not.toContain('TONCE1');
    expect(await states()).toBe(statesBefore);
  });

  it('two installs started from one link before either finished: only the first connects its workspace', async () => {
    const link = installLinkUrl(app.http!.url, STATE_SECRET, 'demo-clinic');
    const owner = await open(link);
    const thief = await open(link);
    expect(owner.status).toBe(302);
    expect(thief.status).toBe(302);
    expect((await finish(owner, 'TOWNER')).status).toBe(200);
    const late = await finish(thief, 'TTHIEF');
    expect(late.status).toBe(409);
    expect(late.html).toContain('This install link was already used');
    expect(await workspaces('TTHIEF')).toBe(0);
    expect(await workspaces('TOWNER')).toBe(1);
  });

  it('a new link still works for the same tenant', async () => {
    const page = await finish(await open(installLinkUrl(app.http!.url, STATE_SECRET, 'demo-clinic')), 'TONCE2');
    expect(page.status).toBe(200);
  });
});
