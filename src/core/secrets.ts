import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, SecretBindingError } from '../errors.ts';

/**
 * The row a sealed secret belongs to. Its table, id and kind (for channel
 * accounts: the channel) are bound into the ciphertext as AES-GCM additional
 * data, so someone who can write the database but does not hold the key
 * cannot move one account's token onto another row (for example copy a
 * tenant's Slack bot token onto their own account, or a Telegram token onto
 * a LINE row) and have it decrypt there.
 */
export interface SecretBinding {
  table: 'channel_accounts';
  id: string;
  kind: string;
}

/** What `open` found: the secrets, and whether they are in the old unbound format and should be sealed again. */
export interface OpenedSecrets {
  secrets: Record<string, string>;
  legacy: boolean;
}

const aad = (b: SecretBinding) => Buffer.from(`closer-secret\n${b.table}\n${b.id}\n${b.kind}`, 'utf8');

/**
 * Channel secrets (bot tokens, signing secrets) are stored encrypted with
 * AES-256-GCM under CLOSER_SECRET_KEY. Stored forms, base64url parts:
 * - `v2.<iv>.<tag>.<ciphertext>`: bound to its row (table, id, kind) as additional data;
 * - `v1.<iv>.<tag>.<ciphertext>`: the first format, bound to nothing. Still
 *   opened (`legacy: true`) so an upgrade loses nothing; `resealLegacySecrets`
 *   rewrites them as v2 when the app starts.
 */
export class SecretBox {
  private readonly key: Buffer;

  constructor(keyHex: string) {
    if (!/^[0-9a-fA-F]{64}$/.test(keyHex)) throw new ConfigError('CLOSER_SECRET_KEY must be 64 hex characters (example: the output of `openssl rand -hex 32`).');
    this.key = Buffer.from(keyHex, 'hex');
  }

  seal(secrets: Record<string, string>, binding: SecretBinding): string {
    const iv = crypto.randomBytes(12);
    const cipher = crypto.createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(aad(binding));
    const body = Buffer.concat([cipher.update(JSON.stringify(secrets), 'utf8'), cipher.final()]);
    return ['v2', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
  }

  /** Opens a sealed value of the row `binding` names; see `openWithFormat` for the format it was in. */
  open(sealed: string, binding: SecretBinding): Record<string, string> {
    return this.openWithFormat(sealed, binding).secrets;
  }

  openWithFormat(sealed: string, binding: SecretBinding): OpenedSecrets {
    const [v, iv, tag, body, extra] = sealed.split('.');
    if ((v !== 'v1' && v !== 'v2') || !iv || !tag || !body || extra !== undefined) throw new ConfigError('A stored channel secret is not in a format this version understands.');
    const decrypt = (withAad: boolean): Record<string, string> => {
      const decipher = crypto.createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
      if (withAad) decipher.setAAD(aad(binding));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      const plain = Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
      return JSON.parse(plain) as Record<string, string>;
    };
    if (v === 'v1') {
      try {
        return { secrets: decrypt(false), legacy: true };
      } catch {
        throw new ConfigError('Cannot decrypt a stored channel secret: CLOSER_SECRET_KEY is not the key it was stored with. Restore the old key or re-add the channel account.');
      }
    }
    try {
      return { secrets: decrypt(true), legacy: false };
    } catch {
      // A moved value and a wrong key both fail authentication and cannot be told
      // apart here, so the message names both causes, the moved value first.
      throw new SecretBindingError(
        `Cannot decrypt the stored secrets of ${binding.table} row ${binding.id} (${binding.kind}): they were sealed for another row or kind (copied from elsewhere), or CLOSER_SECRET_KEY is not the key they were stored with. Re-add the account (closer channels add … / closer slack add) to store its secrets again, or restore the old key.`,
        { table: binding.table, id: binding.id, kind: binding.kind },
      );
    }
  }
}

/**
 * The key from the environment; on embedded defaults (no DATABASE_URL) one
 * is generated once into `<home>/secret.key` (mode 600) so a fresh machine
 * just works. A server deployment must set CLOSER_SECRET_KEY explicitly:
 * losing the key means re-entering every channel secret.
 */
export function resolveSecretKey(opts: { keyHex: string | undefined; home: string; embedded: boolean }): string {
  if (opts.keyHex) return opts.keyHex;
  if (!opts.embedded) {
    throw new ConfigError('CLOSER_SECRET_KEY is required when DATABASE_URL is set: it encrypts channel secrets at rest. Example: CLOSER_SECRET_KEY=$(openssl rand -hex 32)');
  }
  const file = path.join(opts.home, 'secret.key');
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  fs.mkdirSync(opts.home, { recursive: true });
  const key = crypto.randomBytes(32).toString('hex');
  fs.writeFileSync(file, key + '\n', { mode: 0o600 });
  return key;
}
