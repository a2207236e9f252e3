import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openEmbeddedDatabase, type Database } from '../../src/db/database.ts';
import { migrate, MIGRATIONS_DIR } from '../../src/db/migrate.ts';

let db: Database | undefined;
afterEach(async () => {
  await db?.close();
  db = undefined;
});

describe('migrations', () => {
  it('apply on an empty database, and a second run is a no-op', async () => {
    db = await openEmbeddedDatabase('memory://');
    const first = await migrate(db);
    const all = fs.readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith('.sql')).sort();
    expect(first.applied).toEqual(all);
    const tables = await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public'`);
    const second = await migrate(db);
    expect(second.applied).toEqual([]);
    expect(second.skipped).toEqual(all);
    const after = await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public'`);
    expect(after.rows[0]!.n).toBe(tables.rows[0]!.n);
  });

  it('refuses to run when an applied migration was edited', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'closer-mig-'));
    fs.writeFileSync(path.join(dir, '0001_one.sql'), 'CREATE TABLE one (id int);');
    db = await openEmbeddedDatabase('memory://');
    await migrate(db, dir);
    fs.writeFileSync(path.join(dir, '0001_one.sql'), 'CREATE TABLE one (id bigint);');
    await expect(migrate(db, dir)).rejects.toThrow(/append-only/);
  });

  it('rolls back a failing migration and names it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'closer-mig-'));
    fs.writeFileSync(path.join(dir, '0001_bad.sql'), 'CREATE TABLE two (id int); SELECT nope FROM nowhere;');
    db = await openEmbeddedDatabase('memory://');
    await expect(migrate(db, dir)).rejects.toThrow(/Migration 0001_bad\.sql failed/);
    const { rows } = await db.pool.query(`SELECT 1 FROM information_schema.tables WHERE table_name = 'two'`);
    expect(rows).toEqual([]);
  });
});
