import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTenant } from '../../src/db/tenant.ts';
import { upsertAccount } from '../../src/bots/accounts.ts';
import { sendToStaff } from '../../src/jobs/outbox.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

/**
 * Item 3: a digest, alert or report for one person never lands in a Slack
 * channel thread that others read, even when that thread is the person's most
 * recent conversation with the bot.
 */
let app: TestApp;
let tenantId: string;
let kanya: string;
let slack: string;

const conv = (chat: string, minutesAgo: number) =>
  withTenant(app.db, tenantId, async (sql) =>
    (
      await sql.query<{ id: string }>(
        `INSERT INTO conversations (tenant_id, channel_account_id, channel, external_chat_id, staff_user_id, last_message_at) VALUES ($1, $2, 'slack', $3, $4, now() - ($5 || ' minutes')::interval) RETURNING id`,
        [tenantId, slack, chat, kanya, String(minutesAgo)],
      )
    ).rows[0]!.id,
  );

beforeAll(async () => {
  app = await startTestApp({ workers: false });
  tenantId = (await app.db.pool.query<{ id: string }>(`SELECT id FROM tenants WHERE slug = 'demo-clinic'`)).rows[0]!.id;
  kanya = (await app.db.pool.query<{ id: string }>(`SELECT id FROM staff_users WHERE email = 'kanya@demo-clinic.example'`)).rows[0]!.id;
  slack = await withTenant(app.db, tenantId, (sql) => upsertAccount(sql, tenantId, app.secrets, { channel: 'slack', name: 'W', externalId: 'TNOTIFY1', secrets: { bot_token: 'xoxb-x', signing_secret: 'sss-secret' } }));
  // Kanya's local chat is gone for this test: only Slack conversations are candidates.
  await withTenant(app.db, tenantId, (sql) => sql.query(`DELETE FROM conversations WHERE staff_user_id = $1`, [kanya]));
}, 120_000);
afterAll(async () => {
  await app?.close();
});

describe('staff notifications go only to the person (attack: a shared thread)', () => {
  it('with only a channel thread, nothing is sent there', async () => {
    const thread = await conv('C0PUBLIC1/1700000000.000100', 1);
    const r = await sendToStaff(app.db, app.queues, tenantId, kanya, { text: 'Revenue by rep: …', parts: [] });
    expect(r).toEqual({ ok: false, reason: 'no_conversation' });
    const n = await withTenant(app.db, tenantId, (sql) => sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM messages WHERE conversation_id = $1`, [thread]));
    expect(n.rows[0]!.n).toBe(0);
  });

  it('goes to the DM even when the thread is more recent', async () => {
    const dm = await conv('D0KANYA01', 600);
    await conv('C0PUBLIC2/1700000001.000100', 0);
    const r = await sendToStaff(app.db, app.queues, tenantId, kanya, { text: 'Anomaly: LINE leads down 50%', parts: [] });
    expect(r.ok && r.conversationId).toBe(dm);
  });
});
