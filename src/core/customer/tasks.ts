import type { Sql } from '../../db/database.ts';
import { translator } from '../../agents/i18n.ts';
import type { Tenant } from '../tenants.ts';
import { dayKey, localParts } from './dates.ts';

/**
 * Work for people, created by what a customer asked: a consultation or
 * viewing to confirm, a call back, a question the bot could not answer.
 * Always for the lead's owner; an unassigned lead gets the active rep with
 * the fewest open tasks (and becomes theirs), so nothing waits for nobody.
 */

export interface Assignee {
  staffId: string;
  locale: string;
  /** True when the lead had no owner and this call gave it one. */
  newlyAssigned: boolean;
}

export async function assigneeFor(sql: Sql, tenant: Tenant, leadId: string, now: Date): Promise<Assignee | undefined> {
  const owner = (
    await sql.query<{ id: string; locale: string }>(
      `SELECT s.id, s.locale FROM leads l JOIN staff_users s ON s.id = l.owner_id AND s.active WHERE l.id = $1`,
      [leadId],
    )
  ).rows[0];
  if (owner) return { staffId: owner.id, locale: owner.locale, newlyAssigned: false };
  const pick = (
    await sql.query<{ id: string; locale: string }>(
      `SELECT s.id, s.locale FROM staff_users s
       LEFT JOIN tasks t ON t.assignee_id = s.id AND t.status = 'open'
       WHERE s.active
       GROUP BY s.id
       ORDER BY CASE s.role WHEN 'rep' THEN 0 WHEN 'manager' THEN 1 ELSE 2 END, count(t.id), s.email
       LIMIT 1`,
    )
  ).rows[0];
  if (!pick) return undefined;
  await sql.query('UPDATE leads SET owner_id = $2, updated_at = now() WHERE id = $1 AND owner_id IS NULL', [leadId, pick.id]);
  await sql.query(
    `INSERT INTO activities (tenant_id, lead_id, staff_user_id, kind, body, data, occurred_at) VALUES ($1, $2, $3, 'assignment', $4, $5, $6)`,
    [tenant.id, leadId, pick.id, 'Assigned on a customer request (fewest open tasks).', JSON.stringify({ to: pick.id, reason: 'customer_request' }), now],
  );
  return { staffId: pick.id, locale: pick.locale, newlyAssigned: true };
}

export type CustomerTaskKind = 'consultation' | 'callback' | 'todo';

export interface CustomerTask {
  taskId: string;
  /** False when an open task of the same kind and title already existed and was updated instead. */
  created: boolean;
  assigneeId: string | null;
}

/**
 * One open task per lead, kind and title: asking twice updates the due time
 * instead of piling up duplicates for the rep. `titleKey` is a reply key
 * under `customer.task.*`, rendered in the assignee's language.
 */
export async function upsertCustomerTask(
  sql: Sql,
  tenant: Tenant,
  leadId: string,
  opts: { kind: CustomerTaskKind; titleKey: string; titleVars?: Record<string, string>; dueAt: Date | null; now: Date },
): Promise<CustomerTask> {
  const assignee = await assigneeFor(sql, tenant, leadId, opts.now);
  const title = translator(assignee?.locale ?? tenant.defaultLocale)(`customer.task.${opts.titleKey}`, opts.titleVars ?? {}).slice(0, 300);
  const existing = (
    await sql.query<{ id: string }>(`SELECT id FROM tasks WHERE lead_id = $1 AND kind = $2 AND title = $3 AND status = 'open' LIMIT 1`, [leadId, opts.kind, title])
  ).rows[0];
  if (existing) {
    await sql.query('UPDATE tasks SET due_at = COALESCE($2, due_at), assignee_id = COALESCE(assignee_id, $3) WHERE id = $1', [existing.id, opts.dueAt, assignee?.staffId ?? null]);
    return { taskId: existing.id, created: false, assigneeId: assignee?.staffId ?? null };
  }
  const row = (
    await sql.query<{ id: string }>(
      `INSERT INTO tasks (tenant_id, lead_id, assignee_id, kind, title, due_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
      [tenant.id, leadId, assignee?.staffId ?? null, opts.kind, title, opts.dueAt, opts.now],
    )
  ).rows[0]!;
  return { taskId: row.id, created: true, assigneeId: assignee?.staffId ?? null };
}

/** Records an activity on the customer's own lead (signals such as asked_price feed scoring). */
export async function recordActivity(
  sql: Sql,
  tenant: Tenant,
  leadId: string,
  kind: 'note' | 'task' | 'consent' | 'alert' | 'system' | 'stage_change',
  body: string,
  data: Record<string, unknown>,
  now: Date,
): Promise<void> {
  await sql.query(`INSERT INTO activities (tenant_id, lead_id, kind, body, data, occurred_at) VALUES ($1, $2, $3, $4, $5, $6)`, [
    tenant.id,
    leadId,
    kind,
    body.slice(0, 2000),
    JSON.stringify(data),
    now,
  ]);
}

/** Whether the tenant is open at `now` (business_hours setting, in the tenant's zone). */
export function isOpen(tenant: Tenant, now: Date): boolean {
  const bh = tenant.settings.business_hours;
  const p = localParts(now, tenant.timezone);
  const days = (bh.days ?? ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']).map((d) => String(d).toLowerCase());
  if (!days.includes(dayKey(p.weekday)) && !days.includes(String(p.weekday))) return false;
  const minutes = p.hour * 60 + p.minute;
  const toMin = (s: string) => {
    const [h, m] = s.split(':').map(Number);
    return (h ?? 0) * 60 + (m ?? 0);
  };
  return minutes >= toMin(bh.start) && minutes < toMin(bh.end);
}

/** Whether the tenant works on that local weekday at all. */
export function worksOn(tenant: Tenant, weekday: number): boolean {
  const days = tenant.settings.business_hours.days;
  if (!days) return true;
  return days.map((d) => String(d).toLowerCase()).includes(dayKey(weekday));
}
