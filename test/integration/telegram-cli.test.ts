import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEmbeddedDatabase } from '../../src/db/database.ts';
import { runCli } from '../helpers/cli.ts';
import { FakeTelegram } from '../fakes/telegram.ts';

let home: string;
let fake: FakeTelegram;
const env = () => ({ CLOSER_HOME: home, PUBLIC_URL: 'https://closer.example.test', LOG_LEVEL: 'error' });

beforeAll(async () => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'closer-channels-cli-'));
  fake = await new FakeTelegram().start();
  const migrated = await runCli(['migrate'], env());
  expect(migrated.code, migrated.stderr).toBe(0);
  // One bare tenant is all the channel commands need (the demo seed would take far longer).
  const db = await openEmbeddedDatabase(path.join(home, 'pgdata'));
  await db.pool.query(`INSERT INTO tenants (slug, name, vertical, default_locale, locales, currency, timezone) VALUES ('cli-agency', 'CLI Agency', 'realty', 'en', '{en,ar}', 'SAR', 'Asia/Riyadh')`);
  await db.close();
}, 120_000);
afterAll(async () => {
  await fake?.close();
  fs.rmSync(home, { recursive: true, force: true });
});

describe('closer channels', () => {
  it('adds a Telegram bot after checking its token, lists it with its webhook URL and never prints or stores secrets in the clear, and disables it', async () => {
    const bad = await runCli(['channels', 'add', 'telegram', '--tenant', 'cli-agency', '--token', 'nope'], env());
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/not a Telegram bot token/);

    const added = await runCli(['channels', 'add', 'telegram', '--tenant', 'cli-agency', '--token', fake.token, '--api-root', fake.url], env());
    expect(added.code, added.stderr).toBe(0);
    expect(fake.calls.map((c) => c.method)).toContain('getMe');
    const id = /Added telegram account ([0-9a-f-]{36})/.exec(added.stdout)?.[1];
    expect(id).toBeDefined();
    expect(added.stdout).toContain(`Webhook URL: https://closer.example.test/webhooks/telegram/${id}`);
    expect(added.stdout).not.toContain(fake.token);

    const line = await runCli(['channels', 'add', 'line', '--tenant', 'cli-agency', '--channel-secret', 'f'.repeat(32), '--access-token', 'line-access-token-0123456789', '--channel-id', '2000000001'], env());
    expect(line.code, line.stderr).toBe(0);

    const listed = await runCli(['channels', 'list', '--tenant', 'cli-agency', '--json'], env());
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).not.toContain(fake.token);
    expect(listed.stdout).not.toContain('line-access-token');
    const rows = JSON.parse(listed.stdout) as { id: string; channel: string; external_id: string; name: string; status: string; webhook_url: string; has_secrets: boolean }[];
    expect(rows.map((r) => [r.channel, r.external_id, r.status, r.has_secrets])).toEqual([
      ['line', '2000000001', 'active', true],
      ['telegram', fake.botId, 'active', true],
    ]);
    expect(rows.find((r) => r.channel === 'telegram')?.name).toBe('@fake_bot');

    const db = await openEmbeddedDatabase(path.join(home, 'pgdata'));
    const stored = (await db.pool.query<{ secrets_enc: string }>(`SELECT secrets_enc FROM channel_accounts WHERE id = $1`, [id])).rows[0]!.secrets_enc;
    await db.close();
    expect(stored).not.toContain(fake.token.split(':')[1]!);

    const disabled = await runCli(['channels', 'disable', id!], env());
    expect(disabled.code, disabled.stderr).toBe(0);
    const after = JSON.parse((await runCli(['channels', 'list', '--json'], env())).stdout) as { id: string; status: string }[];
    expect(after.find((r) => r.id === id)?.status).toBe('disabled');
    const missing = await runCli(['channels', 'disable', '00000000-0000-0000-0000-000000000000'], env());
    expect(missing.code).not.toBe(0);
  }, 180_000);
});
