import * as chrono from 'chrono-node';
import { DateTime } from 'luxon';
import { toEnglishTimePhrase } from './time-vocab.ts';

/** A day named without a time ("friday", "in 3 days") means this hour, local time. */
export const DEFAULT_HOUR = 10;

export type WhenResult =
  | { ok: true; at: Date; hasTime: boolean }
  | { ok: false; reason: 'unparsed'; text: string }
  | { ok: false; reason: 'past'; text: string; at: Date };

// Buttons carry the instant a confirmation resolved, so pressing later does not move it.
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})$/;
const DAY_PARTS = /\b(?:tonight|morning|afternoon|evening|noon|midnight)\b/;

/**
 * Resolves a time phrase in English, Thai or Arabic to an instant in
 * `timeZone`: "friday", "tomorrow 10am", "in 3 days", "next monday", ISO
 * dates, "วันศุกร์", "อีก 3 วัน", "الجمعة", "بعد 3 أيام". A day without a time
 * is DEFAULT_HOUR local; a bare weekday is the next such day after today
 * (on a Friday, "friday" is a week away). Anything not after `now` is refused.
 */
export function parseWhen(text: string, opts: { now: Date; timeZone: string }): WhenResult {
  const raw = text.trim();
  if (ISO_INSTANT.test(raw)) {
    const at = new Date(raw);
    if (Number.isNaN(at.getTime())) return { ok: false, reason: 'unparsed', text: raw };
    return at.getTime() > opts.now.getTime() ? { ok: true, at, hasTime: true } : { ok: false, reason: 'past', text: raw, at };
  }
  const english = toEnglishTimePhrase(raw);
  const nowLocal = DateTime.fromJSDate(opts.now, { zone: opts.timeZone });
  if (!nowLocal.isValid) return { ok: false, reason: 'unparsed', text: raw };
  const results = chrono.parse(english, { instant: opts.now, timezone: nowLocal.offset }, { forwardDate: true });
  const first = results[0];
  if (!first) return { ok: false, reason: 'unparsed', text: raw };
  // "tomorrow" and "4pm" separated by a dropped word come back as two results: take the day from one and the time from the other.
  const dayPart = results.find((r) => r.start.isCertain('day') || r.start.isCertain('weekday')) ?? first;
  const timePart = results.find((r) => r.start.isCertain('hour'));
  const hasTime = timePart !== undefined || DAY_PARTS.test(english);
  const clockFrom = timePart ?? dayPart;

  let local = DateTime.fromObject(
    {
      year: dayPart.start.get('year') ?? nowLocal.year,
      month: dayPart.start.get('month') ?? nowLocal.month,
      day: dayPart.start.get('day') ?? nowLocal.day,
      hour: hasTime ? (clockFrom.start.get('hour') ?? DEFAULT_HOUR) : DEFAULT_HOUR,
      minute: hasTime ? (clockFrom.start.get('minute') ?? 0) : 0,
    },
    { zone: opts.timeZone },
  );
  if (!local.isValid) return { ok: false, reason: 'unparsed', text: raw };
  const bareWeekday = dayPart.start.isCertain('weekday') && !dayPart.start.isCertain('day');
  if (bareWeekday && local.hasSame(nowLocal, 'day')) local = local.plus({ days: 7 });
  const at = local.toJSDate();
  if (at.getTime() <= opts.now.getTime()) return { ok: false, reason: 'past', text: raw, at };
  return { ok: true, at, hasTime };
}

const LOCALE_TAGS: Record<string, string> = { th: 'th-TH', ar: 'ar-SA', en: 'en-GB' };

/** "Fri 27 Nov, 10:00": the weekday matters when people say "friday". Same locale tags as core/format.ts. */
export function formatWhen(at: Date, timeZone: string, locale: string): string {
  return new Intl.DateTimeFormat(LOCALE_TAGS[locale] ?? 'en-GB', {
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZone,
  }).format(at);
}
