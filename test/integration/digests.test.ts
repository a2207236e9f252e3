import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database, Sql } from '../../src/db/database.ts';
import { withSystem, withTenant } from '../../src/db/tenant.ts';
import type { Tenant } from '../../src/core/tenants.ts';
import { composeManagerDigest } from '../../src/core/digests/compose.ts';
import { deliverDigest, staffForDigest } from '../../src/core/digests/run.ts';
import { createQueues, deliveryJobId, type Queues } from '../../src/jobs/queues.ts';
import { digestsTick, type DigestDeps } from '../../src/jobs/digests.ts';
import { schedulerTick } from '../../src/jobs/scheduler.ts';
import { createFollowupQueue } from '../../src/jobs/followups.ts';
import { createMetrics } from '../../src/jobs/metrics.ts';
import { createLogger } from '../../src/log.ts';
import { createTestDatabase } from '../helpers/db.ts';
import { dropPrefix, testPrefix, testRedis } from '../helpers/redis.ts';
import { createTenant, insertLeads } from '../helpers/tenant.ts';

let db: Database;
let queues: Queues;
let prefix: string;
let deps: DigestDeps;
let tenant: Tenant;
let staff: Record<string, string>;

const NOK = 'nok@dg.example'; // rep in Bangkok, Thai, Monday to Friday
const FAISAL = 'faisal@dg.example'; // rep in Riyadh, Arabic
const IDLE = 'idle@dg.example'; // rep with nothing on his plate
const MAY = 'may@dg.example'; // manager in Bangkok, English
const WEEKDAYS = { days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', end: '18:00' };
// Monday 23 November 2026. 08:30 in Bangkok (UTC+7) is 01:30 UTC; in Riyadh (UTC+3) 05:30 UTC.
const at = (iso: string) => new Date(iso);

beforeAll(async () => {
  db = await createTestDatabase({ seeded: false });
  prefix = testPrefix();
  queues = createQueues(testRedis().options, prefix);
  deps = { db, queues, log: createLogger('silent') };
  ({ tenant, staff } = await createTenant(db, 'dg-clinic', {
    timezone: 'Asia/Bangkok',
    staff: [
      { email: NOK, name: 'Nok Saetang', role: 'rep', locale: 'th', timezone: 'Asia/Bangkok', working_hours: WEEKDAYS },
      { email: FAISAL, name: 'Faisal Al-Harbi', role: 'rep', locale: 'ar', timezone: 'Asia/Riyadh', working_hours: { ...WEEKDAYS, days: ['sun', 'mon', 'tue', 'wed', 'thu'] } },
      { email: IDLE, name: 'Idle Rep', role: 'rep', locale: 'en', timezone: 'Asia/Bangkok' },
      { email: MAY, name: 'May Manager', role: 'manager', locale: 'en', timezone: 'Asia/Bangkok' },
    ],
  }));
  await tx(async (sql) => {
    // Nok: a hot lead, a task due this afternoon, one overdue since Friday, a follow-up going out at 15:00.
    const hot = (
      await sql.query<{ id: string }>(
        `INSERT INTO leads (tenant_id, first_name, display_name, stage_key, owner_id, grade, score) VALUES (closer_current_tenant(), 'Ploy', 'พลอย', 'new', $1, 'A', 91) RETURNING id`,
        [staff[NOK]],
      )
    ).rows[0]!.id;
    await sql.query(`INSERT INTO leads (tenant_id, first_name, display_name, stage_key, owner_id, grade, score) VALUES (closer_current_tenant(), 'Won', 'Won already', 'won', $1, 'A', 95)`, [staff[NOK]]);
    await sql.query(
      `INSERT INTO tasks (tenant_id, lead_id, assignee_id, kind, title, due_at) VALUES
       (closer_current_tenant(), $1, $2, 'call', 'Call about the laser package', '2026-11-23T07:00:00Z'),
       (closer_current_tenant(), $1, $2, 'todo', 'Send the price list', '2026-11-20T07:00:00Z'),
       (closer_current_tenant(), $1, $2, 'todo', 'Next week', '2026-11-30T07:00:00Z')`,
      [hot, staff[NOK]],
    );
    await sql.query(`INSERT INTO followup_executions (tenant_id, lead_id, due_at, channel) VALUES (closer_current_tenant(), $1, '2026-11-23T08:00:00Z', 'line')`, [hot]);
    await sql.query(`INSERT INTO leads (tenant_id, first_name, display_name, stage_key, owner_id, grade, score) VALUES (closer_current_tenant(), 'Sara', 'سارة', 'new', $1, 'A', 88)`, [staff[FAISAL]]);
  });
});

afterAll(async () => {
  await queues.close();
  await dropPrefix(prefix);
  await db.close();
});

const tx = <T>(fn: (sql: Sql) => Promise<T>) => withTenant(db, tenant.id, fn);

async function inbox(email: string): Promise<{ id: string; text: string; parts: { type: string; rows?: string[][] }[] }[]> {
  return tx(async (sql) => (await sql.query(`SELECT m.id, m.text, m.parts FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.staff_user_id = $1 AND m.direction = 'out' ORDER BY m.created_at`, [staff[email]])).rows as never);
}

async function digestRows(email: string): Promise<{ local_date: string; status: string; reason: string | null; message_id: string | null }[]> {
  return tx(async (sql) => (await sql.query(`SELECT to_char(local_date, 'YYYY-MM-DD') AS local_date, status, reason, message_id FROM digests WHERE staff_user_id = $1 ORDER BY local_date`, [staff[email]])).rows as never);
}

describe('morning digests', () => {
  it("go out at 08:30 in each person's own time zone, not at 03:00", async () => {
    // 03:00 in Riyadh, 07:00 in Bangkok: too early for everyone.
    expect(await digestsTick(deps, at('2026-11-23T00:00:00Z'))).toEqual({ sent: 0, skipped: 0, failed: 0 });
    expect(await digestRows(NOK)).toEqual([]);
    // 08:30 in Bangkok: Nok's digest; Faisal (04:30 in Riyadh) still waits.
    const bkk = await digestsTick(deps, at('2026-11-23T01:30:00Z'));
    // Nok's is sent; the idle rep's and the manager's (nothing happened yesterday) are skipped.
    expect(bkk).toEqual({ sent: 1, skipped: 2, failed: 0 });
    expect(await digestRows(NOK)).toMatchObject([{ local_date: '2026-11-23', status: 'sent' }]);
    expect(await digestRows(FAISAL)).toEqual([]);
    // 08:30 in Riyadh.
    expect((await digestsTick(deps, at('2026-11-23T05:30:00Z'))).sent).toBe(1);
    expect(await digestRows(FAISAL)).toMatchObject([{ local_date: '2026-11-23', status: 'sent' }]);
  });

  it("are written in the person's language, with hot leads, tasks due and today's follow-ups", async () => {
    const [nok] = await inbox(NOK);
    expect(nok!.text).toContain('สวัสดีตอนเช้า');
    expect(nok!.text).toContain('พลอย');
    expect(nok!.text).not.toContain('Won already'); // closed leads are not hot leads
    expect(nok!.text).toContain('Call about the laser package');
    expect(nok!.text).toContain('Send the price list'); // overdue
    expect(nok!.text).toContain('เลยกำหนด');
    expect(nok!.text).not.toContain('Next week');
    expect(nok!.text).toMatch(/\| line$/m); // the follow-up's channel
    expect(nok!.parts.filter((p) => p.type === 'table')).toHaveLength(3);
    const [faisal] = await inbox(FAISAL);
    expect(faisal!.text).toContain('صباح الخير');
    expect(faisal!.text).toContain('سارة');
    // Each digest message has its delivery job.
    expect(await queues.delivery.getJob(deliveryJobId(nok!.id))).toBeTruthy();
  });

  it('are sent exactly once, however many workers and passes run', async () => {
    const before = (await inbox(NOK)).length;
    const passes = await Promise.all([digestsTick(deps, at('2026-11-23T01:31:00Z')), digestsTick(deps, at('2026-11-23T01:31:00Z')), digestsTick(deps, at('2026-11-23T02:00:00Z'))]);
    expect(passes.reduce((n, p) => n + p.sent, 0)).toBe(0);
    // Even a direct second send for the same day finds the row.
    const again = await tx(async (sql) => deliverDigest(sql, tenant, await staffForDigest(sql, staff[NOK]!), '2026-11-23', at('2026-11-23T01:45:00Z')));
    expect(again).toMatchObject({ status: 'duplicate', existing: 'sent' });
    expect((await inbox(NOK)).length).toBe(before);
    expect(await digestRows(NOK)).toHaveLength(1);
  });

  it('are skipped, with the reason, when there is nothing to say or it is a day off', async () => {
    expect(await digestRows(IDLE)).toMatchObject([{ local_date: '2026-11-23', status: 'skipped', reason: 'nothing_to_say', message_id: null }]);
    expect(await inbox(IDLE)).toEqual([]);
    // Saturday 28 November, 08:30 in Bangkok: Nok works Monday to Friday.
    await digestsTick(deps, at('2026-11-28T01:30:00Z'));
    expect((await digestRows(NOK)).at(-1)).toMatchObject({ local_date: '2026-11-28', status: 'skipped', reason: 'day_off' });
    expect((await inbox(NOK)).length).toBe(1);
  });

  it("a manager's digest has yesterday's numbers in the tenant's time zone, matching independent SQL", async () => {
    // Sunday 29 November in Bangkok (UTC+7): 5 leads, 2 of them at 23:30 local (16:30 UTC, still the 29th), 2 won deals.
    const leads = await insertLeads(db, tenant.id, '2026-11-29', '+07:00', 'line', 3);
    await withSystem(db, (sql) =>
      sql.query(
        `INSERT INTO leads (tenant_id, first_name, display_name, stage_key, created_at) VALUES ($1, 'Late', 'Late 1', 'new', '2026-11-29T16:30:00Z'), ($1, 'Late', 'Late 2', 'new', '2026-11-29T16:45:00Z'),
         ($1, 'Next', 'Next day', 'new', '2026-11-29T17:30:00Z')`,
        [tenant.id],
      ),
    );
    await withSystem(db, (sql) =>
      sql.query(
        `INSERT INTO deals (tenant_id, lead_id, title, amount, currency, status, closed_at) VALUES
         ($1, $2, 'Laser', 12000, 'THB', 'won', '2026-11-29T05:00:00Z'), ($1, $3, 'Peel', 3500.5, 'THB', 'won', '2026-11-29T10:00:00Z'),
         ($1, $3, 'Lost one', 900, 'THB', 'lost', '2026-11-29T10:00:00Z')`,
        [tenant.id, leads[0], leads[1]],
      ),
    );
    const expected = await withSystem(db, async (sql) => ({
      leads: Number((await sql.query(`SELECT count(*) AS n FROM leads WHERE tenant_id = $1 AND (created_at AT TIME ZONE 'Asia/Bangkok')::date = '2026-11-29'`, [tenant.id])).rows[0].n),
      won: Number((await sql.query(`SELECT count(*) AS n FROM deals WHERE tenant_id = $1 AND status = 'won' AND (closed_at AT TIME ZONE 'Asia/Bangkok')::date = '2026-11-29'`, [tenant.id])).rows[0].n),
      revenue: Number((await sql.query(`SELECT sum(amount) AS n FROM deals WHERE tenant_id = $1 AND status = 'won' AND (closed_at AT TIME ZONE 'Asia/Bangkok')::date = '2026-11-29'`, [tenant.id])).rows[0].n),
    }));
    expect(expected).toEqual({ leads: 5, won: 2, revenue: 15500.5 });
    // Monday 30 November, 08:30 in Bangkok.
    expect((await digestsTick(deps, at('2026-11-30T01:30:00Z'))).sent).toBeGreaterThanOrEqual(1);
    const row = await tx(async (sql) => (await sql.query<{ summary: Record<string, { value: number | null; previous: number | null }> & { day: string } }>(`SELECT summary FROM digests WHERE staff_user_id = $1 AND local_date = '2026-11-30'`, [staff[MAY]])).rows[0]!.summary);
    expect(row.day).toBe('2026-11-29');
    expect(row.leads_created).toEqual({ value: expected.leads, previous: 0 });
    expect(row.deals_won).toEqual({ value: expected.won, previous: 0 });
    expect(row.revenue!.value).toBeCloseTo(expected.revenue, 2);
    const msg = (await inbox(MAY)).at(-1)!;
    expect(msg.text).toContain('yesterday');
    const table = msg.parts.find((p) => p.type === 'table')!;
    expect(table.rows!.find((r) => r[0] === 'New leads')?.[1]).toBe('5');
    expect(table.rows!.find((r) => r[0] === 'Deals won')?.[1]).toBe('2');
  });

  it("run from the scheduler's pass, and counted in /metrics", async () => {
    const followups = createFollowupQueue(testRedis().options, prefix);
    const metrics = createMetrics(db, testRedis(), prefix);
    try {
      // Tuesday 1 December, 08:30 in Bangkok: the ordinary 30-second pass sends Nok's digest, and the
      // manager's (the "Next day" lead above arrived at 00:30 on Monday the 30th, Bangkok time).
      const now = new Date('2026-12-01T01:30:00Z');
      const pass = await schedulerTick({ db, followups, log: deps.log, digests: deps }, now, now);
      expect(pass.digests).toBe(2);
      expect(await tx(async (sql) => (await sql.query(`SELECT summary->'leads_created'->>'value' AS v FROM digests WHERE staff_user_id = $1 AND local_date = '2026-12-01'`, [staff[MAY]])).rows[0].v)).toBe('1');
      expect((await digestRows(NOK)).at(-1)).toMatchObject({ local_date: '2026-12-01', status: 'sent' });
      // /metrics counts rows of the last 24 hours by the wall clock: make one now (the test clock's rows may or may not be that recent).
      await tx(async (sql) => deliverDigest(sql, tenant, await staffForDigest(sql, staff[IDLE]!), '2030-01-01', new Date()));
      const recent = await withSystem(db, async (sql) => Number((await sql.query(`SELECT count(*) AS n FROM digests WHERE kind = 'rep' AND status = 'skipped' AND created_at > now() - interval '24 hours'`)).rows[0].n));
      expect(recent).toBeGreaterThanOrEqual(1);
      const body = (await metrics.render()).body;
      expect(body).toContain(`closer_digests_24h{kind="rep",status="skipped"} ${recent}`);
      expect(body).toContain('# TYPE closer_anomaly_alerts_24h gauge');
    } finally {
      await followups.close();
      await metrics.close();
    }
  });

  it("a manager's digest has nothing to say for a day with no activity", async () => {
    expect(await tx((sql) => composeManagerDigest(sql, tenant, '2026-10-05', 'en', at('2026-10-05T01:30:00Z')))).toBeNull();
  });
});
