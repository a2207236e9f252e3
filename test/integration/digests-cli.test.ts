import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEmbeddedDatabase, type Database } from '../../src/db/database.ts';
import { runCli } from '../helpers/cli.ts';
import { createTenant, insertLeads } from '../helpers/tenant.ts';

/** `closer digest` and `closer anomalies` as a user runs them, on an embedded database of their own. */
let home: string;
let tenantId: string;
const env = () => ({ CLOSER_HOME: home, LOG_LEVEL: 'error' });
const REP = 'ann@cli-dg.example';
const IDLE = 'ben@cli-dg.example';

async function withDb<T>(fn: (db: Database) => Promise<T>): Promise<T> {
  const db = await openEmbeddedDatabase(path.join(home, 'pgdata'));
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

beforeAll(async () => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'closer-digest-cli-'));
  const migrated = await runCli(['migrate'], env());
  expect(migrated.code, migrated.stderr).toBe(0);
  await withDb(async (db) => {
    const { tenant, staff } = await createTenant(db, 'cli-dg', {
      timezone: 'Asia/Bangkok',
      staff: [
        { email: REP, name: 'Ann Rep', role: 'rep', locale: 'en', timezone: 'Asia/Bangkok' },
        { email: IDLE, name: 'Ben Idle', role: 'rep', locale: 'en', timezone: 'Asia/Bangkok' },
        { email: 'boss@cli-dg.example', name: 'Boss', role: 'manager', locale: 'en', timezone: 'Asia/Bangkok' },
      ],
    });
    tenantId = tenant.id;
    await insertLeads(db, tenant.id, '2026-11-20', '+07:00', 'telegram', 1, { ownerId: staff[REP], grade: 'A' });
    // The LINE drop of scenario 10: LINE about 10 a day, then 5 a day from the 17th; Telegram steady.
    for (let n = 0; n < 35; n++) {
      const day = DateTime.fromISO('2026-11-22').minus({ days: n }).toISODate()!;
      await insertLeads(db, tenant.id, day, '+07:00', 'line', n <= 5 ? 5 : 10 + ((n % 3) - 1));
      await insertLeads(db, tenant.id, day, '+07:00', 'telegram', 20 + ((n % 5) - 2));
    }
  });
}, 180_000);
afterAll(() => {
  fs.rmSync(home, { recursive: true, force: true });
});

describe('closer digest', () => {
  it('prints the digest, or says there is nothing to say', async () => {
    const r = await runCli(['digest', '--tenant', 'cli-dg', '--as', REP, '--date', '2026-11-23'], env());
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Good morning, Ann');
    expect(r.stdout).toContain('Hot leads: 1 ·');
    const idle = await runCli(['digest', '--tenant', 'cli-dg', '--as', IDLE, '--date', '2026-11-23'], env());
    expect(idle.code, idle.stderr).toBe(0);
    expect(idle.stdout).toMatch(/^Nothing to say for Ben Idle/);
    // Printing writes nothing.
    expect(await withDb(async (db) => (await db.pool.query('SELECT count(*)::int AS n FROM digests')).rows[0].n)).toBe(0);
  });

  it('--send queues it through the real path, once', async () => {
    const sent = await runCli(['digest', '--tenant', 'cli-dg', '--as', REP, '--date', '2026-11-23', '--send'], env());
    expect(sent.code, sent.stderr).toBe(0);
    const id = /queued as message ([0-9a-f-]{36})/.exec(sent.stdout)?.[1];
    expect(id, sent.stdout).toBeDefined();
    const again = await runCli(['digest', '--tenant', 'cli-dg', '--as', REP, '--date', '2026-11-23', '--send'], env());
    expect(again.stdout).toContain('already handled (status sent)');
    const rows = await withDb(async (db) => ({
      digests: (await db.pool.query(`SELECT status, message_id FROM digests WHERE tenant_id = $1`, [tenantId])).rows,
      message: (await db.pool.query(`SELECT status, direction, text FROM messages WHERE id = $1`, [id])).rows[0],
    }));
    expect(rows.digests).toEqual([{ status: 'sent', message_id: id }]);
    expect(rows.message).toMatchObject({ status: 'pending', direction: 'out' });
    expect(rows.message.text).toContain('Good morning, Ann');
  });

  it('refuses people who get no digest, with a clear message', async () => {
    const r = await runCli(['digest', '--tenant', 'cli-dg', '--as', 'nobody@cli-dg.example'], env());
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('No staff user with email nobody@cli-dg.example');
    const bad = await runCli(['digest', '--tenant', 'cli-dg', '--as', REP, '--date', '2026-02-30'], env());
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('use a date like');
  });
});

describe('closer anomalies', () => {
  it('prints what it found and why the rest did not fire, without alerting anyone', async () => {
    const r = await runCli(['anomalies', '--tenant', 'cli-dg', '--date', '2026-11-22'], env());
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/ALERT\s+New leads from LINE\s+down -50%: 30 over 6 days since 2026-11-17, expected/);
    expect(r.stdout).toMatch(/normal\s+New leads from Telegram/);
    expect(r.stdout).toMatch(/skipped\s+Reply rate\s+sample too small/);
    const json = await runCli(['anomalies', '--tenant', 'cli-dg', '--date', '2026-11-22', '--json'], env());
    const parsed = JSON.parse(json.stdout) as { results: { metric: string; dimension: string; finding: { status: string; since?: string } }[] };
    expect(parsed.results.find((x) => x.dimension === 'channel=line')?.finding).toMatchObject({ status: 'anomaly', since: '2026-11-17' });
    expect(await withDb(async (db) => (await db.pool.query('SELECT count(*)::int AS n FROM anomalies')).rows[0].n)).toBe(0);
  });
});
