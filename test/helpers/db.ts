import fs from 'node:fs';
import { inject } from 'vitest';
import { openEmbeddedDatabase, openServerDatabase, type Database } from '../../src/db/database.ts';
import { migrate } from '../../src/db/migrate.ts';
import { seedDemo } from '../../src/db/seed/index.ts';
import { createLogger } from '../../src/log.ts';
import { TEST_ANCHOR } from './anchor.ts';

/**
 * A private database for one test file: a clone of the prepared embedded
 * image, or, with TEST_DATABASE_URL set, a fresh database on that server
 * (which must have pgvector).
 */
export async function createTestDatabase(opts: { seeded: boolean }): Promise<Database> {
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (serverUrl) return createServerTestDatabase(serverUrl, opts.seeded);
  const dump = inject(opts.seeded ? 'seededDump' : 'migratedDump');
  return openEmbeddedDatabase('memory://', { loadDataDir: new Blob([fs.readFileSync(dump)]) });
}

async function createServerTestDatabase(url: string, seeded: boolean): Promise<Database> {
  const log = createLogger('warn');
  const admin = await openServerDatabase(url, log, 1);
  const name = `closer_test_${Math.random().toString(36).slice(2, 10)}`;
  await admin.pool.query(`CREATE DATABASE ${name}`);
  const u = new URL(url);
  u.pathname = `/${name}`;
  const db = await openServerDatabase(u.toString(), log, 5);
  await migrate(db);
  if (seeded) await seedDemo(db, { anchor: TEST_ANCHOR });
  return {
    ...db,
    async close() {
      await db.close();
      await admin.pool.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.close();
    },
  };
}
