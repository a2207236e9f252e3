import type { Sql } from '../../db/database.ts';
import type { Tenant } from '../tenants.ts';

export interface NewContact {
  channel: string;
  displayName: string;
  source: string;
  locale?: string | undefined;
  /** True when the person explicitly subscribed (LINE follow, Telegram /start). */
  optedIn?: boolean;
}

/**
 * Creates the lead behind a first contact on a channel. Kept minimal: the
 * lead starts in the tenant's first pipeline stage with no owner, and the
 * scoring and assignment services take it from there.
 */
export async function createLeadForNewContact(sql: Sql, tenant: Tenant, contact: NewContact): Promise<string> {
  const stage = (await sql.query<{ key: string }>('SELECT key FROM pipeline_stages ORDER BY position LIMIT 1')).rows[0]?.key ?? 'new';
  const name = contact.displayName.replace(/\s+/g, ' ').trim().slice(0, 120) || contact.channel;
  const { rows } = await sql.query<{ id: string }>(
    `INSERT INTO leads (tenant_id, first_name, display_name, source, stage_key, consent, consent_changed_at, locale, timezone)
     VALUES ($1, $2, $2, $3, $4, $5, CASE WHEN $5 = 'opted_in' THEN now() END, $6, $7) RETURNING id`,
    [tenant.id, name, contact.source.slice(0, 60), stage, contact.optedIn ? 'opted_in' : 'unknown', contact.locale ?? null, tenant.timezone],
  );
  return rows[0]!.id;
}
