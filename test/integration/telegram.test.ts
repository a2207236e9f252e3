import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTenant } from '../../src/db/tenant.ts';
import { upsertAccount } from '../../src/bots/accounts.ts';
import { telegramCodec, telegramIngest } from '../../src/bots/telegram/module.ts';
import { outbound } from '../../src/core/messages/types.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { telegramHarness } from '../contract/harness-telegram.ts';
import { waitFor } from '../helpers/wait.ts';

const h = telegramHarness('demo-realty');
let app: TestApp;
let accountId: string;
let tenantId: string;

const leadOf = (user: string) =>
  withTenant(app.db, tenantId, async (sql) =>
    (
      await sql.query<{ display_name: string; source: string; consent: string; locale: string | null }>(
        `SELECT l.display_name, l.source, l.consent, l.locale FROM channel_identities i JOIN leads l ON l.id = i.lead_id WHERE i.channel_account_id = $1 AND i.external_id = $2`,
        [accountId, user],
      )
    ).rows[0],
  );
const replies = (user: string, n: number) => waitFor(`${n} replies`, () => (h.received(user).length >= n ? h.received(user) : undefined));

beforeAll(async () => {
  app = await startTestApp({ http: true });
  tenantId = (await app.db.pool.query<{ id: string }>(`SELECT id FROM tenants WHERE slug = 'demo-realty'`)).rows[0]!.id;
  accountId = await h.setup(app);
}, 60_000);
afterAll(async () => {
  await h.teardown();
  await app?.close();
});

describe('Telegram for customers', () => {
  it('answers Faisal through the demo agency bot once it is configured, by name, from his seeded identity', async () => {
    // Activating the seeded (disabled) account keeps its identities: Telegram user 12345 is Faisal.
    const demo = await withTenant(app.db, tenantId, (sql) =>
      upsertAccount(sql, tenantId, app.secrets, { channel: 'telegram', name: 'Demo agency bot', externalId: 'demo-realty-telegram', secrets: { token: h.fake.token, secretToken: 'demo-secret' }, apiBaseUrl: h.fake.url }),
    );
    const res = await fetch(`${app.http!.url}/webhooks/telegram/${demo}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': 'demo-secret' },
      body: JSON.stringify({ update_id: 900001, message: { message_id: 1, date: 1, chat: { id: 12345, type: 'private' }, from: { id: 12345, is_bot: false, first_name: 'Faisal', language_code: 'ar' }, text: 'help' } }),
    });
    expect(res.status).toBe(200);
    const [reply] = await replies('12345', 1);
    expect(reply!.text).toContain('فيصل');
  });

  it('answers 500, not 200 and not a crash, when an update is not stored and queued in time; the retry is answered once', async () => {
    const user = h.newUser();
    const eventId = h.newEventId();
    const turns = app.queues.turns;
    const add = turns.add.bind(turns);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    // Queueing hangs past the webhook's limit, then fails: what a saturated pool or a restarting Redis looks like.
    turns.add = (async () => {
      await gate;
      throw new Error('Redis went away');
    }) as unknown as typeof turns.add;
    telegramIngest.timeoutMs = 100;
    try {
      expect(await h.sendText(user, 'hello', { eventId })).toBe(500);
    } finally {
      turns.add = add;
      telegramIngest.timeoutMs = 9_000;
    }
    // The late failure has a listener (it used to be an unhandled rejection, which ends a web process).
    release();
    await gate;
    // Telegram sends the update again: stored once, queued now, answered once.
    expect(await h.sendText(user, 'hello', { eventId })).toBe(200);
    await replies(user, 1);
    const rows = await withTenant(app.db, tenantId, async (sql) =>
      (
        await sql.query<{ status: string; replies: number }>(
          `SELECT m.status, (SELECT count(*)::int FROM messages o WHERE o.reply_to_id = m.id) AS replies FROM messages m
           WHERE m.channel_account_id = $1 AND m.platform_message_id = $2 AND m.direction = 'in'`,
          [accountId, eventId],
        )
      ).rows,
    );
    expect(rows).toEqual([{ status: 'handled', replies: 1 }]);
  });

  it('/start with a deep link opts a new contact in and records the campaign as the lead source', async () => {
    const user = h.newUser();
    expect(await h.sendText(user, '/start ig_villa_campaign')).toBe(200);
    await replies(user, 1);
    expect(await leadOf(user)).toMatchObject({ source: 'ig_villa_campaign', consent: 'opted_in', display_name: `Contract User ${user}` });
  });

  it('/stop opts out through set_consent', async () => {
    const user = h.newUser();
    await h.sendText(user, '/start');
    await replies(user, 1);
    await h.sendText(user, '/stop');
    await replies(user, 2);
    expect((await leadOf(user))?.consent).toBe('opted_out');
  });

  it('/lang switches to a language the business speaks and stores it on the lead; other languages are not pretended', async () => {
    const user = h.newUser();
    await h.sendText(user, '/help');
    const [en] = await replies(user, 1);
    expect(en!.text).toMatch(/I can help/);
    await h.sendText(user, '/lang ar');
    const got = await replies(user, 2);
    expect(got[1]!.text).toMatch(/[\u0600-\u06FF]{4}/);
    expect((await leadOf(user))?.locale).toBe('ar');
    // The agency does not answer in Thai: the menu comes in English and the stored choice stays Arabic.
    await h.sendText(user, '/lang th');
    const th = await replies(user, 3);
    expect(th[2]!.text).not.toMatch(/[\u0E00-\u0E7F]/);
    expect((await leadOf(user))?.locale).toBe('ar');
  });

  it('keeps callback_data within 64 bytes by storing long payloads server-side, and a press of one still runs its action', async () => {
    const codec = telegramCodec(app.channelContext);
    const long = { action: 'set_consent', args: { consent: 'opted_out', note: 'x'.repeat(200) } };
    const data = await codec.encode(long);
    expect(Buffer.byteLength(data)).toBeLessThanOrEqual(64);
    expect(await codec.decode(data)).toEqual(long);
    expect(await codec.decode('kAAAAAAAAAAAAAAAA')).toBeUndefined();
    const user = h.newUser();
    await h.sendText(user, '/start');
    await replies(user, 1);
    const id = Number(h.newEventId());
    const res = await fetch(h.webhookUrl(), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': 'contract-secret-token_123' },
      body: JSON.stringify({ update_id: id, callback_query: { id: 'cq', chat_instance: 'c', data, from: { id: Number(user), is_bot: false, first_name: 'A' }, message: { message_id: 1, date: 1, chat: { id: Number(user), type: 'private' } } } }),
    });
    expect(res.status).toBe(200);
    await replies(user, 2);
    expect((await leadOf(user))?.consent).toBe('opted_out');
    expect(h.fake.calls.some((c) => c.method === 'answerCallbackQuery')).toBe(true);
  });

  it('splits a long reply at 4096 characters on word boundaries, with the buttons on the last part', async () => {
    const adapter = app.adapters.get('telegram')!;
    const user = h.newUser();
    const text = Array.from({ length: 1500 }, (_, i) => `word${i}`).join(' ');
    await adapter.send(
      { tenantId, channelAccountId: accountId, conversationId: '00000000-0000-0000-0000-000000000000', externalChatId: user, messageId: '00000000-0000-0000-0000-000000000000' },
      outbound([{ type: 'text', text }, { type: 'buttons', buttons: [{ label: 'Talk to a person', payload: { action: 'talk_to_human', args: {} }, style: 'default' }] }]),
    );
    const sent = h.fake.sentTo(user);
    expect(sent.length).toBeGreaterThan(1);
    for (const s of sent) expect(s.text.length).toBeLessThanOrEqual(4096);
    expect(sent.map((s) => s.text).join(' ').split(/\s+/)).toEqual(text.split(' '));
    expect(sent.at(-1)!.buttons.map((b) => b.text)).toEqual(['Talk to a person']);
    expect(sent.slice(0, -1).every((s) => s.buttons.length === 0)).toBe(true);
  });
});
