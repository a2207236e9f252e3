import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../errors.ts';

/**
 * Channel secrets (bot tokens, signing secrets) are stored encrypted with
 * AES-256-GCM under CLOSER_SECRET_KEY. The stored form is
 * `v1.<iv>.<tag>.<ciphertext>` in base64url, so a key rotation can add v2.
 */
export class SecretBox {
  private readonly key: Buffer;

  constructor(keyHex: string) {
    if (!/^[0-9a-fA-F]{64}$/.test(keyHex)) throw new ConfigError('CLOSER_SECRET_KEY must be 64 hex characters (example: the output of `openssl rand -hex 32`).');
    this.key = Buffer.from(keyHex, 'hex');
  }

  seal(secrets: Record<string, string>): string {
    const iv = crypto.randomBytes(12);
    const cipher = crypto.createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(JSON.stringify(secrets), 'utf8'), cipher.final()]);
    return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
  }

  open(sealed: string): Record<string, string> {
    const [v, iv, tag, body] = sealed.split('.');
    if (v !== 'v1' || !iv || !tag || !body) throw new ConfigError('A stored channel secret is not in a format this version understands.');
    try {
      const decipher = crypto.createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      const plain = Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
      return JSON.parse(plain) as Record<string, string>;
    } catch {
      throw new ConfigError('Cannot decrypt a stored channel secret: CLOSER_SECRET_KEY is not the key it was stored with. Restore the old key or re-add the channel account.');
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
