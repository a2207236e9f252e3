import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Queue } from 'bullmq';
import { withSystem, withTenant } from '../../src/db/tenant.ts';
import { localAsk } from '../../src/bots/local/session.ts';
import { getTenantBySlug, type Tenant } from '../../src/core/tenants.ts';
import { cancelReport, createReport, type ReportRow } from '../../src/core/bi/reports.ts';
import { MetricQuerySchema } from '../../src/core/bi/query.ts';
import { bullConnection } from '../../src/jobs/queues.ts';
import { REPORTS_QUEUE, runReport, schedulerId, syncReportSchedules, type ReportJob, type ReportsDeps } from '../../src/jobs/reports.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { testRedis } from '../helpers/redis.ts';
import { TEST_ANCHOR } from '../helpers/anchor.ts';
import { formatValue } from '../../src/core/bi/format.ts';

// Real Redis (BullMQ job schedulers) and the real delivery worker; the clock of a run is fixed.
let app: TestApp;
let queue: Queue<ReportJob>;
let clinic: Tenant;
let deps: ReportsDeps;

beforeAll(async () => {
  app = await startTestApp();
  queue = new Queue(REPORTS_QUEUE, { connection: bullConnection(testRedis().options), prefix: app.config.redisPrefix });
  clinic = await withSystem(app.db, (sql) => getTenantBySlug(sql, 'demo-clinic'));
  deps = { db: app.db, queues: app.queues, log: app.log, now: () => TEST_ANCHOR };
}, 60_000);
afterAll(async () => {
  await queue?.close();
  await app?.close();
});

const staffId = (email: string) => withTenant(app.db, clinic.id, async (sql) => (await sql.query<{ id: string }>('SELECT id FROM staff_users WHERE email = $1', [email])).rows[0]!.id);

function schedule(email: string, cron: string): Promise<ReportRow> {
  return staffId(email).then((id) =>
    withTenant(app.db, clinic.id, (sql) =>
      createReport(sql, { tenantId: clinic.id, staffUserId: id, name: 'revenue this month by rep', query: MetricQuerySchema.parse({ metric: 'revenue', dimensions: ['rep'], time: 'this_month' }), locale: 'en', cron, timezone: 'Asia/Bangkok', conversationId: null }),
    ),
  );
}

async function schedulers(): Promise<Map<string, { pattern?: string | null; tz?: string | null }>> {
  const list = await queue.getJobSchedulers(0, -1);
  return new Map(list.map((s) => [s.key ?? s.id ?? '', { pattern: s.pattern, tz: s.tz }]));
}

async function messageStatus(id: string, until: string, timeoutMs = 20_000): Promise<{ status: string; text: string; conversation_id: string }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const row = await withTenant(app.db, clinic.id, async (sql) => (await sql.query<{ status: string; text: string; conversation_id: string }>('SELECT status, text, conversation_id FROM messages WHERE id = $1', [id])).rows[0]!);
    if (row.status === until || Date.now() > deadline) return row;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('scheduled reports on Redis', () => {
  let report: ReportRow;

  it('sync creates one job scheduler per active report with its cron and timezone', async () => {
    report = await schedule('kanya@demo-clinic.example', '0 9 * * 1');
    await syncReportSchedules(app.db, queue);
    expect((await schedulers()).get(schedulerId(report.id))).toMatchObject({ pattern: '0 9 * * 1', tz: 'Asia/Bangkok' });
  });

  it('a run posts the answer into the owner\'s conversation and it is delivered', async () => {
    // Her local chat exists once she has talked to the bot.
    const hello = await localAsk(app.local, { tenant: 'demo-clinic', as: 'kanya@demo-clinic.example', text: 'help' }, 20_000);
    const out = await runReport(deps, { tenantId: clinic.id, reportId: report.id });
    expect(out.status).toBe('queued');
    if (out.status !== 'queued') return;
    const msg = await messageStatus(out.messageId, 'sent');
    expect(msg.status).toBe('sent');
    expect(msg.conversation_id).toBe(hello.conversationId);
    expect(msg.text).toContain(`Scheduled report #${report.number}: revenue this month by rep`);
    // Answered for the fixed clock: November 2026 in Bangkok.
    const total = await withTenant(app.db, clinic.id, async (sql) =>
      Number((await sql.query<{ v: string }>(`SELECT COALESCE(sum(amount), 0) AS v FROM deals WHERE status = 'won' AND closed_at >= '2026-10-31T17:00Z' AND closed_at < '2026-11-30T17:00Z'`)).rows[0]!.v),
    );
    expect(total).toBeGreaterThan(0);
    expect(msg.text).toContain(formatValue(total, 'money', 'THB', 'en'));
    const lastRun = await withTenant(app.db, clinic.id, async (sql) => (await sql.query<{ last_run_at: Date }>('SELECT last_run_at FROM scheduled_reports WHERE id = $1', [report.id])).rows[0]!.last_run_at);
    expect(lastRun.toISOString()).toBe(TEST_ANCHOR.toISOString());
  });

  it('cancelling removes the scheduler, and a late run of a cancelled report does nothing', async () => {
    await withTenant(app.db, clinic.id, (sql) => cancelReport(sql, report.staff_user_id, report.number));
    const { removed } = await syncReportSchedules(app.db, queue);
    expect(removed).toBeGreaterThanOrEqual(1);
    expect((await schedulers()).has(schedulerId(report.id))).toBe(false);
    expect(await runReport(deps, { tenantId: clinic.id, reportId: report.id })).toEqual({ status: 'skipped', reason: 'cancelled' });
  });

  it('a report whose owner was deactivated is skipped with a reason and loses its scheduler', async () => {
    const r = await schedule('mint@demo-clinic.example', '30 8 * * *');
    await syncReportSchedules(app.db, queue);
    expect((await schedulers()).has(schedulerId(r.id))).toBe(true);
    await withTenant(app.db, clinic.id, (sql) => sql.query('UPDATE staff_users SET active = false WHERE id = $1', [r.staff_user_id]));
    try {
      expect(await runReport(deps, { tenantId: clinic.id, reportId: r.id })).toEqual({ status: 'skipped', reason: 'owner_inactive' });
      const audit = await withTenant(app.db, clinic.id, async (sql) => (await sql.query<{ result_summary: string; outcome: string }>(`SELECT result_summary, outcome FROM audit_log WHERE action = 'scheduled_report' AND args->>'report' = $1`, [r.id])).rows);
      expect(audit).toEqual([{ result_summary: `report ${r.number} skipped: owner_inactive`, outcome: 'refused' }]);
      await syncReportSchedules(app.db, queue);
      expect((await schedulers()).has(schedulerId(r.id))).toBe(false);
    } finally {
      await withTenant(app.db, clinic.id, (sql) => sql.query('UPDATE staff_users SET active = true WHERE id = $1', [r.staff_user_id]));
    }
  });

  it('a report whose owner never talked to the bot is skipped, not lost', async () => {
    const r = await schedule('beam@demo-clinic.example', '0 18 * * 5');
    const out = await runReport(deps, { tenantId: clinic.id, reportId: r.id });
    expect(out).toEqual({ status: 'skipped', reason: 'no_conversation' });
  });
});
