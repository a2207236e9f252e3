import type { Database } from '../../src/db/database.ts';
import { withSystem } from '../../src/db/tenant.ts';
import { getTenantById, type Tenant } from '../../src/core/tenants.ts';

export interface StaffSpec {
  email: string;
  name: string;
  role: 'rep' | 'manager' | 'admin';
  locale: string;
  timezone: string;
  working_hours?: Record<string, unknown>;
}

/**
 * A small tenant of its own (not the shared demo seed): two pipeline stages,
 * the given staff, and a local chat per staff member so staff messages have
 * somewhere to land. Returns the tenant and staff ids by email.
 */
export async function createTenant(
  db: Database,
  slug: string,
  opts: { timezone: string; settings?: Record<string, unknown>; staff: StaffSpec[] },
): Promise<{ tenant: Tenant; staff: Record<string, string>; accountId: string }> {
  return withSystem(db, async (sql) => {
    const id = (
      await sql.query<{ id: string }>(
        `INSERT INTO tenants (slug, name, vertical, default_locale, locales, currency, timezone, settings) VALUES ($1, $2, 'clinic', 'en', '{en,th,ar}', 'THB', $3, $4) RETURNING id`,
        [slug, `Test ${slug}`, opts.timezone, JSON.stringify(opts.settings ?? {})],
      )
    ).rows[0]!.id;
    await sql.query(
      `INSERT INTO pipeline_stages (tenant_id, key, names, position, is_won, is_lost) VALUES
       ($1, 'new', '{"en":"New","th":"ใหม่","ar":"جديد"}', 1, false, false),
       ($1, 'won', '{"en":"Won","th":"ปิดได้","ar":"مكسوب"}', 2, true, false),
       ($1, 'lost', '{"en":"Lost","th":"ไม่สำเร็จ","ar":"خسارة"}', 3, false, true)`,
      [id],
    );
    const accountId = (await sql.query<{ id: string }>(`INSERT INTO channel_accounts (tenant_id, channel, name, external_id) VALUES ($1, 'local', 'local', $2) RETURNING id`, [id, `local-${slug}`])).rows[0]!.id;
    const staff: Record<string, string> = {};
    for (const s of opts.staff) {
      const sid = (
        await sql.query<{ id: string }>(
          `INSERT INTO staff_users (tenant_id, email, name, role, locale, timezone, working_hours) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
          [id, s.email, s.name, s.role, s.locale, s.timezone, JSON.stringify(s.working_hours ?? {})],
        )
      ).rows[0]!.id;
      staff[s.email] = sid;
      await sql.query(`INSERT INTO conversations (tenant_id, channel_account_id, channel, external_chat_id, staff_user_id) VALUES ($1, $2, 'local', $3, $4)`, [id, accountId, `chat-${sid}`, sid]);
    }
    return { tenant: await getTenantById(sql, id), staff, accountId };
  });
}

/**
 * `count` leads created on a local day (from 09:00, a minute apart) whose
 * first message came in on `channel` — the BI layer's channel of a lead.
 */
export async function insertLeads(db: Database, tenantId: string, localDate: string, utcOffset: string, channel: string, count: number, extra: { ownerId?: string; grade?: string; stage?: string } = {}): Promise<string[]> {
  if (count <= 0) return [];
  return withSystem(db, async (sql) =>
    (
      await sql.query<{ id: string }>(
        `WITH l AS (
           INSERT INTO leads (tenant_id, first_name, display_name, stage_key, source, owner_id, grade, score, created_at)
           SELECT $1, 'Lead', 'Lead ' || $3 || ' ' || i, $5, $3, $6::uuid, $7::char(1), CASE WHEN $7 = 'A' THEN 90 END, ($2::timestamptz + i * interval '1 minute')
           FROM generate_series(1, $4::int) i RETURNING id, created_at)
         INSERT INTO activities (tenant_id, lead_id, kind, channel, occurred_at) SELECT $1, id, 'message_in', $3, created_at FROM l RETURNING lead_id AS id`,
        [tenantId, `${localDate}T09:00:00${utcOffset}`, channel, count, extra.stage ?? 'new', extra.ownerId ?? null, extra.grade ?? null],
      )
    ).rows.map((r) => r.id),
  );
}
