import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.ts';
import { withSystem, withTenant } from '../../src/db/tenant.ts';
import { actorForPerson, resolvePerson, type Actor } from '../../src/core/actors.ts';
import { getTenantBySlug, type Tenant } from '../../src/core/tenants.ts';
import { invokeTool, type ToolOutcome } from '../../src/tools/run.ts';
import { translator } from '../../src/agents/i18n.ts';
import { AmbiguousLeadError } from '../../src/core/leads/resolve.ts';
import { PolicyRefusal, ToolInputError } from '../../src/errors.ts';
import type { Button } from '../../src/core/messages/types.ts';
import { createTestDatabase } from '../helpers/db.ts';
import { TEST_ANCHOR } from '../helpers/anchor.ts';

/** The workflow tool against the seeded demo clinic, through the real tool runner (roles, schema, audit). */
let db: Database;
let clinic: Tenant;
let ploy: Actor;
let kanya: Actor;
let mint: Actor;
let beam: Actor;
let nok: Actor;
// Friday 20 Nov 2026, 09:00 in Bangkok.
const NOW = new Date(TEST_ANCHOR.getTime() + 2 * 3600_000);

async function actor(as: string): Promise<Actor> {
  return withTenant(db, clinic.id, async (sql) => actorForPerson(sql, clinic, await resolvePerson(sql, clinic, as)));
}
function call(who: Actor, name: string, args: Record<string, unknown>, focusLeadId?: string): Promise<ToolOutcome> {
  return invokeTool(db, clinic, who, name, args, { now: NOW, focusLeadId });
}
function q<T>(text: string, params: unknown[] = []): Promise<T[]> {
  return withTenant(db, clinic.id, async (sql) => (await sql.query(text, params)).rows as T[]);
}
async function leadId(name: string): Promise<string> {
  return (await q<{ id: string }>('SELECT id FROM leads WHERE display_name = $1', [name]))[0]!.id;
}
function present(o: ToolOutcome, who: Actor, locale = 'en') {
  if (!o.ok) throw o.error;
  return o.tool.present(o.result, { tenant: clinic, actor: who, locale, t: translator(locale), now: NOW });
}
function buttons(o: ToolOutcome, who: Actor): Button[] {
  return present(o, who).parts.flatMap((p) => (p.type === 'buttons' ? p.buttons : []));
}
/** Presses the Confirm button of a proposal, as `who`. */
function pressConfirm(proposed: ToolOutcome, who: Actor, presser: Actor = who): Promise<ToolOutcome> {
  return call(presser, 'confirm_action', buttons(proposed, who)[0]!.payload.args);
}
/** Proposes and confirms in one go (what a person does with two messages). */
async function confirmed(who: Actor, args: Record<string, unknown>): Promise<ToolOutcome> {
  const proposed = await call(who, 'update_workflow', args);
  return proposed.ok ? pressConfirm(proposed, who) : proposed;
}
async function counts(id: string) {
  return (
    await q<{ activities: number; followups: number; tasks: number; stage: string; owner: string | null }>(
      `SELECT (SELECT count(*)::int FROM activities WHERE lead_id = $1) AS activities,
              (SELECT count(*)::int FROM followup_executions WHERE lead_id = $1) AS followups,
              (SELECT count(*)::int FROM tasks WHERE lead_id = $1) AS tasks,
              l.stage_key AS stage, l.owner_id AS owner
       FROM leads l WHERE l.id = $1`,
      [id],
    )
  )[0]!;
}

beforeAll(async () => {
  db = await createTestDatabase({ seeded: true });
  clinic = await withSystem(db, (sql) => getTenantBySlug(sql, 'demo-clinic'));
  ploy = await actor('ploy@demo-clinic.example');
  kanya = await actor('kanya@demo-clinic.example');
  mint = await actor('mint@demo-clinic.example');
  beam = await actor('beam@demo-clinic.example');
  nok = await actor('line:Unok0000000000000000000000000000');
});
afterAll(async () => {
  await db.close();
});

describe('update_workflow: confirm before writing', () => {
  it('proposes a stage move with a follow-up, writes nothing, and the Confirm button writes both once', async () => {
    const id = await leadId('นก');
    const before = await counts(id);
    await withTenant(db, clinic.id, (sql) => sql.query('UPDATE leads SET scored_at = $2 WHERE id = $1', [id, NOW]));

    const proposed = await call(ploy, 'update_workflow', { action: 'move', lead: 'นก', stage: 'negotiation', followup: 'on Friday' });
    expect(proposed.ok).toBe(true);
    const reply = present(proposed, ploy);
    expect(reply.text).toMatch(/^Move นก from Contacted to Negotiation and schedule a follow-up on Fri 27 Nov,? 10:00 \(Asia\/Bangkok\)\?/);
    expect(await counts(id)).toEqual(before);

    const [confirm, cancel] = buttons(proposed, ploy);
    expect(confirm!.style).toBe('primary');
    // The buttons carry only the pending confirmation's id; the plan stays on the server.
    expect(confirm!.payload).toEqual({ action: 'confirm_action', args: { id: expect.any(String) } });
    expect(cancel!.payload).toEqual({ action: 'cancel_action', args: { id: confirm!.payload.args.id } });
    const [pending] = await q<{ tool: string; args: Record<string, string>; staff_user_id: string }>('SELECT tool, args, staff_user_id FROM pending_confirmations WHERE id = $1', [confirm!.payload.args.id]);
    expect(pending).toMatchObject({ tool: 'update_workflow', staff_user_id: ploy.staffUserId, args: { action: 'stage', lead_id: id, stage: 'negotiation', followup: '2026-11-27T03:00:00.000Z' } });

    const done = await call(ploy, 'confirm_action', confirm!.payload.args);
    expect(present(done, ploy).text).toMatch(/^Done: นก moved from Contacted to Negotiation and follow-up scheduled for Fri 27 Nov/);
    const after = await counts(id);
    expect(after).toMatchObject({ stage: 'negotiation', activities: before.activities + 2, followups: before.followups + 1 });
    const acts = await q<{ kind: string; staff_user_id: string; data: Record<string, unknown> }>(
      `SELECT kind, staff_user_id, data FROM activities WHERE lead_id = $1 AND occurred_at = $2 ORDER BY kind`,
      [id, NOW],
    );
    expect(acts.map((a) => a.kind)).toEqual(['followup', 'stage_change']);
    expect(acts.every((a) => a.staff_user_id === ploy.staffUserId)).toBe(true);
    expect(acts.find((a) => a.kind === 'stage_change')!.data).toMatchObject({ from: 'contacted', to: 'negotiation' });
    const [fu] = await q<{ status: string; due_at: Date; created_by: string }>(`SELECT status, due_at, created_by FROM followup_executions WHERE lead_id = $1 AND created_at = $2`, [id, NOW]);
    expect(fu).toMatchObject({ status: 'pending', created_by: ploy.staffUserId });
    expect(fu!.due_at.toISOString()).toBe('2026-11-27T03:00:00.000Z');
    const [lead] = await q<{ next_followup_at: Date; scored_at: Date | null }>('SELECT next_followup_at, scored_at FROM leads WHERE id = $1', [id]);
    expect(lead!.next_followup_at.toISOString()).toBe('2026-11-27T03:00:00.000Z');
    expect(lead!.scored_at).toBeNull();
    const audit = await q<{ tool: string; outcome: string }>(`SELECT tool, outcome FROM audit_log WHERE tool IN ('update_workflow', 'confirm_action') AND actor_id = $1 ORDER BY id`, [ploy.staffUserId]);
    expect(audit.slice(-2)).toEqual([{ tool: 'update_workflow', outcome: 'ok' }, { tool: 'confirm_action', outcome: 'ok' }]);

    // A second press of the same button (double click, redelivery) writes nothing.
    const again = await call(ploy, 'confirm_action', confirm!.payload.args);
    expect(present(again, ploy).text).toMatch(/already pressed/);
    expect(await counts(id)).toEqual(after);
  });

  it('answers in the language of the turn, and Cancel writes nothing', async () => {
    const proposed = await call(ploy, 'update_workflow', { action: 'ติดตาม', lead: 'นก', when: 'วันศุกร์' });
    const th = present(proposed, ploy, 'th');
    expect(th.text).toContain('นัดติดตามผล นก');
    expect(th.parts.flatMap((p) => (p.type === 'buttons' ? p.buttons.map((b) => b.label) : []))).toEqual(['ยืนยัน', 'ยกเลิก']);
    const cancelled = await call(ploy, 'update_workflow_cancel', {});
    expect(present(cancelled, ploy).text).toBe('Cancelled, nothing changed.');
  });
});

describe('update_workflow: the pipeline policy', () => {
  it('refuses a move the pipeline does not allow, listing the allowed stages', async () => {
    const r = await call(ploy, 'update_workflow', { action: 'stage', lead: 'สมใจ ชัยพร', stage: 'contacted', confirm: 'true' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toBeInstanceOf(PolicyRefusal);
    expect(r.error.message).toContain('cannot move from Proposal to Contacted');
    expect(r.error.message).toContain('Negotiation (negotiation), Won (won), Lost (lost)');
    expect((await counts(await leadId('สมใจ ชัยพร'))).stage).toBe('proposal');
  });

  it('keeps a won lead closed for a rep; a manager may reopen it', async () => {
    const rep = await call(beam, 'update_workflow', { action: 'stage', lead: 'Somjai Kaewmanee', stage: 'proposal' });
    expect(!rep.ok && rep.error.message).toMatch(/only a manager can reopen/);
    const mgr = await call(kanya, 'update_workflow', { action: 'stage', lead: 'Somjai Kaewmanee', stage: 'proposal' });
    expect(mgr.ok).toBe(true);
  });

  it('resolves stage names in Thai and refuses unknown ones with the list', async () => {
    const ok = await call(mint, 'update_workflow', { action: 'ย้าย', lead: 'Somjai Chaiyaporn', stage: 'ขั้นต่อรอง' });
    expect(ok.ok && ok.result.data).toMatchObject({ kind: 'confirm', plan: { steps: [{ type: 'stage', to: { key: 'negotiation' } }] } });
    const bad = await call(mint, 'update_workflow', { action: 'stage', lead: 'Somjai Chaiyaporn', stage: 'banana' });
    expect(!bad.ok && bad.error).toBeInstanceOf(ToolInputError);
    expect(!bad.ok && bad.error.message).toContain('There is no stage "banana"');
  });

  it('asks which Somjai instead of guessing, and uses the lead in focus for "her"', async () => {
    const amb = await call(ploy, 'update_workflow', { action: 'note', lead: 'Somjai', body: 'x' });
    expect(!amb.ok && amb.error).toBeInstanceOf(AmbiguousLeadError);
    const id = await leadId('Somjai Chaiyaporn');
    const her = await call(mint, 'update_workflow', { action: 'note', lead: 'her', body: 'likes the new promo' }, id);
    expect(her.ok && her.result.focusLeadId).toBe(id);
    const nobody = await call(ploy, 'update_workflow', { action: 'note', lead: 'her', body: 'x' });
    expect(nobody.ok).toBe(false);
  });
});

describe('update_workflow: notes, calls, meetings, tasks, follow-ups', () => {
  it('writes a note, a call and a meeting as activities with the rep and marks the score stale', async () => {
    const id = await leadId('สมใจ ชัยพร'); // Ploy's own lead
    for (const [action, body] of [['note', 'prefers evenings'], ['call', 'interested in HIFU'], ['meeting', 'came for a skin scan']] as const) {
      const p = await call(ploy, 'update_workflow', { action, lead_id: id, body });
      expect(p.ok).toBe(true);
      const done = await pressConfirm(p, ploy);
      expect(done.ok).toBe(true);
    }
    const acts = await q<{ kind: string; body: string; staff_user_id: string }>(`SELECT kind, body, staff_user_id FROM activities WHERE lead_id = $1 AND occurred_at = $2 ORDER BY kind`, [id, NOW]);
    expect(acts).toEqual([
      { kind: 'call', body: 'interested in HIFU', staff_user_id: ploy.staffUserId },
      { kind: 'meeting', body: 'came for a skin scan', staff_user_id: ploy.staffUserId },
      { kind: 'note', body: 'prefers evenings', staff_user_id: ploy.staffUserId },
    ]);
    const [lead] = await q<{ last_contact_at: Date }>('SELECT last_contact_at FROM leads WHERE id = $1', [id]);
    expect(lead!.last_contact_at.getTime()).toBeGreaterThanOrEqual(NOW.getTime());
  });

  it('creates a task due at the parsed time for "me", or for the lead owner by default', async () => {
    const id = await leadId('Somjai Chaiyaporn'); // owned by Mint; Kanya manages the team
    const mine = await call(kanya, 'update_workflow', { action: 'remind', assignee: 'me', lead_id: id, body: 'call Somjai', when: 'tomorrow at 4pm' });
    expect(present(mine, kanya).text).toContain('Create a task for Kanya Srisawat about Somjai Chaiyaporn: “call Somjai”, due Sat 21 Nov');
    await pressConfirm(mine, kanya);
    const owner = await call(kanya, 'update_workflow', { action: 'task', lead_id: id, body: 'send the price list', when: 'in 3 days' });
    await pressConfirm(owner, kanya);
    const tasks = await q<{ title: string; kind: string; due_at: Date; assignee: string }>(
      `SELECT t.title, t.kind, t.due_at, s.name AS assignee FROM tasks t JOIN staff_users s ON s.id = t.assignee_id WHERE t.lead_id = $1 AND t.created_at = $2 ORDER BY t.due_at`,
      [id, NOW],
    );
    expect(tasks.map((t) => [t.title, t.kind, t.due_at.toISOString(), t.assignee])).toEqual([
      ['call Somjai', 'call', '2026-11-21T09:00:00.000Z', 'Kanya Srisawat'],
      ['send the price list', 'todo', '2026-11-23T03:00:00.000Z', 'Mint Chaiyasit'],
    ]);
  });

  it('refuses a time in the past or one it cannot read, and a task without a time', async () => {
    const past = await call(ploy, 'update_workflow', { action: 'followup', lead: 'นก', when: 'yesterday' });
    expect(!past.ok && past.error.message).toMatch(/in the past/);
    const junk = await call(ploy, 'update_workflow', { action: 'followup', lead: 'นก', when: 'banana' });
    expect(!junk.ok && junk.error.message).toMatch(/can't read "banana" as a time/);
    const none = await call(ploy, 'update_workflow', { action: 'task', lead: 'นก', body: 'call' });
    expect(!none.ok && none.error.message).toMatch(/When is "call" due/);
    // A confirmation pressed after its time has passed is refused too.
    const stale = await call(ploy, 'update_workflow', { action: 'followup', lead: 'นก', when: '2026-11-20T01:00:00.000Z', confirm: 'true' });
    expect(!stale.ok && stale.error.message).toMatch(/in the past/);
  });
});

describe('update_workflow: assignment rules and roles', () => {
  it('lets a rep reassign their own lead, and a manager any lead', async () => {
    const id = await leadId('สมใจ ชัยพร'); // Ploy's
    const p = await call(ploy, 'update_workflow', { action: 'assign', lead_id: id, assignee: 'Mint' });
    expect(present(p, ploy).text).toContain('Assign สมใจ ชัยพร to Mint Chaiyasit (owner now: Ploy Rattanakul)');
    await pressConfirm(p, ploy);
    const [row] = await q<{ owner: string }>('SELECT s.name AS owner FROM leads l JOIN staff_users s ON s.id = l.owner_id WHERE l.id = $1', [id]);
    expect(row!.owner).toBe('Mint Chaiyasit');
    const [act] = await q<{ kind: string }>(`SELECT kind FROM activities WHERE lead_id = $1 AND kind = 'assignment' AND occurred_at = $2`, [id, NOW]);
    expect(act).toBeDefined();
    const back = await confirmed(kanya, { action: 'assign', lead_id: id, assignee: 'ploy@demo-clinic.example' });
    expect(back.ok).toBe(true);
  });

  it('refuses a rep reassigning someone else’s lead, or giving an unassigned lead to another rep; they may take it', async () => {
    const theirs = await call(ploy, 'update_workflow', { action: 'assign', lead: 'Somjai Chaiyaporn', assignee: 'Beam' });
    expect(!theirs.ok && theirs.error).toBeInstanceOf(PolicyRefusal);
    const [free] = await q<{ id: string }>('SELECT id FROM leads WHERE owner_id IS NULL ORDER BY id LIMIT 1');
    expect(free).toBeDefined();
    const give = await call(ploy, 'update_workflow', { action: 'assign', lead_id: free!.id, assignee: 'Beam' });
    expect(!give.ok && give.error.message).toMatch(/take an unassigned lead for themselves/);
    const take = await confirmed(ploy, { action: 'assign', lead_id: free!.id, assignee: 'me' });
    expect(take.ok).toBe(true);
    expect((await counts(free!.id)).owner).toBe(ploy.staffUserId);
  });

  it('refuses customers: the tool is not theirs, even with a guessed lead id', async () => {
    const id = await leadId('Somjai Chaiyaporn');
    for (const args of [{ action: 'note', body: 'x' }, { action: 'stage', lead_id: id, stage: 'won', confirm: 'true' }]) {
      const r = await call(nok, 'update_workflow', args);
      expect(!r.ok && r.error).toBeInstanceOf(PolicyRefusal);
    }
    const r = await call(nok, 'update_workflow_cancel', {});
    expect(!r.ok && r.error).toBeInstanceOf(PolicyRefusal);
    expect((await counts(id)).stage).toBe('consultation_booked');
  });
});
