import { DateTime } from 'luxon';
import { z } from 'zod';
import type { Sql } from '../../db/database.ts';
import { executeMetricQuery } from '../bi/execute.ts';
import { MetricQuerySchema, type Filter } from '../bi/query.ts';
import type { Tenant } from '../tenants.ts';
import { BASELINE_DAYS, CURRENT_DAYS, MIN_RUN_DAYS, checkCount, checkDays, checkMedian, checkRate, shareHolds, type Finding, type RateDay } from './detect.ts';

/**
 * The daily anomaly checks of one tenant, read through the BI layer (the
 * same metric definitions as the chat's answers), for the last complete day
 * in the tenant's time zone. Returns every check's finding, including why the
 * quiet ones did not fire, so `closer anomalies` can show its reasoning.
 */
const Hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/);
export const AnomalySettingsSchema = z.object({
  anomaly_checks: z.enum(['on', 'off']).catch('on').default('on'),
  anomaly_check_time: Hhmm.catch('08:00').default('08:00'),
  anomaly_min_count: z.number().int().min(1).max(100_000).catch(20).default(20),
  holidays: z.array(z.iso.date()).catch([]).default([]),
});
export type AnomalySettings = z.infer<typeof AnomalySettingsSchema>;

export function anomalySettings(tenant: Tenant): AnomalySettings {
  return AnomalySettingsSchema.parse(tenant.settings);
}

/** The metric shown for "conversion": deals won of deals closed that day (see below). */
export const CHECKED_METRICS = ['leads_created', 'reply_rate', 'win_rate', 'first_response_median'] as const;
export type CheckedMetric = (typeof CHECKED_METRICS)[number];

export interface CheckResult {
  metric: CheckedMetric;
  /** 'total' or 'channel=<name>'. */
  dimension: string;
  /** The last day this check looked at (cohort metrics look one day further back). */
  through: string;
  finding: Finding;
}

/**
 * Reply rate and response time are cohort metrics (leads created that day):
 * yesterday's leads have had a few hours to write back or be answered, so
 * they would always look worse. Those checks end a day earlier.
 */
const COHORT_LAG_DAYS = 1;

export async function runAnomalyChecks(sql: Sql, tenant: Tenant, checkDate: string, now: Date): Promise<CheckResult[]> {
  const settings = anomalySettings(tenant);
  const holidays = new Set(settings.holidays);
  const minCount = settings.anomaly_min_count;
  const shift = (d: string, n: number) => DateTime.fromISO(d, { zone: 'UTC' }).minus({ days: n }).toISODate()!;
  const span = (end: string) => `${shift(end, CURRENT_DAYS + BASELINE_DAYS - 1)}..${end}`;
  const run = (metric: string, time: string, dimensions: string[] = [], filters: Filter[] = []) =>
    executeMetricQuery(sql, MetricQuerySchema.parse({ metric, time, dimensions, filters, limit: 200 }), { tenant, now, locale: 'en' });
  const daily = async (metric: string, end: string, filters: Filter[] = []) => new Map((await run(metric, span(end), ['day'], filters)).rows.map((r) => [r.keys[0]!, r] as const));

  const results: CheckResult[] = [];
  // Lead volume: the total, then each channel, which must also lose (or gain) its share of the total to count.
  const days = checkDays(checkDate, holidays);
  const total = new Map([...(await daily('leads_created', checkDate)).entries()].map(([d, r]) => [d, r.value ?? 0]));
  results.push({ metric: 'leads_created', dimension: 'total', through: checkDate, finding: checkCount(total, days, minCount) });
  const channels = (await run('leads_created', span(checkDate), ['channel'])).rows.map((r) => r.keys[0]!).sort();
  for (const ch of channels) {
    const series = new Map([...(await daily('leads_created', checkDate, [{ dimension: 'channel', op: 'eq', values: [ch] }])).entries()].map(([d, r]) => [d, r.value ?? 0]));
    let finding = checkCount(series, days, minCount);
    if (finding.status === 'anomaly') {
      const runDays = days.current.filter((d) => d >= (finding as { since: string }).since);
      const share = shareHolds(series, total, days.baseline, runDays, finding.direction);
      if (!share.holds) {
        finding = { status: 'normal', expected: finding.expected, low: finding.low, high: finding.high, actual: finding.actual, days: finding.days, why: 'moved_with_total' };
      }
    }
    results.push({ metric: 'leads_created', dimension: `channel=${ch}`, through: checkDate, finding });
  }

  const cohortEnd = shift(checkDate, COHORT_LAG_DAYS);
  const cohortDays = checkDays(cohortEnd, holidays);
  const rates = async (metric: string, end: string) =>
    new Map([...(await daily(metric, end)).entries()].map(([d, r]): [string, RateDay] => [d, { num: Math.round((r.value ?? 0) * r.n), den: r.n }]));
  // Of the leads we answered, the share who wrote back.
  results.push({ metric: 'reply_rate', dimension: 'total', through: cohortEnd, finding: checkRate(await rates('reply_rate', cohortEnd), cohortDays, minCount) });
  // "Conversion" is checked as the win rate of deals closed each day: the cohort conversion rate (leads
  // created that day now in a won stage) is always low for recent leads, who have not had time to buy.
  results.push({ metric: 'win_rate', dimension: 'total', through: checkDate, finding: checkRate(await rates('win_rate', checkDate), days, minCount) });

  // Response time: medians do not add up by day, so each period is its own query.
  const median = async (start: string, end: string) => {
    // The total is the period's median; the per-day rows' n add up to the leads it was computed over.
    const r = await run('first_response_median', `${start}..${end}`, ['day']);
    return { median: r.total, n: r.rows.reduce((a, x) => a + x.n, 0) };
  };
  const baseEnd = shift(cohortEnd, CURRENT_DAYS);
  const baseline = await median(shift(baseEnd, BASELINE_DAYS - 1), baseEnd);
  const weeks = [];
  for (let w = 0; w < BASELINE_DAYS / 7; w++) weeks.push(await median(shift(baseEnd, w * 7 + 6), shift(baseEnd, w * 7)));
  const perDay = new Map((await run('first_response_median', `${shift(cohortEnd, CURRENT_DAYS - 1)}..${cohortEnd}`, ['day'])).rows.map((r) => [r.keys[0]!, { median: r.value, n: r.n }] as const));
  const runs = [];
  for (let k = MIN_RUN_DAYS; k <= CURRENT_DAYS; k++) {
    const since = shift(cohortEnd, k - 1);
    runs.push({ since, days: k, sample: await median(since, cohortEnd), first: perDay.get(since) ?? { median: null, n: 0 } });
  }
  results.push({ metric: 'first_response_median', dimension: 'total', through: cohortEnd, finding: checkMedian(baseline, weeks, runs, minCount) });
  return results;
}
