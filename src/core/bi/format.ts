import { DateTime } from 'luxon';
import { formatMoney } from '../format.ts';
import type { ValueKind } from './layer.ts';
import type { TimeRange } from './time.ts';

const TAGS: Record<string, string> = { th: 'th-TH', ar: 'ar-SA', en: 'en-GB' };
const tag = (locale: string) => TAGS[locale] ?? 'en-GB';

export function formatValue(value: number | null, kind: ValueKind, currency: string, locale: string): string {
  if (value === null) return '—';
  switch (kind) {
    case 'money':
      return formatMoney(value, currency, locale);
    case 'count':
      return new Intl.NumberFormat(tag(locale), { maximumFractionDigits: 0 }).format(value);
    case 'rate':
      return new Intl.NumberFormat(tag(locale), { style: 'percent', maximumFractionDigits: 1 }).format(value);
    case 'minutes':
      // Minutes read badly past an hour, hours past two days.
      if (value < 90) return new Intl.NumberFormat(tag(locale), { style: 'unit', unit: 'minute', unitDisplay: 'short', maximumFractionDigits: 0 }).format(value);
      if (value < 48 * 60) return new Intl.NumberFormat(tag(locale), { style: 'unit', unit: 'hour', unitDisplay: 'short', maximumFractionDigits: 1 }).format(value / 60);
      return new Intl.NumberFormat(tag(locale), { style: 'unit', unit: 'day', unitDisplay: 'short', maximumFractionDigits: 1 }).format(value / 1440);
  }
}

/** "+12%" for amounts and counts; "+3.1 pts" for rates (a change of a percentage is read in points). */
export function formatChange(current: number | null, previous: number | null, kind: ValueKind, locale: string, pts: string): string | null {
  if (current === null || previous === null) return null;
  const nf = (opts: Intl.NumberFormatOptions) => new Intl.NumberFormat(tag(locale), { signDisplay: 'exceptZero', ...opts });
  if (kind === 'rate') return `${nf({ maximumFractionDigits: 1 }).format((current - previous) * 100)} ${pts}`;
  if (previous === 0) return current === 0 ? nf({ style: 'percent' }).format(0) : null;
  return nf({ style: 'percent', maximumFractionDigits: 0 }).format((current - previous) / Math.abs(previous));
}

/** A time bucket ("2026-03-01") as people say it: "Mar 2026", "9 Mar", "week of 9 Mar". */
export function formatBucket(key: string, unit: 'day' | 'week' | 'month', locale: string): string {
  const d = DateTime.fromISO(key, { zone: 'UTC' });
  if (!d.isValid) return key;
  const date = d.toJSDate();
  if (unit === 'month') return new Intl.DateTimeFormat(tag(locale), { month: 'short', year: 'numeric', timeZone: 'UTC' }).format(date);
  return new Intl.DateTimeFormat(tag(locale), { day: 'numeric', month: 'short', timeZone: 'UTC' }).format(date);
}

/** The period as words: a translation key for presets, else formatted dates in the tenant's timezone. */
export function periodLabel(range: TimeRange, timezone: string, locale: string, t: (k: string, o?: Record<string, unknown>) => string): string {
  const spec = range.spec;
  if (/^[a-z_]+$/.test(spec)) return t(`metrics.time.${spec}`);
  const m = /^last_(\d+)_(days|weeks|months)$/.exec(spec);
  if (m) return t(`metrics.time.last_n_${m[2]}`, { count: Number(m[1]) });
  if (!range.start || !range.end) return t('metrics.time.all_time');
  const start = DateTime.fromJSDate(range.start, { zone: timezone });
  const lastDay = DateTime.fromJSDate(range.end, { zone: timezone }).minus({ days: 1 });
  const f = (d: DateTime, o: Intl.DateTimeFormatOptions) => new Intl.DateTimeFormat(tag(locale), { ...o, timeZone: timezone }).format(d.toJSDate());
  if (range.unit === 'month') return t('metrics.time.in', { period: f(start, { month: 'long', year: 'numeric' }) });
  if (range.unit === 'year') return t('metrics.time.in', { period: f(start, { year: 'numeric' }) });
  if (range.unit === 'quarter') return t('metrics.time.in', { period: `Q${Math.ceil(start.month / 3)} ${f(start, { year: 'numeric' })}` });
  if (range.unit === 'day') return t('metrics.time.on', { period: f(start, { dateStyle: 'medium' }) });
  return t('metrics.time.between', { start: f(start, { dateStyle: 'medium' }), end: f(lastDay, { dateStyle: 'medium' }) });
}

/** The period just before, as words ("last month" → "the month before"). */
export function previousLabel(range: TimeRange, t: (k: string) => string): string {
  const key = range.unit === 'days' ? 'previous_period' : `previous_${range.unit}`;
  return t(`metrics.time.${key}`);
}
