import { describe, expect, it } from 'vitest';
import { DateTime } from 'luxon';
import { checkCount, checkDays, checkMedian, checkRate, shareHolds } from '../../src/core/anomalies/detect.ts';

const D = '2026-11-22';
const day = (n: number) => DateTime.fromISO(D, { zone: 'UTC' }).minus({ days: n }).toISODate()!;
/** A daily series over the 35 days ending D: `f(daysAgo)`. */
const series = (f: (ago: number) => number) => new Map(Array.from({ length: 35 }, (_, i) => [day(i), f(i)] as const));

describe('anomaly statistics', () => {
  const days = checkDays(D, new Set());

  it('looks at the last 7 days against the 28 before', () => {
    expect(days.current).toHaveLength(7);
    expect(days.current.at(-1)).toBe(D);
    expect(days.baseline).toHaveLength(28);
    expect(days.baseline.at(-1)).toBe(day(7));
    expect(checkDays(D, new Set([day(0), day(10)])).current).not.toContain(D);
    expect(checkDays(D, new Set([day(0), day(10)])).baseline).toHaveLength(27);
  });

  it('finds a halving, with the first day it began', () => {
    const f = checkCount(series((ago) => (ago <= 4 ? 10 : 20 + (ago % 3) - 1)), days, 20);
    expect(f).toMatchObject({ status: 'anomaly', direction: 'down', since: day(4), days: 5, actual: 50 });
    if (f.status !== 'anomaly') throw new Error('no anomaly');
    expect(f.expected).toBeCloseTo(100, 0);
    expect(f.low).toBeGreaterThan(50);
    expect(f.high).toBeGreaterThan(f.expected);
  });

  it('stays quiet for normal noise, one odd day, and small samples', () => {
    expect(checkCount(series((ago) => 20 + ((ago * 7) % 5) - 2), days, 20).status).toBe('normal');
    // One day at a third of usual (an unlisted holiday) is not a trend.
    expect(checkCount(series((ago) => (ago === 0 ? 7 : 20)), days, 20).status).toBe('normal');
    expect(checkCount(series((ago) => (ago <= 4 ? 0 : 1)), days, 20)).toMatchObject({ status: 'insufficient', why: 'sample_too_small' });
  });

  it('a weekday pattern is normal, not an anomaly', () => {
    // Weekends at a quarter of weekdays, every week: the same-weekday baseline expects it.
    const wk = (ago: number) => DateTime.fromISO(day(ago)).weekday >= 6;
    expect(checkCount(series((ago) => (wk(ago) ? 5 : 20)), days, 20).status).toBe('normal');
  });

  it("a channel's drop counts only when its share of the total drops too", () => {
    const total = series((ago) => (ago <= 4 ? 20 : 40));
    const even = series((ago) => (ago <= 4 ? 5 : 10));
    const alone = series((ago) => (ago <= 4 ? 2 : 10));
    const run = days.current.slice(2);
    expect(shareHolds(even, total, days.baseline, run, 'down').holds).toBe(false);
    expect(shareHolds(alone, total, days.baseline, run, 'down').holds).toBe(true);
  });

  it('rates: a 30-point drop on enough leads fires, a small one on few leads does not', () => {
    const rate = (p: (ago: number) => number, den: number) => new Map(Array.from({ length: 35 }, (_, i) => [day(i), { num: Math.round(p(i) * den), den }] as const));
    expect(checkRate(rate((ago) => (ago <= 4 ? 0.3 : 0.6), 20), days, 20)).toMatchObject({ status: 'anomaly', direction: 'down', since: day(4) });
    expect(checkRate(rate((ago) => (ago <= 4 ? 0.55 : 0.6), 20), days, 20).status).toBe('normal');
    expect(checkRate(rate(() => 0.6, 1), days, 20).status).toBe('insufficient');
  });

  it('medians: response time tripling fires; within the weekly spread does not', () => {
    const s = (median: number, n = 40) => ({ median, n });
    const weeks = [s(30), s(34), s(28), s(32)];
    const runs = (m: number) => [3, 4, 5, 6, 7].map((k) => ({ since: day(k - 1), days: k, sample: s(m, 10 * k) }));
    expect(checkMedian(s(31, 160), weeks, runs(95), 20)).toMatchObject({ status: 'anomaly', direction: 'up' });
    expect(checkMedian(s(31, 160), weeks, runs(36), 20).status).toBe('normal');
    expect(checkMedian(s(31, 10), weeks, runs(95), 20).status).toBe('insufficient');
    // Slow for the last 5 days: the 6- and 7-day runs have the same median, but their first days were normal.
    const slowFrom = (k: number) => [3, 4, 5, 6, 7].map((d) => ({ since: day(d - 1), days: d, sample: s(95, 10 * d), first: s(d <= k ? 95 : 30, 10) }));
    expect(checkMedian(s(31, 160), weeks, slowFrom(5), 20)).toMatchObject({ status: 'anomaly', since: day(4), days: 5 });
  });
});
