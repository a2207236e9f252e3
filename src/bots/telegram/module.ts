import type { Bot } from 'grammy';
import type { Update } from 'grammy/types';
import type { Context as HonoContext, Hono } from 'hono';
import { withSystem, withTenant } from '../../db/tenant.ts';
import { getTenantById } from '../../core/tenants.ts';
import { AccountDirectory, type ChannelAccount } from '../accounts.ts';
import { acceptInbound } from '../inbound.ts';
import { payloadCodec, type PayloadCodec } from '../render/payloads.ts';
import type { ChannelAdapter, ChannelContext, ChannelModule, DeliveryTarget } from '../types.ts';
import type { OutboundMessage } from '../../core/messages/types.ts';
import { createBot, toChannelError } from './client.ts';
import { normaliseUpdate, TelegramUpdateSchema, type NormalisedUpdate } from './inbound.ts';
import { sameSecret } from '../guard.ts';
import { renderTelegram } from './render.ts';

/** Telegram's callback_data limit. */
const CALLBACK_DATA_BYTES = 64;

interface Mounted {
  bot: Bot;
  /** Rebuild when the account changes (new token, new secret). */
  fingerprint: string;
}

/**
 * How long a webhook waits for its update to be stored and queued. Past it
 * the answer is 500 and Telegram sends the update again (its update id
 * dedupes it). Tests shorten it.
 */
export const telegramIngest = { timeoutMs: 9_000 };

/**
 * Runs the update and answers 200 only once it is stored and its turn
 * queued; 500 when that failed or took too long, so Telegram retries.
 * grammY's webhookCallback could not do both: with onTimeout 'return' it
 * acknowledged an update that was not stored yet (lost if storing then
 * failed), and a failure after its timeout was an unhandled rejection that
 * ended the web process (found by the soak: a pool timeout under load took
 * both web processes down). Here the work always has a listener.
 */
async function ingestOrRetry(c: HonoContext, ctx: ChannelContext, accountId: string, bot: Bot, update: Update): Promise<Response> {
  const work = bot.handleUpdate(update);
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    work.then(
      () => ({ ok: true as const }),
      (err: unknown) => ({ ok: false as const, why: err instanceof Error ? ((err as { error?: Error }).error ?? err).message : String(err) }),
    ),
    new Promise<{ ok: false; why: string }>((resolve) => {
      timer = setTimeout(() => resolve({ ok: false, why: `not stored within ${telegramIngest.timeoutMs} ms` }), telegramIngest.timeoutMs);
    }),
  ]).finally(() => clearTimeout(timer));
  if (outcome.ok) return c.json({});
  ctx.log.warn({ account: accountId, updateId: update.update_id, err: outcome.why }, 'telegram update not stored; answering 500 so Telegram retries');
  return c.json({ error: 'not stored, send it again' }, 500);
}

function fingerprint(a: ChannelAccount): string {
  return `${a.secrets.token ?? ''}|${a.secrets.secretToken ?? ''}|${a.apiBaseUrl ?? ''}|${a.status}`;
}

/** Persists the update and queues its turn; never waits for the agent. A /lang choice is stored first so the turn already answers in it. */
export async function ingestTelegramUpdate(ctx: ChannelContext, account: ChannelAccount, n: NormalisedUpdate): Promise<void> {
  if (n.setLocale) {
    const tenant = await withSystem(ctx.db, (sql) => getTenantById(sql, account.tenantId));
    if (!tenant.locales.includes(n.setLocale) && n.setLocale !== 'en') {
      // The business does not answer in that language: show the menu in the current one instead of pretending.
      n = { message: { ...n.message, text: '/help', locale: undefined } };
    }
  }
  if (n.setLocale) {
    await withTenant(ctx.db, account.tenantId, async (sql) => {
      const { rows } = await sql.query<{ lead_id: string | null }>(
        'UPDATE channel_identities SET locale = $3 WHERE channel_account_id = $1 AND external_id = $2 RETURNING lead_id',
        [account.id, n.message.externalUserId, n.setLocale],
      );
      const leadId = rows[0]?.lead_id;
      if (leadId) await sql.query('UPDATE leads SET locale = $2, updated_at = now() WHERE id = $1', [leadId, n.setLocale]);
    });
  }
  await acceptInbound(ctx, n.message);
}

/** The one update handler, for webhooks and long polling alike. */
export function handleUpdates(bot: Bot, ctx: ChannelContext, account: ChannelAccount, codec: PayloadCodec): void {
  bot.use(async (gctx) => {
    const n = await normaliseUpdate(gctx.update, account, codec, new Date());
    if (!n) return;
    await ingestTelegramUpdate(ctx, account, n);
    // Stops the button's spinner; the answer itself comes as a message from the turn.
    if (n.callbackQueryId) void gctx.answerCallbackQuery().catch((err: Error) => ctx.log.warn({ err: err.message }, 'telegram answerCallbackQuery failed'));
  });
}

/** The codec Telegram buttons use (callback_data ≤ 64 bytes). */
export function telegramCodec(ctx: ChannelContext): PayloadCodec {
  return payloadCodec(ctx, 'telegram', CALLBACK_DATA_BYTES);
}

/** The body as an update this bot can read, or why not (not UTF-8, not JSON, not an update). */
function readUpdate(bytes: Buffer): { ok: true; update: unknown } | { ok: false; why: string } {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return { ok: false, why: 'not UTF-8' };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, why: 'not JSON' };
  }
  const parsed = TelegramUpdateSchema.safeParse(json);
  return parsed.success ? { ok: true, update: parsed.data } : { ok: false, why: 'not a Telegram update' };
}

export const telegramModule: ChannelModule = {
  channel: 'telegram',
  limits: { perAccount: { max: 30, durationMs: 1000 }, perChat: { max: 1, durationMs: 1000 }, maxTextLength: 4096 },

  mount(http: Hono, ctx: ChannelContext) {
    const accounts = new AccountDirectory(ctx.db, ctx.secrets);
    const codec = payloadCodec(ctx, 'telegram', CALLBACK_DATA_BYTES);
    const mounted = new Map<string, Mounted>();
    const build = (account: ChannelAccount): Mounted => {
      const bot = createBot(account);
      handleUpdates(bot, ctx, account, codec);
      return { bot, fingerprint: fingerprint(account) };
    };
    http.post('/webhooks/telegram/:accountId', async (c) => {
      const account = await accounts.byId(c.req.param('accountId'));
      if (!account || account.channel !== 'telegram' || account.status !== 'active') return c.json({ error: 'unknown account' }, 404);
      // The secret token is compared in constant time before anything reads the body.
      const secretToken = account.secrets.secretToken;
      if (!secretToken || !sameSecret(c.req.header('x-telegram-bot-api-secret-token') ?? '', secretToken)) return c.json({ error: 'unauthorized' }, 401);
      // Telegram retries any update it could not deliver: an unreadable one is acknowledged and dropped (logged once), never a 5xx.
      const update = readUpdate(Buffer.from(await c.req.arrayBuffer()));
      if (!update.ok) {
        ctx.log.warn({ account: account.id, why: update.why }, 'telegram update dropped: unreadable body');
        return c.json({});
      }
      let m = mounted.get(account.id);
      if (!m || m.fingerprint !== fingerprint(account)) {
        m = build(account);
        mounted.set(account.id, m);
      }
      return ingestOrRetry(c, ctx, account.id, m.bot, update.update as Update);
    });
  },

  createAdapter(ctx: ChannelContext): ChannelAdapter {
    const accounts = new AccountDirectory(ctx.db, ctx.secrets);
    const codec: PayloadCodec = payloadCodec(ctx, 'telegram', CALLBACK_DATA_BYTES);
    const bots = new Map<string, { bot: Bot; fingerprint: string }>();
    return {
      channel: 'telegram',
      async send(target: DeliveryTarget, message: OutboundMessage) {
        const account = await accounts.require(target.channelAccountId);
        let entry = bots.get(account.id);
        if (!entry || entry.fingerprint !== fingerprint(account)) {
          entry = { bot: createBot(account), fingerprint: fingerprint(account) };
          bots.set(account.id, entry);
        }
        let platformMessageId: string | undefined;
        for (const [i, send] of (await renderTelegram(message, codec)).entries()) {
          if (i > 0) await target.pace?.();
          try {
            const sent = await entry.bot.api.sendMessage(target.externalChatId, send.text, {
              parse_mode: 'HTML',
              link_preview_options: { is_disabled: true },
              ...(send.keyboard ? { reply_markup: { inline_keyboard: send.keyboard } } : {}),
            });
            platformMessageId = String(sent.message_id);
          } catch (err) {
            throw toChannelError(err);
          }
        }
        return { platformMessageId };
      },
    };
  },
};
