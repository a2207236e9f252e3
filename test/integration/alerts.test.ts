import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database, Sql } from '../../src/db/database.ts';
import { withSystem, withTenant } from '../../src/db/tenant.ts';
import { getTenantBySlug, type Tenant } from '../../src/core/tenants.ts';
import { actorForPerson } from '../../src/core/actors.ts';
import { applyAlertAction } from '../../src/core/alerts/actions.ts';
import { pickAlertTarget } from '../../src/core/alerts/hot.ts';
import { createQueues, type Queues } from '../../src/jobs/queues.ts';
import { alertsTick, createAlertQueue, raiseAlert, runEscalation, type AlertDeps } from '../../src/jobs/alerts.ts';
import { createLogger } from '../../src/log.ts';
import { createTestDatabase } from '../helpers/db.ts';
import { dropPrefix, testPrefix, testRedis } from '../helpers/redis.ts';

let db: Database;
let queues: Queues;
let prefix: string;
let deps: AlertDeps;
let clinic: Tenant;
const staff: Record<string, string> = {};
const T0 = new Date('2026-11-21T05:00:00Z'); // Saturday 12:00 in Bangkok
const minutes = (d: Date, m: number) => new Date(d.getTime() + m * 60_000);

beforeAll(async () => {
  db = await createTestDatabase({ seeded: true });
  prefix = testPrefix();
  queues = createQueues(testRedis().options, prefix);
  deps = { db, queues, alerts: createAlertQueue(testRedis().options, prefix), log: createLogger('silent') };
  clinic = await withSystem(db, (sql) => getTenantBySlug(sql, 'demo-clinic'));
  await tx(async (sql) => {
    const local = (await sql.query<{ id: string }>(`SELECT id FROM channel_accounts WHERE channel = 'local' LIMIT 1`)).rows[0]?.id ??
      (await sql.query<{ id: string }>(`INSERT INTO channel_accounts (tenant_id, channel, name, external_id) VALUES ($1, 'local', 'local', 'test-local-clinic') RETURNING id`, [clinic.id])).rows[0]!.id;
    for (const s of (await sql.query<{ id: string; email: string }>(`SELECT id, email FROM staff_users WHERE active`)).rows) {
      staff[s.email] = s.id;
      // Every staff member has a chat with the product (their local chat), so alerts have somewhere to land.
      await sql.query(
        `INSERT INTO conversations (tenant_id, channel_account_id, channel, external_chat_id, staff_user_id, last_message_at) VALUES ($1, $2, 'local', $3, $4, $5)
         ON CONFLICT DO NOTHING`,
        [clinic.id, local, `alerts-test-${s.id}`, s.id, T0],
      );
    }
  });
});
afterAll(async () => {
  await deps.alerts.close();
  await queues.close();
  await dropPrefix(prefix);
  await db.close();
});

const tx = <T>(fn: (sql: Sql) => Promise<T>) => withTenant(db, clinic.id, fn);
const PLOY = 'ploy@demo-clinic.example';
const KANYA = 'kanya@demo-clinic.example';

async function lead(where: string, ownerEmail: string | null, offset = 0): Promise<string> {
  return tx(async (sql) => {
    const id = (await sql.query<{ id: string }>(`SELECT l.id FROM leads l JOIN pipeline_stages p ON p.key = l.stage_key WHERE NOT p.is_won AND NOT p.is_lost AND ${where} ORDER BY l.id LIMIT 1 OFFSET ${offset}`)).rows[0]!.id;
    await sql.query('UPDATE leads SET owner_id = $2 WHERE id = $1', [id, ownerEmail ? staff[ownerEmail] : null]);
    await sql.query('DELETE FROM alerts WHERE lead_id = $1', [id]);
    return id;
  });
}

async function inbox(email: string): Promise<{ text: string; parts: { type: string; buttons?: { payload: { action: string; args: Record<string, string> } }[] }[] }[]> {
  return tx(async (sql) =>
    (await sql.query(`SELECT m.text, m.parts FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.staff_user_id = $1 AND m.direction = 'out' ORDER BY m.created_at`, [staff[email]])).rows as never,
  );
}

describe('hot-lead alerts', () => {
  it('alerts the owner with the lead card and action buttons, once per cooldown window', async () => {
    const nok = await lead(`l.display_name = 'นก'`, PLOY);
    const before = (await inbox(PLOY)).length;
    const first = await raiseAlert(deps, clinic.id, nok, 'asked_to_book', T0);
    expect(first).toMatchObject({ status: 'sent', targetStaffId: staff[PLOY] });
    expect(await raiseAlert(deps, clinic.id, nok, 'grade_a', minutes(T0, 5))).toEqual({ status: 'suppressed', reason: 'cooldown' });
    expect(await raiseAlert(deps, clinic.id, nok, 'grade_a', minutes(T0, 14))).toEqual({ status: 'suppressed', reason: 'cooldown' });
    expect((await raiseAlert(deps, clinic.id, nok, 'grade_a', minutes(T0, 16))).status).toBe('sent');

    const got = (await inbox(PLOY)).slice(before);
    expect(got).toHaveLength(2);
    expect(got[0]!.text).toContain('นก');
    expect(got[0]!.parts.map((p) => p.type)).toEqual(['text', 'card', 'buttons']);
    const actions = got[0]!.parts[2]!.buttons!.map((b) => [b.payload.action, b.payload.args.action]);
    expect(actions).toEqual([
      ['alert_action', 'claim'],
      ['alert_action', 'snooze_1h'],
      ['alert_action', 'snooze_1d'],
      ['alert_action', 'contacted'],
    ]);
    expect(await deps.alerts.getJobCountByTypes('delayed')).toBeGreaterThanOrEqual(2);
  });

  it('escalates to the manager when nobody acts within the SLA, exactly once', async () => {
    const nok = await lead(`l.display_name = 'นก'`, PLOY);
    const r = await raiseAlert(deps, clinic.id, nok, 'grade_a', T0);
    if (r.status !== 'sent') throw new Error('not sent');
    expect(r.escalateAt).toEqual(minutes(T0, clinic.settings.sla_response_minutes));
    const before = (await inbox(KANYA)).length;
    expect(await runEscalation(deps, { tenantId: clinic.id, alertId: r.alertId }, r.escalateAt)).toBe(true);
    expect(await runEscalation(deps, { tenantId: clinic.id, alertId: r.alertId }, minutes(r.escalateAt, 1))).toBe(false);
    const got = (await inbox(KANYA)).slice(before);
    expect(got).toHaveLength(1);
    expect(got[0]!.text).toContain('นก');
  });

  it('does not escalate an alert the rep acted on', async () => {
    const nok = await lead(`l.display_name = 'นก'`, PLOY);
    const r = await raiseAlert(deps, clinic.id, nok, 'grade_a', T0);
    if (r.status !== 'sent') throw new Error('not sent');
    await tx(async (sql) => applyAlertAction(sql, clinic, await actorForPerson(sql, clinic, { kind: 'staff', id: staff[PLOY]! }), r.alertId, 'contacted', minutes(T0, 3)));
    expect(await runEscalation(deps, { tenantId: clinic.id, alertId: r.alertId }, r.escalateAt)).toBe(false);
    // The scan's safety net agrees: nothing overdue.
    expect((await alertsTick(deps, r.escalateAt, minutes(r.escalateAt, 1))).escalated).toBe(0);
  });

  it('the scan escalates an overdue alert whose job Redis lost', async () => {
    const nok = await lead(`l.display_name = 'นก'`, PLOY);
    const r = await raiseAlert(deps, clinic.id, nok, 'grade_a', T0);
    if (r.status !== 'sent') throw new Error('not sent');
    await dropPrefix(prefix);
    const tick = await alertsTick(deps, minutes(r.escalateAt, 1), minutes(r.escalateAt, 1));
    expect(tick.escalated).toBe(1);
  });

  it('a snoozed alert comes back after the snooze unless the lead was contacted', async () => {
    const nok = await lead(`l.display_name = 'นก'`, PLOY);
    const T1 = minutes(T0, 24 * 60); // after the other tests' contacts with Nok
    const r = await raiseAlert(deps, clinic.id, nok, 'grade_a', T1);
    if (r.status !== 'sent') throw new Error('not sent');
    const done = await tx(async (sql) => applyAlertAction(sql, clinic, await actorForPerson(sql, clinic, { kind: 'staff', id: staff[PLOY]! }), r.alertId, 'snooze_1h', minutes(T1, 1)));
    expect(done.snoozedUntil).toBe(minutes(T1, 61).toISOString());
    const before = (await inbox(PLOY)).length;
    expect((await alertsTick(deps, minutes(T1, 30), minutes(T1, 30))).reminded).toBe(0);
    expect((await alertsTick(deps, minutes(T1, 62), minutes(T1, 62))).reminded).toBe(1);
    expect((await alertsTick(deps, minutes(T1, 63), minutes(T1, 63))).reminded).toBe(0);
    expect((await inbox(PLOY)).length - before).toBe(1);
  });

  it('an unassigned lead goes to a rep on shift, round-robin', async () => {
    const reps = await tx(async (sql) => (await sql.query<{ id: string }>(`SELECT id FROM staff_users WHERE role = 'rep' AND active ORDER BY email`)).rows.map((r) => r.id));
    expect(reps.length).toBeGreaterThanOrEqual(2);
    const [a, b] = reps;
    await tx(async (sql) => {
      await sql.query(`UPDATE staff_users SET working_hours = '{"days":["mon"],"start":"03:00","end":"04:00"}' WHERE role = 'rep'`);
      await sql.query(`UPDATE staff_users SET working_hours = '{"days":["sat"],"start":"09:00","end":"18:00"}', timezone = 'Asia/Bangkok' WHERE id = ANY($1)`, [[a, b]]);
    });
    const targets = new Set<string>();
    for (const offset of [10, 11]) {
      const id = await lead(`l.display_name <> 'นก'`, null, offset);
      const r = await raiseAlert(deps, clinic.id, id, 'grade_a', T0);
      if (r.status !== 'sent') throw new Error(`not sent: ${JSON.stringify(r)}`);
      targets.add(r.targetStaffId);
    }
    expect(targets).toEqual(new Set([a, b]));
    // Off shift (Saturday 20:00 in Bangkok) it still reaches a rep rather than nobody.
    const id = await lead(`l.display_name <> 'นก'`, null, 12);
    expect(await tx((sql) => pickAlertTarget(sql, id, minutes(T0, 8 * 60)))).toBeDefined();
  });

  it('the scan alerts a lead that just reached grade A, once', async () => {
    const nok = await lead(`l.display_name = 'นก'`, PLOY);
    await tx((sql) => sql.query(`UPDATE leads SET grade = 'A', score = 90, scored_at = $2 WHERE id = $1`, [nok, minutes(T0, -1)]));
    const first = await alertsTick(deps, minutes(T0, -2), T0);
    expect(first.raised).toBeGreaterThanOrEqual(1);
    const count = async () => tx(async (sql) => (await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM alerts WHERE lead_id = $1`, [nok])).rows[0]!.n);
    expect(await count()).toBe(1);
    await alertsTick(deps, T0, minutes(T0, 1));
    expect(await count()).toBe(1);
  });
});
