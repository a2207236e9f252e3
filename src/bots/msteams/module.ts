import type { Context as HonoContext, Hono } from 'hono';
import { withSystem, withTenant } from '../../db/tenant.ts';
import { ChannelApiError } from '../../errors.ts';
import type { OutboundMessage } from '../../core/messages/types.ts';
import { AccountDirectory, type ChannelAccount } from '../accounts.ts';
import { acceptInbound } from '../inbound.ts';
import { adoptIdentity, markIdentityBack, markIdentityGone } from '../identities.ts';
import { payloadCodec } from '../render/payloads.ts';
import { channelRedis } from '../render/redis.ts';
import type { ChannelAdapter, ChannelContext, ChannelModule, DeliveryTarget } from '../types.ts';
import { ANONYMOUS_WARNING, anonymousRefusal, serviceUrlPolicy, teamsSettings, type TeamsSettings } from './account.ts';
import { BotTokenClient, sdkAuthConfig, serviceUrlClaimMismatch, verifyBearer } from './auth.ts';
import { postActivity, replyActivity } from './client.ts';
import { ActivitySchema, normaliseActivity, senderRefusal } from './inbound.ts';
import { loadRef, saveRef } from './refs.ts';
import { renderTeams, TEAMS_TEXT_LIMIT } from './render.ts';
import { assertServiceUrl, serviceUrlRefusal } from './service-url.ts';

/** Button payloads ride in the card's data, which has no small limit; longer ones are kept in Redis all the same. */
const PAYLOAD_CHARS = 1000;
/** How long the number of parts already posted of a split message is remembered, so a retry resumes instead of repeating them. */
const PROGRESS_TTL_S = 24 * 3600;

/** The body Teams expects in the HTTP response to an adaptiveCard/action invoke. */
const INVOKE_ACK = { statusCode: 200, type: 'application/vnd.microsoft.activity.message', value: 'OK' };

/** Anonymous accounts are announced once per process, at start-up and when first used. */
const warned = new Set<string>();
function warnAnonymous(ctx: ChannelContext, account: { id: string; name: string }, where: string): void {
  if (warned.has(`${where}:${account.id}`)) return;
  warned.add(`${where}:${account.id}`);
  ctx.log.warn({ account: account.id, name: account.name, where }, ANONYMOUS_WARNING);
}

/** A warning logged once per process and key (an unauthenticated channel keeps writing; the log should not fill up). */
function warnOnce(ctx: ChannelContext, key: string, fields: Record<string, unknown>, message: string): void {
  if (warned.has(key)) return;
  warned.add(key);
  ctx.log.warn(fields, message);
}

/** At start-up: every active anonymous Teams account is named in the log (an error in production, where it is refused). */
async function announceAnonymousAccounts(ctx: ChannelContext): Promise<void> {
  const accounts = new AccountDirectory(ctx.db, ctx.secrets);
  const ids = await withSystem(ctx.db, async (sql) => (await sql.query<{ id: string }>(`SELECT id FROM channel_accounts WHERE channel = 'msteams' AND status = 'active'`)).rows);
  for (const { id } of ids) {
    const account = await accounts.byId(id);
    if (!account) continue;
    const s = teamsSettings(account);
    if (s.mode !== 'anonymous') continue;
    const refusal = anonymousRefusal(s, { env: ctx.config.env, allowAnonymous: ctx.config.msteamsAllowAnonymous });
    if (refusal) ctx.log.error({ account: id, name: account.name }, refusal);
    else warnAnonymous(ctx, account, 'start-up');
  }
}

async function handleWebhook(c: HonoContext, ctx: ChannelContext, accounts: AccountDirectory, codec: ReturnType<typeof payloadCodec>): Promise<Response> {
  const account = await accounts.byId(c.req.param('accountId') ?? '');
  if (!account || account.channel !== 'msteams' || account.status !== 'active') return c.json({ error: 'unknown account' }, 404);
  const s = teamsSettings(account);
  let claims: Record<string, unknown> | undefined;
  if (s.mode === 'anonymous') {
    const refusal = anonymousRefusal(s, { env: ctx.config.env, allowAnonymous: ctx.config.msteamsAllowAnonymous });
    if (refusal) {
      ctx.log.error({ account: account.id }, refusal);
      return c.json({ error: 'anonymous Teams accounts are refused (MSTEAMS_ALLOW_ANONYMOUS is off, or NODE_ENV=production)' }, 401);
    }
    warnAnonymous(ctx, account, 'webhook');
  } else {
    // Verified before the body is read: an unauthenticated request is refused without parsing anything.
    const v = await verifyBearer(sdkAuthConfig(s), c.req.header('authorization'));
    if (!v.ok) {
      ctx.log.info({ account: account.id, err: v.error }, 'Teams webhook refused: bad or missing token');
      return c.json({ error: 'unauthorized' }, 401);
    }
    claims = v.claims;
  }
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    return c.json({ error: 'body is not JSON' }, 400);
  }
  const parsed = ActivitySchema.safeParse(body);
  if (!parsed.success) return c.json({ error: 'not a Bot Framework activity' }, 400);
  const activity = parsed.data;
  if (claims && serviceUrlClaimMismatch(claims, activity.serviceUrl)) {
    ctx.log.warn({ account: account.id }, 'Teams webhook refused: the activity serviceUrl is not the one in its token');
    return c.json({ error: 'serviceUrl does not match the token' }, 401);
  }
  // Checked on arrival too, so a conversation we could never answer is not started (and nothing is stored).
  const refusal = serviceUrlRefusal(activity.serviceUrl, serviceUrlPolicy(s));
  if (refusal) {
    ctx.log.warn({ account: account.id, err: refusal }, 'Teams webhook refused: serviceUrl not allowed');
    return c.json({ error: 'serviceUrl not allowed' }, 403);
  }
  // A sender whose id the client picked (Direct Line without Enhanced Authentication) reaches nobody's identity:
  // acknowledged so the connector does not retry, and nothing is stored.
  const untrusted = senderRefusal(activity, s);
  if (untrusted) {
    warnOnce(ctx, `sender:${account.id}:${activity.channelId}`, { account: account.id, channel: activity.channelId }, `Teams webhook ignored ${untrusted}`);
    return activity.type === 'invoke' ? c.json({ error: 'this conversation is not authenticated' }, 403) : c.body(null, 200);
  }
  const n = await normaliseActivity(activity, account, codec);
  const adopt = (previousKey: string | undefined, key: string) =>
    previousKey ? withTenant(ctx.db, account.tenantId, (sql) => adoptIdentity(sql, account.id, previousKey, key)) : Promise.resolve(false);
  if (n.kind === 'removed' || n.kind === 'added') await adopt(n.previousKey, n.userId);
  if (n.kind === 'removed') await markIdentityGone(ctx, account, n.userId, n.at, 'msteams');
  if (n.kind === 'added') await markIdentityBack(ctx, account, n.userId);
  if (n.kind === 'inbound') {
    await adopt(n.previousKey, n.message.externalUserId);
    // Stored before the turn is queued, so the turn's first reply knows where to go.
    await withTenant(ctx.db, account.tenantId, (sql) => saveRef(sql, account.tenantId, account.id, n.ref));
    await acceptInbound(ctx, n.message);
  }
  if (n.invoke) {
    // Invokes wait for their answer in the HTTP response; one we do not handle says so, as the SDK's ActivityHandler does.
    return n.kind === 'inbound' ? c.json(INVOKE_ACK, 200) : c.json({ error: `this bot does not handle ${n.reason}` }, 501);
  }
  return c.body(null, 200);
}

export const msteamsModule: ChannelModule = {
  channel: 'msteams',
  // Teams allows a bot per conversation 7 messages/1 s, 8/2 s, 60/30 s and
  // 1800/hour, and 50 requests/s per app and tenant
  // (https://learn.microsoft.com/microsoftteams/platform/bots/how-to/rate-limit).
  // 2/s per chat stays inside the 1 s, 2 s and 30 s windows; 40/s per
  // account under the app limit. The hourly cap and anything else come back
  // as 429 with Retry-After, which the delivery worker honours.
  limits: { perAccount: { max: 40, durationMs: 1000 }, perChat: { max: 2, durationMs: 1000 }, maxTextLength: TEAMS_TEXT_LIMIT },

  mount(http: Hono, ctx: ChannelContext) {
    const accounts = new AccountDirectory(ctx.db, ctx.secrets);
    const codec = payloadCodec(ctx, 'msteams', PAYLOAD_CHARS);
    void announceAnonymousAccounts(ctx).catch((err: Error) => ctx.log.warn({ err: err.message }, 'could not list Teams accounts at start-up'));
    // The Azure Bot's "Messaging endpoint".
    http.post('/webhooks/msteams/:accountId', (c) => handleWebhook(c, ctx, accounts, codec));
  },

  createAdapter(ctx: ChannelContext): ChannelAdapter {
    const accounts = new AccountDirectory(ctx.db, ctx.secrets);
    const codec = payloadCodec(ctx, 'msteams', PAYLOAD_CHARS);
    const tokens = new BotTokenClient();
    const progressKey = (messageId: string) => `${ctx.queues.prefix}:msteams:posted:${messageId}`;
    const token = async (account: ChannelAccount, s: TeamsSettings): Promise<string | undefined> => {
      if (s.mode === 'credentials') return tokens.token(s);
      const refusal = anonymousRefusal(s, { env: ctx.config.env, allowAnonymous: ctx.config.msteamsAllowAnonymous });
      if (refusal) throw new ChannelApiError(refusal, 'msteams', true);
      warnAnonymous(ctx, account, 'delivery');
      return undefined;
    };
    return {
      channel: 'msteams',
      async send(target: DeliveryTarget, message: OutboundMessage) {
        const account = await accounts.require(target.channelAccountId);
        const s = teamsSettings(account);
        const ref = await withTenant(ctx.db, target.tenantId, (sql) => loadRef(sql, account.id, target.externalChatId));
        if (!ref) throw new ChannelApiError(`No Teams conversation reference for chat ${target.externalChatId}: the person has to write to the bot first.`, 'msteams', true);
        // Checked again at send time: the allowlist or the account's --api-url may have changed since the message came in.
        assertServiceUrl(ref.serviceUrl, serviceUrlPolicy(s));
        const bearer = await token(account, s);
        const sends = await renderTeams(message, codec);
        const redis = channelRedis(ctx);
        const done = Number((await redis.get(progressKey(target.messageId))) ?? 0);
        let platformMessageId: string | undefined;
        for (const [i, send] of sends.entries()) {
          if (i < done) continue;
          if (i > done) await target.pace?.();
          try {
            platformMessageId = (await postActivity(ref.serviceUrl, bearer, ref.conversationId, replyActivity(ref, send))) ?? platformMessageId;
          } catch (err) {
            if (err instanceof ChannelApiError && err.context.status === 401) tokens.forget(s);
            throw err;
          }
          if (sends.length > 1) await redis.set(progressKey(target.messageId), String(i + 1), 'EX', PROGRESS_TTL_S);
        }
        return { platformMessageId };
      },
    };
  },
};
