import { z } from 'zod';
import type { Database, Sql } from '../db/database.ts';
import { withSystem } from '../db/tenant.ts';
import { ConfigError, NotFoundError } from '../errors.ts';

/** A Slack channel id: C… (channels, public or private) or G… (older private channels); never a DM (D…) or a person (U…/W…). */
export const SLACK_CHANNEL_ID = /^[CG][A-Z0-9]{6,}$/;

export const TenantSettingsSchema = z
  .object({
    sla_response_minutes: z.number().int().positive().default(60),
    grade_thresholds: z.object({ A: z.number(), B: z.number(), C: z.number() }).default({ A: 80, B: 60, C: 40 }),
    business_hours: z
      .object({ start: z.string(), end: z.string(), days: z.array(z.union([z.string(), z.number()])).optional() })
      .default({ start: '09:00', end: '18:00' }),
    quiet_hours: z.object({ start: z.string(), end: z.string() }).default({ start: '21:00', end: '09:00' }),
    alert_cooldown_minutes: z.number().int().positive().default(15),
    /** First day of a business week, for "this week" in reports. */
    week_start: z.enum(['monday', 'sunday']).default('monday'),
    /** Whether reps may change leads nobody owns yet (managers and admins always may). */
    reps_may_change_unassigned: z.boolean().default(true),
    /**
     * The one place team alerts (hot leads, anomalies) are also posted: a
     * Slack channel of one of the tenant's workspaces, set explicitly with
     * `closer slack alerts-channel`. Null: alerts go to people's DMs only.
     * Personal notifications (digests, reminders) never go here. A malformed
     * value turns the channel off rather than the tenant's other settings.
     */
    team_alert_channel: z
      .object({ account_id: z.uuid(), channel_id: z.string().regex(SLACK_CHANNEL_ID) })
      .nullable()
      .default(null)
      .catch(null),
  })
  .loose();
export type TenantSettings = z.infer<typeof TenantSettingsSchema>;

export interface Tenant {
  id: string;
  slug: string;
  name: string;
  vertical: 'clinic' | 'realty' | 'generic';
  defaultLocale: string;
  locales: string[];
  currency: string;
  timezone: string;
  settings: TenantSettings;
}

interface TenantRow {
  id: string;
  slug: string;
  name: string;
  vertical: Tenant['vertical'];
  default_locale: string;
  locales: string[];
  currency: string;
  timezone: string;
  settings: unknown;
}

function toTenant(r: TenantRow): Tenant {
  return {
    id: r.id,
    slug: r.slug,
    name: r.name,
    vertical: r.vertical,
    defaultLocale: r.default_locale,
    locales: r.locales,
    currency: r.currency.trim(),
    timezone: r.timezone,
    // A bad settings blob must not take a tenant down: fall back to defaults field by field.
    settings: TenantSettingsSchema.catch(TenantSettingsSchema.parse({})).parse(r.settings ?? {}),
  };
}

const COLUMNS = 'id, slug, name, vertical, default_locale, locales, currency, timezone, settings';

export async function listTenants(sql: Sql): Promise<Tenant[]> {
  const { rows } = await sql.query<TenantRow>(`SELECT ${COLUMNS} FROM tenants ORDER BY slug`);
  return rows.map(toTenant);
}

export async function getTenantBySlug(sql: Sql, slug: string): Promise<Tenant> {
  const { rows } = await sql.query<TenantRow>(`SELECT ${COLUMNS} FROM tenants WHERE slug = $1`, [slug]);
  const row = rows[0];
  if (!row) {
    const known = (await sql.query<{ slug: string }>('SELECT slug FROM tenants ORDER BY slug')).rows.map((r) => r.slug);
    throw new NotFoundError(
      `No tenant with slug "${slug}". Known tenants: ${known.length ? known.join(', ') : 'none (run `npx closer seed --demo`)'}.`,
    );
  }
  return toTenant(row);
}

export async function getTenantById(sql: Sql, id: string): Promise<Tenant> {
  const { rows } = await sql.query<TenantRow>(`SELECT ${COLUMNS} FROM tenants WHERE id = $1`, [id]);
  if (!rows[0]) throw new NotFoundError(`No tenant with id ${id}.`);
  return toTenant(rows[0]);
}

const caches = new WeakMap<Database, Map<string, { tenant: Tenant; at: number }>>();

/**
 * A tenant by id from a short-lived cache: webhooks and turns need it on every
 * message, and settings changes may take up to `ttlMs` to apply.
 */
export async function cachedTenant(db: Database, id: string, ttlMs = 30_000): Promise<Tenant> {
  let cache = caches.get(db);
  if (!cache) caches.set(db, (cache = new Map()));
  const hit = cache.get(id);
  if (hit && Date.now() - hit.at < ttlMs) return hit.tenant;
  const tenant = await withSystem(db, (sql) => getTenantById(sql, id));
  cache.set(id, { tenant, at: Date.now() });
  return tenant;
}

/** Drops a tenant from this process's cache, so a settings change written here applies to the next message at once. */
export function forgetCachedTenant(db: Database, id: string): void {
  caches.get(db)?.delete(id);
}

/** Throws a ConfigError saying what a team channel id looks like, unless `id` is one. */
export function checkSlackChannelId(id: string): void {
  if (SLACK_CHANNEL_ID.test(id)) return;
  throw new ConfigError(
    `"${id}" is not a Slack channel id. Copy it from the channel's details in Slack (it starts with C, or G for an older private channel). A DM (D…) or a person (U…) cannot be the team channel: everyone on the team should be able to read it.`,
  );
}

/**
 * Sets (or with null clears) where the tenant's team alerts are posted
 * (`closer slack alerts-channel`). The channel id is checked here, at the
 * boundary, so a DM or a person's id can never become a "team" channel.
 * Runs as the system (tenant settings are the operator's).
 */
export async function setTeamAlertChannel(sql: Sql, tenantId: string, value: { account_id: string; channel_id: string } | null): Promise<void> {
  if (value) checkSlackChannelId(value.channel_id);
  await sql.query(`UPDATE tenants SET settings = jsonb_set(COALESCE(settings, '{}'::jsonb), '{team_alert_channel}', $2::jsonb) WHERE id = $1`, [tenantId, JSON.stringify(value)]);
}
