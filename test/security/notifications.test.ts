import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTenant } from '../../src/db/tenant.ts';
import { upsertAccount } from '../../src/bots/accounts.ts';
import { sendToStaff } from '../../src/jobs/outbox.ts';
import { raiseHotLeadAlert } from '../../src/core/alerts/hot.ts';
import { getTenantById, setTeamAlertChannel } from '../../src/core/tenants.ts';
import { withSystem } from '../../src/db/tenant.ts';
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

describe('team alerts go only to a channel the tenant configured explicitly (attack: a channel that is not the team\'s)', () => {
  const raise = () =>
    withTenant(app.db, tenantId, async (sql) => {
      const lead = (await sql.query<{ id: string }>(`SELECT l.id FROM leads l LEFT JOIN pipeline_stages p ON p.key = l.stage_key WHERE NOT COALESCE(p.is_won OR p.is_lost, false) ORDER BY l.created_at LIMIT 1`)).rows[0]!.id;
      await sql.query('UPDATE leads SET owner_id = $2 WHERE id = $1', [lead, kanya]);
      await sql.query(`DELETE FROM alerts WHERE lead_id = $1`, [lead]);
      return raiseHotLeadAlert(sql, await getTenantById(sql, tenantId), lead, 'grade_a', new Date());
    });
  const channelMessages = () =>
    withTenant(app.db, tenantId, async (sql) =>
      (await sql.query<{ chat: string; staff: string | null; text: string; parts: { type: string }[] }>(`SELECT c.external_chat_id AS chat, c.staff_user_id AS staff, m.text, m.parts FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.channel = 'slack' AND c.external_chat_id LIKE 'C%' AND m.direction = 'out'`)).rows,
    );

  it('without a configured channel, a hot-lead alert goes to the person only', async () => {
    const r = await raise();
    expect(r.status).toBe('sent');
    expect(r.status === 'sent' && r.teamMessageId).toBeUndefined();
    expect(await channelMessages()).toEqual([]);
  });

  it('refuses a DM or a person as the "team" channel, and ignores a channel of another tenant\'s workspace', async () => {
    for (const id of ['D0KANYA01', 'U0KANYA01', 'C0TEAM001/1700000000.000100', 'c0team001']) {
      await expect(withSystem(app.db, (sql) => setTeamAlertChannel(sql, tenantId, { account_id: slack, channel_id: id }))).rejects.toThrow(/is not a Slack channel id/);
    }
    const realty = (await app.db.pool.query<{ id: string }>(`SELECT id FROM tenants WHERE slug = 'demo-realty'`)).rows[0]!.id;
    const foreign = await withTenant(app.db, realty, (sql) => upsertAccount(sql, realty, app.secrets, { channel: 'slack', name: 'Other', externalId: 'TNOTIFYR', secrets: { bot_token: 'xoxb-r', signing_secret: 's' } }));
    await withSystem(app.db, (sql) => setTeamAlertChannel(sql, tenantId, { account_id: foreign, channel_id: 'C0FOREIGN' }));
    const r = await raise();
    expect(r.status).toBe('sent');
    expect(r.status === 'sent' && r.teamMessageId).toBeUndefined();
    expect(await channelMessages()).toEqual([]);
  });

  it('with the channel set, a hot-lead alert also reaches it (no buttons, no card); a digest still goes only to the DM', async () => {
    await withSystem(app.db, (sql) => setTeamAlertChannel(sql, tenantId, { account_id: slack, channel_id: 'C0TEAM001' }));
    const r = await raise();
    expect(r.status === 'sent' && r.teamMessageId).toBeTruthy();
    const posted = await channelMessages();
    expect(posted).toHaveLength(1);
    expect(posted[0]).toMatchObject({ chat: 'C0TEAM001', staff: null });
    expect(posted[0]!.text).toMatch(/ลีดร้อนของทีม: .+ Kanya/); // demo-clinic speaks Thai by default
    expect(posted[0]!.parts.map((p) => p.type)).toEqual(['text']);

    const digest = await sendToStaff(app.db, app.queues, tenantId, kanya, { text: 'Your day: 3 follow-ups', parts: [] });
    expect(digest.ok && (await withTenant(app.db, tenantId, async (sql) => (await sql.query<{ chat: string }>('SELECT external_chat_id AS chat FROM conversations WHERE id = $1', [digest.conversationId])).rows[0]!.chat))).toBe('D0KANYA01');
    expect(await channelMessages()).toHaveLength(1);

    await withSystem(app.db, (sql) => setTeamAlertChannel(sql, tenantId, null));
    await raise();
    expect(await channelMessages()).toHaveLength(1);
  });
});
