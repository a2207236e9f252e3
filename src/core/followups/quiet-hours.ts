import { DateTime } from 'luxon';

export interface QuietHours {
  /** HH:MM local time when sending stops. */
  start: string;
  /** HH:MM local time when sending may start again. */
  end: string;
}

function minutesOf(hhmm: string): number {
  const m = /^(\d{1,2}):(\d{2})$/.exec(hhmm.trim());
  if (!m) throw new Error(`expected HH:MM, got "${hhmm}"`);
  return Number(m[1]) * 60 + Number(m[2]);
}

/**
 * The first moment at or after `at` that is outside the quiet hours in `timeZone`.
 * Quiet hours usually wrap midnight (21:00 → 09:00): a send due at 03:00 moves
 * to 09:00 the same day, one due at 22:00 to 09:00 the next day.
 */
export function holdToDaytime(at: Date, timeZone: string, quiet: QuietHours): Date {
  const start = minutesOf(quiet.start);
  const end = minutesOf(quiet.end);
  if (start === end) return at;
  const local = DateTime.fromJSDate(at, { zone: timeZone });
  if (!local.isValid) return at;
  const minute = local.hour * 60 + local.minute;
  const wraps = start > end;
  const quietNow = wraps ? minute >= start || minute < end : minute >= start && minute < end;
  if (!quietNow) return at;
  const morning = local.set({ hour: Math.floor(end / 60), minute: end % 60, second: 0, millisecond: 0 });
  // Past the start on a wrapping window means the morning is tomorrow.
  const target = wraps && minute >= start ? morning.plus({ days: 1 }) : morning;
  return target.toJSDate();
}

export function isQuiet(at: Date, timeZone: string, quiet: QuietHours): boolean {
  return holdToDaytime(at, timeZone, quiet).getTime() !== at.getTime();
}
