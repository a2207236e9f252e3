import type { Sql } from '../db/database.ts';
import { NotFoundError } from '../errors.ts';
import type { Tenant } from './tenants.ts';
import type { Channel } from './messages/types.ts';
import { CHANNELS } from './messages/types.ts';
import { createLeadForNewContact } from './leads/intake.ts';
import { onLeadEvent } from './followups/events.ts';

export type Role = 'customer' | 'rep' | 'manager' | 'admin';

/** Who is talking: decided from the channel identity before the agent sees anything. */
export interface Actor {
  role: Role;
  /** Set for staff. */
  staffUserId?: string;
  /** Set for customers: the only lead a customer's tools may touch. */
  leadId?: string;
  name: string;
  locale: string;
  timezone: string;
}

/** A person in a tenant, independent of channel. */
export type Person = { kind: 'staff'; id: string } | { kind: 'lead'; id: string };

export async function actorForPerson(sql: Sql, tenant: Tenant, person: Person): Promise<Actor> {
  if (person.kind === 'staff') {
    const { rows } = await sql.query<{ id: string; name: string; role: Role; locale: string; timezone: string; active: boolean }>(
      'SELECT id, name, role, locale, timezone, active FROM staff_users WHERE id = $1',
      [person.id],
    );
    const s = rows[0];
    if (!s) throw new NotFoundError(`Staff user ${person.id} not found in ${tenant.slug}.`);
    return { role: s.role, staffUserId: s.id, name: s.name, locale: s.locale, timezone: s.timezone };
  }
  const { rows } = await sql.query<{ id: string; display_name: string; locale: string | null; timezone: string | null }>(
    'SELECT id, display_name, locale, timezone FROM leads WHERE id = $1',
    [person.id],
  );
  const l = rows[0];
  if (!l) throw new NotFoundError(`Lead ${person.id} not found in ${tenant.slug}.`);
  return { role: 'customer', leadId: l.id, name: l.display_name, locale: l.locale ?? tenant.defaultLocale, timezone: l.timezone ?? tenant.timezone };
}

interface DemoPeople {
  rep?: string;
  manager?: string;
  admin?: string;
  customer?: string;
}

/**
 * Resolves the `--as` of `closer ask` / `closer chat` (and the local web
 * chat's person picker) to a person in the tenant:
 * - `rep`, `manager`, `admin`, `customer`: the tenant's demo person of that role;
 * - an email: a staff user;
 * - `channel:external-id` (e.g. `telegram:12345`): the person behind that
 *   channel identity; an unknown one on a channel the tenant has is a new
 *   customer, created the way a first message on that channel would;
 * - `lead:<uuid>` / `staff:<uuid>`: by id.
 */
export async function resolvePerson(sql: Sql, tenant: Tenant, as: string): Promise<Person> {
  const spec = as.trim();
  const demo = (tenant.settings as { demo_people?: DemoPeople }).demo_people ?? {};
  if (spec === 'rep' || spec === 'manager' || spec === 'admin') {
    const email = demo[spec];
    const { rows } = await sql.query<{ id: string }>(
      `SELECT id FROM staff_users WHERE role = $1 AND active ORDER BY (lower(email) = lower($2)) DESC, email LIMIT 1`,
      [spec, email ?? ''],
    );
    if (!rows[0]) throw new NotFoundError(`Tenant ${tenant.slug} has no active ${spec}.`);
    return { kind: 'staff', id: rows[0].id };
  }
  if (spec === 'customer') {
    if (demo.customer) return resolvePerson(sql, tenant, demo.customer);
    const { rows } = await sql.query<{ id: string }>(`SELECT id FROM leads ORDER BY created_at, id LIMIT 1`);
    if (!rows[0]) throw new NotFoundError(`Tenant ${tenant.slug} has no leads yet.`);
    return { kind: 'lead', id: rows[0].id };
  }
  if (spec.includes('@') && !spec.includes(':')) {
    const { rows } = await sql.query<{ id: string }>('SELECT id FROM staff_users WHERE lower(email) = lower($1)', [spec]);
    if (!rows[0]) throw new NotFoundError(`No staff user with email ${spec} in ${tenant.slug}.`);
    return { kind: 'staff', id: rows[0].id };
  }
  const m = /^([a-z]+):(.+)$/.exec(spec);
  if (m) {
    const [, prefix, rest] = m as unknown as [string, string, string];
    if (prefix === 'lead' || prefix === 'staff') {
      if (!/^[0-9a-f-]{36}$/i.test(rest)) throw new NotFoundError(`"${rest}" is not an id.`);
      const table = prefix === 'lead' ? 'leads' : 'staff_users';
      const { rows } = await sql.query<{ id: string }>(`SELECT id FROM ${table} WHERE id = $1`, [rest]);
      if (!rows[0]) throw new NotFoundError(`No ${prefix} ${rest} in ${tenant.slug}.`);
      return { kind: prefix, id: rows[0].id };
    }
    if ((CHANNELS as readonly string[]).includes(prefix)) return resolveChannelIdentity(sql, tenant, prefix as Channel, rest);
  }
  throw new NotFoundError(
    `Cannot tell who "${as}" is. Use rep, manager, admin, customer, a staff email, or channel:id such as telegram:12345.`,
  );
}

async function resolveChannelIdentity(sql: Sql, tenant: Tenant, channel: Channel, externalId: string): Promise<Person> {
  const { rows } = await sql.query<{ staff_user_id: string | null; lead_id: string | null }>(
    'SELECT staff_user_id, lead_id FROM channel_identities WHERE channel = $1 AND external_id = $2 ORDER BY created_at LIMIT 1',
    [channel, externalId],
  );
  const hit = rows[0];
  if (hit?.staff_user_id) return { kind: 'staff', id: hit.staff_user_id };
  if (hit?.lead_id) return { kind: 'lead', id: hit.lead_id };
  const account = (
    await sql.query<{ id: string }>('SELECT id FROM channel_accounts WHERE channel = $1 ORDER BY created_at LIMIT 1', [channel])
  ).rows[0];
  if (!account) throw new NotFoundError(`Tenant ${tenant.slug} has no ${channel} account, so ${channel}:${externalId} cannot be one of its contacts.`);
  const { leadId, created } = await createLeadForNewContact(sql, tenant, { channel, displayName: `${channel} ${externalId}`, source: channel });
  if (created) await onLeadEvent(sql, tenant, { type: 'lead_created', leadId, source: channel }, new Date());
  if (hit) {
    await sql.query('UPDATE channel_identities SET lead_id = $1 WHERE channel = $2 AND external_id = $3 AND lead_id IS NULL AND staff_user_id IS NULL', [leadId, channel, externalId]);
  } else {
    await sql.query(
      `INSERT INTO channel_identities (tenant_id, channel_account_id, channel, external_id, lead_id)
       VALUES ($1, $2, $3, $4, $5) ON CONFLICT (channel_account_id, external_id) DO NOTHING`,
      [tenant.id, account.id, channel, externalId, leadId],
    );
  }
  return { kind: 'lead', id: leadId };
}
