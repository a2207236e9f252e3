import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCliDatabase } from '../helpers/db.ts';
import { runCli } from '../helpers/cli.ts';
import { withTenant } from '../../src/db/tenant.ts';
import { localAsk, type AskResult } from '../../src/bots/local/session.ts';
import type { Button } from '../../src/core/messages/types.ts';
import { createListing } from '../../src/core/matching/listings.ts';
import { getTenantBySlug } from '../../src/core/tenants.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

/**
 * Workflow updates and property matching through the same path as
 * `closer ask`: persist → turn queue → rules agent → tool → reply. The
 * clock is the real one, so times are checked by their local weekday and
 * hour rather than a fixed date.
 */
let app: TestApp;
const ids: Record<string, string> = {};
beforeAll(async () => {
  app = await startTestApp();
  for (const slug of ['demo-clinic', 'demo-realty']) ids[slug] = (await app.db.pool.query<{ id: string }>('SELECT id FROM tenants WHERE slug = $1', [slug])).rows[0]!.id;
});
afterAll(async () => {
  await app.close();
});

function ask(tenant: string, as: string, text: string, chat: string): Promise<AskResult> {
  return localAsk(app.local, { tenant, as, text, chat }, 20_000);
}
function press(tenant: string, as: string, button: Button, chat: string): Promise<AskResult> {
  return localAsk(app.local, { tenant, as, payload: button.payload, chat }, 20_000);
}
function buttonsOf(r: AskResult): Button[] {
  return r.replies.flatMap((m) => m.parts.flatMap((p) => (p.type === 'buttons' ? p.buttons : [])));
}
function q<T>(tenant: string, text: string, params: unknown[] = []): Promise<T[]> {
  return withTenant(app.db, ids[tenant]!, async (sql) => (await sql.query(text, params)).rows as T[]);
}
async function lead(tenant: string, name: string) {
  return (await q<{ id: string; stage_key: string; next_followup_at: Date | null }>(tenant, 'SELECT id, stage_key, next_followup_at FROM leads WHERE display_name = $1', [name]))[0]!;
}
function local(d: Date, timeZone: string): { weekday: string; time: string } {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'long', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(d);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return { weekday: get('weekday'), time: `${get('hour')}:${get('minute')}` };
}

describe('workflow updates in chat (clinic)', () => {
  it('"move her to negotiation and follow up on Friday": one confirmation, nothing written until Confirm', async () => {
    const chat = `wf-${randomUUID().slice(0, 8)}`;
    await ask('demo-clinic', 'rep', 'ข้อมูล นก', chat); // puts Nok in focus
    const before = await lead('demo-clinic', 'นก');
    const r = await ask('demo-clinic', 'rep', 'move her to negotiation and follow up on Friday', chat);
    expect(r.toolCalls).toEqual([{ name: 'update_workflow', args: { action: 'stage', lead: 'her', stage: 'negotiation', followup: 'on Friday' } }]);
    expect(r.reply).toMatch(/^Move นก from Contacted to Negotiation and schedule a follow-up on Fri \d{1,2} \w{3},? 10:00 \(Asia\/Bangkok\)\?/);
    expect((await lead('demo-clinic', 'นก')).stage_key).toBe(before.stage_key);
    const [confirm, cancel] = buttonsOf(r);
    expect(confirm).toMatchObject({ label: 'Confirm', style: 'primary', payload: { action: 'confirm_action', args: { id: expect.any(String) } } });
    expect(cancel).toMatchObject({ label: 'Cancel', payload: { action: 'cancel_action', args: { id: confirm!.payload.args.id } } });

    // A button press has no text to read a language from: the reply stays in the conversation's last language (English here).
    const done = await press('demo-clinic', 'rep', confirm!, chat);
    expect(done.reply).toMatch(/^Done: นก moved from Contacted to Negotiation and follow-up scheduled for Fri/);
    const after = await lead('demo-clinic', 'นก');
    expect(after.stage_key).toBe('negotiation');
    expect(local(after.next_followup_at!, 'Asia/Bangkok')).toEqual({ weekday: 'Friday', time: '10:00' });
    const [fu] = await q<{ status: string; created_by: string | null }>('demo-clinic', `SELECT status, created_by FROM followup_executions WHERE lead_id = $1 AND due_at = $2`, [after.id, after.next_followup_at]);
    expect(fu!.status).toBe('pending');
    expect(fu!.created_by).not.toBeNull();
    // The proposal and the press that ran it.
    const audit = await q<{ tool: string }>('demo-clinic', `SELECT tool FROM audit_log WHERE tool IN ('update_workflow', 'confirm_action') AND outcome = 'ok' AND conversation_id = $1 ORDER BY id`, [done.conversationId]);
    expect(audit.map((a) => a.tool)).toEqual(['update_workflow', 'confirm_action']);
  });

  it('takes a Thai note with Thai buttons, and Cancel leaves the lead as it was', async () => {
    const chat = `wf-${randomUUID().slice(0, 8)}`;
    const note = await ask('demo-clinic', 'rep', 'บันทึกโน้ตนก: ชอบช่วงเย็น', chat);
    expect(note.toolCalls[0]).toMatchObject({ name: 'update_workflow', args: { action: 'note', lead: 'นก', body: 'ชอบช่วงเย็น' } });
    expect(buttonsOf(note).map((b) => b.label)).toEqual(['ยืนยัน', 'ยกเลิก']);
    await press('demo-clinic', 'rep', buttonsOf(note)[0]!, chat);
    const nok = await lead('demo-clinic', 'นก');
    expect(await q('demo-clinic', `SELECT 1 FROM activities WHERE lead_id = $1 AND kind = 'note' AND body = 'ชอบช่วงเย็น'`, [nok.id])).toHaveLength(1);

    const move = await ask('demo-clinic', 'rep', 'ย้ายสมใจ ชัยพรไปขั้นต่อรอง', chat);
    expect(move.toolCalls[0]).toMatchObject({ name: 'update_workflow', args: { action: 'stage', lead: 'สมใจ ชัยพร', stage: 'ขั้นต่อรอง' } });
    expect(move.reply).toContain('ย้าย สมใจ ชัยพร จาก เสนอแผนการรักษา ไป ต่อรอง');
    const cancelled = await press('demo-clinic', 'rep', buttonsOf(move)[1]!, chat);
    expect(cancelled.reply).toBe('ยกเลิกแล้ว ไม่มีอะไรเปลี่ยนค่ะ');
    expect((await lead('demo-clinic', 'สมใจ ชัยพร')).stage_key).toBe('proposal');
  });

  it('refuses a move the pipeline does not allow, saying which moves are', async () => {
    const r = await ask('demo-clinic', 'rep', '/stage สมใจ ชัยพร contacted', `wf-${randomUUID().slice(0, 8)}`);
    expect(r.reply).toMatch(/cannot move from Proposal to Contacted\. From Proposal they can move to: Negotiation \(negotiation\), Won \(won\), Lost \(lost\)/);
    expect(buttonsOf(r)).toEqual([]);
  });

  it('refuses the workflow tool to a customer, even through a forged Confirm button', async () => {
    const somjai = await lead('demo-clinic', 'Somjai Chaiyaporn');
    const r = await localAsk(
      app.local,
      { tenant: 'demo-clinic', as: 'customer', payload: { action: 'update_workflow', args: { action: 'stage', lead_id: somjai.id, stage: 'won', confirm: 'true' } } },
      20_000,
    );
    expect(r.reply).toMatch(/not available to a customer|ทำรายการนี้ไม่ได้/);
    expect((await lead('demo-clinic', 'Somjai Chaiyaporn')).stage_key).toBe(somjai.stage_key);
  });

  it('says at a clinic that matching applies to property listings', async () => {
    const r = await ask('demo-clinic', 'rep', 'which listings match นก?', `wf-${randomUUID().slice(0, 8)}`);
    expect(r.toolCalls[0]!.name).toBe('match_listings');
    expect(r.reply).toMatch(/Matching applies to property listings/);
  });
});

describe('workflow updates and matching in chat (agency)', () => {
  it('moves Faisal to negotiation from an Arabic request, confirmed in Arabic', async () => {
    const chat = `wf-${randomUUID().slice(0, 8)}`;
    const r = await ask('demo-realty', 'rep', 'انقل فيصل إلى مرحلة التفاوض', chat);
    expect(r.toolCalls[0]).toMatchObject({ name: 'update_workflow', args: { action: 'stage', lead: 'فيصل', stage: 'التفاوض' } });
    expect(r.reply).toContain('نقل فيصل العتيبي من جديد إلى تفاوض');
    const [confirm] = buttonsOf(r);
    expect(confirm!.label).toBe('تأكيد');
    const done = await press('demo-realty', 'rep', confirm!, chat);
    expect(done.reply).toMatch(/^تم: نُقل فيصل العتيبي/);
    expect((await lead('demo-realty', 'فيصل العتيبي')).stage_key).toBe('negotiation');
  });

  it('schedules "تابع مع فيصل يوم الخميس" for Thursday 10:00 Riyadh time', async () => {
    const chat = `wf-${randomUUID().slice(0, 8)}`;
    const r = await ask('demo-realty', 'rep', 'تابع مع فيصل يوم الخميس', chat);
    expect(r.toolCalls[0]).toMatchObject({ name: 'update_workflow', args: { action: 'followup', lead: 'فيصل', when: 'يوم الخميس' } });
    await press('demo-realty', 'rep', buttonsOf(r)[0]!, chat);
    const faisal = await lead('demo-realty', 'فيصل العتيبي');
    const rows = await q<{ due_at: Date }>('demo-realty', `SELECT due_at FROM followup_executions WHERE lead_id = $1 AND status = 'pending' AND rule_id IS NULL`, [faisal.id]);
    expect(rows.map((x) => local(x.due_at, 'Asia/Riyadh'))).toContainEqual({ weekday: 'Thursday', time: '10:00' });
  });

  it('creates a task from "remind me to call … tomorrow at 4pm"', async () => {
    const chat = `wf-${randomUUID().slice(0, 8)}`;
    const r = await ask('demo-realty', 'rep', 'remind me to call فيصل العتيبي tomorrow at 4pm', chat);
    expect(r.toolCalls[0]).toMatchObject({ name: 'update_workflow', args: { action: 'task', assignee: 'me', when: 'tomorrow at 4pm' } });
    await press('demo-realty', 'rep', buttonsOf(r)[0]!, chat);
    const faisal = await lead('demo-realty', 'فيصل العتيبي');
    const tasks = await q<{ kind: string; due_at: Date; assignee: string }>(
      'demo-realty',
      `SELECT t.kind, t.due_at, s.email AS assignee FROM tasks t JOIN staff_users s ON s.id = t.assignee_id WHERE t.lead_id = $1 AND t.title = 'call فيصل العتيبي'`,
      [faisal.id],
    );
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).toMatchObject({ kind: 'call', assignee: 'omar@demo-realty.example' });
    expect(local(tasks[0]!.due_at, 'Asia/Riyadh').time).toBe('16:00');
  });

  it('lists the listings that match Faisal, in English and in Arabic, and "this buyer" after that', async () => {
    const chat = `wf-${randomUUID().slice(0, 8)}`;
    const en = await ask('demo-realty', 'rep', 'which listings match فيصل?', chat);
    expect(en.toolCalls).toEqual([{ name: 'match_listings', args: { lead: 'فيصل' } }]);
    const table = en.replies[0]!.parts.find((p) => p.type === 'table');
    expect(table?.type === 'table' && table.rows.map((row) => row[0])).toContain('RUH-1003');
    expect(en.reply).toContain('✓ Al Narjis');
    const ar = await ask('demo-realty', 'rep', 'ما العقارات المناسبة لفيصل؟', chat);
    expect(ar.reply).toContain('العقارات المناسبة لـ فيصل العتيبي');
    const focus = await ask('demo-realty', 'rep', 'matches for this buyer', chat);
    expect(focus.reply).toContain('فيصل العتيبي');
  });

  it('finds the buyers of a new listing RY-014, in English and Arabic, and keeps them from customers', async () => {
    const tenant = await withTenant(app.db, ids['demo-realty']!, (sql) => getTenantBySlug(sql, 'demo-realty'));
    await withTenant(app.db, tenant.id, (sql) =>
      createListing(sql, tenant, { ref: 'RY-014', title: 'Villa in Al Yasmin', city: 'Riyadh', district: 'الياسمين', type: 'villa', price: 2_750_000, bedrooms: 5, area: 400 }),
    );
    const chat = `wf-${randomUUID().slice(0, 8)}`;
    const en = await ask('demo-realty', 'rep', 'which buyers match listing RY-014?', chat);
    expect(en.toolCalls).toEqual([{ name: 'match_listings', args: { listing: 'RY-014' } }]);
    expect(en.reply).toContain('Buyers for RY-014');
    const ar = await ask('demo-realty', 'manager', 'من المشترين المناسبين للعقار RY-014؟', chat);
    expect(ar.reply).toContain('المشترون المناسبون للعقار RY-014');
    const all = await ask('demo-realty', 'rep', '/buyers RY-014', chat);
    expect(all.replies[0]!.parts.some((p) => p.type === 'table')).toBe(true);
    const customer = await ask('demo-realty', 'customer', 'which buyers match listing RY-014?', chat);
    expect(customer.reply).not.toContain('فيصل العتيبي');
    expect(customer.reply).toMatch(/not other buyers|not available|عذراً/);
  });

  it('gives a customer the listings that match their own request', async () => {
    const r = await ask('demo-realty', 'customer', 'which listings match me?', `wf-${randomUUID().slice(0, 8)}`);
    expect(r.actor.role).toBe('customer');
    expect(r.toolCalls[0]!.name).toBe('match_listings');
    expect(r.reply).toContain('RUH-1003');
  });
});

describe('closer listings (CLI)', () => {
  it('adds a validated listing, prints its matching buyers, and says buyers are not notified yet', async () => {
    // A private copy of the seeded test image (embedded CLOSER_HOME or a server database).
    const cli = await createCliDatabase('closer-listings-');
    try {
      const env = cli.env;
      const add = await runCli(
        ['listings', 'add', '--tenant', 'demo-realty', '--ref', 'RY-900', '--title', 'Villa in Al Malqa', '--city', 'Riyadh', '--district', 'Al Malqa', '--type', 'villa', '--price', '2800000', '--bedrooms', '5', '--area', '450'],
        env,
      );
      expect(add.stderr).toBe('');
      expect(add.code).toBe(0);
      expect(add.stdout).toContain('Added RY-900: Villa in Al Malqa');
      expect(add.stdout).toMatch(/Matching buyers \(\d+, best first\)/);
      expect(add.stdout).toContain('فيصل العتيبي');
      expect(add.stdout).toMatch(/Notified \d+ matched/);
      const bad = await runCli(['listings', 'add', '--tenant', 'demo-realty', '--ref', 'RY-901', '--title', 'Castle', '--city', 'Riyadh', '--type', 'castle', '--price', '-1'], env);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(/invalid listing: type: .*price:/);
      const matches = await runCli(['listings', 'matches', '--tenant', 'demo-realty', '--ref', 'ry-900', '--limit', '3', '--json'], env);
      expect(matches.code).toBe(0);
      const json = JSON.parse(matches.stdout) as { listing: { ref: string }; buyers: { score: number; contactable: boolean }[]; notified: boolean };
      expect(json.listing.ref).toBe('RY-900');
      expect(json.buyers).toHaveLength(3);
      expect(json.notified).toBe(false);
    } finally {
      await cli.close();
    }
  });
});
