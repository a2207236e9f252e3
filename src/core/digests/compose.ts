import { DateTime } from 'luxon';
import type { Sql } from '../../db/database.ts';
import { executeMetricQuery } from '../bi/execute.ts';
import { metricDef, type ValueKind } from '../bi/layer.ts';
import { MetricQuerySchema } from '../bi/query.ts';
import type { Tenant } from '../tenants.ts';
import { localDayBounds, type DigestStaff } from './schedule.ts';

/**
 * What a morning digest says, as data (rendering is separate, per locale).
 * A composer returns null when there is nothing worth a message: an empty
 * digest every morning teaches people to ignore digests.
 */
export interface RepDigest {
  kind: 'rep';
  localDate: string;
  timezone: string;
  hotLeads: { id: string; name: string; score: number | null; stage: string }[];
  hotLeadsTotal: number;
  tasks: { id: string; title: string; kind: string; dueAt: Date; lead: string | null; overdue: boolean }[];
  tasksTotal: number;
  overdueTotal: number;
  followups: { id: string; dueAt: Date; lead: string; channel: string | null }[];
  followupsTotal: number;
}

export interface ManagerLine {
  metric: string;
  kind: ValueKind;
  higherIsBetter: boolean;
  value: number | null;
  previous: number | null;
}

export interface ManagerDigest {
  kind: 'manager';
  localDate: string;
  /** The day the numbers are for (the manager's yesterday), counted in the tenant's time zone. */
  day: string;
  lines: ManagerLine[];
}

export type Digest = RepDigest | ManagerDigest;

const LIST_LIMIT = 8;

/**
 * A rep's morning: their open grade-A leads, their tasks due today or
 * overdue, and the follow-ups due to go out today to leads they own. "Today"
 * is the rep's own calendar day.
 */
export async function composeRepDigest(sql: Sql, staff: DigestStaff, localDate: string, locale: string): Promise<RepDigest | null> {
  const { start, end } = localDayBounds(localDate, staff.timezone);
  const hot = await sql.query<{ id: string; name: string; score: number | null; stage: string; total: number }>(
    `SELECT l.id, l.display_name AS name, l.score, COALESCE(ps.names->>$2, ps.names->>'en', l.stage_key) AS stage, count(*) OVER ()::int AS total
     FROM leads l JOIN pipeline_stages ps ON ps.key = l.stage_key
     WHERE l.owner_id = $1 AND l.grade = 'A' AND NOT ps.is_won AND NOT ps.is_lost
     ORDER BY l.score DESC NULLS LAST, l.display_name LIMIT ${LIST_LIMIT}`,
    [staff.id, locale],
  );
  const tasks = await sql.query<{ id: string; title: string; kind: string; due_at: Date; lead: string | null; total: number; overdue_total: number }>(
    `SELECT t.id, t.title, t.kind, t.due_at, l.display_name AS lead, count(*) OVER ()::int AS total,
            (count(*) FILTER (WHERE t.due_at < $2) OVER ())::int AS overdue_total
     FROM tasks t LEFT JOIN leads l ON l.id = t.lead_id
     WHERE t.assignee_id = $1 AND t.status = 'open' AND t.due_at < $3
     ORDER BY t.due_at LIMIT ${LIST_LIMIT}`,
    [staff.id, start, end],
  );
  const followups = await sql.query<{ id: string; due_at: Date; lead: string; channel: string | null; total: number }>(
    `SELECT f.id, f.due_at, l.display_name AS lead, f.channel, count(*) OVER ()::int AS total
     FROM followup_executions f JOIN leads l ON l.id = f.lead_id
     WHERE l.owner_id = $1 AND f.status = 'pending' AND f.due_at >= $2 AND f.due_at < $3
     ORDER BY f.due_at LIMIT ${LIST_LIMIT}`,
    [staff.id, start, end],
  );
  const digest: RepDigest = {
    kind: 'rep',
    localDate,
    timezone: staff.timezone,
    hotLeads: hot.rows.map((r) => ({ id: r.id, name: r.name, score: r.score, stage: r.stage })),
    hotLeadsTotal: hot.rows[0]?.total ?? 0,
    tasks: tasks.rows.map((r) => ({ id: r.id, title: r.title, kind: r.kind, dueAt: r.due_at, lead: r.lead, overdue: r.due_at < start })),
    tasksTotal: tasks.rows[0]?.total ?? 0,
    overdueTotal: tasks.rows[0]?.overdue_total ?? 0,
    followups: followups.rows.map((r) => ({ id: r.id, dueAt: r.due_at, lead: r.lead, channel: r.channel })),
    followupsTotal: followups.rows[0]?.total ?? 0,
  };
  return digest.hotLeadsTotal + digest.tasksTotal + digest.followupsTotal === 0 ? null : digest;
}

/** The numbers a manager reads over coffee, in this order. */
export const MANAGER_METRICS = ['leads_created', 'reply_rate', 'first_response_median', 'deals_won', 'revenue', 'sla_breaches'] as const;

/**
 * A manager's morning: yesterday's key numbers with the day before, through
 * the BI layer (the same definitions as "how many leads yesterday?" in chat),
 * for the calendar day in the tenant's time zone. Nothing to say when
 * yesterday had no leads, no won deals and no breaches.
 */
export async function composeManagerDigest(sql: Sql, tenant: Tenant, localDate: string, locale: string, now: Date): Promise<ManagerDigest | null> {
  const day = DateTime.fromISO(localDate).minus({ days: 1 }).toISODate()!;
  const lines: ManagerLine[] = [];
  for (const metric of MANAGER_METRICS) {
    const r = await executeMetricQuery(sql, MetricQuerySchema.parse({ metric, time: day, compare: 'previous_period' }), { tenant, now, locale });
    const def = metricDef(metric)!;
    lines.push({ metric, kind: def.kind, higherIsBetter: def.higherIsBetter, value: r.total, previous: r.previousTotal });
  }
  const v = (m: string) => lines.find((l) => l.metric === m)?.value ?? 0;
  if (v('leads_created') === 0 && v('deals_won') === 0 && v('sla_breaches') === 0 && v('revenue') === 0) return null;
  return { kind: 'manager', localDate, day, lines };
}

/** The digest for this person, or null with nothing to say. Admins get none: digests are for reps and managers. */
export async function composeDigest(sql: Sql, tenant: Tenant, staff: DigestStaff, localDate: string, locale: string, now: Date): Promise<Digest | null> {
  if (staff.role === 'rep') return composeRepDigest(sql, staff, localDate, locale);
  if (staff.role === 'manager') return composeManagerDigest(sql, tenant, localDate, locale, now);
  return null;
}

/** The numbers a digest row keeps (no names, no rendered text). */
export function digestSummary(d: Digest): Record<string, unknown> {
  if (d.kind === 'rep') return { hot_leads: d.hotLeadsTotal, tasks: d.tasksTotal, overdue: d.overdueTotal, followups: d.followupsTotal };
  return { day: d.day, ...Object.fromEntries(d.lines.map((l) => [l.metric, { value: l.value, previous: l.previous }])) };
}
