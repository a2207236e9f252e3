import { randomInt } from 'node:crypto';
import { withTenant } from '../../src/db/tenant.ts';
import { upsertAccount } from '../../src/bots/accounts.ts';
import { inlinePayload } from '../../src/bots/render/payloads.ts';
import { FakeTelegram } from '../fakes/telegram.ts';
import type { TestApp } from '../helpers/app.ts';
import type { ChannelHarness } from './suite.ts';

export function telegramHarness(tenant = 'demo-realty'): ChannelHarness & { fake: FakeTelegram; webhookUrl(): string } {
  const fake = new FakeTelegram(`${randomInt(1_000_000, 9_999_999)}:${'B'.repeat(35)}`);
  const secretToken = 'contract-secret-token_123';
  let url = '';
  let updateId = randomInt(1, 1_000_000_000);
  const post = async (update: Record<string, unknown>, signature: 'valid' | 'bad' | 'missing' = 'valid') => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (signature !== 'missing') headers['x-telegram-bot-api-secret-token'] = signature === 'valid' ? secretToken : 'wrong-token';
    const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify(update) });
    await res.arrayBuffer();
    return res.status;
  };
  const from = (user: string) => ({ id: Number(user), is_bot: false, first_name: 'Contract', last_name: `User ${user}`, language_code: 'en' });
  return {
    channel: 'telegram',
    tenant,
    fake,
    webhookUrl: () => url,
    async setup(app: TestApp) {
      await fake.start();
      const tenantId = (await app.db.pool.query<{ id: string }>('SELECT id FROM tenants WHERE slug = $1', [tenant])).rows[0]!.id;
      const id = await withTenant(app.db, tenantId, (sql) =>
        upsertAccount(sql, tenantId, app.secrets, { channel: 'telegram', name: 'Contract bot', externalId: fake.botId, secrets: { token: fake.token, secretToken }, apiBaseUrl: fake.url }),
      );
      url = `${app.http!.url}/webhooks/telegram/${id}`;
      return id;
    },
    teardown: () => fake.close(),
    newUser: () => String(randomInt(100_000_000, 999_999_999)),
    newEventId: () => String(++updateId),
    sendText(user, text, opts = {}) {
      const id = Number(opts.eventId ?? ++updateId);
      return post({ update_id: id, message: { message_id: id, date: Math.floor(Date.now() / 1000), chat: { id: Number(user), type: 'private', first_name: 'Contract' }, from: from(user), text } }, opts.signature);
    },
    pressButton(user, payload, opts = {}) {
      const id = Number(opts.eventId ?? ++updateId);
      return post({
        update_id: id,
        callback_query: { id: `cq${id}`, from: from(user), chat_instance: 'ci', data: inlinePayload(payload), message: { message_id: 1, date: Math.floor(Date.now() / 1000), chat: { id: Number(user), type: 'private' }, text: 'menu' } },
      });
    },
    received: (user) => fake.sentTo(user).map((s) => ({ text: s.text, buttons: s.buttons.map((b) => b.text), at: s.at })),
    lastRefusalAt: (user) => fake.refused.filter((r) => r.chatId === user).at(-1)?.at,
    rateLimitNext: (user, seconds) => fake.rateLimit(user, seconds),
    block: (user) => fake.block(user),
  };
}

