import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEmbeddedDatabase } from '../../src/db/database.ts';
import { runCli } from '../helpers/cli.ts';
import { FakeTeams } from '../fakes/msteams.ts';

let home: string;
let fake: FakeTeams;
const env = (extra: Record<string, string> = {}) => ({ CLOSER_HOME: home, PUBLIC_URL: 'https://closer.example.test', LOG_LEVEL: 'error', ...extra });

beforeAll(async () => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'closer-msteams-cli-'));
  fake = await new FakeTeams().start();
  const migrated = await runCli(['migrate'], env());
  expect(migrated.code, migrated.stderr).toBe(0);
  const db = await openEmbeddedDatabase(path.join(home, 'pgdata'));
  await db.pool.query(`INSERT INTO tenants (slug, name, vertical, default_locale, locales, currency, timezone) VALUES ('cli-teams', 'CLI Teams', 'realty', 'en', '{en}', 'USD', 'UTC')`);
  await db.close();
}, 120_000);
afterAll(async () => {
  await fake?.close();
  fs.rmSync(home, { recursive: true, force: true });
});

describe('closer channels add msteams', () => {
  it('checks the app credentials with Entra, prints the messaging endpoint, lists it and stores the password sealed', async () => {
    const base = ['channels', 'add', 'msteams', '--tenant', 'cli-teams', '--app-id', fake.appId, '--app-tenant-id', fake.tenantId, '--auth-url', fake.url, '--api-url', fake.url];
    const wrong = await runCli([...base, '--app-password', 'not-the-secret'], env());
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/Entra refused the bot's credentials \(401\): invalid_client/);
    expect(wrong.stderr).toMatch(/--offline/);

    const added = await runCli([...base, '--app-password', fake.appPassword], env());
    expect(added.code, added.stderr).toBe(0);
    const id = /Added msteams account ([0-9a-f-]{36})/.exec(added.stdout)?.[1];
    expect(id).toBeDefined();
    expect(added.stdout).toContain(`Webhook URL: https://closer.example.test/webhooks/msteams/${id}`);
    expect(added.stdout).toContain('Messaging endpoint');
    expect(added.stdout).not.toContain(fake.appPassword);
    expect(fake.tokenRequests.at(-1)).toMatchObject({ client_id: fake.appId, scope: 'https://api.botframework.com/.default' });

    const listed = await runCli(['channels', 'list', '--tenant', 'cli-teams', '--json'], env());
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).not.toContain(fake.appPassword);
    const rows = JSON.parse(listed.stdout) as { id: string; channel: string; external_id: string; webhook_url: string; has_secrets: boolean; note: string | null }[];
    expect(rows).toEqual([expect.objectContaining({ id, channel: 'msteams', external_id: fake.appId, has_secrets: true, note: null, webhook_url: `https://closer.example.test/webhooks/msteams/${id}` })]);

    const db = await openEmbeddedDatabase(path.join(home, 'pgdata'));
    const stored = (await db.pool.query<{ secrets_enc: string; config: Record<string, unknown> }>('SELECT secrets_enc, config FROM channel_accounts WHERE id = $1', [id])).rows[0]!;
    await db.close();
    expect(stored.secrets_enc).not.toContain(fake.appPassword);
    expect(stored.config).toEqual({ appId: fake.appId, appTenantId: fake.tenantId, authUrl: fake.url, anonymous: false, directLineEnhancedAuth: false });
  });

  it('adds an anonymous account only outside production and only with --api-url, and lists it as such', async () => {
    const noUrl = await runCli(['channels', 'add', 'msteams', '--tenant', 'cli-teams', '--anonymous'], env());
    expect(noUrl.code).not.toBe(0);
    expect(noUrl.stderr).toMatch(/--anonymous needs --api-url/);

    const prod = await runCli(['channels', 'add', 'msteams', '--tenant', 'cli-teams', '--anonymous', '--api-url', 'http://127.0.0.1:3978'], env({ NODE_ENV: 'production', CLOSER_SECRET_KEY: 'a'.repeat(64) }));
    expect(prod.code).not.toBe(0);
    expect(prod.stderr).toMatch(/refused when NODE_ENV=production/);

    const missing = await runCli(['channels', 'add', 'msteams', '--tenant', 'cli-teams', '--app-password', 'x'], env());
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/--app-id is the "Microsoft App ID"/);

    const noFlag = await runCli(['channels', 'add', 'msteams', '--tenant', 'cli-teams', '--anonymous', '--api-url', 'http://127.0.0.1:3978'], env());
    expect(noFlag.code).toBe(1);
    expect(noFlag.stderr).toMatch(/MSTEAMS_ALLOW_ANONYMOUS=on/);
    const added = await runCli(['channels', 'add', 'msteams', '--tenant', 'cli-teams', '--anonymous', '--api-url', 'http://127.0.0.1:3978'], env({ MSTEAMS_ALLOW_ANONYMOUS: 'on' }));
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toMatch(/ANONYMOUS mode/);
    const listed = await runCli(['channels', 'list', '--tenant', 'cli-teams'], env());
    expect(listed.stdout).toMatch(/msteams {2}Teams bot \(anonymous\) {2}\(active, no secrets; anonymous mode: unauthenticated, local testing only\)/);
  });
});
