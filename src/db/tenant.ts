import type pg from 'pg';
import type { Database, Sql } from './database.ts';

/**
 * Runs `fn` in a transaction under the non-superuser application role with
 * the tenant set, so row-level security decides what it can see. This is the
 * only way tenant data is read or written by request-handling code.
 *
 * @example
 *   const leads = await withTenant(db, tenantId, (sql) => sql.query('SELECT * FROM leads'));
 */
export async function withTenant<T>(db: Database, tenantId: string, fn: (sql: Sql) => Promise<T>): Promise<T> {
  return transaction(db, async (client) => {
    // SET LOCAL ROLE and the tenant in one round trip (set_config('role', …, true) is SET LOCAL ROLE): every
    // webhook and job pays this, so it is one query, not two.
    await client.query("SELECT set_config('role', 'closer_app', true), set_config('app.tenant_id', $1, true)", [tenantId]);
    return fn(client);
  });
}

/**
 * Runs `fn` in a transaction as the connecting user, without a tenant: for
 * work that must cross tenants by design (routing a webhook to its tenant,
 * the reconciler, migrations, seeding). Keep its uses few and obvious.
 */
export async function withSystem<T>(db: Database, fn: (sql: Sql) => Promise<T>): Promise<T> {
  return transaction(db, fn);
}

async function transaction<T>(db: Database, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await db.pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    // A connection whose ROLLBACK failed may still hold the transaction (and SET LOCAL ROLE / the tenant):
    // release(err) destroys it instead of handing it to the next caller.
    await client.query('ROLLBACK').catch((rollbackErr: unknown) => {
      broken = rollbackErr instanceof Error ? rollbackErr : new Error(String(rollbackErr));
    });
    throw err;
  } finally {
    client.release(broken);
  }
}
