import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DatabaseError } from '../errors.ts';
import type { Database } from './database.ts';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../db/migrations/', import.meta.url));

export interface MigrationResult {
  applied: string[];
  skipped: string[];
}

/**
 * Applies the numbered SQL files in db/migrations that the ledger has not
 * seen, each in its own transaction. A file whose checksum changed after it
 * was applied stops the run: migrations are append-only.
 */
export async function migrate(db: Database, dir = MIGRATIONS_DIR): Promise<MigrationResult> {
  const files = fs
    .readdirSync(dir)
    .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
    .sort();
  const client = await db.pool.connect();
  const result: MigrationResult = { applied: [], skipped: [] };
  try {
    // Only when missing: a login role that is only a member of closer_app (production) may not create tables,
    // even with IF NOT EXISTS, but may read the ledger and start when nothing is pending.
    const ledger = (await client.query<{ t: string | null }>(`SELECT to_regclass('closer_migrations')::text AS t`)).rows[0]!.t;
    if (!ledger) {
      await client.query(`CREATE TABLE IF NOT EXISTS closer_migrations (
      name text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    }
    // Two processes starting at once against one server: the lock makes the second wait.
    await client.query('SELECT pg_advisory_lock(727274)');
    const done = new Map<string, string>(
      (await client.query<{ name: string; checksum: string }>('SELECT name, checksum FROM closer_migrations')).rows.map((r) => [r.name, r.checksum]),
    );
    for (const file of files) {
      const sql = fs.readFileSync(path.join(dir, file), 'utf8');
      const checksum = crypto.createHash('sha256').update(sql).digest('hex');
      const seen = done.get(file);
      if (seen !== undefined) {
        if (seen !== checksum) {
          throw new DatabaseError(
            `Migration ${file} was changed after it was applied. Migrations are append-only: restore the file and put the change in a new numbered migration.`,
          );
        }
        result.skipped.push(file);
        continue;
      }
      try {
        await client.query('BEGIN');
        await client.query(sql);
        await client.query('INSERT INTO closer_migrations (name, checksum) VALUES ($1, $2)', [file, checksum]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        const msg = (err as Error).message;
        const hint = /extension "vector"|vector\.control/.test(msg)
          ? ' The server has no pgvector: use a PostgreSQL image with pgvector (e.g. pgvector/pgvector:pg16) or install the extension.'
          : /permission denied|must be owner/.test(msg)
            ? ' The connecting role may not change the schema (a login role that is only a member of closer_app, as production should use): run `closer migrate` once with the owner\'s DATABASE_URL (the Kubernetes migration Job, or `docker compose run --rm migrate`), then start the app again.'
            : '';
        throw new DatabaseError(`Migration ${file} failed: ${msg}.${hint}`);
      }
      result.applied.push(file);
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock(727274)').catch(() => undefined);
    client.release();
  }
  return result;
}
