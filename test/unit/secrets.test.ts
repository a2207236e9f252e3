import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveSecretKey, SecretBox } from '../../src/core/secrets.ts';

describe('channel secrets at rest', () => {
  const box = new SecretBox('a'.repeat(64));
  const row = { table: 'channel_accounts', id: '00000000-0000-4000-8000-000000000001', kind: 'telegram' } as const;

  it('round-trips and never stores the plain text', () => {
    const sealed = box.seal({ token: '123456:ABC-secret' }, row);
    expect(sealed).not.toContain('ABC-secret');
    expect(box.open(sealed, row)).toEqual({ token: '123456:ABC-secret' });
  });

  it('detects a wrong key or tampering with a message that says what to do', () => {
    const sealed = box.seal({ token: 't' }, row);
    expect(() => new SecretBox('b'.repeat(64)).open(sealed, row)).toThrow(/CLOSER_SECRET_KEY is not the key/);
    const parts = sealed.split('.');
    parts[3] = Buffer.from('tampered').toString('base64url');
    expect(() => box.open(parts.join('.'), row)).toThrow(/Cannot decrypt/);
  });

  it('opens the first, unbound format (v1) and says it is legacy; new values are v2', () => {
    // A v1 value as the previous version wrote it: AES-256-GCM, no additional data.
    const iv = crypto.randomBytes(12);
    const c = crypto.createCipheriv('aes-256-gcm', Buffer.from('a'.repeat(64), 'hex'), iv);
    const body = Buffer.concat([c.update(JSON.stringify({ token: 'old' }), 'utf8'), c.final()]);
    const v1 = ['v1', iv.toString('base64url'), c.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
    expect(box.openWithFormat(v1, row)).toEqual({ secrets: { token: 'old' }, legacy: true });
    expect(box.seal({ token: 'new' }, row)).toMatch(/^v2\./);
    expect(box.openWithFormat(box.seal({ token: 'new' }, row), row)).toEqual({ secrets: { token: 'new' }, legacy: false });
  });

  it('generates a key once on embedded defaults, and requires one with a server database', () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'closer-key-'));
    const k1 = resolveSecretKey({ keyHex: undefined, home, embedded: true });
    expect(k1).toMatch(/^[0-9a-f]{64}$/);
    expect(resolveSecretKey({ keyHex: undefined, home, embedded: true })).toBe(k1);
    expect(fs.statSync(path.join(home, 'secret.key')).mode & 0o777).toBe(0o600);
    expect(() => resolveSecretKey({ keyHex: undefined, home, embedded: false })).toThrow(/CLOSER_SECRET_KEY is required/);
  });
});
