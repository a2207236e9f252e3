import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { DatabaseError } from '../errors.ts';
import type { Logger } from '../log.ts';

/**
 * One database access path for the embedded database and a server: both are
 * a `pg.Pool`. PGlite is a single session, so its pool has exactly one
 * connection; code must never query the pool while holding a client of it
 * (withTenant/withSystem hand you the client to use).
 */
export interface Database {
  pool: pg.Pool;
  kind: 'embedded' | 'server';
  close(): Promise<void>;
}

export type Sql = Pick<pg.PoolClient, 'query'>;

// int8 (count(*), bigint ids) as number where it is safe: our counts never
// reach 2^53. numeric stays a string; callers convert amounts explicitly.
pg.types.setTypeParser(20, (v: string) => Number(v));

/** Connects to a PostgreSQL server and checks it answers. */
export async function openServerDatabase(url: string, log: Logger, max = 10): Promise<Database> {
  // JIT off: our queries are short index reads, where compiling costs more than it
  // saves (it added tens of ms to the p95 of the hot list and BI at 100,000 leads).
  const pool = new pg.Pool({ connectionString: url, max, connectionTimeoutMillis: 5_000, options: '-c jit=off' });
  pool.on('error', (err) => log.warn({ err: err.message }, 'idle database connection failed'));
  try {
    await pool.query('SELECT 1');
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw new DatabaseError(
      `Cannot connect to the database in DATABASE_URL (${redactUrl(url)}): ${(err as Error).message}. ` +
        'Check the host, port, user and password, that the server is running, and that the database exists ' +
        '(or unset DATABASE_URL to use the embedded database).',
    );
  }
  return { pool, kind: 'server', close: () => pool.end() };
}

/**
 * Opens (or creates) the embedded PGlite database in `dir`, with pgvector and
 * pg_trgm. Pass `dir = 'memory://'` for a throwaway in-memory database, or
 * `loadDataDir` to start from a dump (tests clone a migrated database that way).
 */
export async function openEmbeddedDatabase(dir: string, opts: { loadDataDir?: Blob } = {}): Promise<Database & { pglite: import('@electric-sql/pglite').PGlite }> {
  const [{ PGlite }, { vector }, { pg_trgm }, { createPgConfig }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('@electric-sql/pglite-pgvector'),
    import('@electric-sql/pglite/contrib/pg_trgm'),
    import('@electric-sql/pglite/node-postgres'),
  ]);
  if (dir !== 'memory://') fs.mkdirSync(path.dirname(dir), { recursive: true });
  let pglite;
  try {
    pglite = await PGlite.create(dir === 'memory://' ? undefined : dir, {
      extensions: { vector, pg_trgm },
      ...(opts.loadDataDir ? { loadDataDir: opts.loadDataDir } : {}),
    });
  } catch (err) {
    throw new DatabaseError(
      `Cannot open the embedded database in ${dir}: ${(err as Error).message}. ` +
        'If another Closer process is using it, stop that process; if the folder is damaged, move it aside to start fresh.',
    );
  }
  const pool = new pg.Pool({ ...(createPgConfig(pglite) as unknown as pg.PoolConfig), max: 1 });
  return {
    pool,
    pglite,
    kind: 'embedded',
    async close() {
      await pool.end();
      await pglite.close();
    },
  };
}

export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<unparseable URL>';
  }
}
