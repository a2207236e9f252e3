import type { Sql } from '../../db/database.ts';
import { NotFoundError } from '../../errors.ts';
import { markScoreStale } from '../leads/stale.ts';
import { normalisePhone, tenantRegion } from '../leads/phone.ts';
import type { Tenant } from '../tenants.ts';
import { parseWhen } from './dates.ts';
import { recordActivity, upsertCustomerTask, worksOn } from './tasks.ts';
import { onLeadEvent } from '../followups/events.ts';

/**
 * A customer asking to book (a consultation, a viewing) or to be called
 * back. The bot does not own a calendar: it records the request as a task
 * for the lead's owner, with the day the customer named as its due time,
 * and the owner confirms the exact slot.
 */

/** Stage keys that mean "an appointment is booked", in the order they are looked for; a tenant may set `booking_stage`. */
const BOOKED_STAGE_KEYS = ['consultation_booked', 'viewing', 'appointment_booked', 'booked', 'meeting'];

export interface BookingResult {
  taskId: string;
  updated: boolean;
  /** The instant the customer asked for, when a day or time was recognised. */
  at: Date | null;
  hasTime: boolean;
  /** The tenant is closed on the day asked for. */
  closedThatDay: boolean;
  /** What the customer wrote for the time, kept when it could not be read ("after work next week"). */
  whenText: string | null;
  stageChanged: { from: string; to: string } | null;
}

async function bookedStage(sql: Sql, tenant: Tenant): Promise<{ key: string; position: number } | undefined> {
  const setting = (tenant.settings as { booking_stage?: unknown }).booking_stage;
  const keys = typeof setting === 'string' ? [setting, ...BOOKED_STAGE_KEYS] : BOOKED_STAGE_KEYS;
  const { rows } = await sql.query<{ key: string; position: number }>('SELECT key, position FROM pipeline_stages WHERE key = ANY($1)', [keys]);
  return keys.map((k) => rows.find((r) => r.key === k)).find((r) => r !== undefined);
}

export async function bookAppointment(sql: Sql, tenant: Tenant, leadId: string, opts: { when?: string | undefined; note?: string | undefined; now: Date }): Promise<BookingResult> {
  const lead = (await sql.query<{ stage_key: string; position: number | null; is_won: boolean | null; is_lost: boolean | null }>(
    `SELECT l.stage_key, ps.position, ps.is_won, ps.is_lost FROM leads l LEFT JOIN pipeline_stages ps ON ps.key = l.stage_key WHERE l.id = $1 FOR UPDATE OF l`,
    [leadId],
  )).rows[0];
  if (!lead) throw new NotFoundError('Your record was not found.');
  const parsed = opts.when ? parseWhen(opts.when, opts.now, tenant.timezone, tenant.settings.business_hours.start) : undefined;
  const at = parsed && parsed.at.getTime() > opts.now.getTime() ? parsed.at : null;
  const titleKey = tenant.vertical === 'realty' ? 'viewing' : 'consultation';
  const task = await upsertCustomerTask(sql, tenant, leadId, { kind: 'consultation', titleKey, dueAt: at, now: opts.now });

  let stageChanged: BookingResult['stageChanged'] = null;
  const target = await bookedStage(sql, tenant);
  // Only an open lead before the booked stage moves: a lead in negotiation asking for another visit stays where it is.
  if (target && lead.position !== null && lead.position < target.position && !lead.is_won && !lead.is_lost) {
    await sql.query('UPDATE leads SET stage_key = $2, updated_at = now() WHERE id = $1', [leadId, target.key]);
    await recordActivity(sql, tenant, leadId, 'stage_change', `Stage ${lead.stage_key} → ${target.key} (customer booked)`, { from: lead.stage_key, to: target.key, by: 'customer_booking' }, opts.now);
    stageChanged = { from: lead.stage_key, to: target.key };
  }
  await recordActivity(
    sql,
    tenant,
    leadId,
    'task',
    `Customer asked to book${opts.when ? ` (${opts.when})` : ''}${opts.note ? `: ${opts.note}` : ''}`,
    { signal: 'asked_to_book', task_id: task.taskId, due_at: at?.toISOString() ?? null, when_text: opts.when ?? null, note: opts.note ?? null },
    opts.now,
  );
  await markScoreStale(sql, leadId);
  // A new booking starts the tenant's appointment_booked sequences; asking again about the same booking does not restart them.
  if (task.created) await onLeadEvent(sql, tenant, { type: 'appointment_booked', leadId }, opts.now);
  return {
    taskId: task.taskId,
    updated: !task.created,
    at,
    hasTime: parsed?.hasTime ?? false,
    closedThatDay: parsed ? !worksOn(tenant, parsed.day.weekday) : false,
    whenText: opts.when && !parsed ? opts.when : null,
    stageChanged,
  };
}

export interface CallbackResult {
  taskId: string;
  updated: boolean;
  at: Date | null;
  hasTime: boolean;
  /** The number we will call: the lead's own, or the one given (stored when the lead had none). */
  phone: string | null;
  phoneSaved: boolean;
  /** A number was given but could not be read as one. */
  phoneInvalid: boolean;
  /** The number given is another lead's: not stored, the staff task says to check it. */
  phoneUnverified: boolean;
}

export async function requestCallback(sql: Sql, tenant: Tenant, leadId: string, opts: { when?: string | undefined; phone?: string | undefined; now: Date }): Promise<CallbackResult> {
  const lead = (await sql.query<{ phone: string | null }>('SELECT phone FROM leads WHERE id = $1 FOR UPDATE', [leadId])).rows[0];
  if (!lead) throw new NotFoundError('Your record was not found.');
  const given = opts.phone ? normalisePhone(opts.phone, tenantRegion(tenant)) : undefined;
  let phoneSaved = false;
  // A number typed in chat is not proof of who someone is: when another lead already has it, it is not stored on this
  // record (no merge, no shared identity) and the staff task says to check it.
  const claimed = given
    ? (await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM leads WHERE id <> $1 AND phone IS NOT NULL AND right(regexp_replace(phone, '\D', '', 'g'), 9) = right(regexp_replace($2, '\D', '', 'g'), 9)`, [leadId, given])).rows[0]!.n > 0
    : false;
  if (given && !lead.phone && !claimed) {
    await sql.query('UPDATE leads SET phone = $2, updated_at = now() WHERE id = $1', [leadId, given]);
    phoneSaved = true;
  }
  const parsed = opts.when ? parseWhen(opts.when, opts.now, tenant.timezone, tenant.settings.business_hours.start) : undefined;
  // Without a time the callback is due within the tenant's response SLA.
  const at = parsed && parsed.at.getTime() > opts.now.getTime() ? parsed.at : new Date(opts.now.getTime() + tenant.settings.sla_response_minutes * 60_000);
  const task = await upsertCustomerTask(sql, tenant, leadId, { kind: 'callback', titleKey: 'callback', dueAt: at, now: opts.now });
  // A number that belongs to someone else is never echoed back as "yours".
  const phone = lead.phone ?? (claimed ? null : given) ?? null;
  await recordActivity(
    sql,
    tenant,
    leadId,
    'task',
    `Customer asked for a call back${given && given !== lead.phone ? ` on ${given}` : ''}${opts.when ? ` (${opts.when})` : ''}${claimed ? ' (UNVERIFIED: this number belongs to another lead; check who you are calling)' : ''}`,
    { signal: 'asked_callback', task_id: task.taskId, due_at: at.toISOString(), phone_given: given ?? null, phone_verified: false, ...(claimed ? { phone_claimed_by_other_lead: true } : {}) },
    opts.now,
  );
  await markScoreStale(sql, leadId);
  return { taskId: task.taskId, updated: !task.created, at, hasTime: parsed?.hasTime ?? false, phone, phoneSaved, phoneInvalid: Boolean(opts.phone && !given), phoneUnverified: claimed };
}
