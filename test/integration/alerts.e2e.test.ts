import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTenant } from '../../src/db/tenant.ts';
import { localAsk } from '../../src/bots/local/session.ts';
import { createAlertQueue, raiseAlert, type AlertDeps } from '../../src/jobs/alerts.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

const NOK = 'line:Unok0000000000000000000000000000';
let app: TestApp;
let deps: AlertDeps;
let clinicId: string;

beforeAll(async () => {
  app = await startTestApp();
  deps = { db: app.db, queues: app.queues, alerts: createAlertQueue(app.redis.options, app.config.redisPrefix), log: app.log };
  clinicId = (await app.db.pool.query<{ id: string }>(`SELECT id FROM tenants WHERE slug = 'demo-clinic'`)).rows[0]!.id;
});
afterAll(async () => {
  await deps.alerts.close();
  await app.close();
});

describe('hot-lead alert buttons in chat', () => {
  it('the rep gets the alert in their chat and claims the lead with its button; a customer cannot', async () => {
    // The rep has talked to Closer before, so the alert has a conversation to land in.
    await localAsk(app.local, { tenant: 'demo-clinic', as: 'rep', text: 'help' }, 20_000);
    const { lead, rep } = await withTenant(app.db, clinicId, async (sql) => {
      const rep = (await sql.query<{ id: string }>(`SELECT staff_user_id AS id FROM conversations WHERE staff_user_id IS NOT NULL ORDER BY last_message_at DESC LIMIT 1`)).rows[0]!.id;
      const lead = (await sql.query<{ id: string }>(`SELECT l.id FROM leads l JOIN pipeline_stages p ON p.key = l.stage_key WHERE NOT p.is_won AND NOT p.is_lost AND l.display_name <> 'นก' ORDER BY l.id LIMIT 1`)).rows[0]!.id;
      await sql.query('UPDATE leads SET owner_id = $2 WHERE id = $1', [lead, rep]);
      return { lead, rep };
    });
    const r = await raiseAlert(deps, clinicId, lead, 'asked_to_book', new Date());
    if (r.status !== 'sent') throw new Error(JSON.stringify(r));
    expect(r.targetStaffId).toBe(rep);
    const msg = await withTenant(app.db, clinicId, async (sql) => (await sql.query<{ parts: { type: string; buttons?: { payload: { action: string; args: Record<string, string> } }[] }[] }>('SELECT parts FROM messages WHERE id = $1', [r.messageId])).rows[0]!);
    const claim = msg.parts.flatMap((p) => p.buttons ?? []).find((b) => b.payload.args.action === 'claim')!;

    const customer = await localAsk(app.local, { tenant: 'demo-clinic', as: NOK, payload: claim.payload }, 20_000);
    expect(customer.reply).toMatch(/ทำรายการนี้ไม่ได้|can't do that/);
    const pressed = await localAsk(app.local, { tenant: 'demo-clinic', as: 'rep', payload: claim.payload }, 20_000);
    expect(pressed.toolCalls[0]?.name).toBe('alert_action');
    expect(pressed.reply).toMatch(/เป็นลีดของคุณแล้ว|is yours now/);
    const alert = await withTenant(app.db, clinicId, async (sql) => (await sql.query<{ status: string }>('SELECT status FROM alerts WHERE id = $1', [r.alertId])).rows[0]!);
    expect(alert.status).toBe('acknowledged');
  });
});
