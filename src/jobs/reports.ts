import { Queue, Worker, type Job } from 'bullmq';
import type { RedisOptions } from 'ioredis';
import type { Database } from '../db/database.ts';
import { withSystem, withTenant } from '../db/tenant.ts';
import type { Logger } from '../log.ts';
import { getTenantById } from '../core/tenants.ts';
import { actorForPerson } from '../core/actors.ts';
import { outbound } from '../core/messages/types.ts';
import { translator } from '../agents/i18n.ts';
import { getReport, reportQuery } from '../core/bi/reports.ts';
import { answerQuery, presentMetrics } from '../tools/query_metrics.ts';
import { bullConnection, enqueueDelivery, type Queues } from './queues.ts';

/**
 * Scheduled reports. Postgres holds the schedules (scheduled_reports); this
 * module mirrors the active rows into BullMQ job schedulers on the `reports`
 * queue (one scheduler per row, id = report-<row id>) and removes the
 * schedulers of cancelled rows. A run answers the stored query as its owner
 * (so a rep still sees only their own numbers) and posts the answer into the
 * owner's most recent conversation as an ordinary pending outbound message.
 */
export const REPORTS_QUEUE = 'reports';

export interface ReportJob {
  tenantId: string;
  reportId: string;
}

export interface ReportsDeps {
  db: Database;
  queues: Queues;
  log: Logger;
  /** The clock (tests pass a fixed one). */
  now?: () => Date;
}

export const schedulerId = (reportId: string) => `report-${reportId}`;

/** Makes the queue's schedulers match the active rows. Safe to call any time, from any process. */
export async function syncReportSchedules(db: Database, queue: Queue<ReportJob>): Promise<{ upserted: number; removed: number }> {
  const activeSql = `SELECT r.id, r.tenant_id, r.cron, r.timezone FROM scheduled_reports r JOIN staff_users s ON s.id = r.staff_user_id WHERE r.status = 'active' AND s.active`;
  // A deactivated owner's reports stay in the table (reactivating them brings them back) but stop firing.
  const rows = await withSystem(db, async (sql) => (await sql.query<{ id: string; tenant_id: string; cron: string; timezone: string }>(activeSql)).rows);
  const wanted = new Set(rows.map((r) => schedulerId(r.id)));
  for (const r of rows) {
    await queue.upsertJobScheduler(schedulerId(r.id), { pattern: r.cron, tz: r.timezone }, { name: 'report', data: { tenantId: r.tenant_id, reportId: r.id }, opts: { attempts: 3, backoff: { type: 'exponential', delay: 5_000 }, removeOnComplete: true, removeOnFail: { count: 500 } } });
  }
  const stale: string[] = [];
  for (const s of await queue.getJobSchedulers(0, -1)) {
    const key = s.key ?? s.id;
    if (key && key.startsWith('report-') && !wanted.has(key)) stale.push(key);
  }
  // Another process may have created a report (and its scheduler) since the rows above were read: look again before removing.
  const stillActive = stale.length
    ? new Set((await withSystem(db, async (sql) => (await sql.query<{ id: string }>(`SELECT id FROM (${activeSql}) a WHERE id = ANY($1::uuid[])`, [stale.map((k) => k.slice('report-'.length))])).rows)).map((r) => schedulerId(r.id)))
    : new Set<string>();
  let removed = 0;
  for (const key of stale) {
    if (stillActive.has(key)) continue;
    await queue.removeJobScheduler(key);
    removed++;
  }
  return { upserted: rows.length, removed };
}

export type ReportRunOutcome =
  | { status: 'queued'; messageId: string }
  | { status: 'skipped'; reason: 'not_found' | 'cancelled' | 'owner_inactive' | 'no_conversation' };

/** Runs one report now: computes the answer and queues it to the owner's latest conversation, or says why it did not. */
export async function runReport(deps: ReportsDeps, job: ReportJob): Promise<ReportRunOutcome> {
  const now = deps.now?.() ?? new Date();
  const outcome = await withTenant(deps.db, job.tenantId, async (sql): Promise<ReportRunOutcome> => {
    const row = await getReport(sql, job.reportId);
    if (!row) return { status: 'skipped', reason: 'not_found' };
    if (row.status !== 'active') return { status: 'skipped', reason: 'cancelled' };
    const skip = async (reason: 'owner_inactive' | 'no_conversation'): Promise<ReportRunOutcome> => {
      // Recorded, so "why did my report not come?" has an answer in the audit log.
      await sql.query(
        `INSERT INTO audit_log (tenant_id, actor_type, actor_id, action, tool, args, result_summary, outcome)
         VALUES ($1, 'system', $2, 'scheduled_report', 'query_metrics', $3, $4, 'refused')`,
        [row.tenant_id, row.staff_user_id, JSON.stringify({ report: row.id }), `report ${row.number} skipped: ${reason}`],
      );
      deps.log.warn({ reportId: row.id, reason }, 'scheduled report skipped');
      return { status: 'skipped', reason };
    };
    const owner = (await sql.query<{ active: boolean }>(`SELECT active FROM staff_users WHERE id = $1`, [row.staff_user_id])).rows[0];
    if (!owner?.active) return skip('owner_inactive');
    const tenant = await getTenantById(sql, job.tenantId);
    const actor = await actorForPerson(sql, tenant, { kind: 'staff', id: row.staff_user_id });
    // The conversation the report was scheduled in, else the owner's most recent one.
    const conv = (
      await sql.query<{ id: string; channel_account_id: string }>(
        `SELECT id, channel_account_id FROM conversations WHERE staff_user_id = $1
         ORDER BY (id = $2::uuid) DESC, last_message_at DESC NULLS LAST, created_at DESC LIMIT 1`,
        [row.staff_user_id, row.conversation_id],
      )
    ).rows[0];
    if (!conv) return skip('no_conversation');
    const t = translator(row.locale);
    const result = await answerQuery(sql, tenant, actor, reportQuery(row), { now, locale: row.locale, csv: false });
    const reply = outbound([{ type: 'text', text: t('metrics.report.run_title', { number: row.number, name: row.name }) }, ...presentMetrics(result, tenant, t, row.locale)]);
    const { rows } = await sql.query<{ id: string }>(
      `INSERT INTO messages (tenant_id, conversation_id, channel_account_id, direction, author, text, parts, status, mode, tool_calls)
       VALUES ($1, $2, $3, 'out', 'bot', $4, $5, 'pending', 'rules', $6) RETURNING id`,
      [tenant.id, conv.id, conv.channel_account_id, reply.text, JSON.stringify(reply.parts), JSON.stringify([{ name: 'query_metrics', args: { report: row.id } }])],
    );
    await sql.query(`UPDATE scheduled_reports SET last_run_at = $2 WHERE id = $1`, [row.id, now.toISOString()]);
    await sql.query(
      `INSERT INTO audit_log (tenant_id, actor_type, actor_id, action, tool, args, result_summary, outcome)
       VALUES ($1, 'system', $2, 'scheduled_report', 'query_metrics', $3, $4, 'ok')`,
      [tenant.id, row.staff_user_id, JSON.stringify({ report: row.id }), `report ${row.number} sent`],
    );
    return { status: 'queued', messageId: rows[0]!.id };
  });
  if (outcome.status === 'queued') await enqueueDelivery(deps.queues, { tenantId: job.tenantId, messageId: outcome.messageId });
  return outcome;
}

/**
 * Starts the reports worker and keeps the schedulers in step with the table
 * (at start, then every `syncEveryMs`). Call `close()` on shutdown.
 */
export function startReportsWorker(deps: ReportsDeps, connection: RedisOptions, prefix: string, syncEveryMs = 30_000): { queue: Queue<ReportJob>; worker: Worker<ReportJob>; sync: () => Promise<void>; close: () => Promise<void> } {
  const queue: Queue<ReportJob> = new Queue(REPORTS_QUEUE, { connection: bullConnection(connection), prefix });
  const worker = new Worker<ReportJob>(REPORTS_QUEUE, async (job: Job<ReportJob>) => void (await runReport(deps, job.data)), { connection: bullConnection(connection), prefix, concurrency: 2 });
  worker.on('failed', (job, err) => deps.log.error({ err: err.message, reportId: job?.data.reportId }, 'scheduled report failed'));
  const sync = async () => {
    try {
      await syncReportSchedules(deps.db, queue);
    } catch (err) {
      deps.log.warn({ err: (err as Error).message }, 'syncing report schedules failed');
    }
  };
  void sync();
  const timer = setInterval(() => void sync(), syncEveryMs);
  timer.unref();
  return {
    queue,
    worker,
    sync,
    async close() {
      clearInterval(timer);
      await worker.close();
      await queue.close();
    },
  };
}
