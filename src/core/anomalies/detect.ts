import { DateTime } from 'luxon';

/**
 * The statistics of the anomaly checks, as pure functions over daily numbers.
 *
 * Baseline: a tenant is compared with itself. The "current" days are the
 * last 7 complete days; the baseline is the 28 days before them (4 weeks, so
 * every weekday appears 4 times). Listed holidays are dropped from both.
 *
 * Counts (lead volume): each current day is expected to look like the mean
 * of the same weekday in the baseline (Mondays are not Sundays), with a
 * variance of at least that mean (Poisson: a count of 10 easily reads 7 or
 * 13) or the baseline's own day-to-day scatter when that is larger. For each
 * run of recent days ending yesterday (3 to 7 days long) we compare the sum
 * with its expected sum; the run with the largest z-score is the deviation,
 * and its first day is "since when". A run fires only when all of these hold:
 *   - |z| ≥ 3 (well outside the normal range, not a wobble);
 *   - the sum and the median day are both at least 30% off (a material
 *     change; the median keeps one odd day — a holiday nobody listed — from
 *     carrying a three-day run);
 *   - the sample is big enough: at least `minCount` leads expected over the
 *     7 days, and half that over the run (small samples say nothing);
 *   - it lasts at least 3 days (one quiet day is not a trend).
 * Rates (reply rate, win rate) pool numerator and denominator over the same
 * runs and use the binomial spread around the baseline rate, with a minimum
 * denominator and a 10-point minimum change. Medians (response time) compare
 * a run's median with the baseline median, with the spread of the four
 * baseline weeks' medians (at least 20% or 5 minutes) as the band.
 *
 * We chose this over a plain mean ± k·σ of weekly totals because four weekly
 * samples give a very unsteady σ, and over daily thresholds because daily
 * numbers of a small business are too noisy to say anything alone.
 */
export const Z_LIMIT = 3;
export const MIN_RUN_DAYS = 3;
export const MIN_COUNT_CHANGE = 0.3;
export const MIN_RATE_CHANGE = 0.1;
export const MIN_MEDIAN_CHANGE = 0.5;
export const CURRENT_DAYS = 7;
export const BASELINE_DAYS = 28;

export type Finding =
  | {
      status: 'anomaly';
      direction: 'up' | 'down';
      expected: number;
      low: number;
      high: number;
      actual: number;
      since: string;
      days: number;
      change: number;
      z: number;
    }
  | { status: 'normal'; expected: number; low: number; high: number; actual: number; days: number; why: string }
  | { status: 'insufficient'; why: string; expected?: number; actual?: number };

export interface CheckDays {
  /** Current days, oldest first, holidays removed. */
  current: string[];
  /** Baseline days, oldest first, holidays removed. */
  baseline: string[];
}

/** The days a check on `checkDate` (the last complete day) looks at. */
export function checkDays(checkDate: string, holidays: ReadonlySet<string>): CheckDays {
  const end = DateTime.fromISO(checkDate, { zone: 'UTC' });
  const iso = (n: number) => end.minus({ days: n }).toISODate()!;
  const current: string[] = [];
  const baseline: string[] = [];
  for (let i = CURRENT_DAYS - 1; i >= 0; i--) if (!holidays.has(iso(i))) current.push(iso(i));
  for (let i = CURRENT_DAYS + BASELINE_DAYS - 1; i >= CURRENT_DAYS; i--) if (!holidays.has(iso(i))) baseline.push(iso(i));
  return { current, baseline };
}

const weekday = (d: string) => DateTime.fromISO(d, { zone: 'UTC' }).weekday;
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const mean = (xs: number[]) => (xs.length ? sum(xs) / xs.length : 0);
export function median(xs: number[]): number {
  if (!xs.length) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** The runs of recent days a check considers: the last 3, 4, … up to all current days. */
function runs(current: string[]): string[][] {
  const out: string[][] = [];
  for (let k = MIN_RUN_DAYS; k <= current.length; k++) out.push(current.slice(current.length - k));
  return out;
}

/** Per-day expectation and variance for a count, from the same weekday in the baseline. */
export function countModel(values: ReadonlyMap<string, number>, baseline: string[]): (day: string) => { expected: number; variance: number } {
  const v = (d: string) => values.get(d) ?? 0;
  const byWeekday = new Map<number, number[]>();
  for (const d of baseline) byWeekday.set(weekday(d), [...(byWeekday.get(weekday(d)) ?? []), v(d)]);
  const overall = mean(baseline.map(v));
  const dayMean = (d: string) => {
    const same = byWeekday.get(weekday(d)) ?? [];
    return same.length >= 2 ? mean(same) : overall;
  };
  const residuals = baseline.map((d) => v(d) - dayMean(d));
  const scatter = residuals.length > 7 ? sum(residuals.map((r) => r * r)) / (residuals.length - 7) : 0;
  return (day) => {
    const expected = dayMean(day);
    return { expected, variance: Math.max(expected, scatter, 1e-9) };
  };
}

/** Lead volume (a count per day) against its own baseline. */
export function checkCount(values: ReadonlyMap<string, number>, days: CheckDays, minCount: number): Finding {
  if (days.baseline.length < 14) return { status: 'insufficient', why: 'not_enough_history' };
  if (days.current.length < MIN_RUN_DAYS) return { status: 'insufficient', why: 'too_few_working_days' };
  const model = countModel(values, days.baseline);
  const v = (d: string) => values.get(d) ?? 0;
  const week = days.current;
  const weekExpected = sum(week.map((d) => model(d).expected));
  if (weekExpected < minCount) return { status: 'insufficient', why: 'sample_too_small', expected: weekExpected, actual: sum(week.map(v)) };
  let best: Extract<Finding, { status: 'anomaly' }> | undefined;
  for (const run of runs(week)) {
    const expected = sum(run.map((d) => model(d).expected));
    const sd = Math.sqrt(sum(run.map((d) => model(d).variance)));
    const actual = sum(run.map(v));
    if (expected < minCount / 2 || expected <= 0) continue;
    const z = (actual - expected) / sd;
    const change = actual / expected - 1;
    const medianRatio = median(run.map((d) => (model(d).expected > 0 ? v(d) / model(d).expected : 1)));
    const material = Math.abs(change) >= MIN_COUNT_CHANGE && Math.sign(medianRatio - 1) === Math.sign(change) && Math.abs(medianRatio - 1) >= MIN_COUNT_CHANGE;
    if (Math.abs(z) < Z_LIMIT || !material) continue;
    if (!best || Math.abs(z) > Math.abs(best.z)) {
      best = { status: 'anomaly', direction: z < 0 ? 'down' : 'up', expected, low: Math.max(0, expected - Z_LIMIT * sd), high: expected + Z_LIMIT * sd, actual, since: run[0]!, days: run.length, change, z };
    }
  }
  if (best) return best;
  const sd = Math.sqrt(sum(week.map((d) => model(d).variance)));
  return { status: 'normal', expected: weekExpected, low: Math.max(0, weekExpected - Z_LIMIT * sd), high: weekExpected + Z_LIMIT * sd, actual: sum(week.map(v)), days: week.length, why: 'inside_band' };
}

/**
 * A channel's share of all leads over the same run, against its baseline
 * share: the confirmation a channel's drop needs. When every channel drops
 * together (a holiday, a quiet week) the shares stay put and no channel is
 * singled out.
 */
export function shareHolds(channel: ReadonlyMap<string, number>, total: ReadonlyMap<string, number>, baseline: string[], run: string[], direction: 'up' | 'down'): { holds: boolean; share: number; usual: number } {
  const s = (m: ReadonlyMap<string, number>, ds: string[]) => sum(ds.map((d) => m.get(d) ?? 0));
  const usual = s(total, baseline) > 0 ? s(channel, baseline) / s(total, baseline) : 0;
  const n = s(total, run);
  const share = n > 0 ? s(channel, run) / n : 0;
  if (n === 0) return { holds: direction === 'down', share, usual };
  const p = Math.min(0.98, Math.max(0.02, usual));
  const z = (share - usual) / Math.sqrt((p * (1 - p)) / n);
  // A secondary test on the same run, so a lower bar than the count's own.
  return { holds: direction === 'down' ? z <= -2 : z >= 2, share, usual };
}

export interface RateDay {
  num: number;
  den: number;
}

/** A rate (numerator/denominator per day) against the baseline's pooled rate. */
export function checkRate(values: ReadonlyMap<string, RateDay>, days: CheckDays, minCount: number): Finding {
  if (days.baseline.length < 14) return { status: 'insufficient', why: 'not_enough_history' };
  const get = (d: string) => values.get(d) ?? { num: 0, den: 0 };
  const bNum = sum(days.baseline.map((d) => get(d).num));
  const bDen = sum(days.baseline.map((d) => get(d).den));
  const week = days.current;
  const wDen = sum(week.map((d) => get(d).den));
  const wNum = sum(week.map((d) => get(d).num));
  if (bDen < 2 * minCount || wDen < minCount) return { status: 'insufficient', why: 'sample_too_small', expected: bDen ? bNum / bDen : 0, actual: wDen ? wNum / wDen : 0 };
  const p0 = bNum / bDen;
  const pc = Math.min(0.98, Math.max(0.02, p0));
  let best: Extract<Finding, { status: 'anomaly' }> | undefined;
  for (const run of runs(week)) {
    const den = sum(run.map((d) => get(d).den));
    if (den < minCount) continue;
    const p = sum(run.map((d) => get(d).num)) / den;
    const sd = Math.sqrt((pc * (1 - pc)) / den);
    const z = (p - p0) / sd;
    if (Math.abs(z) < Z_LIMIT || Math.abs(p - p0) < MIN_RATE_CHANGE) continue;
    if (!best || Math.abs(z) > Math.abs(best.z)) {
      best = { status: 'anomaly', direction: z < 0 ? 'down' : 'up', expected: p0, low: Math.max(0, p0 - Z_LIMIT * sd), high: Math.min(1, p0 + Z_LIMIT * sd), actual: p, since: run[0]!, days: run.length, change: p - p0, z };
    }
  }
  if (best) return best;
  const sd = Math.sqrt((pc * (1 - pc)) / wDen);
  return { status: 'normal', expected: p0, low: Math.max(0, p0 - Z_LIMIT * sd), high: Math.min(1, p0 + Z_LIMIT * sd), actual: wNum / wDen, days: week.length, why: 'inside_band' };
}

export interface MedianSample {
  median: number | null;
  n: number;
}

/**
 * A median (response minutes) per run against the baseline median and the
 * spread of the baseline weeks' medians. A median barely moves when a run
 * takes in a normal day or two, so a run only counts when its own first day
 * is off too, and of equally deviant runs the longest wins: that is "since when".
 */
export function checkMedian(
  baseline: MedianSample,
  weeks: MedianSample[],
  runsByStart: { since: string; days: number; sample: MedianSample; first?: MedianSample | undefined }[],
  minCount: number,
): Finding {
  if (baseline.median === null || baseline.n < 2 * minCount) return { status: 'insufficient', why: 'sample_too_small' };
  const expected = baseline.median;
  const weekly = weeks.filter((w) => w.median !== null && w.n >= 5).map((w) => w.median!);
  const sdWeeks = weekly.length >= 2 ? Math.sqrt(sum(weekly.map((w) => (w - mean(weekly)) ** 2)) / (weekly.length - 1)) : 0;
  const spread = Math.max(sdWeeks, 0.2 * expected, 5);
  const low = Math.max(0, expected - Z_LIMIT * spread);
  const high = expected + Z_LIMIT * spread;
  let best: Extract<Finding, { status: 'anomaly' }> | undefined;
  for (const r of runsByStart) {
    if (r.sample.median === null || r.sample.n < minCount) continue;
    const actual = r.sample.median;
    const z = (actual - expected) / spread;
    const change = expected > 0 ? actual / expected - 1 : 0;
    if (Math.abs(z) < Z_LIMIT || Math.abs(change) < MIN_MEDIAN_CHANGE) continue;
    if (r.first && (r.first.median === null || (r.first.median - expected) * Math.sign(z) < spread)) continue;
    if (!best || Math.abs(z) >= Math.abs(best.z)) best = { status: 'anomaly', direction: z < 0 ? 'down' : 'up', expected, low, high, actual, since: r.since, days: r.days, change, z };
  }
  if (best) return best;
  const longest = runsByStart.at(-1);
  if (!longest || longest.sample.median === null || longest.sample.n < minCount) return { status: 'insufficient', why: 'sample_too_small', expected };
  return { status: 'normal', expected, low, high, actual: longest.sample.median, days: longest.days, why: 'inside_band' };
}
