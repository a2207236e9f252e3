import fs from 'node:fs';
import { inject } from 'vitest';
import { openEmbeddedDatabase, openServerDatabase, type Database } from '../../src/db/database.ts';
import { createLogger } from '../../src/log.ts';
import { withDatabaseName } from './global-setup.ts';

/**
 * A private database for one test file: a clone of the prepared embedded
 * image, or, in the `server` project (TEST_DATABASE_URL), a fresh database
 * copied from the prepared template on that server and dropped on close.
 */
export async function createTestDatabase(opts: { seeded: boolean }): Promise<Database> {
  if (process.env.CLOSER_TEST_BACKEND === 'server') return createServerTestDatabase(opts.seeded);
  const dump = inject(opts.seeded ? 'seededDump' : 'migratedDump');
  return openEmbeddedDatabase('memory://', { loadDataDir: new Blob([fs.readFileSync(dump)]) });
}

/** Which backend this test file runs on (the two projects of vitest.config.ts). */
export const testBackend = (): 'embedded' | 'server' => (process.env.CLOSER_TEST_BACKEND === 'server' ? 'server' : 'embedded');

async function createServerTestDatabase(seeded: boolean): Promise<Database> {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('the server test project needs TEST_DATABASE_URL');
  const template = inject(seeded ? 'seededTemplate' : 'migratedTemplate');
  const log = createLogger('warn');
  const admin = await openServerDatabase(url, log, 1);
  const name = `closer_test_${Math.random().toString(36).slice(2, 10)}`;
  // Two files copying one template at the same instant can collide ("source database is being accessed"): try again.
  for (let attempt = 0; ; attempt++) {
    try {
      await admin.pool.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
      break;
    } catch (err) {
      if (attempt >= 20 || !/being accessed by other users/.test((err as Error).message)) throw err;
      await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
    }
  }
  const db = await openServerDatabase(withDatabaseName(url, name), log, 5);
  return {
    ...db,
    async close() {
      await db.close();
      await admin.pool.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.close();
    },
  };
}
