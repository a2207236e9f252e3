import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { openEmbeddedDatabase } from '../../src/db/database.ts';
import { migrate } from '../../src/db/migrate.ts';
import { seedDemo } from '../../src/db/seed/index.ts';
import { TEST_ANCHOR } from './anchor.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    migratedDump: string;
    seededDump: string;
  }
}

/**
 * Builds two database images once per run (migrated; migrated + demo seed)
 * and hands their paths to the test files, which each clone one in well under
 * a second instead of migrating and seeding from scratch.
 */
export default async function setup(project: TestProject): Promise<() => void> {
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
  return () => fs.rmSync(dir, { recursive: true, force: true });
}
