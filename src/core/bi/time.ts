import { DateTime } from 'luxon';
import { TIME_SPEC_RE } from './query.ts';

export type WeekStart = 'monday' | 'sunday';
export type PeriodUnit = 'day' | 'week' | 'month' | 'quarter' | 'year' | 'days' | 'all';

/** A half-open interval [start, end) of instants; null bounds mean "no bound" (all time). */
export interface TimeRange {
  spec: string;
  start: Date | null;
  end: Date | null;
  unit: PeriodUnit;
  /** The same-length period just before, for "vs last month"; null for all time. */
  previous: { start: Date; end: Date } | null;
}

export interface TimeContext {
  now: Date;
  timezone: string;
  weekStart: WeekStart;
}

function startOfWeek(dt: DateTime, weekStart: WeekStart): DateTime {
  const day = dt.startOf('day');
  // luxon weekday: 1 = Monday … 7 = Sunday.
  const back = weekStart === 'monday' ? day.weekday - 1 : day.weekday % 7;
  return day.minus({ days: back });
}

function calendar(anchor: DateTime, unit: 'day' | 'week' | 'month' | 'quarter' | 'year', weekStart: WeekStart): [DateTime, DateTime] {
  const start = unit === 'week' ? startOfWeek(anchor, weekStart) : anchor.startOf(unit);
  return [start, start.plus({ [`${unit}s`]: 1 })];
}

function range(spec: string, unit: PeriodUnit, start: DateTime, end: DateTime, previous: [DateTime, DateTime]): TimeRange {
  return { spec, unit, start: start.toJSDate(), end: end.toJSDate(), previous: { start: previous[0].toJSDate(), end: previous[1].toJSDate() } };
}

/**
 * Turns a time spec into instants, always in the tenant's timezone: "this
 * month" in Bangkok starts at 00:00 Bangkok time on the 1st, which is 17:00
 * UTC the day before. Calendar periods compare with the previous calendar
 * period (March vs February, whatever their lengths); counted periods
 * ("last 30 days", ranges) with the same number of days just before.
 */
export function resolveTime(spec: string, ctx: TimeContext): TimeRange {
  if (!TIME_SPEC_RE.test(spec)) throw new Error(`unknown time spec "${spec}"`);
  const zone = ctx.timezone;
  const now = DateTime.fromJSDate(ctx.now, { zone });
  const ws = ctx.weekStart;
  const cal = (unit: 'day' | 'week' | 'month' | 'quarter' | 'year', anchor: DateTime): TimeRange => {
    const [s, e] = calendar(anchor, unit, ws);
    const prev = calendar(s.minus({ [`${unit}s`]: 1 }), unit, ws);
    return range(spec, unit, s, e, prev);
  };
  switch (spec) {
    case 'all_time':
      return { spec, unit: 'all', start: null, end: null, previous: null };
    case 'today':
      return cal('day', now);
    case 'yesterday':
      return cal('day', now.minus({ days: 1 }));
    case 'this_week':
      return cal('week', now);
    case 'last_week':
      return cal('week', now.minus({ weeks: 1 }));
    case 'this_month':
      return cal('month', now);
    case 'last_month':
      return cal('month', now.startOf('month').minus({ months: 1 }));
    case 'this_quarter':
      return cal('quarter', now);
    case 'last_quarter':
      return cal('quarter', now.startOf('quarter').minus({ months: 3 }));
    case 'this_year':
      return cal('year', now);
    case 'last_year':
      return cal('year', now.startOf('year').minus({ years: 1 }));
  }
  let m = /^last_(\d+)_(days|weeks|months)$/.exec(spec);
  if (m) {
    const n = Number(m[1]);
    if (n < 1) throw new Error('a period needs at least one day');
    // "Last 7 days" includes today: the 7 calendar days ending tonight.
    const end = now.startOf('day').plus({ days: 1 });
    const start = m[2] === 'days' ? end.minus({ days: n }) : end.minus({ [m[2]!]: n });
    const days = Math.round(end.diff(start, 'days').days);
    return range(spec, 'days', start, end, [start.minus({ days }), start]);
  }
  if (/^\d{4}$/.test(spec)) return cal('year', DateTime.fromObject({ year: Number(spec) }, { zone }));
  m = /^(\d{4})-Q([1-4])$/.exec(spec);
  if (m) return cal('quarter', DateTime.fromObject({ year: Number(m[1]), month: (Number(m[2]) - 1) * 3 + 1 }, { zone }));
  m = /^(\d{4})-(\d{2})$/.exec(spec);
  if (m) {
    const dt = DateTime.fromObject({ year: Number(m[1]), month: Number(m[2]) }, { zone });
    if (!dt.isValid) throw new Error(`no such month "${spec}"`);
    return cal('month', dt);
  }
  m = /^(\d{4}-\d{2}-\d{2})(?:\.\.(\d{4}-\d{2}-\d{2}))?$/.exec(spec);
  if (m) {
    const s = DateTime.fromISO(m[1]!, { zone });
    const last = m[2] ? DateTime.fromISO(m[2], { zone }) : s;
    if (!s.isValid || !last.isValid) throw new Error(`no such date in "${spec}"`);
    if (last < s) throw new Error(`"${spec}" ends before it starts`);
    if (!m[2]) return cal('day', s);
    const e = last.plus({ days: 1 });
    const days = Math.round(e.diff(s, 'days').days);
    return range(spec, 'days', s, e, [s.minus({ days }), s]);
  }
  throw new Error(`unknown time spec "${spec}"`);
}

/** The month spec ("2026-03") a bare month name means: the most recent such month not in the future. */
export function monthSpec(month: number, year: number | undefined, ctx: TimeContext): string {
  const now = DateTime.fromJSDate(ctx.now, { zone: ctx.timezone });
  const y = year ?? (month > now.month ? now.year - 1 : now.year);
  return `${y}-${String(month).padStart(2, '0')}`;
}
