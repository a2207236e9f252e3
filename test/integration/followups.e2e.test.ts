import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTenant } from '../../src/db/tenant.ts';
import { localAsk, type LocalSendInput } from '../../src/bots/local/session.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

const NOK = 'line:Unok0000000000000000000000000000';
let app: TestApp;
let clinicId: string;
let nok: string;

beforeAll(async () => {
  app = await startTestApp();
  clinicId = (await app.db.pool.query<{ id: string }>(`SELECT id FROM tenants WHERE slug = 'demo-clinic'`)).rows[0]!.id;
  nok = await withTenant(app.db, clinicId, async (sql) => (await sql.query<{ id: string }>(`SELECT id FROM leads WHERE display_name = 'นก'`)).rows[0]!.id);
});
afterAll(async () => {
  await app.close();
});

const ask = (as: string, input: Pick<LocalSendInput, 'text' | 'payload'>) => localAsk(app.local, { tenant: 'demo-clinic', as, ...input }, 20_000);

/** A follow-up far enough ahead that no worker sends it during the test. */
async function scheduleOne(daysAhead: number): Promise<string> {
  return withTenant(app.db, clinicId, async (sql) =>
    (await sql.query<{ id: string }>(
      `INSERT INTO followup_executions (tenant_id, lead_id, due_at, status, created_by)
       VALUES ($1, $2, now() + ($3::int * interval '1 day'), 'pending', (SELECT id FROM staff_users WHERE email = 'ploy@demo-clinic.example')) RETURNING id`,
      [clinicId, nok, daysAhead],
    )).rows[0]!.id,
  );
}

const statusOf = (id: string) => withTenant(app.db, clinicId, async (sql) => (await sql.query<{ status: string; reason: string | null }>('SELECT status, reason FROM followup_executions WHERE id = $1', [id])).rows[0]!);

describe('follow-ups from chat', () => {
  it('a rep lists a lead’s upcoming follow-ups and cancels one with its button', async () => {
    const id = await scheduleOne(30);
    const list = await ask('rep', { text: 'ดูการติดตามของนก' });
    expect(list.toolCalls).toEqual([{ name: 'list_followups', args: { lead: 'นก' } }]);
    const parts = list.replies.flatMap((r) => r.parts);
    expect(parts.some((p) => p.type === 'table')).toBe(true);
    const button = parts.flatMap((p) => (p.type === 'buttons' ? p.buttons : [])).find((b) => b.payload.args?.followup_id === id);
    expect(button, 'a cancel button for the scheduled follow-up').toBeDefined();

    const cancel = await ask('rep', { payload: button!.payload });
    expect(cancel.toolCalls[0]?.name).toBe('cancel_followup');
    expect(cancel.reply).toContain('ยกเลิก');
    expect(await statusOf(id)).toEqual({ status: 'cancelled', reason: 'cancelled by staff' });
  });

  it('cancels every pending follow-up of a lead from an English phrase', async () => {
    const a = await scheduleOne(31);
    const b = await scheduleOne(32);
    const r = await ask('manager', { text: 'cancel all follow-ups for นก' });
    expect(r.toolCalls).toEqual([{ name: 'cancel_followup', args: { lead: 'นก' } }]);
    expect(r.reply).toMatch(/Cancelled \d+ pending follow-ups|ยกเลิกการติดตามที่รออยู่/);
    expect((await statusOf(a)).status).toBe('cancelled');
    expect((await statusOf(b)).status).toBe('cancelled');
  });

  it('a customer can neither list nor cancel follow-ups, even with a guessed id', async () => {
    const id = await scheduleOne(33);
    const list = await ask(NOK, { payload: { action: 'list_followups', args: { lead_id: nok } } });
    expect(list.reply).toMatch(/ทำรายการนี้ไม่ได้|can't do that/);
    expect(list.replies.flatMap((r) => r.parts).some((p) => p.type === 'table')).toBe(false);
    const cancel = await ask(NOK, { payload: { action: 'cancel_followup', args: { followup_id: id } } });
    expect(cancel.reply).toMatch(/ทำรายการนี้ไม่ได้|can't do that/);
    expect((await statusOf(id)).status).toBe('pending');
  });
});
