import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localAsk } from '../../src/bots/local/session.ts';
import { withTenant } from '../../src/db/tenant.ts';
import { getTenantBySlug, type Tenant } from '../../src/core/tenants.ts';
import { markScoreStale } from '../../src/core/leads/stale.ts';
import { SCORE_MODEL } from '../../src/core/scoring/config.ts';
import { recomputeLeadScore, recomputeStaleScores, STALE_SQL } from '../../src/core/scoring/recompute.ts';
import { listHotLeads } from '../../src/core/prioritiser/hot.ts';
import { clearProbabilityCache, dealProbability, fitTenantModel } from '../../src/core/probability/model.ts';
import type { OutboundPart } from '../../src/core/messages/types.ts';
import { TEST_ANCHOR } from '../helpers/anchor.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

let app: TestApp;
const tenants = new Map<string, Tenant>();
const NOW = new Date(TEST_ANCHOR.getTime() + 10 * 3_600_000);

beforeAll(async () => {
  app = await startTestApp();
  for (const slug of ['demo-clinic', 'demo-realty']) {
    const id = (await app.db.pool.query<{ id: string }>('SELECT id FROM tenants WHERE slug = $1', [slug])).rows[0]!.id;
    tenants.set(slug, await withTenant(app.db, id, (sql) => getTenantBySlug(sql, slug)));
  }
});
afterAll(async () => {
  await app.close();
});

const tenant = (slug: string) => tenants.get(slug)!;
const inTenant = <T>(slug: string, fn: Parameters<typeof withTenant<T>>[2]) => withTenant(app.db, tenant(slug).id, fn);
const ask = (tenantSlug: string, as: string, text: string, chat = randomUUID().slice(0, 8)) => localAsk(app.local, { tenant: tenantSlug, as, text, chat }, 20_000);
const part = <T extends OutboundPart['type']>(parts: OutboundPart[], type: T) => parts.find((p) => p.type === type) as Extract<OutboundPart, { type: T }> | undefined;
const leadId = (slug: string, name: string) => inTenant(slug, async (sql) => (await sql.query<{ id: string }>('SELECT id FROM leads WHERE display_name = $1', [name])).rows[0]!.id);
const staffId = (slug: string, email: string) => inTenant(slug, async (sql) => (await sql.query<{ id: string }>('SELECT id FROM staff_users WHERE email = $1', [email])).rows[0]!.id);

describe('explain_score through the rules agent', () => {
  it('explains Nok’s score to her rep in Thai and stores the score it explains', async () => {
    const r = await ask('demo-clinic', 'rep', 'คะแนนของนก');
    expect(r.toolCalls).toEqual([{ name: 'explain_score', args: { lead: 'นก' } }]);
    const stored = await inTenant('demo-clinic', async (sql) =>
      (await sql.query<{ score: number; grade: string; score_factors: { model: string; factors: unknown[] } }>(`SELECT score, grade, score_factors FROM leads WHERE display_name = 'นก'`)).rows[0]!,
    );
    // The seed's placeholder score is replaced by an explainable one.
    expect(stored.score_factors.model).toBe(SCORE_MODEL);
    expect(stored.score_factors.factors.length).toBeGreaterThan(5);
    expect(r.reply).toContain(`${stored.score}/100`);
    expect(r.reply).toContain(`เกรด ${stored.grade}`);
    const card = part(r.replies[0]!.parts, 'card');
    expect(card?.fields.some((f) => f.label.startsWith('สถานะ') && f.value.includes('ติดต่อแล้ว'))).toBe(true);
  });

  it('follows the conversation’s lead for "explain her score", in English', async () => {
    const chat = randomUUID().slice(0, 8);
    await ask('demo-clinic', 'rep', 'ข้อมูล นก', chat);
    const r = await ask('demo-clinic', 'rep', 'explain her score', chat);
    expect(r.toolCalls[0]!.name).toBe('explain_score');
    expect(r.reply).toMatch(/scores \d+\/100: grade [ABCD]/);
    const buttons = part(r.replies[0]!.parts, 'buttons')!;
    expect(buttons.buttons[0]!.payload).toEqual({ action: 'deal_probability', args: { lead_id: await leadId('demo-clinic', 'นก') } });
  });

  it('offers candidates for an ambiguous name and explains the one picked', async () => {
    const r = await ask('demo-clinic', 'rep', 'score for Somjai');
    const buttons = part(r.replies[0]!.parts, 'buttons')!;
    expect(buttons.buttons.length).toBeGreaterThanOrEqual(2);
    expect(buttons.buttons.every((b) => b.payload.action === 'explain_score')).toBe(true);
    const pressed = await localAsk(app.local, { tenant: 'demo-clinic', as: 'rep', payload: buttons.buttons[0]!.payload }, 20_000);
    expect(pressed.toolCalls[0]!.name).toBe('explain_score');
    expect(pressed.reply).toContain(buttons.buttons[0]!.label);
  });

  it('explains Faisal’s score in Arabic', async () => {
    const r = await ask('demo-realty', 'rep', 'تقييم فيصل');
    expect(r.toolCalls[0]).toMatchObject({ name: 'explain_score', args: { lead: 'فيصل' } });
    expect(r.reply).toMatch(/تقييم فيصل العتيبي: \d+\/100/);
  });
});

describe('list_hot_leads through the rules agent', () => {
  it('gives a rep only their own open leads, with a reason, a best time and a button per lead', async () => {
    const r = await ask('demo-clinic', 'rep', 'who should I call next?');
    expect(r.toolCalls[0]!.name).toBe('list_hot_leads');
    const table = part(r.replies[0]!.parts, 'table')!;
    expect(table.rows.length).toBe(10);
    expect(table.columns).not.toContain('Owner');
    const buttons = r.replies[0]!.parts.filter((p) => p.type === 'buttons').flatMap((p) => (p.type === 'buttons' ? p.buttons : []));
    expect(buttons).toHaveLength(10);
    const ids = buttons.map((b) => b.payload.args.lead_id!);
    const ploy = await staffId('demo-clinic', 'ploy@demo-clinic.example');
    const rows = await inTenant('demo-clinic', async (sql) =>
      (
        await sql.query<{ owner_id: string; consent: string; open: boolean }>(
          `SELECT l.owner_id, l.consent, NOT (ps.is_won OR ps.is_lost) AS open FROM leads l JOIN pipeline_stages ps ON ps.key = l.stage_key WHERE l.id = ANY($1::uuid[])`,
          [ids],
        )
      ).rows,
    );
    expect(rows).toHaveLength(10);
    for (const row of rows) expect(row).toEqual({ owner_id: ploy, consent: expect.not.stringMatching(/opted_out/), open: true });
    for (const cells of table.rows) {
      expect(cells[3]!.length).toBeGreaterThan(0);
      expect(cells[4]).toMatch(/usually writes|business hours/);
    }
    const pressed = await localAsk(app.local, { tenant: 'demo-clinic', as: 'rep', payload: buttons[0]!.payload }, 20_000);
    expect(pressed.toolCalls[0]!.name).toBe('lookup_lead');
  });

  it('gives a manager the team list in Arabic with owners, and one rep’s list on request', async () => {
    const team = await ask('demo-realty', 'manager', 'العملاء الساخنين');
    expect(team.toolCalls[0]!.name).toBe('list_hot_leads');
    const table = part(team.replies[0]!.parts, 'table')!;
    expect(table.columns).toContain('المسؤول');
    const omars = await ask('demo-realty', 'manager', 'hot leads for Omar');
    expect(omars.toolCalls[0]).toMatchObject({ name: 'list_hot_leads', args: { owner: 'Omar' } });
    expect(omars.reply).toContain('Omar Al-Harbi');
    const rows = part(omars.replies[0]!.parts, 'table')!.rows;
    expect(rows.length).toBeGreaterThan(0);
  });

  it('understands Thai and the limit argument', async () => {
    const r = await ask('demo-clinic', 'manager', 'ลีดร้อน');
    expect(r.toolCalls[0]!.name).toBe('list_hot_leads');
    expect(r.reply).toContain('ลูกค้า');
    const five = await ask('demo-clinic', 'rep', '/hot 5');
    expect(part(five.replies[0]!.parts, 'table')!.rows).toHaveLength(5);
  });

  it('refuses a rep another rep’s list', async () => {
    const r = await ask('demo-realty', 'rep', 'hot leads for Sara');
    expect(r.toolCalls[0]!.name).toBe('list_hot_leads');
    expect(r.reply).toMatch(/can't do that/);
    expect(part(r.replies[0]!.parts, 'table')).toBeUndefined();
  });
});

describe('deal_probability through the rules agent', () => {
  it('answers in Arabic for Faisal, saying it learned from the agency’s own history', async () => {
    const r = await ask('demo-realty', 'rep', 'ما احتمال إغلاق صفقة فيصل؟');
    expect(r.toolCalls[0]).toMatchObject({ name: 'deal_probability', args: { lead: 'فيصل' } });
    expect(r.reply).toMatch(/فيصل العتيبي: احتمال إغلاق الصفقة \d+%/);
    expect(r.reply).toContain('محسوب من تاريخ الفريق نفسه');
    expect(r.reply).toMatch(/AUC 0\.\d\d/);
  });

  it('answers /prob นก in English with the factors that move it', async () => {
    const r = await ask('demo-clinic', 'rep', '/prob นก');
    expect(r.toolCalls[0]!.name).toBe('deal_probability');
    expect(r.reply).toMatch(/นก: \d+% chance of closing/);
    expect(part(r.replies[0]!.parts, 'card')?.fields.length).toBeGreaterThan(0);
  });
});

describe('permissions', () => {
  it('refuses every scoring tool to a customer, even with a forged button for another lead, and audits it', async () => {
    const somjai = await leadId('demo-clinic', 'Somjai Chaiyaporn');
    for (const action of ['explain_score', 'deal_probability', 'list_hot_leads']) {
      const r = await localAsk(app.local, { tenant: 'demo-clinic', as: 'customer', payload: { action, args: { lead_id: somjai } } }, 20_000);
      expect(r.reply).not.toMatch(/Somjai|\/100|%/);
    }
    // Typed, it never reaches a staff tool at all (the agent treats it as a customer question).
    const typed = await ask('demo-clinic', 'customer', '/score Somjai');
    expect(typed.toolCalls.map((c) => c.name)).not.toContain('explain_score');
    expect(typed.reply).not.toMatch(/\/100/);
    const audit = await inTenant('demo-clinic', (sql) =>
      sql.query<{ tool: string; outcome: string }>(`SELECT tool, outcome FROM audit_log WHERE actor_type = 'customer' AND tool IN ('explain_score', 'deal_probability', 'list_hot_leads')`),
    );
    expect(audit.rows).toHaveLength(3);
    expect(audit.rows.every((a) => a.outcome === 'refused')).toBe(true);
  });
});

describe('scoring services (explicit clock)', () => {
  it('recomputes only stale leads, within the limit, and says when more remain', async () => {
    const t = tenant('demo-realty');
    await inTenant('demo-realty', async (sql) => {
      await sql.query(`UPDATE leads SET scored_at = NULL`);
      const first = await recomputeStaleScores(sql, t, { now: NOW, limit: 100 });
      expect(first).toEqual({ scored: 100, remaining: true });
      const stale = async () => (await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM leads WHERE ${STALE_SQL}`)).rows[0]!.n;
      const total = (await sql.query<{ n: number }>('SELECT count(*)::int AS n FROM leads')).rows[0]!.n;
      expect(await stale()).toBe(total - 100);
      const rest = await recomputeStaleScores(sql, t, { now: NOW, limit: 100_000 });
      expect(rest).toEqual({ scored: total - 100, remaining: false });
      expect(await stale()).toBe(0);
      expect(await recomputeStaleScores(sql, t, { now: NOW, limit: 10 })).toEqual({ scored: 0, remaining: false });
    });
  });

  it('follows a new buying signal: the lead is marked stale and scores higher on recompute', async () => {
    const t = tenant('demo-clinic');
    const id = await leadId('demo-clinic', 'Somjai Chaiyaporn');
    await inTenant('demo-clinic', async (sql) => {
      await recomputeStaleScores(sql, t, { now: NOW, limit: 100_000 });
      const before = await recomputeLeadScore(sql, t, id, NOW);
      await sql.query(`DELETE FROM activities WHERE lead_id = $1 AND kind = 'message_in'`, [id]);
      await markScoreStale(sql, id);
      const quiet = await recomputeLeadScore(sql, t, id, NOW);
      await sql.query(
        `INSERT INTO activities (tenant_id, lead_id, kind, channel, body, occurred_at) VALUES ($1, $2, 'message_in', 'line', 'ขอจองคิววันเสาร์ได้ไหมคะ ราคาเท่าไหร่', $3)`,
        [t.id, id, new Date(NOW.getTime() - 3_600_000)],
      );
      await markScoreStale(sql, id);
      expect((await sql.query(`SELECT 1 FROM leads WHERE id = $1 AND scored_at IS NULL`, [id])).rows).toHaveLength(1);
      expect(await recomputeStaleScores(sql, t, { now: NOW, limit: 10 })).toEqual({ scored: 1, remaining: false });
      const after = (await sql.query<{ score: number; score_factors: { factors: { key: string; reason: string; params: Record<string, unknown> }[] } }>('SELECT score, score_factors FROM leads WHERE id = $1', [id])).rows[0]!;
      expect(quiet.factors.find((f) => f.key === 'intent')!.known).toBe(false);
      expect(after.score).toBeGreaterThan(quiet.score);
      expect(after.score_factors.factors.find((f) => f.key === 'intent')).toMatchObject({ reason: 'intent_signals', params: { signals: 'price,booking' } });
      expect(before.factors.length).toBe(after.score_factors.factors.length);
    });
  });

  it('ranks an unanswered message past the SLA up, and leaves out won, lost and opted-out leads', async () => {
    const t = tenant('demo-clinic');
    const ploy = await staffId('demo-clinic', 'ploy@demo-clinic.example');
    await inTenant('demo-clinic', async (sql) => {
      const before = await listHotLeads(sql, t, { now: NOW, limit: 50, ownerId: ploy });
      const last = before.leads[before.leads.length - 1]!;
      await sql.query(`UPDATE leads SET last_inbound_at = $2, last_contact_at = $3 WHERE id = $1`, [last.leadId, new Date(NOW.getTime() - 45 * 60_000), new Date(NOW.getTime() - 2 * 86_400_000)]);
      const optedOut = before.leads[0]!;
      await sql.query(`UPDATE leads SET consent = 'opted_out' WHERE id = $1`, [optedOut.leadId]);
      const after = await listHotLeads(sql, t, { now: NOW, limit: 50, ownerId: ploy });
      const moved = after.leads.findIndex((l) => l.leadId === last.leadId);
      expect(moved).toBeGreaterThanOrEqual(0);
      expect(moved).toBeLessThan(before.leads.length - 1);
      expect(after.leads[moved]!.reasons[0]).toMatchObject({ key: 'sla_breached', params: { minutes: 45, sla: t.settings.sla_response_minutes } });
      expect(after.leads.some((l) => l.leadId === optedOut.leadId)).toBe(false);
      expect(after.leads.every((l) => l.stage && l.stage.openIndex !== null)).toBe(true);
      // Sorted by priority.
      const p = after.leads.map((l) => l.priority);
      expect([...p].sort((a, b) => b - a)).toEqual(p);
    });
  });

  it('fits a model on the clinic’s won/lost history and reports held-out calibration', async () => {
    const m = await inTenant('demo-clinic', (sql) => fitTenantModel(sql, tenant('demo-clinic')));
    expect(m.method).toBe('model');
    expect(m.won).toBeGreaterThanOrEqual(10);
    expect(m.lost).toBeGreaterThanOrEqual(10);
    expect(m.holdout!.nTest).toBeGreaterThan(0);
    expect(m.holdout!.auc).toBeGreaterThan(0.5);
    expect(m.holdout!.brier).toBeLessThan(0.25);
    const again = await inTenant('demo-clinic', (sql) => fitTenantModel(sql, tenant('demo-clinic')));
    expect(again.logistic).toEqual(m.logistic);
  });

  it('falls back to stage win rates with too little history, and says won leads are won', async () => {
    const t = tenant('demo-realty');
    clearProbabilityCache();
    await inTenant('demo-realty', async (sql) => {
      // Keep 30 closed leads: fewer than the 50 a model needs.
      await sql.query(`DELETE FROM leads WHERE id IN (
        SELECT l.id FROM leads l JOIN pipeline_stages ps ON ps.key = l.stage_key WHERE ps.is_won OR ps.is_lost ORDER BY l.id OFFSET 30)`);
      const faisal = (await sql.query<{ id: string }>(`SELECT id FROM leads WHERE display_name = 'فيصل العتيبي'`)).rows[0]!.id;
      const p = await dealProbability(sql, t, faisal, NOW);
      expect(p.method).not.toBe('model');
      expect(p.model.closed).toBe(30);
      expect(p.probability).toBe(p.stageRate!.rate);
      const won = (await sql.query<{ id: string }>(`SELECT l.id FROM leads l JOIN pipeline_stages ps ON ps.key = l.stage_key WHERE ps.is_won LIMIT 1`)).rows[0]!.id;
      expect(await dealProbability(sql, t, won, NOW)).toMatchObject({ status: 'won', probability: 1 });
    });
    clearProbabilityCache();
  });
});
