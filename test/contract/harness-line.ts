import { randomBytes, randomUUID } from 'node:crypto';
import { withTenant } from '../../src/db/tenant.ts';
import { upsertAccount } from '../../src/bots/accounts.ts';
import { inlinePayload } from '../../src/bots/render/payloads.ts';
import { FakeLine } from '../fakes/line.ts';
import type { TestApp } from '../helpers/app.ts';
import type { ChannelHarness } from './suite.ts';

export function lineHarness(tenant = 'demo-clinic'): ChannelHarness & { fake: FakeLine; post(events: unknown[], opts?: { signature?: 'valid' | 'bad' | 'missing' }): Promise<number> } {
  const fake = new FakeLine();
  let url = '';
  const post = async (events: unknown[], opts: { signature?: 'valid' | 'bad' | 'missing' } = {}) => {
    const body = JSON.stringify({ destination: 'Ubot0000000000000000000000000000', events });
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    const signature = opts.signature ?? 'valid';
    if (signature !== 'missing') headers['x-line-signature'] = signature === 'valid' ? fake.sign(body) : fake.sign(`${body} `);
    const res = await fetch(url, { method: 'POST', headers, body });
    await res.arrayBuffer();
    return res.status;
  };
  // A redelivery carries the same webhookEventId, marked isRedelivery, with a reply token that may be dead.
  const seen = new Set<string>();
  const event = (user: string, eventId: string, extra: Record<string, unknown>) => {
    const redelivery = seen.has(eventId);
    seen.add(eventId);
    return {
      webhookEventId: eventId,
      timestamp: Date.now(),
      mode: 'active',
      source: { type: 'user', userId: user },
      replyToken: redelivery ? randomUUID().replace(/-/g, '') : fake.issueReplyToken(user),
      deliveryContext: { isRedelivery: redelivery },
      ...extra,
    };
  };
  const newEventId = () => `01J${randomBytes(12).toString('hex').toUpperCase()}`;
  return {
    channel: 'line',
    tenant,
    fake,
    post,
    async setup(app: TestApp) {
      await fake.start();
      const tenantId = (await app.db.pool.query<{ id: string }>('SELECT id FROM tenants WHERE slug = $1', [tenant])).rows[0]!.id;
      const id = await withTenant(app.db, tenantId, (sql) =>
        upsertAccount(sql, tenantId, app.secrets, {
          channel: 'line',
          name: 'Contract LINE',
          externalId: `contract-${randomUUID().slice(0, 8)}`,
          secrets: { channelSecret: fake.channelSecret, accessToken: fake.accessToken },
          apiBaseUrl: fake.url,
        }),
      );
      url = `${app.http!.url}/webhooks/line/${id}`;
      return id;
    },
    teardown: () => fake.close(),
    newUser: () => `U${randomBytes(16).toString('hex')}`,
    newEventId,
    sendText: (user, text, opts = {}) => post([event(user, opts.eventId ?? newEventId(), { type: 'message', message: { id: randomUUID(), type: 'text', text, quoteToken: 'q' } })], opts),
    pressButton: (user, payload, opts = {}) => post([event(user, opts.eventId ?? newEventId(), { type: 'postback', postback: { data: inlinePayload(payload) } })]),
    received: (user) =>
      fake.sentTo(user).flatMap((s) =>
        s.messages.map((m) => ({ text: m.text ?? m.altText ?? '', buttons: (m.quickReply?.items ?? []).map((i) => i.action.label), at: s.at })),
      ),
    lastRefusalAt: (user) => fake.refused.filter((r) => r.to === user).at(-1)?.at,
    rateLimitNext: (user, seconds) => fake.rateLimit(user, seconds),
    block: (user) => fake.block(user),
  };
}

