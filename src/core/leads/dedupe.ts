import type { Sql } from '../../db/database.ts';
import type { Tenant } from '../tenants.ts';
import { normaliseEmail, normalisePhone, tenantRegion } from './phone.ts';

/**
 * One person, one lead: a new contact joins the lead that already has its
 * channel identity, phone number (E.164) or email (case-insensitive), in
 * that order of certainty, and only a contact matching none creates a lead.
 * Every query names the tenant as well as running under its row-level
 * security, so a match can never cross tenants even from a system transaction.
 */

export interface Contact {
  displayName: string;
  firstName?: string | undefined;
  lastName?: string | undefined;
  /** The channel the contact came from (line, telegram, import…). */
  channel?: string | undefined;
  /** The platform's user id on that channel. */
  externalId?: string | undefined;
  phone?: string | undefined;
  email?: string | undefined;
  source: string;
  locale?: string | undefined;
  /** True when the person explicitly subscribed (LINE follow, Telegram /start). */
  optedIn?: boolean | undefined;
}

export type MatchedBy = 'id' | 'identity' | 'phone' | 'email';

export interface LeadMatchResult {
  leadId: string;
  created: boolean;
  matchedBy: MatchedBy | null;
}

export interface ExistingLead {
  leadId: string;
  matchedBy: MatchedBy;
}

/** The lead a contact already is, without creating anything. */
export async function findExistingLead(
  sql: Sql,
  tenant: Tenant,
  contact: { id?: string | undefined; channel?: string | undefined; externalId?: string | undefined; phone?: string | undefined; email?: string | undefined },
): Promise<ExistingLead | undefined> {
  if (contact.id) {
    const { rows } = await sql.query<{ id: string }>('SELECT id FROM leads WHERE tenant_id = $1 AND id = $2', [tenant.id, contact.id]);
    if (rows[0]) return { leadId: rows[0].id, matchedBy: 'id' };
  }
  if (contact.channel && contact.externalId) {
    const { rows } = await sql.query<{ lead_id: string }>(
      `SELECT lead_id FROM channel_identities WHERE tenant_id = $1 AND channel = $2 AND external_id = $3 AND lead_id IS NOT NULL ORDER BY created_at LIMIT 1`,
      [tenant.id, contact.channel, contact.externalId],
    );
    if (rows[0]) return { leadId: rows[0].lead_id, matchedBy: 'identity' };
  }
  const phone = contact.phone ? normalisePhone(contact.phone, tenantRegion(tenant)) : undefined;
  if (phone) {
    const { rows } = await sql.query<{ id: string }>('SELECT id FROM leads WHERE tenant_id = $1 AND phone = $2 ORDER BY created_at, id LIMIT 1', [tenant.id, phone]);
    if (rows[0]) return { leadId: rows[0].id, matchedBy: 'phone' };
  }
  const email = normaliseEmail(contact.email);
  if (email) {
    const { rows } = await sql.query<{ id: string }>(
      'SELECT id FROM leads WHERE tenant_id = $1 AND lower(email) = $2 ORDER BY created_at, id LIMIT 1',
      [tenant.id, email],
    );
    if (rows[0]) return { leadId: rows[0].id, matchedBy: 'email' };
  }
  return undefined;
}

/**
 * Finds the contact's lead or creates one in the tenant's first stage.
 * Joining an existing lead fills its empty phone/email from the contact
 * (never overwrites) and leaves a system activity saying how it matched.
 */
export async function findOrCreateLead(sql: Sql, tenant: Tenant, contact: Contact): Promise<LeadMatchResult> {
  const region = tenantRegion(tenant);
  const phone = contact.phone ? normalisePhone(contact.phone, region) : undefined;
  const email = normaliseEmail(contact.email);
  const existing = await findExistingLead(sql, tenant, { ...contact, phone, email });
  if (existing) {
    await sql.query(
      `UPDATE leads SET phone = COALESCE(phone, $2), email = COALESCE(email, $3),
         consent = CASE WHEN consent = 'unknown' AND $4 THEN 'opted_in' ELSE consent END,
         consent_changed_at = CASE WHEN consent = 'unknown' AND $4 THEN now() ELSE consent_changed_at END,
         updated_at = now()
       WHERE id = $1`,
      [existing.leadId, phone && !(await phoneTaken(sql, tenant, phone, existing.leadId)) ? phone : null, email ?? null, contact.optedIn === true],
    );
    if (existing.matchedBy !== 'id') {
      await sql.query(
        `INSERT INTO activities (tenant_id, lead_id, kind, channel, body, data) VALUES ($1, $2, 'system', $3, $4, $5)`,
        [
          tenant.id,
          existing.leadId,
          contact.channel ?? null,
          `A new ${contact.channel ?? contact.source} contact joined this lead (same ${existing.matchedBy}).`,
          JSON.stringify({ event: 'contact_joined', matched_by: existing.matchedBy, channel: contact.channel ?? null, source: contact.source }),
        ],
      );
    }
    return { leadId: existing.leadId, created: false, matchedBy: existing.matchedBy };
  }
  const stage = (await sql.query<{ key: string }>('SELECT key FROM pipeline_stages WHERE tenant_id = $1 ORDER BY position LIMIT 1', [tenant.id])).rows[0]?.key ?? 'new';
  const display = clean(contact.displayName) || clean([contact.firstName, contact.lastName].filter(Boolean).join(' ')) || contact.channel || 'Unknown';
  const first = clean(contact.firstName ?? '') || display;
  const { rows } = await sql.query<{ id: string }>(
    `INSERT INTO leads (tenant_id, first_name, last_name, display_name, phone, email, source, stage_key, consent, consent_changed_at, locale, timezone)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, CASE WHEN $9 = 'opted_in' THEN now() END, $10, $11) RETURNING id`,
    [
      tenant.id,
      first,
      clean(contact.lastName ?? '') || null,
      display,
      phone ?? null,
      email ?? null,
      contact.source.slice(0, 60),
      stage,
      contact.optedIn ? 'opted_in' : 'unknown',
      contact.locale ?? null,
      tenant.timezone,
    ],
  );
  return { leadId: rows[0]!.id, created: true, matchedBy: null };
}

async function phoneTaken(sql: Sql, tenant: Tenant, phone: string, exceptLeadId: string): Promise<boolean> {
  const { rows } = await sql.query('SELECT 1 FROM leads WHERE tenant_id = $1 AND phone = $2 AND id <> $3 LIMIT 1', [tenant.id, phone, exceptLeadId]);
  return rows.length > 0;
}

function clean(s: string): string {
  return s.replace(/\s+/g, ' ').trim().slice(0, 120);
}
