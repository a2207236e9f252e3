import { afterAll, beforeAll, expect, it } from 'vitest';
import { openEmbeddedDatabase, type Database } from '../../src/db/database.ts';
import { EMBEDDED_COMFORTABLE_LEADS, embeddedSizeWarning } from '../../src/db/size.ts';

// A bare embedded database with just a leads table: what the warning reads is the lead count.
let db: Database;
beforeAll(async () => {
  db = await openEmbeddedDatabase('memory://');
  await db.pool.query('CREATE TABLE leads (id int)');
});
afterAll(async () => {
  await db.close();
});

it('says nothing up to the comfortable size and warns past it, pointing at DATABASE_URL', async () => {
  await db.pool.query('INSERT INTO leads SELECT generate_series(1, $1::int)', [EMBEDDED_COMFORTABLE_LEADS]);
  expect(await embeddedSizeWarning(db)).toBeUndefined();
  await db.pool.query('INSERT INTO leads VALUES (0)');
  const w = await embeddedSizeWarning(db);
  expect(w).toContain(`${(EMBEDDED_COMFORTABLE_LEADS + 1).toLocaleString('en-US')} leads`);
  expect(w).toContain('DATABASE_URL');
  expect(await embeddedSizeWarning({ ...db, kind: 'server' })).toBeUndefined();
});
