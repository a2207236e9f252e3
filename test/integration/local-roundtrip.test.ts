import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTenant } from '../../src/db/tenant.ts';
import { localAsk, localSend, waitForTurn } from '../../src/bots/local/session.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app.close();
});

async function rowsOf(tenantSlug: string, inboundId: string) {
  const tenantId = (await app.db.pool.query<{ id: string }>('SELECT id FROM tenants WHERE slug = $1', [tenantSlug])).rows[0]!.id;
  return withTenant(app.db, tenantId, async (sql) => {
    const inbound = (await sql.query<{ status: string; turn_id: string }>('SELECT status, turn_id FROM messages WHERE id = $1', [inboundId])).rows[0]!;
    const out = (await sql.query<{ id: string; status: string; sent_at: Date | null }>(`SELECT id, status, sent_at FROM messages WHERE turn_id = $1 AND direction = 'out'`, [inbound.turn_id])).rows;
    return { inbound, out };
  });
}

describe('local channel round trip (persist → queue → agent → tools → delivery)', () => {
  it('answers a rep asking for a lead card, with both rows persisted in final states', async () => {
    const r = await localAsk(app.local, { tenant: 'demo-clinic', as: 'rep', text: 'ข้อมูล นก' }, 20_000);
    expect(r.mode).toBe('rules');
    expect(r.toolCalls).toEqual([{ name: 'lookup_lead', args: { query: 'นก' } }]);
    expect(r.replies).toHaveLength(1);
    expect(r.replies[0]!.parts[0]).toMatchObject({ type: 'card', title: 'นก' });
    const { inbound, out } = await rowsOf('demo-clinic', r.inboundMessageId);
    expect(inbound.status).toBe('handled');
    expect(out.map((o) => o.id)).toEqual(r.outboundMessageIds);
    expect(out.every((o) => o.status === 'sent' && o.sent_at !== null)).toBe(true);
  });

  it('stores a redelivered message once and answers it once', async () => {
    const messageId = `dup-${randomUUID()}`;
    const first = await localAsk(app.local, { tenant: 'demo-realty', as: 'rep', text: 'help', messageId }, 20_000);
    const again = await Promise.all([1, 2, 3].map(() => localAsk(app.local, { tenant: 'demo-realty', as: 'rep', text: 'help', messageId }, 20_000)));
    expect(first.duplicate).toBe(false);
    for (const r of again) {
      expect(r.duplicate).toBe(true);
      expect(r.inboundMessageId).toBe(first.inboundMessageId);
      expect(r.outboundMessageIds).toEqual(first.outboundMessageIds);
    }
    const tenantId = (await app.db.pool.query<{ id: string }>(`SELECT id FROM tenants WHERE slug = 'demo-realty'`)).rows[0]!.id;
    const counts = await withTenant(app.db, tenantId, async (sql) => ({
      inbound: (await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM messages WHERE platform_message_id = $1`, [messageId])).rows[0]!.n,
      outbound: (await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM messages WHERE reply_to_id = $1`, [first.inboundMessageId])).rows[0]!.n,
    }));
    expect(counts).toEqual({ inbound: 1, outbound: 1 });
  });

  it('answers a burst of messages as one turn, in order', async () => {
    // A debounce window long enough to gather the burst (the default app answers at once).
    app.local.turnDebounceMs = 400;
    try {
      const chat = `burst-${randomUUID().slice(0, 8)}`;
      const a = await localSend(app.local, { tenant: 'demo-clinic', as: 'rep', text: 'hello', chat });
      const b = await localSend(app.local, { tenant: 'demo-clinic', as: 'rep', text: 'tell me about Somjai', chat });
      const viewA = await waitForTurn(app.local, a, 20_000);
      const viewB = await waitForTurn(app.local, b, 20_000);
      expect(viewA.replies.map((r) => r.id)).toEqual(viewB.replies.map((r) => r.id));
      expect(viewB.replies).toHaveLength(1);
      // The burst's last line carries the request.
      expect(viewB.toolCalls.map((c) => c.name)).toEqual(['lookup_lead']);
    } finally {
      app.local.turnDebounceMs = 0;
    }
  });

  it('lists candidates as buttons instead of guessing between similar names, and a button press opens one', async () => {
    const r = await localAsk(app.local, { tenant: 'demo-clinic', as: 'rep', text: 'tell me about Somjai' }, 20_000);
    const buttons = r.replies[0]!.parts.find((p) => p.type === 'buttons');
    expect(buttons?.type).toBe('buttons');
    if (buttons?.type !== 'buttons') return;
    expect(buttons.buttons.length).toBeGreaterThanOrEqual(2);
    const pressed = await localAsk(app.local, { tenant: 'demo-clinic', as: 'rep', payload: buttons.buttons[0]!.payload }, 20_000);
    expect(pressed.toolCalls[0]!.name).toBe('lookup_lead');
    expect(pressed.replies[0]!.parts[0]).toMatchObject({ type: 'card', title: buttons.buttons[0]!.label });
  });

  it('answers a customer in their language, with customer tools only', async () => {
    const r = await localAsk(app.local, { tenant: 'demo-realty', as: 'customer', text: 'أريد فيلا في شمال الرياض' }, 20_000);
    expect(r.actor.role).toBe('customer');
    const customerTools = ['answer_question', 'update_my_needs', 'book_appointment', 'request_callback', 'set_consent', 'talk_to_human', 'match_listings'];
    for (const c of r.toolCalls) expect(customerTools).toContain(c.name);
    expect(r.reply).toMatch(/[\u0600-\u06ff]/);
  });

  it('refuses a rep tool to a customer, even through a forged button', async () => {
    const r = await localAsk(app.local, { tenant: 'demo-clinic', as: 'customer', payload: { action: 'lookup_lead', args: { query: 'Somjai' } } }, 20_000);
    expect(r.replies[0]!.text).not.toMatch(/Somjai/i);
    const tenantId = (await app.db.pool.query<{ id: string }>(`SELECT id FROM tenants WHERE slug = 'demo-clinic'`)).rows[0]!.id;
    const audit = await withTenant(app.db, tenantId, (sql) =>
      sql.query<{ outcome: string }>(`SELECT outcome FROM audit_log WHERE tool = 'lookup_lead' AND actor_type = 'customer' ORDER BY id DESC LIMIT 1`),
    );
    expect(audit.rows[0]!.outcome).toBe('refused');
  });

  it('treats an unknown channel identity as a new customer of that channel', async () => {
    const r = await localAsk(app.local, { tenant: 'demo-realty', as: `telegram:${Date.now()}`, text: 'مساعدة' }, 20_000);
    expect(r.actor.role).toBe('customer');
    expect(r.reply).toMatch(/مساعد/);
  });

  it('explains who cannot be found', async () => {
    await expect(localAsk(app.local, { tenant: 'demo-clinic', as: 'nobody@nowhere.example', text: 'hi' }, 5_000)).rejects.toThrow(/No staff user/);
    await expect(localAsk(app.local, { tenant: 'no-such-tenant', as: 'rep', text: 'hi' }, 5_000)).rejects.toThrow(/demo-clinic/);
  });
});

describe('names in another script', () => {
  it('finds a Thai or Arabic lead by the Latin spelling of the name', async () => {
    const nok = await localAsk(app.local, { tenant: 'demo-clinic', as: 'rep', text: 'tell me about Nok' }, 20_000);
    expect(nok.replies[0]!.parts[0]).toMatchObject({ type: 'card', title: 'นก' });
    const faisal = await localAsk(app.local, { tenant: 'demo-realty', as: 'rep', text: 'who is Faisal?' }, 20_000);
    expect(faisal.replies[0]!.parts[0]).toMatchObject({ type: 'card', title: 'فيصل العتيبي' });
  });
});
