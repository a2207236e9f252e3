import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveSecretKey, SecretBox } from '../../src/core/secrets.ts';

describe('channel secrets at rest', () => {
  const box = new SecretBox('a'.repeat(64));

  it('round-trips and never stores the plain text', () => {
    const sealed = box.seal({ token: '123456:ABC-secret' });
    expect(sealed).not.toContain('ABC-secret');
    expect(box.open(sealed)).toEqual({ token: '123456:ABC-secret' });
  });

  it('detects a wrong key or tampering with a message that says what to do', () => {
    const sealed = box.seal({ token: 't' });
    expect(() => new SecretBox('b'.repeat(64)).open(sealed)).toThrow(/CLOSER_SECRET_KEY is not the key/);
    const parts = sealed.split('.');
    parts[3] = Buffer.from('tampered').toString('base64url');
    expect(() => box.open(parts.join('.'))).toThrow(/Cannot decrypt/);
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
