import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEmbeddedDatabase } from '../../src/db/database.ts';
import { resolveSecretKey, SecretBox } from '../../src/core/secrets.ts';
import { verifyInstallLink } from '../../src/bots/slack/install-link.ts';
import { runCli } from '../helpers/cli.ts';

/** `closer slack install-link`, `closer slack add … --socket-mode` and `closer slack socket-mode`, run as a user would. */
let home: string;
const STATE_SECRET = 'cli-state-secret-0123456789abcdef01234';
const env = (extra: Record<string, string> = {}) => ({ CLOSER_HOME: home, PUBLIC_URL: 'https://closer.example.test', LOG_LEVEL: 'error', ...extra });
const oauthEnv = { SLACK_CLIENT_ID: '111.222', SLACK_CLIENT_SECRET: 'cli-client-secret', SLACK_SIGNING_SECRET: 'cli-signing-secret', SLACK_STATE_SECRET: STATE_SECRET };

async function account(teamId: string): Promise<{ id: string; config: Record<string, unknown>; secrets: Record<string, string>; secretsEnc: string }> {
  const db = await openEmbeddedDatabase(path.join(home, 'pgdata'));
  try {
    const row = (await db.pool.query<{ id: string; config: Record<string, unknown>; secrets_enc: string }>(`SELECT id, config, secrets_enc FROM channel_accounts WHERE channel = 'slack' AND external_id = $1`, [teamId])).rows[0]!;
    const box = new SecretBox(resolveSecretKey({ keyHex: undefined, home, embedded: true }));
    return { id: row.id, config: row.config, secrets: box.open(row.secrets_enc, { table: 'channel_accounts', id: row.id, kind: 'slack' }), secretsEnc: row.secrets_enc };
  } finally {
    await db.close();
  }
}

beforeAll(async () => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'closer-slack-cli-'));
  const migrated = await runCli(['migrate'], env());
  expect(migrated.code, migrated.stderr).toBe(0);
  const db = await openEmbeddedDatabase(path.join(home, 'pgdata'));
  await db.pool.query(`INSERT INTO tenants (slug, name, vertical, default_locale, locales, currency, timezone) VALUES ('cli-clinic', 'CLI Clinic', 'clinic', 'en', '{en}', 'THB', 'Asia/Bangkok')`);
  await db.close();
}, 120_000);
afterAll(() => {
  fs.rmSync(home, { recursive: true, force: true });
});

describe('closer slack (install link, socket mode)', () => {
  it('prints a signed install link for the tenant, and says what to set without the app credentials', async () => {
    const r = await runCli(['slack', 'install-link', '--tenant', 'cli-clinic', '--valid-for', '30'], env(oauthEnv));
    expect(r.code, r.stderr).toBe(0);
    const link = new URL(r.stdout.split('\n')[0]!);
    expect(`${link.origin}${link.pathname}`).toBe('https://closer.example.test/slack/install');
    expect(verifyInstallLink(STATE_SECRET, Object.fromEntries(link.searchParams)).tenant).toBe('cli-clinic');
    expect(Number(link.searchParams.get('expires')) * 1000).toBeLessThanOrEqual(Date.now() + 30 * 60_000 + 1000);
    expect(r.stdout).toContain('https://closer.example.test/slack/oauth_redirect');
    expect(r.stdout).not.toContain(STATE_SECRET);

    const off = await runCli(['slack', 'install-link', '--tenant', 'cli-clinic'], env());
    expect(off.code).not.toBe(0);
    expect(off.stderr).toContain('SLACK_CLIENT_ID, SLACK_CLIENT_SECRET, SLACK_SIGNING_SECRET, SLACK_STATE_SECRET');
  });

  it('adds a Socket Mode workspace with its app token sealed, and turns Socket Mode off and on again', async () => {
    const noToken = await runCli(['channels', 'add', 'slack', '--tenant', 'cli-clinic', '--bot-token', 'xoxb-cli-1', '--team-id', 'TCLI1', '--socket-mode'], env());
    expect(noToken.code).not.toBe(0);
    expect(noToken.stderr).toContain('--socket-mode needs --app-token');

    const added = await runCli(['channels', 'add', 'slack', '--tenant', 'cli-clinic', '--bot-token', 'xoxb-cli-1', '--team-id', 'TCLI1', '--app-token', 'xapp-1-cli-token', '--socket-mode'], env());
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toContain('Socket Mode (development)');
    expect(added.stdout).not.toContain('xapp-1-cli-token');
    let a = await account('TCLI1');
    expect(a.config.socket_mode).toBe(true);
    expect(a.secrets).toEqual({ bot_token: 'xoxb-cli-1', app_token: 'xapp-1-cli-token' });
    expect(a.secretsEnc).not.toContain('xapp-1-cli-token');

    const off = await runCli(['slack', 'socket-mode', '--tenant', 'cli-clinic', '--off'], env());
    expect(off.code, off.stderr).toBe(0);
    a = await account('TCLI1');
    expect(a.config.socket_mode).toBe(false);
    expect(a.secrets.app_token).toBe('xapp-1-cli-token');

    const on = await runCli(['slack', 'socket-mode', '--tenant', 'cli-clinic', '--app-token', 'xapp-1-rotated'], env());
    expect(on.code, on.stderr).toBe(0);
    a = await account('TCLI1');
    expect(a.config.socket_mode).toBe(true);
    expect(a.secrets).toEqual({ bot_token: 'xoxb-cli-1', app_token: 'xapp-1-rotated' });
  });

  it('sets, refuses and clears the team-alert channel', async () => {
    const settings = async () => {
      const db = await openEmbeddedDatabase(path.join(home, 'pgdata'));
      try {
        return (await db.pool.query<{ settings: Record<string, unknown> }>(`SELECT settings FROM tenants WHERE slug = 'cli-clinic'`)).rows[0]!.settings;
      } finally {
        await db.close();
      }
    };
    const dm = await runCli(['slack', 'alerts-channel', '--tenant', 'cli-clinic', 'D0123ABCD'], env());
    expect(dm.code).not.toBe(0);
    expect(dm.stderr).toContain('is not a Slack channel id');
    const set = await runCli(['slack', 'alerts-channel', '--tenant', 'cli-clinic', 'C0TEAMCLI'], env());
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toContain('now also go to Slack channel C0TEAMCLI in workspace TCLI1');
    const a = await account('TCLI1');
    expect((await settings()).team_alert_channel).toEqual({ account_id: a.id, channel_id: 'C0TEAMCLI' });
    const cleared = await runCli(['slack', 'alerts-channel', '--tenant', 'cli-clinic', '--clear'], env());
    expect(cleared.code, cleared.stderr).toBe(0);
    expect((await settings()).team_alert_channel).toBeNull();
  }, 120_000);
});
