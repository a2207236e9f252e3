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
  if (UUID.test(tenantId)) {
    // BEGIN, SET LOCAL ROLE (set_config('role', …, true) is that) and the tenant in one round trip: every webhook,
    // turn and job pays this. Several statements need the simple protocol, which takes no parameters: the tenant
    // id is inlined, and only ever in the exact UUID shape just checked, so nothing can be injected through it.
    return transaction(db, fn, `BEGIN; SELECT set_config('role', 'closer_app', true), set_config('app.tenant_id', '${tenantId.toLowerCase()}', true)`);
  }
  // Not a UUID: no tenant row can match it, but keep the parameterised form (and whatever error it gives) for it.
  return transaction(db, async (client) => {
    await client.query("SELECT set_config('role', 'closer_app', true), set_config('app.tenant_id', $1, true)", [tenantId]);
    return fn(client);
  });
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Runs `fn` in a transaction as the connecting user, without a tenant: for
 * work that must cross tenants by design (routing a webhook to its tenant,
 * the reconciler, migrations, seeding). Keep its uses few and obvious.
 * It does NOT switch to closer_app: the connecting user's own rights apply.
 */
export async function withSystem<T>(db: Database, fn: (sql: Sql) => Promise<T>): Promise<T> {
  return transaction(db, async (client) => {
    // A login role that is only a member of closer_app (production) is subject to RLS: this marks the
    // transaction as cross-tenant work, which the system_access policy lets through (migration 0060).
    // An owner or superuser bypasses RLS anyway. withTenant never sets it.
    await client.query("SELECT set_config('app.system', 'on', true)");
    return fn(client);
  });
}

async function transaction<T>(db: Database, fn: (client: pg.PoolClient) => Promise<T>, begin = 'BEGIN'): Promise<T> {
  const client = await db.pool.connect();
  let broken: Error | undefined;
  try {
    await client.query(begin);
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
