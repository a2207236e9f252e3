import type { Database } from './database.ts';

/**
 * Up to how many leads (all tenants together) the embedded PGlite database
 * stays comfortable: one connection, single-threaded WebAssembly, so every
 * request waits for the one before it. Measured in docs/PERFORMANCE.md
 * (hot list, name search, business questions at 10,000 leads on a 2-core
 * machine); past it, a PostgreSQL server (DATABASE_URL) is the better home.
 */
export const EMBEDDED_COMFORTABLE_LEADS = 10_000;

/** A warning for `closer start` when the embedded database holds more leads than it is comfortable with, else undefined. */
export async function embeddedSizeWarning(db: Database): Promise<string | undefined> {
  if (db.kind !== 'embedded') return undefined;
  // As the connecting user (no tenant): the count is across tenants.
  const { rows } = await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM leads`);
  const n = rows[0]?.n ?? 0;
  if (n <= EMBEDDED_COMFORTABLE_LEADS) return undefined;
  return (
    `The embedded database holds ${n.toLocaleString('en-US')} leads; it is comfortable up to about ` +
    `${EMBEDDED_COMFORTABLE_LEADS.toLocaleString('en-US')} (docs/PERFORMANCE.md). For more, use a PostgreSQL server: set DATABASE_URL.`
  );
}
