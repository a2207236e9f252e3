import type { Database } from '../db/database.ts';
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';

/**
 * Opens the database for a one-shot command (migrate, seed, import, …): the
 * server in DATABASE_URL, or the embedded one — taking its lock, since the
 * embedded database belongs to one process at a time — migrates it, runs
 * `fn`, and closes everything whatever happens.
 */
export async function withCliDatabase<T>(cfg: Config, log: Logger, fn: (db: Database) => Promise<T>, opts: { migrate?: boolean } = {}): Promise<T> {
  const [{ openEmbeddedDatabase, openServerDatabase }, { migrate }, { acquireLock }] = await Promise.all([
    import('../db/database.ts'),
    import('../db/migrate.ts'),
    import('../lock.ts'),
  ]);
  const lock = cfg.databaseUrl ? undefined : acquireLock(cfg.home);
  try {
    const db = cfg.databaseUrl ? await openServerDatabase(cfg.databaseUrl, log) : await openEmbeddedDatabase(`${cfg.home}/pgdata`);
    try {
      if (opts.migrate ?? true) await migrate(db);
      return await fn(db);
    } finally {
      await db.close();
    }
  } finally {
    lock?.release();
  }
}
