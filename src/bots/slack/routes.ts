import type { Context, Hono } from 'hono';
import { LRUCache } from 'lru-cache';
import { withSystem, withTenant } from '../../db/tenant.ts';
import { getTenantById } from '../../core/tenants.ts';
import { handoffForThread, recordStaffReply, resolveHandoff } from '../../core/handoff/service.ts';
import { enqueueHandoffResolved } from '../../core/handoff/queue.ts';
import { enqueueDelivery } from '../../jobs/queues.ts';
import { translator } from '../../agents/i18n.ts';
import { AccountDirectory, type ChannelAccount } from '../accounts.ts';
import { acceptInbound } from '../inbound.ts';
import type { ChannelContext } from '../types.ts';
import { slackClient } from './client.ts';
import { HANDOFF_RESOLVE_ACTION } from './handoff.ts';
import { homeView } from './home.ts';
import { parseSlackRequest, SLACK_TEAM_ID, slackChatId, type SlackRequest } from './normalise.ts';
import { staffForSlackUser, tenantAdmins } from './staff.ts';
import { verifySlackSignature } from './verify.ts';
import { slackDirectory } from './directory.ts';

type Staff = NonNullable<Awaited<ReturnType<typeof staffForSlackUser>>>;

/**
 * Slack's Events API, slash command and interactivity, on one URL (Slack
 * lets all three point at the same place). Each tenant installs its own app:
 * `/webhooks/slack/events` routes by team_id, `/webhooks/slack/<account id>`
 * by our id. Everything answers within Slack's 3 seconds: the turn runs in
 * a job, and Slack API calls made for a request run after the response.
 * Socket Mode (socket.ts) feeds the same handleSlackRequest after its own
 * authentication.
 */
export function mountSlack(http: Hono, ctx: ChannelContext, accounts = new AccountDirectory(ctx.db, ctx.secrets)): void {
  const handler = async (c: Context) => {
    const rawBytes = Buffer.from(await c.req.arrayBuffer());
    const raw = decodeUtf8(rawBytes);
    const accountParam = c.req.param('account');
    const byId = accountParam !== undefined && accountParam !== 'events';
    const parsed = raw === undefined ? MALFORMED : parseSlackRequest(raw, c.req.header('content-type'));
    const verdictFor = (signingSecret: string) =>
      verifySlackSignature({ signingSecret, rawBody: rawBytes, signature: c.req.header('x-slack-signature'), timestamp: c.req.header('x-slack-request-timestamp'), nowMs: Date.now() });
    if (!byId) {
      // On the shared URL the body names the workspace. One that cannot be read, or names no valid workspace, is refused
      // before any lookup or HMAC: nothing in it could be authenticated.
      if (parsed.kind === 'ignored' && parsed.malformed) return badRequest(c, ctx, 'unreadable body');
      if ('teamId' in parsed && parsed.teamId !== undefined && !SLACK_TEAM_ID.test(parsed.teamId)) return badRequest(c, ctx, 'not a Slack team id');
    }
    let verified: ChannelAccount | undefined;
    let reason = 'no account';
    if (parsed.kind === 'url_verification' && !byId) {
      // Slack's URL check names no workspace: on the shared URL only the distributed app's signing secret (one HMAC) can sign it;
      // an app added with `closer channels add slack` uses its own URL, /webhooks/slack/<account id>.
      const appSecret = ctx.config.slackOAuth?.signingSecret;
      if (appSecret && verdictFor(appSecret).ok) return c.json({ challenge: parsed.challenge });
      reason = appSecret ? 'signature' : 'url check on the shared URL without SLACK_SIGNING_SECRET';
    } else {
      const account = await findAccount(accounts, byId ? accountParam : undefined, parsed);
      if (account) {
        const verdict = verdictFor(account.secrets.signing_secret ?? '');
        if (verdict.ok) verified = account;
        else reason = verdict.reason;
      }
    }
    if (!verified) {
      ctx.log.warn({ reason, team: 'teamId' in parsed ? parsed.teamId : undefined }, 'slack request refused');
      return c.json({ error: 'unauthorised' }, 401);
    }
    // Signed by this workspace but unreadable: a 400 (Slack shows it to the app's developer), logged once, nothing stored.
    if (parsed.kind === 'ignored' && parsed.malformed) return badRequest(c, ctx, parsed.why);
    // The body names a team: it must be the one this signing secret belongs to.
    if ('teamId' in parsed && parsed.teamId && parsed.teamId !== verified.externalId) return c.json({ error: 'unauthorised' }, 401);
    const botUserId = typeof verified.config.bot_user_id === 'string' ? verified.config.bot_user_id : undefined;
    const request = botUserId && raw !== undefined ? parseSlackRequest(raw, c.req.header('content-type'), { botUserId }) : parsed;
    const outcome = await handleSlackRequest(ctx, verified, request, { transport: 'http', retry: c.req.header('x-slack-retry-num') ?? null });
    return outcome.kind === 'challenge' ? c.json({ challenge: outcome.challenge }) : c.body(null, 200);
  };
  http.post('/webhooks/slack/events', handler);
  http.post('/webhooks/slack/:account', handler);
}

const MALFORMED: SlackRequest = { kind: 'ignored', teamId: undefined, why: 'not UTF-8', malformed: true };

/** The body as text, or undefined when it is not valid UTF-8 (the signature is still checked on the bytes). */
function decodeUtf8(bytes: Buffer): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

function badRequest(c: Context, ctx: ChannelContext, why: string): Response {
  ctx.log.info({ why }, 'slack request with an unreadable body refused');
  return c.json({ error: 'body is not a Slack request' }, 400);
}

async function findAccount(accounts: AccountDirectory, accountParam: string | undefined, parsed: SlackRequest): Promise<ChannelAccount | undefined> {
  let account: ChannelAccount | undefined;
  if (accountParam) account = await accounts.byId(accountParam);
  else if ('teamId' in parsed && parsed.teamId && SLACK_TEAM_ID.test(parsed.teamId)) account = await accounts.byExternalId('slack', parsed.teamId);
  if (!account || account.channel !== 'slack' || account.status !== 'active' || !account.secrets.signing_secret) return undefined;
  return account;
}

/** Work that calls Slack after we have answered; its failure is logged, never surfaced to Slack's request. */
function later(ctx: ChannelContext, what: string, fn: () => Promise<unknown>): void {
  setImmediate(() => {
    fn().catch((err: unknown) => ctx.log.warn({ err: (err as Error).message, what }, 'slack follow-up failed'));
  });
}

/** What the transport answers Slack with once a request is handled. */
export type SlackOutcome = { kind: 'challenge'; challenge: string } | { kind: 'ok' };
const OK: SlackOutcome = { kind: 'ok' };

/** How a request reached us: over HTTP (signature checked) or a Socket Mode connection (opened with the app-level token). */
export interface SlackDelivery {
  transport: 'http' | 'socket';
  /** Slack's retry counter (x-slack-retry-num, or the envelope's retry_attempt). */
  retry: string | null;
}

/**
 * Everything after authentication, for both transports: the account is the
 * workspace the request was authenticated for, and the request has been
 * checked to name that workspace. Persists and queues (never waits for the
 * agent), so the caller can acknowledge right after.
 */
export async function handleSlackRequest(ctx: ChannelContext, account: ChannelAccount, req: SlackRequest, delivery: SlackDelivery): Promise<SlackOutcome> {
  switch (req.kind) {
    case 'url_verification':
      return { kind: 'challenge', challenge: req.challenge };
    case 'ignored':
      return OK;
    case 'uninstalled': {
      // The token is dead: stop using the account (pending sends fail with a clear reason) until it is installed again,
      // which makes it active once more (OAuth or `closer channels add slack`).
      await withTenant(ctx.db, account.tenantId, async (sql) => {
        await sql.query(`UPDATE channel_accounts SET status = 'disabled' WHERE id = $1`, [account.id]);
        await sql.query(`INSERT INTO audit_log (tenant_id, actor_type, action, args, result_summary) VALUES ($1, 'system', 'slack_uninstalled', $2, $3)`, [
          account.tenantId,
          JSON.stringify({ team_id: req.teamId, event: req.why }),
          `Slack workspace ${req.teamId} ${req.why === 'app_uninstalled' ? 'removed the app' : "revoked the app's bot token"}; account disabled`,
        ]);
      });
      slackDirectory(ctx).clear();
      ctx.log.warn({ accountId: account.id, team: req.teamId, why: req.why }, 'slack workspace uninstalled the app; account disabled');
      return OK;
    }
    case 'home_opened': {
      const staff = await lookupStaff(ctx, account, req.userId);
      if (staff) later(ctx, 'app home', () => publishHome(ctx, account, req.userId, staff));
      return OK;
    }
    case 'message': {
      const staff = await lookupStaff(ctx, account, req.userId);
      if (req.via === 'thread') {
        if (staff) await relayStaffReply(ctx, account, staff, req);
        return OK;
      }
      if (!staff) {
        tellUnmapped(ctx, account, req.userId, req.via === 'dm' ? req.channel : slackChatId(req.channel, req.threadTs ?? req.ts));
        return OK;
      }
      await acceptInbound(ctx, {
        tenantId: account.tenantId,
        channel: 'slack',
        channelAccountId: account.id,
        platformMessageId: req.eventId,
        externalChatId: req.via === 'dm' ? req.channel : slackChatId(req.channel, req.threadTs ?? req.ts),
        externalUserId: req.userId,
        text: req.text,
        locale: staff.locale,
        receivedAt: req.receivedAt,
        meta: { via: req.via, retry: delivery.retry, transport: delivery.transport },
      });
      return OK;
    }
    case 'command': {
      const staff = await lookupStaff(ctx, account, req.userId);
      // Outside a DM the bot may not be in the channel: answers go to the person's DM with the app.
      const chat = req.channel.startsWith('D') ? req.channel : req.userId;
      if (!staff) {
        tellUnmapped(ctx, account, req.userId, chat);
        return OK;
      }
      // A bare `/closer` asks for help.
      await acceptInbound(ctx, { tenantId: account.tenantId, channel: 'slack', channelAccountId: account.id, platformMessageId: `cmd:${req.triggerId}`, externalChatId: chat, externalUserId: req.userId, text: req.text || 'help', locale: staff.locale, receivedAt: new Date(), meta: { via: 'command', transport: delivery.transport } });
      return OK;
    }
    case 'action': {
      const staff = await lookupStaff(ctx, account, req.userId);
      if (!staff) {
        tellUnmapped(ctx, account, req.userId, req.channel ?? req.userId);
        return OK;
      }
      if (req.payload.action === HANDOFF_RESOLVE_ACTION) {
        await resolveFromSlack(ctx, account, staff, req.payload.args.handoff_id);
        return OK;
      }
      const chat = req.channel ? (req.threadTs ? slackChatId(req.channel, req.threadTs) : req.channel) : req.userId;
      await acceptInbound(ctx, { tenantId: account.tenantId, channel: 'slack', channelAccountId: account.id, platformMessageId: `act:${req.triggerId}`, externalChatId: chat, externalUserId: req.userId, payload: req.payload, locale: staff.locale, receivedAt: new Date(), meta: { via: 'button', action_id: req.actionId, transport: delivery.transport } });
      return OK;
    }
  }
}

// Staff mappings change rarely and every Slack request needs one: a short cache keeps a database round trip out of the 3-second ack.
const STAFF_TTL_MS = 10_000;
// Only signed requests reach it, so it holds real workspace users; bounded all the same, and only mapped staff are kept.
const staffCache = new LRUCache<string, Staff>({ max: 10_000, ttl: STAFF_TTL_MS });

async function lookupStaff(ctx: ChannelContext, account: ChannelAccount, slackUserId: string): Promise<Staff | undefined> {
  const key = `${account.id}:${slackUserId}`;
  const hit = staffCache.get(key);
  if (hit) return hit;
  const staff = await withTenant(ctx.db, account.tenantId, (sql) => staffForSlackUser(sql, account.id, slackUserId));
  if (staff) staffCache.set(key, staff);
  return staff;
}

/** An unmapped Slack user is told who can add them; nothing about them is stored (they are staff, not a lead). */
function tellUnmapped(ctx: ChannelContext, account: ChannelAccount, slackUserId: string, chatId: string): void {
  later(ctx, 'unmapped user', async () => {
    const tenant = await withSystem(ctx.db, (sql) => getTenantById(sql, account.tenantId));
    const admins = await withTenant(ctx.db, tenant.id, (sql) => tenantAdmins(sql));
    const t = translator(tenant.defaultLocale);
    const text = admins.length ? t('slack.not_mapped', { tenant: tenant.name, admins: admins.join(', ') }) : t('slack.not_mapped_nobody', { tenant: tenant.name });
    const [channel, threadTs] = chatId.split('/');
    await slackClient(account).chat.postEphemeral({ channel: channel!, user: slackUserId, text, ...(threadTs ? { thread_ts: threadTs } : {}) });
  });
}

async function publishHome(ctx: ChannelContext, account: ChannelAccount, slackUserId: string, staff: Staff): Promise<void> {
  const tenant = await withSystem(ctx.db, (sql) => getTenantById(sql, account.tenantId));
  const view = await withTenant(ctx.db, tenant.id, async (sql) => {
    const role = (await sql.query<{ role: string }>('SELECT role FROM staff_users WHERE id = $1', [staff.id])).rows[0]?.role ?? 'rep';
    return homeView(sql, tenant, { id: staff.id, locale: staff.locale, role }, new Date());
  });
  await slackClient(account).views.publish({ user_id: slackUserId, view: view as never });
}

async function relayStaffReply(ctx: ChannelContext, account: ChannelAccount, staff: Staff, req: Extract<SlackRequest, { kind: 'message' }>): Promise<void> {
  if (!req.threadTs || !req.text) return;
  const tenant = await withSystem(ctx.db, (sql) => getTenantById(sql, account.tenantId));
  const sent = await withTenant(ctx.db, tenant.id, async (sql) => {
    const h = await handoffForThread(sql, account.id, req.channel, req.threadTs!);
    if (!h) return undefined;
    return recordStaffReply(sql, tenant, h, { staffId: staff.id, text: req.text, platformId: `slack:${req.eventId}`, now: req.receivedAt });
  });
  if (sent) await enqueueDelivery(ctx.queues, { tenantId: tenant.id, messageId: sent });
}

async function resolveFromSlack(ctx: ChannelContext, account: ChannelAccount, staff: Staff, handoffId: string | undefined): Promise<void> {
  if (!handoffId) return;
  const closed = await withTenant(ctx.db, account.tenantId, async (sql) => {
    const conv = (await sql.query<{ conversation_id: string }>(`SELECT conversation_id FROM handoffs WHERE id = $1 AND slack_account_id = $2 AND status = 'open'`, [handoffId, account.id])).rows[0];
    return conv ? resolveHandoff(sql, conv.conversation_id, { by: staff.id, why: 'resolved', now: new Date() }) : undefined;
  });
  if (closed) await enqueueHandoffResolved(ctx.queues, account.tenantId, closed.id);
}
