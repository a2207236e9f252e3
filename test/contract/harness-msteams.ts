import { createHash, randomBytes } from 'node:crypto';
import { withTenant } from '../../src/db/tenant.ts';
import { upsertAccount } from '../../src/bots/accounts.ts';
import { inlinePayload } from '../../src/bots/render/payloads.ts';
import { cardText, FakeTeams } from '../fakes/msteams.ts';
import type { TestApp } from '../helpers/app.ts';
import type { ChannelHarness } from './suite.ts';

export type Auth = 'valid' | 'bad' | 'missing' | { token: string };

export interface TeamsHarness extends ChannelHarness {
  fake: FakeTeams;
  /** Posts one activity (built by `activity`) to the webhook; returns status and body. */
  post(activity: Record<string, unknown>, opts?: { auth?: Auth }): Promise<{ status: number; body: string }>;
  activity(user: string, eventId: string, extra: Record<string, unknown>): Record<string, unknown>;
  /** The serviceUrl activities name (the fake connector). */
  serviceUrl(): string;
  accountId(): string;
  /** The user's Entra object id (Teams sends the same one on every activity of a person). */
  aadOf(user: string): string;
  identityKey(user: string): string;
}

/** A stable Entra object id per test user, as Teams sends it (a GUID). */
function aadOf(user: string): string {
  const h = createHash('sha256').update(user).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * Microsoft Teams (Bot Framework Activity protocol) for the shared
 * contract: activities built as Teams sends them to a bot's messaging
 * endpoint (personal chat, from = the user's 29:… id, conversation a:…),
 * with a bearer token signed by the fake issuer; button presses are
 * Adaptive Card Action.Submit, which Teams delivers as a message whose
 * value is the action's data.
 */
export function msteamsHarness(tenant = 'demo-realty'): TeamsHarness {
  const fake = new FakeTeams();
  let url = '';
  let accountId = '';
  const chats = new Map<string, string>();
  const chatOf = (user: string) => {
    let c = chats.get(user);
    if (!c) {
      c = `a:1${randomBytes(24).toString('base64url')}`;
      chats.set(user, c);
      fake.openConversation(c);
    }
    return c;
  };
  const serviceUrl = () => `${fake.url}/`;
  const post = async (activity: Record<string, unknown>, opts: { auth?: Auth } = {}) => {
    const body = JSON.stringify(activity);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    const auth = opts.auth ?? 'valid';
    if (auth === 'valid') headers.authorization = `Bearer ${fake.inboundToken(serviceUrl())}`;
    else if (auth === 'bad') headers.authorization = `Bearer ${fake.inboundToken(serviceUrl(), { forged: true })}`;
    else if (typeof auth === 'object') headers.authorization = `Bearer ${auth.token}`;
    const res = await fetch(url, { method: 'POST', headers, body });
    return { status: res.status, body: await res.text() };
  };
  const activity = (user: string, eventId: string, extra: Record<string, unknown>) => ({
    type: 'message',
    id: eventId,
    timestamp: new Date().toISOString(),
    localTimestamp: new Date().toISOString(),
    serviceUrl: serviceUrl(),
    channelId: 'msteams',
    from: { id: user, name: 'Pat Customer', aadObjectId: aadOf(user) },
    recipient: { id: `28:${fake.appId}`, name: 'Closer' },
    conversation: { id: chatOf(user), conversationType: 'personal', tenantId: fake.tenantId },
    channelData: { tenant: { id: fake.tenantId } },
    locale: 'en-US',
    entities: [{ type: 'clientInfo', locale: 'en-US', country: 'US', platform: 'Web' }],
    ...extra,
  });
  const newEventId = () => `${Date.now()}${randomBytes(4).readUInt32BE(0)}`;
  return {
    channel: 'msteams',
    tenant,
    fake,
    post,
    activity,
    serviceUrl,
    accountId: () => accountId,
    aadOf,
    // Teams identities are keyed by the person's Entra object id, namespaced by channel (src/bots/msteams/inbound.ts senderKey).
    identityKey: (user) => `msteams:aad:${aadOf(user)}`,
    async setup(app: TestApp) {
      await fake.start();
      const tenantId = (await app.db.pool.query<{ id: string }>('SELECT id FROM tenants WHERE slug = $1', [tenant])).rows[0]!.id;
      accountId = await withTenant(app.db, tenantId, (sql) =>
        upsertAccount(sql, tenantId, app.secrets, {
          channel: 'msteams',
          name: 'Contract Teams bot',
          externalId: fake.appId,
          secrets: { appPassword: fake.appPassword },
          config: { appId: fake.appId, appTenantId: fake.tenantId, authUrl: fake.url, anonymous: false },
          apiBaseUrl: fake.url,
        }),
      );
      url = `${app.http!.url}/webhooks/msteams/${accountId}`;
      return accountId;
    },
    teardown: () => fake.close(),
    newUser: () => `29:1${randomBytes(20).toString('base64url')}`,
    externalChatId: chatOf,
    newEventId,
    sendText: async (user, text, opts = {}) => (await post(activity(user, opts.eventId ?? newEventId(), { text, textFormat: 'plain' }), { auth: opts.signature ?? 'valid' })).status,
    // Teams sends an Action.Submit as a message with no text and the action's data as value.
    pressButton: async (user, payload, opts = {}) => (await post(activity(user, opts.eventId ?? newEventId(), { value: { closer: inlinePayload(payload) } }))).status,
    received: (user) =>
      fake.postedTo(chatOf(user)).map((p) => {
        const cards = (p.activity.attachments ?? []).map((a) => a.content);
        return {
          text: [p.activity.text ?? '', ...cards.flatMap((c) => cardText(c.body ?? []))].filter(Boolean).join('\n'),
          buttons: cards.flatMap((c) => (c.actions ?? []).map((a) => a.title)),
          at: p.at,
        };
      }),
    lastRefusalAt: (user) => fake.refused.filter((r) => r.conversationId === chatOf(user)).at(-1)?.at,
    rateLimitNext: (user, seconds) => fake.rateLimit(chatOf(user), seconds),
    block: (user) => fake.block(chatOf(user)),
  };
}
