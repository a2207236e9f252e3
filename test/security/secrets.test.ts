import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccountDirectory, upsertAccount } from '../../src/bots/accounts.ts';
import { withSystem, withTenant } from '../../src/db/tenant.ts';
import { SecretBindingError } from '../../src/errors.ts';
import type { Database } from '../../src/db/database.ts';
import { createTestDatabase } from '../helpers/db.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

/**
 * Low item "AES-GCM with the row's id and kind as additional data": someone
 * who can write the database but does not hold CLOSER_SECRET_KEY copies one
 * account's sealed token onto another row (their own account, or the same
 * row under another channel). It must not decrypt there. Values stored by
 * the previous version (v1, unbound) keep working and are sealed again,
 * bound, when the app starts.
 */
const KEY = '0'.repeat(64);
let db: Database;
let app: TestApp;
let clinic: string;
let realty: string;
let legacyId: string;

/** A value exactly as the previous version sealed it: AES-256-GCM without additional data. */
function sealV1(secrets: Record<string, string>): string {
  const iv = crypto.randomBytes(12);
  const c = crypto.createCipheriv('aes-256-gcm', Buffer.from(KEY, 'hex'), iv);
  const body = Buffer.concat([c.update(JSON.stringify(secrets), 'utf8'), c.final()]);
  return ['v1', iv.toString('base64url'), c.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
}

const sealedOf = (id: string) => withSystem(db, async (sql) => (await sql.query<{ secrets_enc: string }>('SELECT secrets_enc FROM channel_accounts WHERE id = $1', [id])).rows[0]!.secrets_enc);

beforeAll(async () => {
  db = await createTestDatabase({ seeded: true });
  [clinic, realty] = await withSystem(db, async (sql) => {
    const ids = (await sql.query<{ slug: string; id: string }>(`SELECT slug, id FROM tenants WHERE slug IN ('demo-clinic', 'demo-realty') ORDER BY slug`)).rows;
    return [ids[0]!.id, ids[1]!.id];
  });
  // An account stored by the previous version, before the app (and its startup) runs.
  legacyId = await withTenant(db, clinic, async (sql) =>
    (
      await sql.query<{ id: string }>(`INSERT INTO channel_accounts (tenant_id, channel, name, external_id, secrets_enc, status) VALUES ($1, 'telegram', 'old bot', '700001', $2, 'active') RETURNING id`, [
        clinic,
        sealV1({ token: '700001:legacy-token', secretToken: 'legacy-secret' }),
      ])
    ).rows[0]!.id,
  );
  app = await startTestApp({ workers: false, db, env: { CLOSER_SECRET_KEY: KEY } });
}, 120_000);
afterAll(async () => {
  await app?.close();
  await db?.close();
});

describe('channel secrets are bound to their row (attack: copy a ciphertext elsewhere)', () => {
  it('an old (v1) value still opens and was sealed again, bound, when the app started', async () => {
    expect(await sealedOf(legacyId)).toMatch(/^v2\./);
    const account = await new AccountDirectory(app.db, app.secrets).require(legacyId);
    expect(account.secrets).toEqual({ token: '700001:legacy-token', secretToken: 'legacy-secret' });
  });

  it("another tenant's token copied onto an attacker's own account does not decrypt, with an error that says why", async () => {
    const victim = await withTenant(app.db, clinic, (sql) => upsertAccount(sql, clinic, app.secrets, { channel: 'telegram', name: 'victim', externalId: '700002', secrets: { token: '700002:victim-token', secretToken: 'victim' } }));
    const attacker = await withTenant(app.db, realty, (sql) => upsertAccount(sql, realty, app.secrets, { channel: 'telegram', name: 'attacker', externalId: '700003', secrets: { token: '700003:own-token', secretToken: 'own' } }));
    await withSystem(app.db, (sql) => sql.query('UPDATE channel_accounts SET secrets_enc = (SELECT secrets_enc FROM channel_accounts WHERE id = $1) WHERE id = $2', [victim, attacker]));
    const directory = new AccountDirectory(app.db, app.secrets);
    const err = await directory.byId(attacker).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SecretBindingError);
    expect((err as Error).message).toMatch(new RegExp(`row ${attacker} \\(telegram\\): they were sealed for another row or kind`));
    expect((err as Error).message).not.toContain('victim-token');
    // The victim's own account still opens.
    expect((await directory.require(victim)).secrets.token).toBe('700002:victim-token');
  });

  it('the same row relabelled as another channel (kind) does not decrypt', async () => {
    const id = await withTenant(app.db, clinic, (sql) => upsertAccount(sql, clinic, app.secrets, { channel: 'telegram', name: 'relabel', externalId: '700004', secrets: { token: '700004:t', secretToken: 's' } }));
    await withSystem(app.db, (sql) => sql.query(`UPDATE channel_accounts SET channel = 'line' WHERE id = $1`, [id]));
    await expect(new AccountDirectory(app.db, app.secrets).byId(id)).rejects.toThrow(/\(line\): they were sealed for another row or kind/);
  });

  it('re-adding an account replaces its secrets, bound to the same row', async () => {
    const a = await withTenant(app.db, clinic, (sql) => upsertAccount(sql, clinic, app.secrets, { channel: 'line', name: 'L', externalId: '1650000001', secrets: { channelSecret: 'a', accessToken: 'first' } }));
    const b = await withTenant(app.db, clinic, (sql) => upsertAccount(sql, clinic, app.secrets, { channel: 'line', name: 'L', externalId: '1650000001', secrets: { channelSecret: 'a', accessToken: 'second' } }));
    expect(b).toBe(a);
    expect((await new AccountDirectory(app.db, app.secrets).require(a)).secrets.accessToken).toBe('second');
  });
});
