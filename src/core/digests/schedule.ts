import { DateTime } from 'luxon';
import { z } from 'zod';
import type { Tenant } from '../tenants.ts';

/**
 * When a person's morning digest is due: at `digest_time` (default 08:30)
 * in their own time zone — a rep in Riyadh gets it at 08:30 Riyadh time,
 * not at 08:30 Bangkok time. The time comes from the staff member's
 * `working_hours.digest_time` (an override, or "off"), else the tenant's
 * `settings.digest_time`. A digest is only sent in the few hours after that
 * time: a "morning" digest at 16:00 because the server was down all morning
 * is noise, so a missed window is simply missed.
 */
export const DEFAULT_DIGEST_TIME = '08:30';
export const DIGEST_WINDOW_HOURS = 3;

const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
const Hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/);

const StaffSchedule = z
  .object({
    days: z.array(z.enum(WEEKDAYS)).min(1).optional().catch(undefined),
    digest_time: z.union([Hhmm, z.literal('off')]).optional().catch(undefined),
  })
  .catch({});

export interface DigestStaff {
  id: string;
  email: string;
  name: string;
  role: 'rep' | 'manager' | 'admin';
  locale: string;
  timezone: string;
  working_hours: unknown;
}

export type DigestTiming =
  | { due: true; localDate: string; at: DateTime }
  | { due: false; localDate: string; reason: 'off' | 'day_off' | 'not_yet' | 'window_passed' | 'bad_timezone' };

/** The digest time that applies to this person: their own override, else the tenant's, else 08:30. */
export function digestTime(tenant: Tenant, staff: DigestStaff): string | 'off' {
  const own = StaffSchedule.parse(staff.working_hours ?? {}).digest_time;
  if (own) return own;
  const t = Hhmm.safeParse((tenant.settings as Record<string, unknown>).digest_time);
  return t.success ? t.data : DEFAULT_DIGEST_TIME;
}

/**
 * Whether `now` is inside this person's digest window, and the local date the
 * digest is for. Days outside their working days (when they have any) are
 * days off: no digest.
 */
export function digestTiming(tenant: Tenant, staff: DigestStaff, now: Date): DigestTiming {
  const local = DateTime.fromJSDate(now, { zone: staff.timezone || tenant.timezone });
  if (!local.isValid) return { due: false, localDate: DateTime.fromJSDate(now, { zone: tenant.timezone }).toISODate()!, reason: 'bad_timezone' };
  const localDate = local.toISODate()!;
  const time = digestTime(tenant, staff);
  if (time === 'off') return { due: false, localDate, reason: 'off' };
  const [h, m] = time.split(':').map(Number) as [number, number];
  const at = local.set({ hour: h, minute: m, second: 0, millisecond: 0 });
  if (local < at) return { due: false, localDate, reason: 'not_yet' };
  if (local >= at.plus({ hours: DIGEST_WINDOW_HOURS })) return { due: false, localDate, reason: 'window_passed' };
  // Checked last, so a day off is recorded (as skipped) once, at digest time, not on every pass.
  const days = StaffSchedule.parse(staff.working_hours ?? {}).days;
  if (days && !days.includes(WEEKDAYS[local.weekday - 1]!)) return { due: false, localDate, reason: 'day_off' };
  return { due: true, localDate, at };
}

/** The instants a local calendar day spans in `zone`: [start, end). */
export function localDayBounds(localDate: string, zone: string): { start: Date; end: Date } {
  const start = DateTime.fromISO(localDate, { zone }).startOf('day');
  return { start: start.toJSDate(), end: start.plus({ days: 1 }).toJSDate() };
}
