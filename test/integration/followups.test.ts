import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Worker } from 'bullmq';
import type { Database, Sql } from '../../src/db/database.ts';
import { withSystem, withTenant } from '../../src/db/tenant.ts';
import { getTenantBySlug, type Tenant } from '../../src/core/tenants.ts';
import { onLeadEvent, scanQuietLeads } from '../../src/core/followups/events.ts';
import { recoverExpiredLeases, runFollowup } from '../../src/core/followups/execute.ts';
import { setConsent } from '../../src/core/customer/consent.ts';
import { createQueues, type Queues } from '../../src/jobs/queues.ts';
import { createFollowupQueue, FOLLOWUPS_QUEUE, processFollowup, type FollowupJob } from '../../src/jobs/followups.ts';
import { reconcileFollowups } from '../../src/jobs/reconcile.ts';
import { bullConnection } from '../../src/jobs/queues.ts';
import { createLogger } from '../../src/log.ts';
import { createTestDatabase } from '../helpers/db.ts';
import { dropPrefix, testPrefix, testRedis } from '../helpers/redis.ts';

const log = createLogger('silent');
let db: Database;
let queues: Queues;
let prefix: string;
let followups: ReturnType<typeof createFollowupQueue>;

// 10:00 in Bangkok, 06:00 in Riyadh: a daytime moment for the clinic.
const T0 = new Date('2026-11-21T03:00:00Z');
const minutes = (d: Date, m: number) => new Date(d.getTime() + m * 60_000);

beforeAll(async () => {
  db = await createTestDatabase({ seeded: true });
  prefix = testPrefix();
  queues = createQueues(testRedis().options, prefix);
  followups = createFollowupQueue(testRedis().options, prefix);
});
afterAll(async () => {
  await followups.close();
  await queues.close();
  await dropPrefix(prefix);
  await db.close();
});

async function tenantOf(slug: string): Promise<Tenant> {
  return withSystem(db, (sql) => getTenantBySlug(sql, slug));
}

/** A contactable lead with a live conversation on its channel, in `stage`, last contacted 25 hours before T0 with no reply since. */
async function prepareLead(tenant: Tenant, where: string, stage: string, opts: { timezone?: string } = {}): Promise<string> {
  return withTenant(db, tenant.id, async (sql) => {
    const lead = (await sql.query<{ id: string }>(`SELECT id FROM leads WHERE ${where} LIMIT 1`)).rows[0]!;
    await sql.query(`DELETE FROM followup_executions WHERE lead_id = $1`, [lead.id]);
    await sql.query(
      `UPDATE leads SET consent = 'opted_in', unreachable = false, stage_key = $2, last_contact_at = $3, last_inbound_at = NULL, timezone = $4 WHERE id = $1`,
      [lead.id, stage, minutes(T0, -25 * 60), opts.timezone ?? null],
    );
    const ident = (await sql.query<{ id: string; channel_account_id: string; channel: string; external_id: string }>(
      `SELECT id, channel_account_id, channel, external_id FROM channel_identities WHERE lead_id = $1 LIMIT 1`,
      [lead.id],
    )).rows[0]!;
    await sql.query(`UPDATE channel_accounts SET status = 'active' WHERE id = $1`, [ident.channel_account_id]);
    await sql.query(
      `INSERT INTO conversations (tenant_id, channel_account_id, channel_identity_id, channel, external_chat_id, lead_id, last_message_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (channel_account_id, external_chat_id) DO UPDATE SET status = 'bot', lead_id = EXCLUDED.lead_id`,
      [tenant.id, ident.channel_account_id, ident.id, ident.channel, ident.external_id, lead.id, minutes(T0, -25 * 60)],
    );
    return lead.id;
  });
}

async function executions(tenant: Tenant, leadId: string) {
  return withTenant(db, tenant.id, async (sql) =>
    (await sql.query<{ id: string; step_index: number; due_at: Date; status: string; reason: string | null; message_id: string | null; rule_id: string | null }>(
      `SELECT id, step_index, due_at, status, reason, message_id, rule_id FROM followup_executions WHERE lead_id = $1 ORDER BY due_at, step_index`,
      [leadId],
    )).rows,
  );
}

async function outboundTexts(tenant: Tenant, leadId: string): Promise<string[]> {
  return withTenant(db, tenant.id, async (sql) =>
    (await sql.query<{ text: string }>(
      `SELECT m.text FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.lead_id = $1 AND m.direction = 'out' ORDER BY m.created_at, m.id`,
      [leadId],
    )).rows.map((r) => r.text),
  );
}

async function startNoReply(tenant: Tenant, leadId: string, now = T0): Promise<void> {
  const created = await withTenant(db, tenant.id, (sql) => scanQuietLeads(sql, tenant, now));
  expect(created.length).toBeGreaterThan(0);
  expect((await executions(tenant, leadId)).length).toBe(3);
}

const NOK = `display_name = 'นก'`;

async function giveNokATreatment(tenant: Tenant, leadId: string) {
  await withTenant(db, tenant.id, async (sql: Sql) => {
    const cat = (await sql.query<{ category: string }>(`SELECT category FROM catalogue_items WHERE active ORDER BY sku LIMIT 1`)).rows[0]!.category;
    await sql.query(`UPDATE leads SET attributes = jsonb_set(attributes, '{interests}', $2::jsonb) WHERE id = $1`, [leadId, JSON.stringify([cat])]);
  });
}

describe('follow-up sequences', () => {
  it('runs the steps in order at their times and stops when the lead replies', async () => {
    const clinic = await tenantOf('demo-clinic');
    const nok = await prepareLead(clinic, NOK, 'contacted');
    await giveNokATreatment(clinic, nok);
    await startNoReply(clinic, nok);
    const [s0, s1, s2] = await executions(clinic, nok);
    expect([s0!.step_index, s1!.step_index, s2!.step_index]).toEqual([0, 1, 2]);
    expect(s1!.due_at.getTime() - s0!.due_at.getTime()).toBe(2880 * 60_000);

    expect(await runFollowup(db, clinic.id, s0!.id, T0)).toMatchObject({ status: 'sent' });
    // Step 2 is not due a day later: the job goes back to sleep.
    expect(await runFollowup(db, clinic.id, s1!.id, minutes(T0, 24 * 60))).toMatchObject({ status: 'not_due' });
    expect(await runFollowup(db, clinic.id, s1!.id, minutes(T0, 2880))).toMatchObject({ status: 'sent' });
    const texts = await outboundTexts(clinic, nok);
    expect(texts).toHaveLength(2);
    expect(texts[0]).toContain('นก');
    expect(texts[0]).toContain(clinic.name);
    expect(texts.join('\n')).not.toContain('{{');

    // The lead answers; the last step must not go out.
    await withTenant(db, clinic.id, async (sql) => {
      await sql.query('UPDATE leads SET last_inbound_at = $2 WHERE id = $1', [nok, minutes(T0, 3000)]);
      expect((await onLeadEvent(sql, clinic, { type: 'replied', leadId: nok }, minutes(T0, 3000))).cancelled).toBe(1);
    });
    expect(await runFollowup(db, clinic.id, s2!.id, minutes(T0, 10080))).toEqual({ status: 'not_claimed' });
    expect((await executions(clinic, nok)).map((e) => [e.status, e.reason])).toEqual([
      ['sent', null],
      ['sent', null],
      ['cancelled', 'replied'],
    ]);
  });

  it('checks for a reply again at send time, even when no event reached it', async () => {
    const clinic = await tenantOf('demo-clinic');
    const nok = await prepareLead(clinic, NOK, 'contacted');
    await startNoReply(clinic, nok);
    const [s0] = await executions(clinic, nok);
    await withTenant(db, clinic.id, (sql) => sql.query('UPDATE leads SET last_inbound_at = $2 WHERE id = $1', [nok, minutes(T0, 1)]));
    expect(await runFollowup(db, clinic.id, s0!.id, minutes(T0, 2))).toEqual({ status: 'cancelled', reason: 'replied' });
  });

  it('stops on opt-out and on won', async () => {
    const clinic = await tenantOf('demo-clinic');
    const nok = await prepareLead(clinic, NOK, 'contacted');
    await startNoReply(clinic, nok);
    await withTenant(db, clinic.id, (sql) => setConsent(sql, clinic, nok, 'opted_out', T0));
    expect((await executions(clinic, nok)).every((e) => e.status === 'cancelled' && e.reason === 'opted_out')).toBe(true);

    const again = await prepareLead(clinic, NOK, 'contacted');
    await startNoReply(clinic, again);
    await withTenant(db, clinic.id, async (sql) => {
      await sql.query(`UPDATE leads SET stage_key = 'won' WHERE id = $1`, [again]);
      await onLeadEvent(sql, clinic, { type: 'stage_entered', leadId: again, stage: 'won' }, T0);
    });
    const rows = await executions(clinic, again);
    const noReplyRule = await withTenant(db, clinic.id, async (sql) => (await sql.query<{ id: string }>(`SELECT id FROM followup_rules WHERE key = 'no_reply_contacted'`)).rows[0]!.id);
    expect(rows.filter((e) => e.rule_id === noReplyRule).map((e) => [e.status, e.reason])).toEqual([
      ['cancelled', 'won'],
      ['cancelled', 'won'],
      ['cancelled', 'won'],
    ]);
  });

  it('never messages a lead without consent, even when a row is already due', async () => {
    const clinic = await tenantOf('demo-clinic');
    const nok = await prepareLead(clinic, NOK, 'contacted');
    await startNoReply(clinic, nok);
    const [s0] = await executions(clinic, nok);
    await withTenant(db, clinic.id, (sql) => sql.query(`UPDATE leads SET consent = 'unknown' WHERE id = $1`, [nok]));
    expect(await runFollowup(db, clinic.id, s0!.id, T0)).toEqual({ status: 'cancelled', reason: 'no_consent' });
  });

  it('holds a send due at 03:00 in the lead time zone until the morning', async () => {
    const clinic = await tenantOf('demo-clinic');
    const nok = await prepareLead(clinic, NOK, 'contacted', { timezone: 'Asia/Bangkok' });
    await startNoReply(clinic, nok);
    const [s0] = await executions(clinic, nok);
    const threeAm = new Date('2026-11-21T20:00:00Z'); // 03:00 on the 22nd in Bangkok
    const r = await runFollowup(db, clinic.id, s0!.id, threeAm);
    expect(r).toEqual({ status: 'deferred', reason: 'quiet_hours', dueAt: new Date('2026-11-22T02:00:00Z') });
    expect((await executions(clinic, nok))[0]).toMatchObject({ status: 'pending', reason: 'quiet_hours' });
    expect(await runFollowup(db, clinic.id, s0!.id, minutes(threeAm, 60))).toMatchObject({ status: 'not_due' });
    expect(await runFollowup(db, clinic.id, s0!.id, new Date('2026-11-22T02:00:00Z'))).toMatchObject({ status: 'sent' });
  });

  it('skips a step whose template needs a value the lead does not have, with the reason', async () => {
    const realty = await tenantOf('demo-realty');
    const faisal = await prepareLead(realty, `display_name = 'فيصل العتيبي'`, 'contacted');
    await startNoReply(realty, faisal);
    const [, s1] = await executions(realty, faisal);
    const r = await runFollowup(db, realty.id, s1!.id, minutes(T0, 4320 + 180)); // 09:00 in Riyadh
    expect(r).toEqual({ status: 'skipped', reason: 'missing variable: listing_title' });
    expect((await executions(realty, faisal))[1]).toMatchObject({ status: 'skipped', reason: 'missing variable: listing_title', message_id: null });
  });

  it('sends a follow-up a rep scheduled by hand with the generic text in the lead language', async () => {
    const realty = await tenantOf('demo-realty');
    const faisal = await prepareLead(realty, `display_name = 'فيصل العتيبي'`, 'contacted');
    const id = await withTenant(db, realty.id, async (sql) =>
      (await sql.query<{ id: string }>(
        `INSERT INTO followup_executions (tenant_id, lead_id, due_at, status, created_by)
         VALUES ($1, $2, $3, 'pending', (SELECT id FROM staff_users WHERE email = 'omar@demo-realty.example')) RETURNING id`,
        [realty.id, faisal, T0],
      )).rows[0]!.id,
    );
    expect(await runFollowup(db, realty.id, id, minutes(T0, 240))).toMatchObject({ status: 'sent' });
    const texts = await outboundTexts(realty, faisal);
    expect(texts.at(-1)).toContain(realty.name);
    expect(texts.at(-1)).not.toContain('{{');
  });
});

describe('reliability', () => {
  it('two workers on one queue send each follow-up exactly once', async () => {
    const clinic = await tenantOf('demo-clinic');
    const nok = await prepareLead(clinic, NOK, 'contacted');
    const before = (await outboundTexts(clinic, nok)).length;
    await startNoReply(clinic, nok);
    const steps = await executions(clinic, nok);
    const late = minutes(T0, 10080 + 60); // all three due, daytime in Bangkok
    const deps = { db, queues, followups, log, now: () => late };
    const done: string[] = [];
    const workers = [1, 2].map(
      () =>
        new Worker<FollowupJob>(FOLLOWUPS_QUEUE, async (job) => {
          const r = await processFollowup(deps, job.data);
          done.push(r.status);
          return r.status;
        }, { connection: bullConnection(testRedis().options), prefix, concurrency: 5 }),
    );
    try {
      // Every step is queued three times under different ids, as a re-run reconciler or a double event could.
      for (let copy = 0; copy < 3; copy++) {
        for (const s of steps) await followups.add('followup', { tenantId: clinic.id, executionId: s.id }, { jobId: `dup-${copy}-${s.id}`, removeOnComplete: true });
      }
      await waitFor(() => done.length === 9);
    } finally {
      await Promise.all(workers.map((w) => w.close()));
    }
    expect(done.filter((s) => s === 'sent')).toHaveLength(3);
    expect(done.filter((s) => s === 'not_claimed')).toHaveLength(6);
    const rows = await executions(clinic, nok);
    expect(rows.every((r) => r.status === 'sent' && r.message_id)).toBe(true);
    expect(new Set(rows.map((r) => r.message_id)).size).toBe(3);
    expect((await outboundTexts(clinic, nok)).length - before).toBe(3);
  });

  it('restores every pending step after Redis is flushed, and sends nothing twice', async () => {
    const clinic = await tenantOf('demo-clinic');
    const nok = await prepareLead(clinic, NOK, 'contacted');
    const before = (await outboundTexts(clinic, nok)).length;
    await startNoReply(clinic, nok);
    // The seed has follow-ups of its own; this test counts only Nok's.
    await withSystem(db, (sql) => sql.query(`UPDATE followup_executions SET status = 'cancelled', reason = 'test isolation' WHERE lead_id <> $1 AND status = 'pending'`, [nok]));
    const late = minutes(T0, 10080 + 60);
    const first = await reconcileFollowups(db, followups, late, { horizonMs: 0 });
    expect(first.queued).toBe(3);
    expect(await followups.getJobCountByTypes('delayed', 'wait')).toBe(3);
    // A second pass while the jobs still exist adds nothing.
    await reconcileFollowups(db, followups, late, { horizonMs: 0 });
    expect(await followups.getJobCountByTypes('delayed', 'wait')).toBe(3);

    await dropPrefix(prefix); // Redis lost everything
    expect(await followups.getJobCountByTypes('delayed', 'wait')).toBe(0);
    const restored = await reconcileFollowups(db, followups, late, { horizonMs: 0 });
    expect(restored.queued).toBe(3);

    const done: string[] = [];
    const worker = new Worker<FollowupJob>(FOLLOWUPS_QUEUE, async (job) => {
      const r = await processFollowup({ db, queues, followups, log, now: () => late }, job.data);
      done.push(r.status);
      return r.status;
    }, { connection: bullConnection(testRedis().options), prefix });
    try {
      await waitFor(() => done.length === 3);
      // The reconciler running again after the sends finds nothing to do.
      expect((await reconcileFollowups(db, followups, late, { horizonMs: 0 })).queued).toBe(0);
    } finally {
      await worker.close();
    }
    expect(done).toEqual(['sent', 'sent', 'sent']);
    expect((await outboundTexts(clinic, nok)).length - before).toBe(3);
  });

  it('a worker killed mid-send is retried once and the step is sent once', async () => {
    const clinic = await tenantOf('demo-clinic');
    const nok = await prepareLead(clinic, NOK, 'contacted');
    const before = (await outboundTexts(clinic, nok)).length;
    await startNoReply(clinic, nok);
    const [s0, s1] = await executions(clinic, nok);
    const die = async () => {
      throw new Error('SIGKILL');
    };
    await expect(runFollowup(db, clinic.id, s0!.id, T0, { afterClaim: die })).rejects.toThrow('SIGKILL');
    expect((await executions(clinic, nok))[0]!.status).toBe('sending');
    // Inside the lease nothing is touched; after it, the row goes back once.
    expect(await withSystem(db, (sql) => recoverExpiredLeases(sql, minutes(T0, 1), 5 * 60_000))).toEqual({ retried: 0, failed: 0 });
    expect(await withSystem(db, (sql) => recoverExpiredLeases(sql, minutes(T0, 6), 5 * 60_000))).toEqual({ retried: 1, failed: 0 });
    expect(await runFollowup(db, clinic.id, s0!.id, minutes(T0, 7))).toMatchObject({ status: 'sent' });
    expect(await runFollowup(db, clinic.id, s0!.id, minutes(T0, 8))).toEqual({ status: 'not_claimed' });
    expect((await outboundTexts(clinic, nok)).length - before).toBe(1);

    // A step whose worker dies twice is failed for a person to look at, never sent.
    const t1 = minutes(T0, 2880);
    await expect(runFollowup(db, clinic.id, s1!.id, t1, { afterClaim: die })).rejects.toThrow();
    await withSystem(db, (sql) => recoverExpiredLeases(sql, minutes(t1, 6), 5 * 60_000));
    await expect(runFollowup(db, clinic.id, s1!.id, minutes(t1, 7), { afterClaim: die })).rejects.toThrow();
    expect(await withSystem(db, (sql) => recoverExpiredLeases(sql, minutes(t1, 13), 5 * 60_000))).toEqual({ retried: 0, failed: 1 });
    expect((await executions(clinic, nok))[1]).toMatchObject({ status: 'failed', message_id: null });
    expect((await outboundTexts(clinic, nok)).length - before).toBe(1);
  });
});

async function waitFor(cond: () => boolean, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 25));
  }
}
