import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTenant } from '../../src/db/tenant.ts';
import type { Sql } from '../../src/db/database.ts';
import { localAsk, type AskResult, type LocalSendInput } from '../../src/bots/local/session.ts';
import { localParts } from '../../src/core/customer/dates.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

/**
 * The customer tools end to end, through the same path as `closer ask`:
 * the local channel → pipeline → rules agent → tools → stored replies.
 * Nok is the clinic's demo customer (LINE), Faisal the agency's (Telegram).
 */

const NOK = 'line:Unok0000000000000000000000000000';
const FAISAL = 'telegram:12345';

let app: TestApp;
const tenantIds: Record<string, string> = {};
/** Every reply a demo customer got in this file, for the privacy check at the end. */
const customerReplies: { tenant: string; as: string; r: AskResult }[] = [];

beforeAll(async () => {
  app = await startTestApp();
  for (const r of (await app.db.pool.query<{ id: string; slug: string }>('SELECT id, slug FROM tenants')).rows) tenantIds[r.slug] = r.id;
});
afterAll(async () => {
  await app?.close();
});

async function ask(tenant: string, as: string, input: Pick<LocalSendInput, 'text' | 'payload'>): Promise<AskResult> {
  const r = await localAsk(app.local, { tenant, as, ...input }, 20_000);
  expect(r.error).toBeNull();
  if (as === NOK || as === FAISAL) customerReplies.push({ tenant, as, r });
  return r;
}

function db<T>(tenant: string, fn: (sql: Sql) => Promise<T>): Promise<T> {
  return withTenant(app.db, tenantIds[tenant]!, fn);
}

async function leadOf(tenant: string, as: string): Promise<string> {
  const [channel, external] = as.split(':') as [string, string];
  return db(tenant, async (sql) => (await sql.query<{ lead_id: string }>('SELECT lead_id FROM channel_identities WHERE channel = $1 AND external_id = $2', [channel, external])).rows[0]!.lead_id);
}

function buttons(r: AskResult) {
  return r.replies.flatMap((m) => m.parts.flatMap((p) => (p.type === 'buttons' ? p.buttons : [])));
}

describe('answer_question', () => {
  it('answers a price question with the price in baht, sessions, one qualifying question and two quick replies; records the signal', async () => {
    const nok = await leadOf('demo-clinic', NOK);
    await db('demo-clinic', (sql) => sql.query('UPDATE leads SET scored_at = now() WHERE id = $1', [nok]));
    const r = await ask('demo-clinic', NOK, { text: 'how much is the acne laser?' });
    expect(r.toolCalls).toEqual([{ name: 'answer_question', args: expect.objectContaining({ question: 'how much is the acne laser?' }) }]);
    expect(r.reply).toContain('Acne Clear Laser');
    expect(r.reply).toContain('฿12,900');
    expect(r.reply).toMatch(/Sessions: 5/);
    // Nok told us her budget already, so the one question is about the date.
    expect(r.reply).toContain('Which day would suit you for a consultation?');
    expect(buttons(r).map((b) => b.payload.action)).toEqual(['book_appointment', 'talk_to_human']);
    const { signal, scoredAt } = await db('demo-clinic', async (sql) => ({
      signal: (await sql.query(`SELECT data FROM activities WHERE lead_id = $1 AND data->>'signal' = 'asked_price'`, [nok])).rows[0]?.data,
      scoredAt: (await sql.query<{ scored_at: Date | null }>('SELECT scored_at FROM leads WHERE id = $1', [nok])).rows[0]!.scored_at,
    }));
    expect(signal).toMatchObject({ signal: 'asked_price', skus: ['ACNE-LASER-5'] });
    expect(scoredAt).toBeNull();
  });

  it('answers in Thai from the Thai catalogue and the Thai knowledge base', async () => {
    const price = await ask('demo-clinic', NOK, { text: 'ราคาเลเซอร์รักษาสิวเท่าไหร่คะ' });
    expect(price.reply).toContain('เลเซอร์รักษาสิว 5 ครั้ง');
    expect(price.reply).toContain('฿12,900');
    const hours = await ask('demo-clinic', NOK, { text: 'เปิดกี่โมง' });
    expect(hours.toolCalls[0]!.name).toBe('answer_question');
    expect(hours.reply).toContain('เวลาทำการ');
    expect(hours.reply).toContain('10:00-20:00');
  });

  it('notes skin concerns mentioned in a question on the lead', async () => {
    const r = await ask('demo-clinic', NOK, { text: 'ช่วงนี้มีฝ้าขึ้นด้วยค่ะ ควรทำอะไรดี' });
    expect(r.reply).toContain('ฝ้ากระ');
    const nok = await leadOf('demo-clinic', NOK);
    const attrs = await db('demo-clinic', async (sql) => (await sql.query<{ attributes: { skin: { concerns: string[] } } }>('SELECT attributes FROM leads WHERE id = $1', [nok])).rows[0]!.attributes);
    expect(attrs.skin.concerns).toEqual(expect.arrayContaining(['acne', 'large_pores', 'pigmentation']));
  });

  it("says it does not know, and asks the owner, instead of inventing an answer", async () => {
    const r = await ask('demo-clinic', NOK, { text: 'Do you sell second-hand cars?' });
    expect(r.toolCalls[0]!.name).toBe('answer_question');
    expect(r.reply).toContain("I don't know that");
    const nok = await leadOf('demo-clinic', NOK);
    const task = await db('demo-clinic', async (sql) =>
      (await sql.query<{ title: string; email: string }>(
        `SELECT t.title, s.email FROM tasks t JOIN staff_users s ON s.id = t.assignee_id WHERE t.lead_id = $1 AND t.kind = 'todo' AND t.title LIKE '%second-hand cars%'`,
        [nok],
      )).rows[0],
    );
    expect(task?.email).toBe('ploy@demo-clinic.example');
  });

  it('lists available listings with prices for an Arabic price question', async () => {
    const r = await ask('demo-realty', FAISAL, { text: 'كم سعر الفيلا في الملقا؟' });
    expect(r.toolCalls[0]!.name).toBe('answer_question');
    expect(r.reply).toContain('فيلا 5 غرف نوم في حي الملقا');
    expect(r.reply).toContain('RUH-1001');
    expect(r.reply).not.toContain('RUH-1003');
    const hours = await ask('demo-realty', FAISAL, { text: 'متى تفتحون؟' });
    expect(hours.reply).toContain('أوقات العمل');
  });
});

describe('update_my_needs', () => {
  it("stores Faisal's Arabic request as his buyer request", async () => {
    const faisal = await leadOf('demo-realty', FAISAL);
    await db('demo-realty', (sql) => sql.query(`UPDATE buyer_requests SET districts = '{}', bedrooms_min = NULL, price_max = NULL WHERE lead_id = $1`, [faisal]));
    const r = await ask('demo-realty', FAISAL, { text: 'أريد فيلا 4 غرف في شمال الرياض بحدود 3 مليون ريال' });
    expect(r.toolCalls[0]!.name).toBe('update_my_needs');
    expect(r.reply).toContain('الملقا');
    const br = await db('demo-realty', async (sql) =>
      (await sql.query<{ property_types: string[]; bedrooms_min: number; districts: string[]; price_max: string; cities: string[] }>(
        `SELECT property_types, bedrooms_min, districts, price_max, cities FROM buyer_requests WHERE lead_id = $1 AND status = 'active'`,
        [faisal],
      )).rows,
    );
    expect(br).toHaveLength(1);
    expect(br[0]).toMatchObject({ property_types: ['villa'], bedrooms_min: 4, cities: ['Riyadh'] });
    expect(Number(br[0]!.price_max)).toBe(3_000_000);
    expect(br[0]!.districts).toEqual(expect.arrayContaining(['Al Malqa', 'Al Yasmin', 'Al Narjis']));
  });

  it('updates the budget from a button-style call with Thai words for the amount', async () => {
    const r = await ask('demo-clinic', NOK, { payload: { action: 'update_my_needs', args: { budget: '2 หมื่น' } } });
    expect(r.reply).toContain('฿20,000');
    const nok = await leadOf('demo-clinic', NOK);
    const budget = await db('demo-clinic', async (sql) => (await sql.query<{ budget: string }>('SELECT budget FROM leads WHERE id = $1', [nok])).rows[0]!.budget);
    expect(Number(budget)).toBe(20_000);
  });
});

describe('book_appointment and request_callback', () => {
  it('books a consultation on Saturday: a task for the owner due that Saturday in Bangkok, and the lead moves to consultation_booked', async () => {
    const r = await ask('demo-clinic', NOK, { text: 'จองปรึกษาวันเสาร์' });
    expect(r.toolCalls).toEqual([{ name: 'book_appointment', args: { when: 'วันเสาร์' } }]);
    expect(r.reply).toContain('นัดปรึกษาคุณหมอ');
    const nok = await leadOf('demo-clinic', NOK);
    const row = await db('demo-clinic', async (sql) => ({
      task: (await sql.query<{ due_at: Date; email: string }>(`SELECT t.due_at, s.email FROM tasks t JOIN staff_users s ON s.id = t.assignee_id WHERE t.lead_id = $1 AND t.kind = 'consultation' AND t.status = 'open'`, [nok])).rows,
      stage: (await sql.query<{ stage_key: string }>('SELECT stage_key FROM leads WHERE id = $1', [nok])).rows[0]!.stage_key,
      signal: (await sql.query(`SELECT 1 FROM activities WHERE lead_id = $1 AND data->>'signal' = 'asked_to_book'`, [nok])).rows.length,
    }));
    expect(row.task).toHaveLength(1);
    expect(row.task[0]!.email).toBe('ploy@demo-clinic.example');
    expect(localParts(row.task[0]!.due_at, 'Asia/Bangkok').weekday).toBe(6);
    expect(row.task[0]!.due_at.getTime()).toBeGreaterThan(Date.now());
    expect(row.stage).toBe('consultation_booked');
    expect(row.signal).toBe(1);
    // Asking again updates the same request instead of adding a second task.
    await ask('demo-clinic', NOK, { text: 'book a consultation on Sunday' });
    const open = await db('demo-clinic', async (sql) => (await sql.query(`SELECT 1 FROM tasks WHERE lead_id = $1 AND kind = 'consultation' AND status = 'open'`, [nok])).rows.length);
    expect(open).toBe(1);
  });

  it('books a viewing in Arabic and moves a new realty lead to viewing', async () => {
    const r = await ask('demo-realty', FAISAL, { text: 'أريد حجز موعد للمعاينة' });
    expect(r.toolCalls[0]!.name).toBe('book_appointment');
    expect(r.reply).toContain('المعاينة');
    const faisal = await leadOf('demo-realty', FAISAL);
    const stage = await db('demo-realty', async (sql) => (await sql.query<{ stage_key: string }>('SELECT stage_key FROM leads WHERE id = $1', [faisal])).rows[0]!.stage_key);
    expect(stage).toBe('viewing');
  });

  it('gives a new, unassigned customer a rep (fewest open tasks) and stores the number they leave', async () => {
    const as = `line:Ucallback${Date.now()}`;
    const r = await ask('demo-clinic', as, { text: 'call me on 081 999 8888 tomorrow at 3pm' });
    expect(r.toolCalls).toEqual([{ name: 'request_callback', args: { phone: '081 999 8888', when: 'tomorrow at 3pm' } }]);
    expect(r.reply).toContain('+66819998888');
    const lead = await leadOf('demo-clinic', as);
    const row = await db('demo-clinic', async (sql) => ({
      lead: (await sql.query<{ phone: string; owner_id: string }>('SELECT phone, owner_id FROM leads WHERE id = $1', [lead])).rows[0]!,
      task: (await sql.query<{ assignee_id: string; due_at: Date }>(`SELECT assignee_id, due_at FROM tasks WHERE lead_id = $1 AND kind = 'callback'`, [lead])).rows,
      least: (await sql.query<{ id: string }>(
        `SELECT s.id FROM staff_users s LEFT JOIN tasks t ON t.assignee_id = s.id AND t.status = 'open' AND t.lead_id <> $1
         WHERE s.active AND s.role = 'rep' GROUP BY s.id ORDER BY count(t.id), s.email LIMIT 1`,
        [lead],
      )).rows[0]!.id,
    }));
    expect(row.lead.phone).toBe('+66819998888');
    expect(row.task).toHaveLength(1);
    expect(row.task[0]!.assignee_id).toBe(row.least);
    expect(row.lead.owner_id).toBe(row.least);
    expect(localParts(row.task[0]!.due_at, 'Asia/Bangkok').hour).toBe(15);
  });
});

describe('talk_to_human', () => {
  it('raises a handoff alert and a task for the owner in their language, and keeps the bot answering', async () => {
    const r = await ask('demo-clinic', NOK, { text: 'ขอคุยกับพนักงาน' });
    expect(r.toolCalls[0]!.name).toBe('talk_to_human');
    expect(r.reply).toContain('Siam Glow Aesthetic Clinic');
    const nok = await leadOf('demo-clinic', NOK);
    const row = await db('demo-clinic', async (sql) => ({
      alerts: (await sql.query<{ target: string }>(`SELECT s.email AS target FROM alerts a JOIN staff_users s ON s.id = a.target_staff_id WHERE a.lead_id = $1 AND a.kind = 'handoff_requested'`, [nok])).rows,
      task: (await sql.query<{ title: string }>(`SELECT title FROM tasks WHERE lead_id = $1 AND kind = 'callback' AND status = 'open'`, [nok])).rows.map((t) => t.title),
      status: (await sql.query<{ status: string }>('SELECT status FROM conversations WHERE id = $1', [r.conversationId])).rows[0]!.status,
    }));
    expect(row.alerts).toEqual([{ target: 'ploy@demo-clinic.example' }]);
    expect(row.task).toContain('ลูกค้าขอคุยกับพนักงาน');
    expect(row.status).toBe('bot');
    // Asking again within the cool-down raises nothing new.
    const again = await ask('demo-clinic', NOK, { text: 'I want to talk to a person' });
    expect(again.reply).toContain('already asked');
    const count = await db('demo-clinic', async (sql) => (await sql.query(`SELECT 1 FROM alerts WHERE lead_id = $1 AND kind = 'handoff_requested'`, [nok])).rows.length);
    expect(count).toBe(1);
  });
});

describe('set_consent', () => {
  it('opts out on STOP, cancelling pending follow-ups, and back in on "subscribe again"', async () => {
    const nok = await leadOf('demo-clinic', NOK);
    await db('demo-clinic', (sql) =>
      sql.query(`INSERT INTO followup_executions (tenant_id, lead_id, due_at, status) VALUES ($1, $2, now() + interval '1 day', 'pending'), ($1, $2, now() + interval '3 days', 'pending')`, [tenantIds['demo-clinic'], nok]),
    );
    const out = await ask('demo-clinic', NOK, { text: 'ไม่สนใจแล้ว ไม่ต้องส่งมาอีก' });
    expect(out.toolCalls[0]!.name).toBe('set_consent');
    const after = await db('demo-clinic', async (sql) => ({
      consent: (await sql.query<{ consent: string; consent_changed_at: Date | null }>('SELECT consent, consent_changed_at FROM leads WHERE id = $1', [nok])).rows[0]!,
      pending: (await sql.query(`SELECT 1 FROM followup_executions WHERE lead_id = $1 AND status = 'pending'`, [nok])).rows.length,
      cancelled: (await sql.query(`SELECT 1 FROM followup_executions WHERE lead_id = $1 AND status = 'cancelled' AND reason = 'opted_out'`, [nok])).rows.length,
      activity: (await sql.query(`SELECT data FROM activities WHERE lead_id = $1 AND kind = 'consent' ORDER BY occurred_at DESC LIMIT 1`, [nok])).rows[0]?.data,
    }));
    expect(after.consent.consent).toBe('opted_out');
    expect(after.consent.consent_changed_at).not.toBeNull();
    expect(after.pending).toBe(0);
    expect(after.cancelled).toBeGreaterThanOrEqual(2);
    expect(after.activity).toMatchObject({ from: 'opted_in', to: 'opted_out' });

    const back = await ask('demo-clinic', NOK, { text: 'subscribe again' });
    expect(back.toolCalls).toEqual([{ name: 'set_consent', args: { consent: 'opted_in' } }]);
    const consent = await db('demo-clinic', async (sql) => (await sql.query<{ consent: string }>('SELECT consent FROM leads WHERE id = $1', [nok])).rows[0]!.consent);
    expect(consent).toBe('opted_in');

    const ar = await ask('demo-realty', FAISAL, { text: 'إلغاء الاشتراك' });
    expect(ar.toolCalls[0]).toEqual({ name: 'set_consent', args: { consent: 'opted_out' } });
    expect(ar.reply).toContain('لن تصلك رسائل');
  });
});

describe('permissions and privacy', () => {
  it('refuses customer tools to staff and staff tools to customers', async () => {
    const rep = await localAsk(app.local, { tenant: 'demo-clinic', as: 'rep', text: 'how much is the acne laser?' }, 20_000);
    expect(rep.toolCalls[0]!.name).toBe('answer_question');
    expect(rep.reply).toMatch(/not available to a rep/);
    const customer = await ask('demo-clinic', NOK, { text: 'tell me about Somjai' });
    expect(customer.reply).not.toMatch(/Somjai Chaiyaporn|Somjai Kaewmanee|สมใจ ชัยพร/);
  });

  it('refuses a guessed lead_id of another lead and changes nothing', async () => {
    const other = await db('demo-clinic', async (sql) => (await sql.query<{ id: string; budget: string | null }>(`SELECT id, budget FROM leads WHERE display_name = 'Somjai Chaiyaporn'`)).rows[0]!);
    for (const [action, args] of [
      ['update_my_needs', { budget: '99999', lead_id: other.id }],
      ['set_consent', { consent: 'opted_out', lead_id: other.id }],
      ['answer_question', { question: 'how much is botox?', lead_id: other.id }],
      ['book_appointment', { when: 'Saturday', lead_id: other.id }],
    ] as const) {
      const r = await ask('demo-clinic', NOK, { payload: { action, args } });
      expect(r.reply).toMatch(/only see their own record/);
    }
    const after = await db('demo-clinic', async (sql) => (await sql.query<{ budget: string | null; consent: string }>('SELECT budget, consent FROM leads WHERE id = $1', [other.id])).rows[0]!);
    expect(after.budget).toBe(other.budget);
    expect(after.consent).toBe('opted_in');
  });

  it("never shows a demo customer another lead's name, phone or email", async () => {
    expect(customerReplies.length).toBeGreaterThan(10);
    for (const tenant of ['demo-clinic', 'demo-realty']) {
      const own = await leadOf(tenant, tenant === 'demo-clinic' ? NOK : FAISAL);
      const others = await db(tenant, async (sql) =>
        (await sql.query<{ display_name: string; phone: string | null; email: string | null }>('SELECT display_name, phone, email FROM leads WHERE id <> $1', [own])).rows,
      );
      const needles = others.flatMap((o) => [o.display_name, o.phone, o.email]).filter((x): x is string => typeof x === 'string' && x.length >= 5);
      const texts = customerReplies.filter((c) => c.tenant === tenant).map((c) => JSON.stringify(c.r.replies));
      for (const text of texts) for (const needle of needles) expect(text.includes(needle), `${needle} leaked`).toBe(false);
    }
  });
});
