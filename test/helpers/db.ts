import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
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

/**
 * Environment for running the `closer` CLI against a private copy of the
 * seeded image: in the `embedded` project a CLOSER_HOME holding the embedded
 * database, in the `server` project a fresh database on the server named by
 * DATABASE_URL (CLOSER_HOME still private, for the CLI's other files).
 */
export async function createCliDatabase(prefix: string): Promise<{ env: Record<string, string>; close: () => Promise<void> }> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const env: Record<string, string> = { CLOSER_HOME: home, CLOSER_SECRET_KEY: '0'.repeat(64), LOG_LEVEL: 'warn' };
  let drop = async () => undefined as void;
  if (testBackend() === 'server') {
    const url = process.env.TEST_DATABASE_URL!;
    const name = `closer_test_cli_${Math.random().toString(36).slice(2, 10)}`;
    const admin = await openServerDatabase(url, createLogger('warn'), 1);
    for (let attempt = 0; ; attempt++) {
      try {
        await admin.pool.query(`CREATE DATABASE ${name} TEMPLATE ${inject('seededTemplate')}`);
        break;
      } catch (err) {
        if (attempt >= 20 || !/being accessed by other users/.test((err as Error).message)) throw err;
        await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
      }
    }
    env.DATABASE_URL = withDatabaseName(url, name);
    drop = async () => {
      await admin.pool.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.close();
    };
  } else {
    const db = await openEmbeddedDatabase(path.join(home, 'pgdata'), { loadDataDir: new Blob([fs.readFileSync(inject('seededDump'))]) });
    await db.close();
  }
  return {
    env,
    async close() {
      await drop();
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}
