import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import type { App } from '../../src/app.ts';
import { withTenant } from '../../src/db/tenant.ts';
import { upsertAccount } from '../../src/bots/accounts.ts';
import { FakeTeams } from '../../test/fakes/msteams.ts';
import { slackSignature } from '../../test/fakes/slack.ts';

/** How a fuzzed request is authenticated: correctly, with a wrong secret/key, with an expired timestamp/token, or not at all. */
export type Auth = 'valid' | 'forged' | 'stale' | 'missing';

/** One webhook route of the running app, with what it takes to sign a body for it as the platform would. */
export interface FuzzTarget {
  name: string;
  url: string;
  /** The route's body limit (bodies above it must get 413). */
  limitBytes: number;
  contentType: string;
  /** Whether requests carry a time (Slack's timestamp, a token's expiry) that can be stale; Telegram's and LINE's do not. */
  staleable: boolean;
  /** Headers that authenticate `body` as `auth` says. */
  headers(body: Buffer, auth: Auth): Record<string, string>;
  /** A well-formed body (a real event from a new user), `n` makes it unique. */
  validBody(n: number): Buffer;
}

export interface FuzzTargets {
  targets: FuzzTarget[];
  /** Ids of the accounts the targets post to (rows stored count against them). */
  accountIds: string[];
  close(): Promise<void>;
}

const TG_SECRET = 'fuzz-telegram-secret-token';
const LINE_SECRET = 'fuzz-line-channel-secret-0123456789';
const SLACK_SECRET = 'fuzz-slack-signing-secret';
const SLACK_TEAM = 'TFUZZ0001';

const json = (v: unknown) => Buffer.from(JSON.stringify(v));

/** Creates one active account per channel on `tenant` (a demo tenant) and describes their routes. */
export async function setupTargets(app: App, tenant = 'demo-realty'): Promise<FuzzTargets> {
  const base = app.http!.url;
  const tenantId = (await app.db.pool.query<{ id: string }>('SELECT id FROM tenants WHERE slug = $1', [tenant])).rows[0]!.id;
  const teams = await new FakeTeams().start();
  const botId = String(1_000_000 + Math.floor(Math.random() * 8_000_000));
  const ids = await withTenant(app.db, tenantId, async (sql) => ({
    telegram: await upsertAccount(sql, tenantId, app.secrets, { channel: 'telegram', name: 'Fuzz bot', externalId: botId, secrets: { token: `${botId}:${'F'.repeat(35)}`, secretToken: TG_SECRET }, apiBaseUrl: 'http://127.0.0.1:9' }),
    line: await upsertAccount(sql, tenantId, app.secrets, { channel: 'line', name: 'Fuzz LINE', externalId: `fuzz-${randomUUID().slice(0, 8)}`, secrets: { channelSecret: LINE_SECRET, accessToken: 'fuzz-access' }, apiBaseUrl: 'http://127.0.0.1:9' }),
    slack: await upsertAccount(sql, tenantId, app.secrets, { channel: 'slack', name: 'Fuzz Slack', externalId: SLACK_TEAM, config: { bot_user_id: 'UFUZZBOT' }, secrets: { bot_token: 'xoxb-fuzz', signing_secret: SLACK_SECRET }, apiBaseUrl: 'http://127.0.0.1:9' }),
    msteams: await upsertAccount(sql, tenantId, app.secrets, {
      channel: 'msteams',
      name: 'Fuzz Teams',
      externalId: teams.appId,
      secrets: { appPassword: teams.appPassword },
      config: { appId: teams.appId, appTenantId: teams.tenantId, authUrl: teams.url, anonymous: false },
      apiBaseUrl: teams.url,
    }),
  }));
  const serviceUrl = `${teams.url}/`;
  const slackHeaders = (body: Buffer, auth: Auth): Record<string, string> => {
    if (auth === 'missing') return {};
    const ts = Math.floor(Date.now() / 1000) - (auth === 'stale' ? 600 : 0);
    // slackSignature signs a string; latin1 keeps every byte of a body that is not UTF-8.
    const sig = createHmac('sha256', auth === 'forged' ? 'not-the-secret' : SLACK_SECRET).update(`v0:${ts}:`).update(body).digest('hex');
    return { ...slackSignature('unused', '', ts), 'x-slack-signature': `v0=${sig}` };
  };
  const slackBody = (n: number) =>
    json({ token: 'x', team_id: SLACK_TEAM, api_app_id: 'A1', type: 'event_callback', event_id: `EvFuzz${n}${randomBytes(3).toString('hex')}`, event_time: Math.floor(Date.now() / 1000), event: { type: 'message', channel_type: 'im', channel: `DFUZZ${n}`, user: `UFUZZ${n}`, text: 'help', ts: `${Math.floor(Date.now() / 1000)}.000100` } });
  const targets: FuzzTarget[] = [
    {
      name: 'telegram',
      url: `${base}/webhooks/telegram/${ids.telegram}`,
      limitBytes: 512 * 1024,
      contentType: 'application/json',
      staleable: false,
      // Telegram has no timestamp: a stale request is a valid one replayed.
      headers: (_b, auth): Record<string, string> => (auth === 'missing' ? {} : { 'x-telegram-bot-api-secret-token': auth === 'forged' ? 'wrong-token' : TG_SECRET }),
      validBody: (n) => json({ update_id: 500_000_000 + n, message: { message_id: n, date: Math.floor(Date.now() / 1000), chat: { id: 700_000_000 + n, type: 'private' }, from: { id: 700_000_000 + n, is_bot: false, first_name: 'Fuzz', language_code: 'en' }, text: 'help' } }),
    },
    {
      name: 'line',
      url: `${base}/webhooks/line/${ids.line}`,
      limitBytes: 1024 * 1024,
      contentType: 'application/json',
      staleable: false,
      headers: (body, auth): Record<string, string> => (auth === 'missing' ? {} : { 'x-line-signature': createHmac('sha256', auth === 'forged' ? 'wrong-secret' : LINE_SECRET).update(body).digest('base64') }),
      validBody: (n) =>
        json({ destination: 'Ufuzz', events: [{ type: 'message', webhookEventId: `01FUZZ${n}${randomBytes(4).toString('hex')}`, timestamp: Date.now(), mode: 'active', source: { type: 'user', userId: `Ufuzz${n}` }, replyToken: randomBytes(16).toString('hex'), deliveryContext: { isRedelivery: false }, message: { type: 'text', id: String(n), text: 'help' } }] }),
    },
    { name: 'slack', url: `${base}/webhooks/slack/${ids.slack}`, limitBytes: 1024 * 1024, contentType: 'application/json', staleable: true, headers: slackHeaders, validBody: slackBody },
    { name: 'slack-events', url: `${base}/webhooks/slack/events`, limitBytes: 1024 * 1024, contentType: 'application/json', staleable: true, headers: slackHeaders, validBody: slackBody },
    {
      name: 'msteams',
      url: `${base}/webhooks/msteams/${ids.msteams}`,
      limitBytes: 512 * 1024,
      contentType: 'application/json',
      staleable: true,
      headers: (_b, auth): Record<string, string> => (auth === 'missing' ? {} : { authorization: `Bearer ${teams.inboundToken(serviceUrl, auth === 'forged' ? { forged: true } : auth === 'stale' ? { expiredS: 3600 } : {})}` }),
      validBody: (n) =>
        json({
          type: 'message',
          id: `fuzz-${n}-${randomBytes(3).toString('hex')}`,
          timestamp: new Date().toISOString(),
          serviceUrl,
          channelId: 'msteams',
          from: { id: `29:fuzz${n}`, name: 'Fuzz', aadObjectId: randomUUID() },
          recipient: { id: `28:${teams.appId}`, name: 'Closer' },
          conversation: { id: `a:fuzz${n}`, conversationType: 'personal', tenantId: teams.tenantId },
          text: 'help',
        }),
    },
  ];
  return { targets, accountIds: Object.values(ids), close: () => teams.close() };
}
