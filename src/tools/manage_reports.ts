import { z } from 'zod';
import { PolicyRefusal, ToolInputError } from '../errors.ts';
import { outbound } from '../core/messages/types.ts';
import { formatDateTime } from '../core/format.ts';
import { parseSchedule, type Schedule } from '../core/bi/schedule.ts';
import { cancelReport, createReport, listReports, type ReportRow } from '../core/bi/reports.ts';
import { lastQuery } from '../core/bi/memory.ts';
import { loadStaffNames } from '../core/bi/people.ts';
import type { MetricQuery } from '../core/bi/query.ts';
import { argsToQuery, answerLocale, QueryMetricsInput } from './query_metrics.ts';
import { defineTool, type ToolContext } from './types.ts';

function staffId(ctx: ToolContext): string {
  if (!ctx.actor.staffUserId) throw new PolicyRefusal('scheduled reports belong to staff members.');
  return ctx.actor.staffUserId;
}

const DAY_KEYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

/** "every Monday at 09:00" in the reader's language, from the cron pattern we stored. */
export function describeSchedule(cron: string, t: (k: string, o?: Record<string, unknown>) => string, locale: string): string {
  const [min, hour, dom, , dow] = cron.split(' ');
  const time = `${String(hour).padStart(2, '0')}:${String(min).padStart(2, '0')}`;
  if (dom !== '*') return t('metrics.report.monthly', { day: dom, time });
  if (dow === '1-5') return t('metrics.report.weekdays', { time });
  if (dow === '*') return t('metrics.report.daily', { time });
  // A known Sunday (2026-11-22) plus the weekday gives the localised day name.
  const date = new Date(Date.UTC(2026, 10, 22 + Number(dow)));
  const tags: Record<string, string> = { th: 'th-TH', ar: 'ar-SA', en: 'en-GB' };
  const day = new Intl.DateTimeFormat(tags[locale] ?? 'en-GB', { weekday: 'long', timeZone: 'UTC' }).format(date) || DAY_KEYS[Number(dow)]!;
  return t('metrics.report.weekly', { day, time });
}

type ScheduleResult = { kind: 'created'; report: ReportRow } | { kind: 'no_question' } | { kind: 'bad_schedule' } | { kind: 'not_a_query'; reason: string };

export const scheduleReport = defineTool({
  name: 'schedule_report',
  description:
    'Sends a metrics answer to the asker on a schedule ("every Monday 9am"). Without `question` it schedules the last metrics question asked in this conversation. Times are in the asker\'s timezone.',
  roles: ['rep', 'manager', 'admin'],
  input: z.object({
    when: z.string().trim().min(1).max(200).describe('When to send, in words: "every Monday 9am", "every day at 8:30", "on the 1st of every month"'),
    question: z.string().trim().min(1).max(500).optional().describe('The metrics question; defaults to the last one asked here'),
  }),
  writes: true,
  describeWrite(args, ctx) {
    return args.question ? ctx.t('confirm.schedule_report', { when: args.when, question: args.question }) : ctx.t('confirm.schedule_report_last', { when: args.when });
  },
  async run(ctx, args) {
    const staff = staffId(ctx);
    const schedule: Schedule | undefined = parseSchedule(args.when);
    if (!schedule) return { data: { kind: 'bad_schedule' } as ScheduleResult, summary: 'schedule not understood' };
    let query: MetricQuery;
    let name: string;
    let locale: string;
    if (args.question) {
      const parsed = QueryMetricsInput.safeParse({ question: args.question });
      if (!parsed.success) throw new ToolInputError('the question to schedule is not a valid metrics query.');
      const prepared = argsToQuery(parsed.data, { tenant: ctx.tenant, now: ctx.now, staff: await loadStaffNames(ctx.sql) });
      if ('kind' in prepared) return { data: { kind: 'not_a_query', reason: prepared.kind } as ScheduleResult, summary: `not scheduled: ${prepared.kind}` };
      query = prepared.query;
      name = args.question;
      locale = answerLocale(ctx.tenant, ctx.actor, args.question);
    } else {
      // "Send me this": the query last answered here, follow-ups included.
      const last = ctx.conversationId ? await lastQuery(ctx.sql, ctx.conversationId) : undefined;
      if (!last) return { data: { kind: 'no_question' } as ScheduleResult, summary: 'no question to schedule' };
      query = last.query;
      name = last.question ?? `${query.metric} ${query.time ?? ''}`.trim();
      locale = answerLocale(ctx.tenant, ctx.actor, last.question ?? undefined);
    }
    const report = await createReport(ctx.sql, {
      tenantId: ctx.tenant.id,
      staffUserId: staff,
      name,
      query,
      locale,
      cron: schedule.cron,
      timezone: ctx.actor.timezone || ctx.tenant.timezone,
      conversationId: ctx.conversationId ?? null,
    });
    return { data: { kind: 'created', report } as ScheduleResult, summary: `scheduled report ${report.id} (${report.cron})` };
  },
  present(res, ctx) {
    const r = res.data;
    if (r.kind === 'bad_schedule') return outbound([{ type: 'text', text: ctx.t('metrics.report.bad_schedule') }]);
    if (r.kind === 'no_question') return outbound([{ type: 'text', text: ctx.t('metrics.report.no_question') }]);
    if (r.kind === 'not_a_query') return outbound([{ type: 'text', text: ctx.t(r.reason === 'clarify' ? 'metrics.clarify' : 'metrics.not_understood') }]);
    const rep = r.report;
    return outbound([
      { type: 'text', text: ctx.t('metrics.report.created', { number: rep.number, name: rep.name, when: describeSchedule(rep.cron, ctx.t, ctx.locale), timezone: rep.timezone }) },
      { type: 'buttons', buttons: [{ label: ctx.t('metrics.report.cancel_button', { number: rep.number }), payload: { action: 'cancel_report', args: { number: String(rep.number) } }, style: 'danger' }] },
    ]);
  },
});

export const listReportsTool = defineTool({
  name: 'list_reports',
  description: 'Lists the asker\'s active scheduled reports with their numbers, schedules and last send time.',
  roles: ['rep', 'manager', 'admin'],
  input: z.object({}),
  async run(ctx) {
    const rows = await listReports(ctx.sql, staffId(ctx));
    return { data: rows, summary: `${rows.length} reports` };
  },
  present(res, ctx) {
    const rows = res.data;
    if (!rows.length) return outbound([{ type: 'text', text: ctx.t('metrics.report.none') }]);
    return outbound([
      { type: 'text', text: ctx.t('metrics.report.list_title') },
      {
        type: 'table',
        columns: [ctx.t('metrics.report.col_number'), ctx.t('metrics.report.col_question'), ctx.t('metrics.report.col_when'), ctx.t('metrics.report.col_last_run')],
        rows: rows.map((r) => [
          String(r.number),
          r.name,
          `${describeSchedule(r.cron, ctx.t, ctx.locale)} (${r.timezone})`,
          r.last_run_at ? formatDateTime(r.last_run_at, r.timezone, ctx.locale) : ctx.t('metrics.report.never'),
        ]),
      },
    ]);
  },
});

const digits = (v: unknown) => (typeof v === 'string' ? v.replace(/[\u0660-\u0669]/g, (d) => String(d.charCodeAt(0) - 0x0660)).replace(/[\u0e50-\u0e59]/g, (d) => String(d.charCodeAt(0) - 0x0e50)) : v);

export const cancelReportTool = defineTool({
  name: 'cancel_report',
  description: 'Stops one of the asker\'s scheduled reports, by its number.',
  roles: ['rep', 'manager', 'admin'],
  input: z.object({ number: z.preprocess(digits, z.coerce.number().int().min(1).max(9999)) }),
  writes: true,
  describeWrite(_args, ctx) {
    return ctx.t('confirm.cancel_report');
  },
  async run(ctx, args) {
    const row = await cancelReport(ctx.sql, staffId(ctx), args.number);
    return { data: { number: args.number, row: row ?? null }, summary: row ? `cancelled report ${row.id}` : `no report ${args.number}` };
  },
  present(res, ctx) {
    const { number, row } = res.data;
    return outbound([{ type: 'text', text: row ? ctx.t('metrics.report.cancelled', { number, name: row.name }) : ctx.t('metrics.report.not_found', { number }) }]);
  },
});
