import { randomInt, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTenant } from '../../src/db/tenant.ts';
import { AccountDirectory, upsertAccount } from '../../src/bots/accounts.ts';
import { mapSlackUser } from '../../src/bots/slack/staff.ts';
import { resolvePayload, runHandoffJob } from '../../src/bots/slack/handoff.ts';
import { handoffQueue } from '../../src/core/handoff/queue.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { FakeSlack, slackAction, slackEvent, slackSignature, type SlackCall } from '../fakes/slack.ts';
import { FakeTelegram } from '../fakes/telegram.ts';
import { waitFor } from '../helpers/wait.ts';

/**
 * The whole handoff on the demo realty agency: a customer on Telegram asks
 * for a person → a thread opens in the Slack handoff channel → the bot goes
 * quiet and relays → Omar answers in the thread → the customer gets it on
 * Telegram → Resolve → the bot answers again.
 */
const SECRET = 'handoff-signing-secret';
const TEAM = 'THANDOFF01';
const OMAR = 'UOMAR00001';
const HANDOFF_CHANNEL = 'CHANDOFF01';
// The tenant setting names the channel; Slack answers (and sends events) with its id.
const HANDOFF_NAME = '#realty-handoff';
const TG_SECRET = 'handoff-telegram-secret';

let app: TestApp;
let slack: FakeSlack;
let telegram: FakeTelegram;
let tenantId: string;
let slackAccountId: string;
let telegramUrl: string;
let updateId = randomInt(1, 1_000_000_000);

async function customerSays(user: string, text: string): Promise<void> {
  const id = ++updateId;
  const res = await fetch(telegramUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': TG_SECRET },
    body: JSON.stringify({ update_id: id, message: { message_id: id, date: Math.floor(Date.now() / 1000), chat: { id: Number(user), type: 'private' }, from: { id: Number(user), is_bot: false, first_name: 'Khalid', language_code: 'en' }, text } }),
  });
  expect(res.status).toBe(200);
}

async function slackPost(body: string, type = 'application/json'): Promise<number> {
  const res = await fetch(`${app.http!.url}/webhooks/slack/events`, { method: 'POST', headers: { 'content-type': type, ...slackSignature(SECRET, body, Math.floor(Date.now() / 1000)) }, body });
  await res.text();
  return res.status;
}

const threadPosts = (ts: string) => slack.posts((c: SlackCall) => c.args.channel === HANDOFF_CHANNEL && c.args.thread_ts === ts);
const conversationOf = (user: string) =>
  withTenant(app.db, tenantId, async (sql) => (await sql.query<{ id: string; status: string }>(`SELECT id, status FROM conversations WHERE channel = 'telegram' AND external_chat_id = $1`, [user])).rows[0]);

beforeAll(async () => {
  slack = await new FakeSlack().start();
  telegram = await new FakeTelegram(`${randomInt(1_000_000, 9_999_999)}:${'H'.repeat(35)}`).start();
  slack.channelIds.set(HANDOFF_NAME, HANDOFF_CHANNEL);
  app = await startTestApp({ http: true });
  tenantId = (await app.db.pool.query<{ id: string }>(`SELECT id FROM tenants WHERE slug = 'demo-realty'`)).rows[0]!.id;
  await app.db.pool.query(`UPDATE tenants SET settings = settings || jsonb_build_object('handoff_slack_channel', $2::text) WHERE id = $1`, [tenantId, HANDOFF_NAME]);
  const ids = await withTenant(app.db, tenantId, async (sql) => {
    const slackId = await upsertAccount(sql, tenantId, app.secrets, {
      channel: 'slack',
      name: 'Realty workspace',
      externalId: TEAM,
      config: { bot_user_id: 'UBOT' },
      secrets: { bot_token: 'xoxb-handoff', signing_secret: SECRET },
      apiBaseUrl: slack.url,
    });
    await mapSlackUser(sql, tenantId, slackId, OMAR, 'omar@demo-realty.example');
    const tgId = await upsertAccount(sql, tenantId, app.secrets, { channel: 'telegram', name: 'Handoff bot', externalId: telegram.botId, secrets: { token: telegram.token, secretToken: TG_SECRET }, apiBaseUrl: telegram.url });
    return { slackId, tgId };
  });
  slackAccountId = ids.slackId;
  telegramUrl = `${app.http!.url}/webhooks/telegram/${ids.tgId}`;
}, 60_000);
afterAll(async () => {
  await app?.close();
  await slack?.stop();
  await telegram?.close();
});

describe('human handoff through Slack', () => {
  it('hands a Telegram customer to a rep in a Slack thread and back to the bot on Resolve', async () => {
    const user = String(randomInt(100_000_000, 999_999_999));
    await customerSays(user, 'hello');
    await waitFor('the greeting', () => telegram.sentTo(user).length === 1);

    await customerSays(user, 'I want to talk to a person about financing');
    await waitFor('the handoff reply', () => telegram.sentTo(user).length === 2);
    const conv = (await conversationOf(user))!;
    expect(conv.status).toBe('handoff');
    const opening = await waitFor('the thread opening', () => slack.posts((c) => c.args.channel === HANDOFF_NAME && !c.args.thread_ts && JSON.stringify(c.args.blocks).includes('financing')).at(0));
    const blocks = JSON.stringify(opening.args.blocks);
    expect(blocks).toContain('hello'); // the recent conversation
    expect(blocks).toContain('handoff_resolve');
    const h = await waitFor('thread stored', async () =>
      withTenant(app.db, tenantId, async (sql) => (await sql.query<{ id: string; thread_ts: string | null }>(`SELECT id, thread_ts FROM handoffs WHERE conversation_id = $1 AND thread_ts IS NOT NULL`, [conv.id])).rows[0]),
    );
    const threadTs = h.thread_ts!;
    // The SLA re-alert is scheduled for this handoff.
    const sla = await handoffQueue(app.queues).getJob(`handoff-sla-${h.id}`);
    expect(await sla?.getState()).toBe('delayed');

    // The customer writes again: the bot stays quiet and the thread shows it.
    await customerSays(user, 'are you there?');
    await waitFor('the relay in the thread', () => threadPosts(threadTs).some((c) => String(c.args.text).includes('are you there?')));
    expect(telegram.sentTo(user)).toHaveLength(2);

    // Omar answers in the thread: the customer gets it on Telegram.
    const replyEvent = slackEvent(TEAM, `Ev${randomUUID()}`, { type: 'message', channel_type: 'channel', channel: HANDOFF_CHANNEL, user: OMAR, text: 'Hi, Omar here. Which bank are you with?', ts: `${Math.floor(Date.now() / 1000)}.000900`, thread_ts: threadTs });
    expect(await slackPost(replyEvent)).toBe(200);
    expect(await slackPost(replyEvent)).toBe(200); // Slack retry: delivered once
    const got = await waitFor("Omar's reply on Telegram", () => telegram.sentTo(user).find((s) => s.text.includes('Which bank')));
    expect(got).toBeDefined();
    const staffRows = await withTenant(app.db, tenantId, async (sql) => (await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM messages WHERE conversation_id = $1 AND author = 'staff'`, [conv.id])).rows[0]!.n);
    expect(staffRows).toBe(1);

    // Resolve: the bot answers again, without repeating its handoff message.
    expect(await slackPost(slackAction(TEAM, OMAR, HANDOFF_CHANNEL, resolvePayload(h.id), { threadTs }), 'application/x-www-form-urlencoded')).toBe(200);
    await waitFor('the resolved note', () => threadPosts(threadTs).some((c) => JSON.stringify(c.args.blocks ?? c.args.text).includes('Omar')));
    expect((await conversationOf(user))!.status).toBe('bot');
    const before = telegram.sentTo(user).length;
    await customerSays(user, 'help');
    const after = await waitFor('the bot answering again', () => telegram.sentTo(user).length > before && telegram.sentTo(user));
    expect(after.at(-1)!.text).not.toMatch(/someone will reply/i);
    // The SLA check finds it answered and stays quiet.
    expect(await runHandoffJob({ db: app.db, log: app.log, secrets: app.secrets, queues: app.queues }, new AccountDirectory(app.db, app.secrets), { kind: 'sla', tenantId, handoffId: h.id })).toBe('answered');
  });

  it('re-alerts a handoff nobody answered, and resumes the bot after the idle time', async () => {
    const user = String(randomInt(100_000_000, 999_999_999));
    await customerSays(user, 'human please');
    await waitFor('the handoff reply', () => telegram.sentTo(user).length === 1);
    const conv = (await conversationOf(user))!;
    const h = await waitFor('thread stored', async () =>
      withTenant(app.db, tenantId, async (sql) => (await sql.query<{ id: string; thread_ts: string | null }>(`SELECT id, thread_ts FROM handoffs WHERE conversation_id = $1 AND thread_ts IS NOT NULL`, [conv.id])).rows[0]),
    );
    const deps = { db: app.db, log: app.log, secrets: app.secrets, queues: app.queues };
    expect(await runHandoffJob(deps, new AccountDirectory(app.db, app.secrets), { kind: 'sla', tenantId, handoffId: h.id })).toBe('re-alerted');
    const alert = threadPosts(h.thread_ts!).find((c) => c.args.reply_broadcast === 'true' || c.args.reply_broadcast === true);
    expect(alert).toBeDefined();

    // Nobody wrote for longer than handoff_idle_minutes (default 120): the next customer message is answered by the bot.
    await withTenant(app.db, tenantId, (sql) => sql.query(`UPDATE handoffs SET started_at = started_at - interval '3 hours' WHERE id = $1`, [h.id]));
    await customerSays(user, 'help');
    await waitFor('the bot answering', () => telegram.sentTo(user).length === 2);
    expect((await conversationOf(user))!.status).toBe('bot');
    await waitFor('the idle note', () => threadPosts(h.thread_ts!).some((c) => JSON.stringify(c.args.blocks ?? '').includes('120')));
  });

  it('keeps the bot answering when the tenant has no working Slack workspace', async () => {
    await withTenant(app.db, tenantId, (sql) => sql.query(`UPDATE channel_accounts SET status = 'disabled' WHERE id = $1`, [slackAccountId]));
    try {
      const user = String(randomInt(100_000_000, 999_999_999));
      await customerSays(user, 'I want to talk to a person');
      await waitFor('the handoff reply', () => telegram.sentTo(user).length === 1);
      expect((await conversationOf(user))!.status).toBe('bot');
      await customerSays(user, 'help');
      await waitFor('the bot still answering', () => telegram.sentTo(user).length === 2);
    } finally {
      await withTenant(app.db, tenantId, (sql) => sql.query(`UPDATE channel_accounts SET status = 'active' WHERE id = $1`, [slackAccountId]));
    }
  });
});
