import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.ts';
import { withSystem, withTenant } from '../../src/db/tenant.ts';
import { createTestDatabase } from '../helpers/db.ts';

/**
 * Tenant isolation, proven under the non-superuser app role (a superuser
 * would bypass RLS and make these tests pass for the wrong reason).
 */
let db: Database;
let a: string;
let b: string;
let tables: string[];

beforeAll(async () => {
  db = await createTestDatabase({ seeded: true });
  await withSystem(db, async (sql) => {
    const t = (await sql.query<{ id: string; slug: string }>('SELECT id, slug FROM tenants ORDER BY slug')).rows;
    a = t.find((x) => x.slug === 'demo-clinic')!.id;
    b = t.find((x) => x.slug === 'demo-realty')!.id;
    tables = (
      await sql.query<{ table_name: string }>(
        `SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' AND column_name = 'tenant_id' ORDER BY table_name`,
      )
    ).rows.map((r) => r.table_name);
    // Some tables are empty after the seed; give each tenant a row everywhere so every check has something to leak.
    for (const tenant of [a, b]) {
      const lead = (await sql.query<{ id: string }>('SELECT id FROM leads WHERE tenant_id = $1 LIMIT 1', [tenant])).rows[0]!.id;
      const account = (await sql.query<{ id: string }>(`SELECT id FROM channel_accounts WHERE tenant_id = $1 AND channel = 'local'`, [tenant])).rows[0]!.id;
      const conv = (
        await sql.query<{ id: string }>(
          `INSERT INTO conversations (tenant_id, channel_account_id, channel, external_chat_id, lead_id) VALUES ($1, $2, 'local', $4, $3) RETURNING id`,
          [tenant, account, lead, `rls-${tenant}`],
        )
      ).rows[0]!.id;
      await sql.query(`INSERT INTO messages (tenant_id, conversation_id, channel_account_id, direction, platform_message_id, author, text, status) VALUES ($1, $2, $3, 'in', $4, 'customer', 'hi', 'received')`, [tenant, conv, account, `rls-${tenant}`]);
      await sql.query(`INSERT INTO followup_executions (tenant_id, lead_id, due_at) VALUES ($1, $2, now())`, [tenant, lead]);
      await sql.query(`INSERT INTO alerts (tenant_id, kind, lead_id, dedupe_key) VALUES ($1, 'hot_lead', $2, 'rls')`, [tenant, lead]);
      await sql.query(`INSERT INTO audit_log (tenant_id, actor_type, action) VALUES ($1, 'system', 'rls-test')`, [tenant]);
      await sql.query(`INSERT INTO llm_usage (tenant_id, provider, model) VALUES ($1, 'fake', 'fake')`, [tenant]);
      const staff = (await sql.query<{ id: string }>('SELECT id FROM staff_users WHERE tenant_id = $1 LIMIT 1', [tenant])).rows[0]!.id;
      await sql.query(`INSERT INTO handoffs (tenant_id, conversation_id, status, started_at) VALUES ($1, $2, 'resolved', now())`, [tenant, conv]);
      await sql.query(
        `INSERT INTO msteams_conversations (tenant_id, channel_account_id, conversation_id, service_url, activity_channel, bot_id, user_id) VALUES ($1, $2, $3, 'https://smba.trafficmanager.net/amer/', 'msteams', '28:bot', '29:user')`,
        [tenant, account, `rls-${tenant}`],
      );
      await sql.query(
        `INSERT INTO scheduled_reports (tenant_id, staff_user_id, number, name, query, locale, cron, timezone) VALUES ($1, $2, 99, 'rls', '{}', 'en', '0 9 * * 1', 'UTC')`,
        [tenant, staff],
      );
      await sql.query(`INSERT INTO digests (tenant_id, staff_user_id, kind, local_date, status, reason) VALUES ($1, $2, 'rep', '2026-01-01', 'skipped', 'rls')`, [tenant, staff]);
      await sql.query(`INSERT INTO anomaly_checks (tenant_id, check_date) VALUES ($1, '2026-01-01')`, [tenant]);
      await sql.query(
        `INSERT INTO anomalies (tenant_id, metric, dimension, direction, since, last_seen, expected, expected_low, expected_high, actual) VALUES ($1, 'leads_created', 'total', 'down', '2026-01-01', '2026-01-01', 1, 0, 2, 0)`,
        [tenant],
      );
      // Vertical tables are used by one demo tenant only; give the other one a row too.
      await sql.query(`INSERT INTO buyer_requests (tenant_id, lead_id, cities) VALUES ($1, $2, '{Riyadh}')`, [tenant, lead]);
      await sql.query(`INSERT INTO catalogue_items (tenant_id, sku, names, category, price, currency) VALUES ($1, 'RLS-1', '{"en":"x"}', 'x', 1, 'THB')`, [tenant]);
      await sql.query(`INSERT INTO listings (tenant_id, ref, titles, city, property_type, price, currency) VALUES ($1, 'RLS-1', '{"en":"x"}', 'Riyadh', 'villa', 1, 'SAR')`, [tenant]);
      await sql.query(`INSERT INTO slack_oauth_states (state_hash, tenant_id, install_options, expires_at) VALUES ($1, $2, '{}', now())`, [`rls-${tenant}`, tenant]);
      await sql.query(`INSERT INTO slack_install_links (link_hash, tenant_id, team_id) VALUES ($1, $2, 'TRLS')`, [`rls-${tenant}`, tenant]);
      await sql.query(`INSERT INTO pending_confirmations (tenant_id, lead_id, tool, args, expires_at) VALUES ($1, $2, 'update_workflow', '{}', now())`, [tenant, lead]);
      // note_chunks is filled by a trigger on notes: a seeded tenant without long notes gets one.
      await sql.query(`INSERT INTO activities (tenant_id, lead_id, kind, body) VALUES ($1, $2, 'note', 'row level security test note for this tenant')`, [tenant, lead]);
    }
  });
});

afterAll(async () => {
  await db.close();
});

describe('row-level security', () => {
  it('covers every table that has a tenant_id, and each has rows for both tenants', async () => {
    expect(tables.length).toBeGreaterThanOrEqual(20);
    await withSystem(db, async (sql) => {
      for (const t of tables) {
        const { rows } = await sql.query<{ n: number }>(`SELECT count(DISTINCT tenant_id)::int AS n FROM ${t}`);
        expect(rows[0]!.n, `${t} should hold rows of both tenants`).toBe(2);
        const rls = await sql.query<{ relrowsecurity: boolean }>(`SELECT relrowsecurity FROM pg_class WHERE relname = $1`, [t]);
        expect(rls.rows[0]!.relrowsecurity, `${t} must have RLS enabled`).toBe(true);
      }
    });
  });

  it('runs tenant work as the non-superuser app role', async () => {
    await withTenant(db, a, async (sql) => {
      const { rows } = await sql.query<{ current_user: string; super: boolean }>(
        `SELECT current_user, (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS super`,
      );
      expect(rows[0]).toEqual({ current_user: 'closer_app', super: false });
    });
  });

  it("never returns another tenant's rows, in any table", async () => {
    for (const t of tables) {
      await withTenant(db, a, async (sql) => {
        const other = await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${t} WHERE tenant_id = $1`, [b]);
        expect(other.rows[0]!.n, `${t} leaked tenant B rows`).toBe(0);
        const own = await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${t}`);
        expect(own.rows[0]!.n, `${t} should show tenant A its own rows`).toBeGreaterThan(0);
      });
    }
  });

  it("never updates or deletes another tenant's rows", async () => {
    for (const t of tables) {
      await withTenant(db, a, async (sql) => {
        const upd = await sql.query(`UPDATE ${t} SET tenant_id = tenant_id WHERE tenant_id = $1`, [b]);
        expect(upd.rowCount, `${t} update reached tenant B`).toBe(0);
        const del = await sql.query(`DELETE FROM ${t} WHERE tenant_id = $1`, [b]);
        expect(del.rowCount, `${t} delete reached tenant B`).toBe(0);
      });
    }
    await withSystem(db, async (sql) => {
      const { rows } = await sql.query<{ n: number }>('SELECT count(*)::int AS n FROM leads WHERE tenant_id = $1', [b]);
      expect(rows[0]!.n).toBeGreaterThan(0);
    });
  });

  it("refuses to write a row into another tenant, or move a row there", async () => {
    await expect(
      withTenant(db, a, (sql) => sql.query(`INSERT INTO audit_log (tenant_id, actor_type, action) VALUES ($1, 'system', 'cross')`, [b])),
    ).rejects.toThrow(/row-level security/);
    await expect(withTenant(db, a, (sql) => sql.query(`UPDATE leads SET tenant_id = $1`, [b]))).rejects.toThrow(/row-level security/);
  });

  it('returns nothing when no tenant is set', async () => {
    const client = await db.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SET LOCAL ROLE closer_app');
      for (const t of [...tables, 'tenants']) {
        const { rows } = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${t}`);
        expect(rows[0]!.n, `${t} visible without a tenant`).toBe(0);
      }
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
  });

  it("keeps the name-dictionary search function (which runs as the table's owner) to the caller's tenant", async () => {
    // A name only tenant b has, searched from tenant a, from b, and with no tenant at all.
    const name = `zq${Math.random().toString(36).slice(2, 8)} rlsname`;
    await withTenant(db, b, (sql) => sql.query(`INSERT INTO leads (tenant_id, first_name, display_name, stage_key) VALUES ($1, 'Zq', $2, 'new')`, [b, name]));
    const termsIn = (tenant: string) => withTenant(db, tenant, async (sql) => (await sql.query<{ term: string }>('SELECT term FROM closer_name_term_matches($1, 50)', [name])).rows.map((r) => r.term));
    expect(await termsIn(b)).toContain(name);
    expect(await termsIn(a)).not.toContain(name);
    const client = await db.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SET LOCAL ROLE closer_app');
      expect((await client.query('SELECT term FROM closer_name_term_matches($1, 50)', [name])).rows).toEqual([]);
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
  });

  it('gives every tenant table the system_access policy, so cross-tenant work runs under a login role that is only a member of closer_app', async () => {
    await withSystem(db, async (sql) => {
      const { rows } = await sql.query<{ tablename: string; policies: string[] }>(
        `SELECT tablename, array_agg(policyname::text ORDER BY policyname) AS policies FROM pg_policies WHERE schemaname = current_schema() GROUP BY tablename ORDER BY tablename`,
      );
      expect(rows.length).toBeGreaterThanOrEqual(tables.length);
      for (const r of rows) expect(r.policies, `${r.tablename} needs both policies (migration 0060)`).toEqual(['system_access', 'tenant_isolation']);
    });
  });

  it("lets only withSystem's marked transaction cross tenants under closer_app (what a production login role gets)", async () => {
    const client = await db.pool.connect();
    try {
      // What withSystem does for a login role that is only a member of closer_app: no tenant, the system mark.
      await client.query('BEGIN');
      await client.query('SET LOCAL ROLE closer_app');
      await client.query("SELECT set_config('app.system', 'on', true)");
      for (const t of [...tables, 'tenants']) {
        const { rows } = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${t}`);
        expect(rows[0]!.n, `${t} not visible to system work`).toBeGreaterThan(0);
      }
      await client.query('COMMIT');
      // The mark ends with its transaction: the next one on the same connection sees nothing again.
      await client.query('BEGIN');
      await client.query('SET LOCAL ROLE closer_app');
      expect((await client.query<{ n: number }>('SELECT count(*)::int AS n FROM leads')).rows[0]!.n).toBe(0);
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
    // A tenant transaction never carries the mark.
    await withTenant(db, a, async (sql) => {
      expect((await sql.query<{ on: boolean }>('SELECT closer_system() AS on')).rows[0]!.on).toBe(false);
    });
  });

  it('shows a tenant only its own tenants row', async () => {
    await withTenant(db, b, async (sql) => {
      const { rows } = await sql.query<{ slug: string }>('SELECT slug FROM tenants');
      expect(rows.map((r) => r.slug)).toEqual(['demo-realty']);
    });
  });
});
