import { findNumbers } from './numbers.ts';
import { customerText, termIndex } from './match.ts';
import { AM_TERMS, PM_TERMS, RELATIVE_DAY_TERMS, WEEKDAY_TERMS } from './vocabulary.ts';

/**
 * "Saturday", "วันเสาร์ บ่ายสอง", "السبت الساعة 5 مساء", "tomorrow at 3pm",
 * "25/11": a day (and maybe a time) in the tenant's time zone. Customers
 * name days, not dates, so day names and relative days come first.
 */

export interface LocalParts {
  year: number;
  month: number;
  day: number;
  weekday: number;
  hour: number;
  minute: number;
}

const WEEKDAY_INDEX: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

export function localParts(date: Date, timeZone: string): LocalParts {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    weekday: 'short',
    hour: 'numeric',
    minute: 'numeric',
    hourCycle: 'h23',
  }).formatToParts(date);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return {
    year: Number(get('year')),
    month: Number(get('month')),
    day: Number(get('day')),
    weekday: WEEKDAY_INDEX[get('weekday')] ?? 0,
    hour: Number(get('hour')),
    minute: Number(get('minute')),
  };
}

/** The instant a wall-clock time in `timeZone` happens (two passes settle DST shifts). */
export function zonedTime(year: number, month: number, day: number, hour: number, minute: number, timeZone: string): Date {
  const wanted = Date.UTC(year, month - 1, day, hour, minute);
  let guess = wanted;
  for (let i = 0; i < 2; i++) {
    const p = localParts(new Date(guess), timeZone);
    const seen = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute);
    guess += wanted - seen;
  }
  return new Date(guess);
}

export interface ParsedWhen {
  /** The instant: the given time, or the start of business hours on a day without a time. */
  at: Date;
  hasTime: boolean;
  /** Local calendar day in the tenant's zone. */
  day: { year: number; month: number; day: number; weekday: number };
}

const THAI_CLOCK = /(\d{1,2})\s*(โมง|ทุ่ม)/;

function parseTime(text: string): { hour: number; minute: number } | undefined {
  const pm = PM_TERMS.some((t) => termIndex(text, t) >= 0);
  const am = AM_TERMS.some((t) => termIndex(text, t) >= 0);
  let hour: number | undefined;
  let minute = 0;
  const hhmm = /(?<![\d/])(\d{1,2})[:.](\d{2})(?![\d/])/.exec(text);
  const words = text.replace(/(สอง|สาม|สี่|ห้า|หก|หนึ่ง|เจ็ด|แปด|เก้า|สิบ)(?=\s*(?:โมง|ทุ่ม)|$)/g, (w) => String(findNumbers(w)[0]?.value ?? w));
  const thai = THAI_CLOCK.exec(words);
  const afternoonThai = /บ่าย\s*(\d{1,2}|สอง|สาม|สี่|ห้า|โมง)/.exec(text);
  const ampm = /(?<![\d/])(\d{1,2})\s*(?:am|pm|a\.m\.|p\.m\.)/.exec(text);
  const at = /(?:\bat|@|เวลา|الساعة|ساعة)\s*(\d{1,2})(?![\d/])/.exec(text);
  if (hhmm) {
    hour = Number(hhmm[1]);
    minute = Number(hhmm[2]);
  } else if (thai) {
    hour = Number(thai[1]) + (thai[2] === 'ทุ่ม' ? 18 : 0);
  } else if (afternoonThai) {
    const n = afternoonThai[1] === 'โมง' ? 1 : (findNumbers(afternoonThai[1]!)[0]?.value ?? 1);
    hour = n + 12;
  } else if (ampm) {
    hour = Number(ampm[1]);
  } else if (at) {
    hour = Number(at[1]);
  }
  if (hour === undefined || minute > 59) return undefined;
  if (pm && hour < 12) hour += 12;
  else if (am && hour === 12) hour = 0;
  else if (!am && !pm && hour >= 1 && hour <= 7) hour += 12; // "at 3" in a shop open by day is 15:00
  if (hour > 23) return undefined;
  return { hour, minute };
}

function addDays(p: { year: number; month: number; day: number }, n: number): { year: number; month: number; day: number; weekday: number } {
  const d = new Date(Date.UTC(p.year, p.month - 1, p.day + n));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), weekday: d.getUTCDay() };
}

/**
 * Parses when a customer wants something, relative to `now` in `timeZone`.
 * A weekday means its next occurrence after today ("Saturday" said on a
 * Saturday is next week's). Undefined when no day or time is recognised.
 */
export function parseWhen(raw: string, now: Date, timeZone: string, dayStart = '10:00'): ParsedWhen | undefined {
  const text = customerText(raw);
  if (!text) return undefined;
  const today = localParts(now, timeZone);
  let day: ParsedWhen['day'] | undefined;
  for (const [offset, terms] of RELATIVE_DAY_TERMS) {
    if (terms.some((t) => termIndex(text, t) >= 0)) {
      day = addDays(today, offset);
      break;
    }
  }
  if (!day) {
    for (const [weekday, terms] of WEEKDAY_TERMS) {
      if (terms.some((t) => termIndex(text, t) >= 0)) {
        const ahead = (weekday - today.weekday + 7) % 7 || 7;
        day = addDays(today, ahead);
        break;
      }
    }
  }
  if (!day) {
    const dm = /(?<!\d)(\d{1,2})\/(\d{1,2})(?:\/(\d{2,4}))?(?!\d)/.exec(text);
    if (dm) {
      const d = Number(dm[1]);
      const m = Number(dm[2]);
      let y = dm[3] ? Number(dm[3]) : today.year;
      if (y < 100) y += 2000;
      if (y > 2400) y -= 543; // Thai Buddhist-era years
      if (m >= 1 && m <= 12 && d >= 1 && d <= 31) {
        if (!dm[3] && (m < today.month || (m === today.month && d < today.day))) y += 1;
        const probe = new Date(Date.UTC(y, m - 1, d));
        if (probe.getUTCDate() === d) day = { year: y, month: m, day: d, weekday: probe.getUTCDay() };
      }
    }
  }
  const time = parseTime(text);
  if (!day && !time) return undefined;
  if (!day) {
    // A time alone: today if it is still ahead, else tomorrow.
    const later = time!.hour * 60 + time!.minute > today.hour * 60 + today.minute;
    day = addDays(today, later ? 0 : 1);
  }
  const [h, m] = dayStart.split(':').map(Number) as [number, number];
  const at = zonedTime(day.year, day.month, day.day, time?.hour ?? h, time?.minute ?? m, timeZone);
  return { at, hasTime: time !== undefined, day };
}

const DAY_KEYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

/** The tenant's business-hours day key ("sat") for a weekday number. */
export function dayKey(weekday: number): string {
  return DAY_KEYS[weekday] ?? 'sun';
}
