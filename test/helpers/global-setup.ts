import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { openEmbeddedDatabase, openServerDatabase, type Database } from '../../src/db/database.ts';
import { migrate, MIGRATIONS_DIR } from '../../src/db/migrate.ts';
import { seedDemo } from '../../src/db/seed/index.ts';
import { createLogger } from '../../src/log.ts';
import { TEST_ANCHOR } from './anchor.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    migratedDump: string;
    seededDump: string;
    /** Server project: template databases each test file copies (CREATE DATABASE … TEMPLATE). */
    migratedTemplate: string;
    seededTemplate: string;
  }
}

/**
 * Builds the database images once per run and hands them to the test files,
 * which each clone one in well under a second instead of migrating and
 * seeding from scratch:
 * - embedded project: two PGlite dumps (migrated; migrated + demo seed);
 * - server project: two template databases on TEST_DATABASE_URL's server,
 *   named by a hash of the migrations and the seed, kept between runs.
 */
export default async function setup(project: TestProject): Promise<() => void | Promise<void>> {
  if (project.name === 'server') return setupServer(project);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'closer-test-db-'));
  const db = await openEmbeddedDatabase('memory://');
  await migrate(db);
  const migrated = path.join(dir, 'migrated.tar.gz');
  fs.writeFileSync(migrated, Buffer.from(await (await db.pglite.dumpDataDir('gzip')).arrayBuffer()));
  await seedDemo(db, { anchor: TEST_ANCHOR });
  const seeded = path.join(dir, 'seeded.tar.gz');
  fs.writeFileSync(seeded, Buffer.from(await (await db.pglite.dumpDataDir('gzip')).arrayBuffer()));
  await db.close();
  project.provide('migratedDump', migrated);
  project.provide('seededDump', seeded);
  project.provide('migratedTemplate', '');
  project.provide('seededTemplate', '');
  return () => fs.rmSync(dir, { recursive: true, force: true });
}

function sourceHash(): string {
  const h = crypto.createHash('sha256');
  const seedDir = path.resolve('src/db/seed');
  const files = [
    ...fs.readdirSync(MIGRATIONS_DIR).sort().map((f) => path.join(MIGRATIONS_DIR, f)),
    ...fs.readdirSync(seedDir).sort().map((f) => path.join(seedDir, f)),
    ...fs.readdirSync(path.resolve('db/seeds')).sort().map((f) => path.resolve('db/seeds', f)),
  ];
  for (const f of files) h.update(path.basename(f)).update(fs.readFileSync(f));
  return h.digest('hex').slice(0, 10);
}

export function withDatabaseName(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

async function setupServer(project: TestProject): Promise<() => void> {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('the server test project needs TEST_DATABASE_URL');
  const log = createLogger('warn');
  const admin = await openServerDatabase(url, log, 1);
  const hash = sourceHash();
  const build = async (name: string, fill: (db: Database) => Promise<void>) => {
    const exists = (await admin.pool.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1;
    if (exists) {
      const db = await openServerDatabase(withDatabaseName(url, name), log, 1);
      const ready = await db.pool.query('SELECT 1 FROM closer_test_template').then((r) => r.rowCount === 1, () => false);
      await db.close();
      if (ready) return;
      await admin.pool.query(`DROP DATABASE ${name} WITH (FORCE)`);
    }
    await admin.pool.query(`CREATE DATABASE ${name}`);
    const db = await openServerDatabase(withDatabaseName(url, name), log, 2);
    try {
      await fill(db);
      await db.pool.query('CREATE TABLE closer_test_template (built_at timestamptz DEFAULT now()); INSERT INTO closer_test_template DEFAULT VALUES');
    } finally {
      await db.close();
    }
  };
  // Templates of other sources are dropped once stale (built over a day ago), so they do not fill the disk; a fresh
  // one may belong to another checkout's run on this server (a branch with other migrations) and is left alone.
  for (const { datname } of (await admin.pool.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE 'closer_tpl_%' AND datname NOT LIKE $1`, [`closer_tpl_${hash}_%`])).rows) {
    const other = await openServerDatabase(withDatabaseName(url, datname), log, 1);
    const builtAt = await other.pool
      .query<{ built_at: Date }>('SELECT built_at FROM closer_test_template')
      .then((r) => r.rows[0]?.built_at, () => undefined);
    await other.close();
    if (builtAt && Date.now() - builtAt.getTime() < 24 * 3600_000) continue;
    await admin.pool.query(`DROP DATABASE ${datname} WITH (FORCE)`).catch(() => undefined);
  }
  const migrated = `closer_tpl_${hash}_migrated`;
  const seeded = `closer_tpl_${hash}_seeded`;
  await build(migrated, async (db) => void (await migrate(db)));
  await build(seeded, async (db) => {
    await migrate(db);
    await seedDemo(db, { anchor: TEST_ANCHOR });
  });
  await admin.close();
  project.provide('migratedDump', '');
  project.provide('seededDump', '');
  project.provide('migratedTemplate', migrated);
  project.provide('seededTemplate', seeded);
  return () => undefined;
}
