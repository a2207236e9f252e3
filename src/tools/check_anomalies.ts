import { DateTime } from 'luxon';
import { z } from 'zod';
import { runAnomalyChecks, type CheckResult } from '../core/anomalies/check.ts';
import type { Finding } from '../core/anomalies/detect.ts';
import { anomalyMessage, subject } from '../core/anomalies/render.ts';
import { outbound, type OutboundPart } from '../core/messages/types.ts';
import { defineTool } from './types.ts';

const Input = z.object({
  date: z.iso.date().optional().describe("the last complete day to check, YYYY-MM-DD (default the tenant's yesterday)"),
});

interface Result {
  date: string;
  results: CheckResult[];
}

type Anomaly = CheckResult & { finding: Extract<Finding, { status: 'anomaly' }> };

/**
 * "Anything unusual?": the daily anomaly checks run now, read-only. The
 * alerts themselves come from the scheduler, once per episode; this shows
 * what the checks see, including why the quiet ones are quiet.
 */
export const checkAnomaliesTool = defineTool({
  name: 'check_anomalies',
  description: "Checks lead volume (total and per channel), reply rate, conversion (win rate) and median first response of the last 7 days against the tenant's own previous 4 weeks, and says what is outside its normal range (with expected range, actual value and since when) and why the rest is not.",
  roles: ['manager', 'admin'],
  input: Input,
  async run(ctx, args) {
    const date = args.date ?? DateTime.fromJSDate(ctx.now, { zone: ctx.tenant.timezone }).minus({ days: 1 }).toISODate()!;
    const results = await runAnomalyChecks(ctx.sql, ctx.tenant, date, ctx.now);
    const found = results.filter((r) => r.finding.status === 'anomaly').length;
    return { data: { date, results } satisfies Result, summary: `${found} anomalies through ${date}` };
  },
  present(result, ctx) {
    const r: Result = result.data;
    const anomalies = r.results.filter((x): x is Anomaly => x.finding.status === 'anomaly');
    const parts: OutboundPart[] = anomalies.flatMap((a) => anomalyMessage(ctx.tenant, a, ctx.locale).parts);
    if (!anomalies.length) parts.push({ type: 'text', text: ctx.t('jobs.anomaly.none') });
    const quiet = r.results.filter((x) => x.finding.status !== 'anomaly');
    if (quiet.length) {
      parts.push({
        type: 'table',
        columns: [ctx.t('jobs.digest.col_metric'), ctx.t('jobs.anomaly.col_result')],
        rows: quiet.map((x) => [subject(x, ctx.locale), ctx.t(`jobs.anomaly.why_${x.finding.status === 'anomaly' ? 'inside_band' : x.finding.why}`)]),
      });
    }
    return outbound(parts);
  },
});
