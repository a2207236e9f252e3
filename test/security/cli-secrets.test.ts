import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEmbeddedDatabase } from '../../src/db/database.ts';
import { resolveSecretKey, SecretBox } from '../../src/core/secrets.ts';
import { runCli } from '../helpers/cli.ts';
import { FakeTelegram } from '../fakes/telegram.ts';

/**
 * Low item "secrets accepted from the environment or standard input, not
 * only argv": a token on the command line can be read by every local user
 * (`ps`, /proc/<pid>/cmdline) and stays in shell history. Every command that
 * takes a secret accepts it from standard input (`--x-stdin`) or a
 * `CLOSER_…` variable, stores exactly that value, and still accepts the old
 * flag with a warning.
 */
let home: string;
let fake: FakeTelegram;
const env = (extra: Record<string, string> = {}) => ({ CLOSER_HOME: home, PUBLIC_URL: 'https://closer.example.test', LOG_LEVEL: 'error', ...extra });

/** The secrets stored for an account, opened with the key the CLI generated. */
async function storedSecrets(channel: string, externalId: string): Promise<Record<string, string>> {
  const db = await openEmbeddedDatabase(path.join(home, 'pgdata'));
  try {
    const row = (await db.pool.query<{ id: string; secrets_enc: string }>('SELECT id, secrets_enc FROM channel_accounts WHERE channel = $1 AND external_id = $2', [channel, externalId])).rows[0]!;
    const box = new SecretBox(resolveSecretKey({ keyHex: undefined, home, embedded: true }));
    return box.open(row.secrets_enc, { table: 'channel_accounts', id: row.id, kind: channel });
  } finally {
    await db.close();
  }
}

beforeAll(async () => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'closer-cli-secrets-'));
  fake = await new FakeTelegram().start();
  const migrated = await runCli(['migrate'], env());
  expect(migrated.code, migrated.stderr).toBe(0);
  const db = await openEmbeddedDatabase(path.join(home, 'pgdata'));
  await db.pool.query(`INSERT INTO tenants (slug, name, vertical, default_locale, locales, currency, timezone) VALUES ('cli-secrets', 'CLI Secrets', 'clinic', 'en', '{en}', 'THB', 'Asia/Bangkok')`);
  await db.close();
}, 120_000);
afterAll(async () => {
  await fake?.close();
  fs.rmSync(home, { recursive: true, force: true });
});

describe('CLI secrets stay off the command line', () => {
  it('Telegram: token and webhook secret from standard input, one line each; nothing in argv, no warning', async () => {
    const args = ['channels', 'add', 'telegram', '--tenant', 'cli-secrets', '--token-stdin', '--secret-token-stdin', '--api-root', fake.url];
    const added = await runCli(args, env(), 120_000, `${fake.token}\nstdin-webhook-secret\n`);
    expect(added.code, added.stderr).toBe(0);
    expect(args.join(' ')).not.toContain(fake.token.split(':')[1]!);
    // Telegram was asked with the token read from stdin, and that is what is stored.
    expect(fake.calls.map((c) => c.method)).toContain('getMe');
    expect(added.stderr).not.toContain('Warning');
    expect(added.stdout).not.toContain(fake.token);
    expect(await storedSecrets('telegram', fake.botId)).toEqual({ token: fake.token, secretToken: 'stdin-webhook-secret' });
  }, 180_000);

  it('LINE: secrets from CLOSER_ variables', async () => {
    const added = await runCli(['channels', 'add', 'line', '--tenant', 'cli-secrets', '--channel-id', '2000000099'], env({ CLOSER_LINE_CHANNEL_SECRET: 'e'.repeat(32), CLOSER_LINE_ACCESS_TOKEN: 'line-access-token-from-env-0123' }));
    expect(added.code, added.stderr).toBe(0);
    expect(added.stderr).not.toContain('Warning');
    expect(await storedSecrets('line', '2000000099')).toEqual({ channelSecret: 'e'.repeat(32), accessToken: 'line-access-token-from-env-0123' });
  }, 180_000);

  it('Slack: the old value flag still works, with a warning that names the safer ways', async () => {
    const added = await runCli(['slack', 'add', '--tenant', 'cli-secrets', '--bot-token-stdin', '--signing-secret', 'argv-signing-secret', '--team-id', 'TCLISECRET'], env(), 120_000, 'xoxb-from-stdin\n');
    expect(added.code, added.stderr).toBe(0);
    expect(added.stderr).toContain('Warning: --signing-secret on the command line is visible to other users of this machine');
    expect(added.stderr).toContain('--signing-secret-stdin or CLOSER_SLACK_SIGNING_SECRET');
    expect(added.stderr).not.toContain('--bot-token on the command line');
    expect(await storedSecrets('slack', 'TCLISECRET')).toEqual({ bot_token: 'xoxb-from-stdin', signing_secret: 'argv-signing-secret' });
  }, 180_000);

  it('says what is missing: too few lines on standard input, no token at all, a flag given twice', async () => {
    const short = await runCli(['channels', 'add', 'telegram', '--tenant', 'cli-secrets', '--token-stdin', '--secret-token-stdin', '--offline'], env(), 60_000, `${fake.token}\n`);
    expect(short.code).not.toBe(0);
    expect(short.stderr).toContain('Expected 2 line(s) on standard input, one for each of --token-stdin, --secret-token-stdin in that order; got 1.');
    const none = await runCli(['channels', 'add', 'telegram', '--tenant', 'cli-secrets', '--offline'], env());
    expect(none.code).not.toBe(0);
    expect(none.stderr).toContain('The bot token is required: --token-stdin, CLOSER_TELEGRAM_TOKEN or --token.');
    const twice = await runCli(['channels', 'add', 'msteams', '--tenant', 'cli-secrets', '--app-id', '00000000-0000-4000-8000-000000000001', '--app-password', 'x', '--app-password-stdin', '--offline'], env(), 60_000, 'y\n');
    expect(twice.code).not.toBe(0);
    expect(twice.stderr).toContain('Give --app-password once');
  }, 180_000);
});
