import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';

function home(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'closer-err-'));
}

/** A stack trace line, which a user must never see for a configuration mistake. */
const STACK = /\n\s+at .+:\d+:\d+/;

describe('start-up errors say what to fix, without a stack trace', () => {
  it('an unreachable DATABASE_URL', async () => {
    const r = await runCli(['migrate'], { DATABASE_URL: 'postgres://closer:pw@127.0.0.1:1/closer', CLOSER_HOME: home() });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Cannot connect to the database in DATABASE_URL \(postgres:\/\/closer:\*\*\*@127\.0\.0\.1:1\/closer\)/);
    expect(r.stderr).not.toMatch(/pw@/);
    expect(r.stderr).not.toMatch(STACK);
  });

  it('a malformed DATABASE_URL', async () => {
    const r = await runCli(['migrate'], { DATABASE_URL: 'mysql://x', CLOSER_HOME: home() });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/DATABASE_URL: must be a postgres:\/\/ URL \(example: DATABASE_URL=postgres:\/\//);
    expect(r.stderr).not.toMatch(STACK);
  });

  it('a malformed number', async () => {
    const r = await runCli(['start'], { PORT: 'eighty', CLOSER_HOME: home() });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/PORT: .*\(example: PORT=3000\)/);
  });

  it('an unreachable REDIS_URL', async () => {
    const r = await runCli(['start'], { REDIS_URL: 'redis://127.0.0.1:1', CLOSER_HOME: home(), PORT: '0', DEMO_SEED: 'off', LOG_LEVEL: 'silent' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Cannot reach Redis at 127\.0\.0\.1:1/);
    expect(r.stderr).toMatch(/REDIS_URL/);
    expect(r.stderr).not.toMatch(STACK);
  });

  it('no redis-server to start and no REDIS_URL', async () => {
    const r = await runCli(['start'], { REDIS_SERVER_BIN: '/nonexistent/redis-server', CLOSER_HOME: home(), PORT: '0', DEMO_SEED: 'off', LOG_LEVEL: 'silent' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/No redis-server found at \/nonexistent\/redis-server/);
    expect(r.stderr).toMatch(/apt-get install redis-server/);
    expect(r.stderr).not.toMatch(STACK);
  });
});
