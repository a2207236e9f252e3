import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database, Sql } from '../../src/db/database.ts';
import { withSystem, withTenant } from '../../src/db/tenant.ts';
import { getTenantBySlug, type Tenant } from '../../src/core/tenants.ts';
import { ingestInbound, type IngestResult } from '../../src/core/conversations.ts';
import type { InboundMessage } from '../../src/core/messages/types.ts';
import { runEffectsJob } from '../../src/jobs/effects.ts';
import { importLeadsCsv } from '../../src/core/import/import-leads.ts';
import { bookAppointment } from '../../src/core/customer/booking.ts';
import { setConsent } from '../../src/core/customer/consent.ts';
import { startHandoff } from '../../src/core/handoff/service.ts';
import { applyPlan } from '../../src/core/workflow/apply.ts';
import { loadWorkflowLead } from '../../src/core/workflow/people.ts';
import { loadStages } from '../../src/core/workflow/stages.ts';
import { createTestDatabase } from '../helpers/db.ts';

/**
 * The events that start and stop follow-up sequences, fired from where they
 * happen in the product (a first message, a CSV import, a booking, a stage
 * move, an opt-out, a handoff), not by calling onLeadEvent by hand.
 */
let db: Database;
let clinic: Tenant;
let realty: Tenant;
const NOW = new Date('2026-11-21T07:00:00Z');
const minutes = (d: Date, m: number) => new Date(d.getTime() + m * 60_000);

beforeAll(async () => {
  db = await createTestDatabase({ seeded: true });
  clinic = await withSystem(db, (sql) => getTenantBySlug(sql, 'demo-clinic'));
  realty = await withSystem(db, (sql) => getTenantBySlug(sql, 'demo-realty'));
});
afterAll(async () => db?.close());

interface ExecRow {
  key: string | null;
  step_index: number;
  due_at: Date;
  status: string;
  reason: string | null;
}

async function executions(tenant: Tenant, leadId: string): Promise<ExecRow[]> {
  return withTenant(db, tenant.id, async (sql) =>
    (
      await sql.query<ExecRow>(
        `SELECT r.key, f.step_index, f.due_at, f.status, f.reason FROM followup_executions f LEFT JOIN followup_rules r ON r.id = f.rule_id
         WHERE f.lead_id = $1 ORDER BY f.due_at, f.step_index`,
        [leadId],
      )
    ).rows,
  );
}

/** A rule added for one test, removed after it so the other tests see the demo rules only. */
async function withRule<T>(tenant: Tenant, rule: { key: string; trigger: Record<string, unknown> }, fn: () => Promise<T>): Promise<T> {
  await withTenant(db, tenant.id, (sql) =>
    sql.query(`INSERT INTO followup_rules (tenant_id, key, name, trigger, steps, active) VALUES ($1, $2, $2, $3, $4, true)`, [
      tenant.id,
      rule.key,
      JSON.stringify(rule.trigger),
      JSON.stringify([{ delay_minutes: 30, channel: 'auto', templates: { en: 'Hi {{first_name}}', th: 'สวัสดีค่ะคุณ{{first_name}}' } }]),
    ]),
  );
  try {
    return await fn();
  } finally {
    await withTenant(db, tenant.id, (sql) => sql.query(`UPDATE followup_rules SET active = false WHERE key = $1`, [rule.key]));
  }
}

async function telegramAccount(): Promise<string> {
  return withTenant(db, realty.id, async (sql) => (await sql.query<{ id: string }>(`SELECT id FROM channel_accounts WHERE channel = 'telegram' LIMIT 1`)).rows[0]!.id);
}

describe('lead_created', () => {
  it('starts the intro sequence for an imported portal lead, at +1 hour, +3 days and +6 days', async () => {
    const csv = 'first_name,last_name,phone,source\nHessa,Al-Qahtani,+966501110001,portal\nTurki,Al-Saud,+966501110002,walk_in\n';
    const report = await importLeadsCsv(db, realty, csv, { now: NOW });
    expect(report.created).toBe(2);
    const [portal, walkIn] = report.results;
    const steps = await executions(realty, portal!.leadId!);
    expect(steps.map((s) => [s.key, s.step_index, s.status])).toEqual([
      ['new_lead_intro', 0, 'pending'],
      ['new_lead_intro', 1, 'pending'],
      ['new_lead_intro', 2, 'pending'],
    ]);
    expect(steps.map((s) => (s.due_at.getTime() - NOW.getTime()) / 60_000)).toEqual([60, 4320, 8640]);
    // The rule names its sources: a walk-in is already talking to a person.
    expect(await executions(realty, walkIn!.leadId!)).toEqual([]);
  });

  it('starts nothing on a dry run', async () => {
    const report = await importLeadsCsv(db, realty, 'first_name,phone,source\nDana,+966501110003,portal\n', { now: NOW, dryRun: true });
    expect(report.created).toBe(1);
    const rows = await withTenant(db, realty.id, async (sql) => (await sql.query(`SELECT 1 FROM leads WHERE phone = '+966501110003'`)).rows);
    expect(rows).toHaveLength(0);
  });

  it('fires for a new contact on a channel, is not cancelled by the message that created the lead, and stops at the next reply', async () => {
    const accountId = await telegramAccount();
    const msg = (id: string, at: Date) => ({
      tenantId: realty.id,
      channel: 'telegram' as const,
      channelAccountId: accountId,
      platformMessageId: id,
      externalChatId: '7700100',
      externalUserId: '7700100',
      displayName: 'Reem',
      text: 'مرحبا',
      receivedAt: at,
      meta: { source: 'portal' },
    });
    const first = await ingest(msg('tg-7700100-1', NOW));
    const leadId = await withTenant(db, realty.id, async (sql) => (await sql.query<{ lead_id: string }>('SELECT lead_id FROM conversations WHERE id = $1', [first.conversationId])).rows[0]!.lead_id);
    // The webhook's transaction stores the message only; the rules fire in the inbound-effects job, after commit.
    expect(await executions(realty, leadId)).toEqual([]);
    expect(await runEffectsJob(db, { tenantId: realty.id, messageId: first.messageId })).toBe('applied');
    expect((await executions(realty, leadId)).map((s) => s.status)).toEqual(['pending', 'pending', 'pending']);
    // A retried job does nothing twice.
    expect(await runEffectsJob(db, { tenantId: realty.id, messageId: first.messageId })).toBe('none');
    expect(await executions(realty, leadId)).toHaveLength(3);

    // A second contact from the same person is not a new lead: nothing new starts, and their reply stops the sequence.
    const second = await ingest(msg('tg-7700100-2', minutes(NOW, 10)));
    await runEffectsJob(db, { tenantId: realty.id, messageId: second.messageId });
    const after = await executions(realty, leadId);
    expect(after.map((s) => [s.status, s.reason])).toEqual([
      ['cancelled', 'replied'],
      ['cancelled', 'replied'],
      ['cancelled', 'replied'],
    ]);
    const activities = await withTenant(db, realty.id, async (sql) => (await sql.query(`SELECT 1 FROM activities WHERE lead_id = $1 AND kind = 'message_in'`, [leadId])).rows);
    expect(activities).toHaveLength(2);
  });

  it('effects applied out of order: a reply applied before the message that created the lead starts no sequence', async () => {
    const accountId = await telegramAccount();
    const msg = (id: string, at: Date): InboundMessage => ({
      tenantId: realty.id,
      channel: 'telegram',
      channelAccountId: accountId,
      platformMessageId: id,
      externalChatId: '7700300',
      externalUserId: '7700300',
      displayName: 'Huda',
      text: 'hi',
      receivedAt: at,
      meta: { source: 'portal' },
    });
    const first = await ingest(msg('tg-7700300-1', NOW));
    const second = await ingest(msg('tg-7700300-2', minutes(NOW, 5)));
    await runEffectsJob(db, { tenantId: realty.id, messageId: second.messageId });
    await runEffectsJob(db, { tenantId: realty.id, messageId: first.messageId });
    const leadId = await withTenant(db, realty.id, async (sql) => (await sql.query<{ lead_id: string }>('SELECT lead_id FROM conversations WHERE id = $1', [first.conversationId])).rows[0]!.lead_id);
    expect((await executions(realty, leadId)).filter((s) => s.status === 'pending')).toEqual([]);
  });
});

function ingest(m: InboundMessage): Promise<IngestResult> {
  return withTenant(db, realty.id, (sql) => ingestInbound(sql, realty, m));
}

async function clinicLead(where: string): Promise<string> {
  return withTenant(db, clinic.id, async (sql) => {
    const id = (await sql.query<{ id: string }>(`SELECT id FROM leads WHERE ${where} ORDER BY created_at LIMIT 1`)).rows[0]!.id;
    await sql.query(`DELETE FROM followup_executions WHERE lead_id = $1`, [id]);
    return id;
  });
}

describe('appointments', () => {
  it('a new booking fires appointment_booked once; asking again about the same booking does not restart it', async () => {
    const leadId = await clinicLead(`stage_key = 'contacted'`);
    await withTenant(db, clinic.id, (sql) => sql.query(`UPDATE tasks SET status = 'cancelled' WHERE lead_id = $1 AND status = 'open'`, [leadId]));
    await withRule(clinic, { key: 'test_booked', trigger: { event: 'appointment_booked' } }, async () => {
      await withTenant(db, clinic.id, (sql) => bookAppointment(sql, clinic, leadId, { when: 'Saturday', now: NOW }));
      await withTenant(db, clinic.id, (sql) => bookAppointment(sql, clinic, leadId, { when: 'Sunday', now: minutes(NOW, 5) }));
    });
    expect((await executions(clinic, leadId)).filter((s) => s.key === 'test_booked')).toHaveLength(1);
  });

  it('moving a lead to consultation_done completes its consultation task and fires appointment_completed', async () => {
    const leadId = await clinicLead(`stage_key = 'consultation_booked'`);
    await withTenant(db, clinic.id, (sql) =>
      sql.query(`INSERT INTO tasks (tenant_id, lead_id, kind, title, due_at, status) VALUES ($1, $2, 'consultation', 'Consultation', $3, 'open')`, [clinic.id, leadId, NOW]),
    );
    await withRule(clinic, { key: 'test_completed', trigger: { event: 'appointment_completed' } }, () => moveStage(clinic, leadId, 'consultation_done'));
    expect((await executions(clinic, leadId)).map((s) => s.key)).toContain('test_completed');
    const open = await withTenant(db, clinic.id, async (sql) => (await sql.query(`SELECT 1 FROM tasks WHERE lead_id = $1 AND kind = 'consultation' AND status = 'open'`, [leadId])).rows);
    expect(open).toHaveLength(0);
  });
});

async function moveStage(tenant: Tenant, leadId: string, to: string): Promise<void> {
  await withTenant(db, tenant.id, async (sql: Sql) => {
    const stages = await loadStages(sql);
    const lead = await loadWorkflowLead(sql, leadId);
    const manager = (await sql.query<{ id: string; name: string }>(`SELECT id, name FROM staff_users WHERE role = 'manager' LIMIT 1`)).rows[0]!;
    await applyPlan(
      sql,
      { tenant, actor: { role: 'manager', staffUserId: manager.id, name: manager.name, locale: 'en', timezone: tenant.timezone }, now: NOW, confirmId: `test-${leadId}-${to}` },
      {
        lead,
        steps: [{ type: 'stage', from: stages.find((s) => s.key === lead.stageKey)!, to: stages.find((s) => s.key === to)! }],
        timeZone: tenant.timezone,
        leadTimeZone: null,
      },
    );
  });
}

describe('won and lost', () => {
  it('moving a lead to won closes its open deals as won', async () => {
    const leadId = await withTenant(db, realty.id, async (sql) =>
      (await sql.query<{ lead_id: string }>(`SELECT d.lead_id FROM deals d JOIN leads l ON l.id = d.lead_id WHERE d.status = 'open' AND l.stage_key = 'negotiation' LIMIT 1`)).rows[0]!.lead_id,
    );
    await moveStage(realty, leadId, 'won');
    const deals = await withTenant(db, realty.id, async (sql) => (await sql.query<{ status: string; closed_at: Date }>(`SELECT status, closed_at FROM deals WHERE lead_id = $1`, [leadId])).rows);
    expect(deals.length).toBeGreaterThan(0);
    expect(deals.every((d) => d.status !== 'open')).toBe(true);
    expect(deals.some((d) => d.status === 'won' && d.closed_at.getTime() === NOW.getTime())).toBe(true);
  });
});

describe('stops', () => {
  async function pendingSequenceAndManual(tenant: Tenant, leadId: string): Promise<void> {
    await withTenant(db, tenant.id, async (sql) => {
      const rule = (await sql.query<{ id: string }>(`SELECT id FROM followup_rules WHERE active LIMIT 1`)).rows[0]!.id;
      await sql.query(`DELETE FROM followup_executions WHERE lead_id = $1`, [leadId]);
      await sql.query(
        `INSERT INTO followup_executions (tenant_id, rule_id, lead_id, step_index, due_at, status) VALUES ($1, $2, $3, 0, $4, 'pending'), ($1, NULL, $3, 0, $4, 'pending')`,
        [tenant.id, rule, leadId, minutes(NOW, 600)],
      );
      await sql.query(`UPDATE leads SET next_followup_at = $2 WHERE id = $1`, [leadId, minutes(NOW, 600)]);
    });
  }

  it('an opt-out cancels every pending follow-up and clears the next follow-up time', async () => {
    const leadId = await clinicLead(`consent = 'opted_in'`);
    await pendingSequenceAndManual(clinic, leadId);
    await withTenant(db, clinic.id, (sql) => setConsent(sql, clinic, leadId, 'opted_out', NOW));
    expect((await executions(clinic, leadId)).map((s) => s.reason)).toEqual(['opted_out', 'opted_out']);
    const next = await withTenant(db, clinic.id, async (sql) => (await sql.query<{ next_followup_at: Date | null }>('SELECT next_followup_at FROM leads WHERE id = $1', [leadId])).rows[0]!);
    expect(next.next_followup_at).toBeNull();
  });

  it('a handoff cancels the automatic sequences but keeps the follow-ups a rep scheduled', async () => {
    await withTenant(db, realty.id, (sql) =>
      sql.query(
        `INSERT INTO channel_accounts (tenant_id, channel, name, external_id, config, secrets_enc) VALUES ($1, 'slack', 'Slack test', 'T-TRIGGERS', '{"handoff_channel":"#handoff"}', 'sealed')`,
        [realty.id],
      ),
    );
    const accountId = await telegramAccount();
    const ingested = await withTenant(db, realty.id, (sql) =>
      ingestInbound(sql, realty, {
        tenantId: realty.id,
        channel: 'telegram',
        channelAccountId: accountId,
        platformMessageId: 'tg-7700200-1',
        externalChatId: '7700200',
        externalUserId: '7700200',
        displayName: 'Bandar',
        text: 'hello',
        receivedAt: NOW,
      }),
    );
    const leadId = await withTenant(db, realty.id, async (sql) => (await sql.query<{ lead_id: string }>('SELECT lead_id FROM conversations WHERE id = $1', [ingested.conversationId])).rows[0]!.lead_id);
    await pendingSequenceAndManual(realty, leadId);
    const started = await withTenant(db, realty.id, (sql) => startHandoff(sql, realty, ingested.conversationId, { now: NOW }));
    expect(started.started).toBe(true);
    const rows = await executions(realty, leadId);
    expect(rows.map((s) => [s.key === null ? 'manual' : 'sequence', s.status])).toEqual(
      expect.arrayContaining([
        ['sequence', 'cancelled'],
        ['manual', 'pending'],
      ]),
    );
    expect(rows.find((s) => s.key !== null)!.reason).toBe('handoff');
  });
});
