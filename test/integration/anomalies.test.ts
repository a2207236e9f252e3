import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.ts';
import { withSystem, withTenant } from '../../src/db/tenant.ts';
import type { Tenant } from '../../src/core/tenants.ts';
import type { CheckResult } from '../../src/core/anomalies/check.ts';
import { createQueues, deliveryJobId, type Queues } from '../../src/jobs/queues.ts';
import { anomaliesTick, type AnomalyDeps } from '../../src/jobs/anomalies.ts';
import { createLogger } from '../../src/log.ts';
import { createTestDatabase } from '../helpers/db.ts';
import { dropPrefix, testPrefix, testRedis } from '../helpers/redis.ts';
import { createTenant, insertLeads } from '../helpers/tenant.ts';

/**
 * Scenario 10: "LINE leads dropped by half versus their usual week" alerts
 * the managers once, with numbers; a quiet holiday, a tiny tenant and
 * normal noise do not. Each case is its own tenant with leads written
 * straight into the tables (the demo seed is shared by other tests).
 */
let db: Database;
let queues: Queues;
let prefix: string;
let deps: AnomalyDeps;
const T: Record<string, { tenant: Tenant; staff: Record<string, string> }> = {};

const D = '2026-11-22'; // the last complete day on Monday 23 November, 08:00 in Bangkok
const MONDAY_0800 = new Date('2026-11-23T01:00:00Z');
const TUESDAY_0800 = new Date('2026-11-24T01:00:00Z');
const ago = (n: number, from = D) => DateTime.fromISO(from).minus({ days: n }).toISODate()!;

/** 36 days of leads ending on D+1: `count(channel, daysAgo)` a day (daysAgo −1 is Monday the 23rd). */
async function seed(slug: string, count: (channel: string, daysAgo: number) => number, settings: Record<string, unknown> = {}, channels = ['line', 'telegram', 'webchat']): Promise<void> {
  T[slug] = await createTenant(db, slug, {
    timezone: 'Asia/Bangkok',
    settings,
    staff: [
      { email: `boss@${slug}.example`, name: 'Boss', role: 'manager', locale: 'en', timezone: 'Asia/Bangkok' },
      { email: `mudir@${slug}.example`, name: 'Mudir', role: 'manager', locale: 'ar', timezone: 'Asia/Riyadh' },
      { email: `rep@${slug}.example`, name: 'Rep', role: 'rep', locale: 'th', timezone: 'Asia/Bangkok' },
    ],
  });
  for (let n = -1; n < 35; n++) for (const ch of channels) await insertLeads(db, T[slug]!.tenant.id, ago(n), '+07:00', ch, count(ch, n));
}

// A usual week: LINE about 10 a day, Telegram about 20, web chat about 10, with day-to-day wobble.
const usual = (ch: string, n: number) => (ch === 'line' ? 10 + ((n % 3) - 1) : ch === 'telegram' ? 20 + ((n % 5) - 2) : 10 + (n % 2));

let firstPass: Promise<Awaited<ReturnType<typeof anomaliesTick>>> | undefined;
const runMonday = () => (firstPass ??= anomaliesTick(deps, MONDAY_0800));

beforeAll(async () => {
  db = await createTestDatabase({ seeded: false });
  prefix = testPrefix();
  queues = createQueues(testRedis().options, prefix);
  deps = { db, queues, log: createLogger('silent') };
  // LINE halves from Tuesday the 17th on; the other channels carry on as usual.
  await seed('an-line-drop', (ch, n) => (ch === 'line' && n <= 5 ? 5 : usual(ch, n)));
  // Sunday the 22nd is a public holiday nobody listed: every channel at a third.
  await seed('an-holiday', (ch, n) => (n === 0 ? Math.round(usual(ch, n) / 3) : usual(ch, n)));
  // A four-day holiday (Thursday to Sunday), listed in the tenant's settings.
  const songkran = [ago(3), ago(2), ago(1), ago(0)];
  await seed('an-listed-holiday', (ch, n) => (n >= 0 && n <= 3 ? Math.round(usual(ch, n) / 3) : usual(ch, n)), { holidays: songkran });
  // The same four quiet days, not listed: one alert on the total, none per channel.
  await seed('an-quiet-days', (ch, n) => (n >= 0 && n <= 3 ? Math.round(usual(ch, n) / 3) : usual(ch, n)));
  // Two leads a day; LINE's one a day stops.
  await seed('an-tiny', (ch, n) => (ch === 'line' ? (n <= 5 ? 0 : 1) : 1), {}, ['line', 'telegram']);
  // 20 Telegram leads a day, answered in 10 minutes and 3 in 5 writing back; from Tuesday the 17th answers take an hour.
  await seed('an-slow', (ch, n) => (ch === 'telegram' ? 20 : 0), {}, ['telegram']);
  await withSystem(db, (sql) =>
    sql.query(
      `WITH l AS (SELECT id, created_at, row_number() OVER (ORDER BY created_at) AS i FROM leads WHERE tenant_id = $1),
       o AS (INSERT INTO activities (tenant_id, lead_id, kind, channel, occurred_at)
             SELECT $1, id, 'message_out', 'telegram', created_at + CASE WHEN created_at >= '2026-11-17T00:00:00+07:00' THEN interval '60 minutes' ELSE interval '10 minutes' END FROM l
             RETURNING lead_id, occurred_at)
       INSERT INTO activities (tenant_id, lead_id, kind, channel, occurred_at)
       SELECT $1, o.lead_id, 'message_in', 'telegram', o.occurred_at + interval '5 minutes' FROM o JOIN l ON l.id = o.lead_id WHERE l.i % 5 < 3`,
      [T['an-slow']!.tenant.id],
    ),
  );
}, 300_000);

afterAll(async () => {
  await queues.close();
  await dropPrefix(prefix);
  await db.close();
});

async function state(slug: string) {
  const { tenant } = T[slug]!;
  return withTenant(db, tenant.id, async (sql) => ({
    anomalies: (
      await sql.query<{ metric: string; dimension: string; direction: string; since: string; last_seen: string; expected: string; expected_low: string; expected_high: string; actual: string; status: string; message_ids: string[] }>(
        `SELECT metric, dimension, direction, to_char(since, 'YYYY-MM-DD') AS since, to_char(last_seen, 'YYYY-MM-DD') AS last_seen, expected, expected_low, expected_high, actual, status, message_ids FROM anomalies ORDER BY created_at`,
      )
    ).rows,
    checks: (await sql.query<{ check_date: string; findings: CheckResult[] }>(`SELECT to_char(check_date, 'YYYY-MM-DD') AS check_date, findings FROM anomaly_checks ORDER BY check_date`)).rows,
  }));
}

async function inbox(slug: string, email: string) {
  const { tenant, staff } = T[slug]!;
  return withTenant(db, tenant.id, async (sql) => (await sql.query<{ id: string; text: string }>(`SELECT m.id, m.text FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.staff_user_id = $1 AND m.direction = 'out' ORDER BY m.created_at`, [staff[email]])).rows);
}

const finding = (checks: { findings: CheckResult[] }[], dimension: string, metric = 'leads_created') => checks[0]!.findings.find((r) => r.metric === metric && r.dimension === dimension)!.finding;

describe('anomaly alerts', () => {
  it('a LINE drop by half: one quantified alert to each manager, in their language', async () => {
    const pass = await runMonday();
    expect(pass.checked).toBe(6);
    const s = await state('an-line-drop');
    expect(s.anomalies).toHaveLength(1);
    const a = s.anomalies[0]!;
    expect(a).toMatchObject({ metric: 'leads_created', dimension: 'channel=line', direction: 'down', since: ago(5), last_seen: D, status: 'sent' });
    expect(Number(a.actual)).toBe(30); // six days at 5
    expect(Number(a.expected)).toBeCloseTo(60, 0);
    expect(Number(a.expected_low)).toBeGreaterThan(30);
    expect(Number(a.expected_high)).toBeGreaterThan(60);
    expect(a.message_ids).toHaveLength(2);
    const [en] = await inbox('an-line-drop', 'boss@an-line-drop.example');
    expect(en!.text).toContain('LINE');
    expect(en!.text).toContain('-50%');
    expect(en!.text).toContain('Tue 17 Nov');
    expect(en!.text).toMatch(new RegExp(`Expected range: ${Math.round(Number(a.expected_low))} – ${Math.round(Number(a.expected_high))}`));
    expect(en!.text).toContain('Actual: 30');
    const [ar] = await inbox('an-line-drop', 'mudir@an-line-drop.example');
    expect(ar!.text).toContain('غير معتاد');
    expect(ar!.text).toContain('LINE');
    expect(await inbox('an-line-drop', 'rep@an-line-drop.example')).toEqual([]);
    expect(await queues.delivery.getJob(deliveryJobId(en!.id))).toBeTruthy();
  });

  it('metrics inside their normal band do not fire, and the check says so', async () => {
    await runMonday();
    const { checks } = await state('an-line-drop');
    expect(checks).toHaveLength(1);
    for (const dim of ['total', 'channel=telegram', 'channel=webchat']) expect(finding(checks, dim)).toMatchObject({ status: 'normal', why: 'inside_band' });
    // No replies or deals were recorded at all: too small a sample to judge, not "normal".
    expect(finding(checks, 'total', 'reply_rate')).toMatchObject({ status: 'insufficient', why: 'sample_too_small' });
  });

  it('the same ongoing drop is not alerted again the next day, nor by a second pass', async () => {
    await runMonday();
    expect((await anomaliesTick(deps, new Date(MONDAY_0800.getTime() + 60_000))).checked).toBe(0);
    const before = await inbox('an-line-drop', 'boss@an-line-drop.example');
    const tuesday = await anomaliesTick(deps, TUESDAY_0800);
    expect(tuesday.checked).toBe(6);
    const s = await state('an-line-drop');
    expect(s.checks.map((c) => c.check_date)).toEqual([D, '2026-11-23']);
    expect(s.checks[1]!.findings.find((r) => r.dimension === 'channel=line')!.finding.status).toBe('anomaly');
    expect(s.anomalies).toHaveLength(1);
    expect(s.anomalies[0]!.last_seen).toBe('2026-11-23');
    expect(await inbox('an-line-drop', 'boss@an-line-drop.example')).toEqual(before);
    // A noisy day closed the episode in between, and the check runs again: the same episode reopens, silently.
    await withTenant(db, T['an-line-drop']!.tenant.id, async (sql) => {
      await sql.query(`UPDATE anomalies SET resolved_on = '2026-11-23'`);
      await sql.query(`DELETE FROM anomaly_checks WHERE check_date = '2026-11-23'`);
    });
    expect((await anomaliesTick(deps, TUESDAY_0800)).checked).toBe(1);
    const again = await state('an-line-drop');
    expect(again.anomalies).toHaveLength(1);
    expect(again.anomalies[0]).toMatchObject({ since: ago(5), status: 'sent' });
    expect(await withTenant(db, T['an-line-drop']!.tenant.id, async (sql) => (await sql.query(`SELECT resolved_on FROM anomalies`)).rows[0].resolved_on)).toBeNull();
    expect(await inbox('an-line-drop', 'boss@an-line-drop.example')).toEqual(before);
  });

  it('a quiet public holiday with few leads on every channel does not fire', async () => {
    await runMonday();
    const s = await state('an-holiday');
    expect(s.anomalies).toEqual([]);
    expect(finding(s.checks, 'total').status).toBe('normal');
    expect(await inbox('an-holiday', 'boss@an-holiday.example')).toEqual([]);
  });

  it("listed holidays are left out of the check", async () => {
    await runMonday();
    const s = await state('an-listed-holiday');
    expect(s.anomalies).toEqual([]);
    expect(finding(s.checks, 'total')).toMatchObject({ status: 'normal', days: 3 });
  });

  it('when every channel drops together, only the total alerts: no channel is singled out', async () => {
    await runMonday();
    const s = await state('an-quiet-days');
    expect(s.anomalies.map((a) => [a.metric, a.dimension, a.since])).toEqual([['leads_created', 'total', ago(3)]]);
    expect(finding(s.checks, 'channel=line')).toMatchObject({ status: 'normal', why: 'moved_with_total' });
  });

  it('response time: answers slowing from 10 minutes to an hour alert once; a steady reply rate does not', async () => {
    await runMonday();
    const s = await state('an-slow');
    // Cohort checks end a day earlier (Saturday the 21st): the slow days in view are the 17th to the 21st.
    expect(s.anomalies.map((a) => [a.metric, a.dimension, a.direction, a.since])).toEqual([['first_response_median', 'total', 'up', ago(5)]]);
    expect(Number(s.anomalies[0]!.actual)).toBe(60);
    expect(Number(s.anomalies[0]!.expected)).toBe(10);
    expect(finding(s.checks, 'total', 'reply_rate')).toMatchObject({ status: 'normal', why: 'inside_band' });
    expect(finding(s.checks, 'total', 'reply_rate').status === 'normal' && finding(s.checks, 'total', 'reply_rate')).toMatchObject({ expected: 0.6 });
    expect(finding(s.checks, 'total')).toMatchObject({ status: 'normal' });
    const [en] = await inbox('an-slow', 'boss@an-slow.example');
    expect(en!.text).toContain('Median first response +500% since Tue 17 Nov');
    expect(en!.text).toContain('Actual: 60 min');
  });

  it('a tiny tenant gets no alert: the sample is too small', async () => {
    await runMonday();
    const s = await state('an-tiny');
    expect(s.anomalies).toEqual([]);
    expect(finding(s.checks, 'channel=line')).toMatchObject({ status: 'insufficient', why: 'sample_too_small' });
    expect(await inbox('an-tiny', 'boss@an-tiny.example')).toEqual([]);
  });
});
