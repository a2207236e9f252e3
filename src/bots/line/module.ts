import { createHash } from 'node:crypto';
import { HTTPFetchError, validateSignature, type messagingApi } from '@line/bot-sdk';
import type { Hono } from 'hono';
import { withTenant } from '../../db/tenant.ts';
import type { OutboundMessage } from '../../core/messages/types.ts';
import { AccountDirectory, type ChannelAccount } from '../accounts.ts';
import { acceptInbound } from '../inbound.ts';
import { markIdentityBack, markIdentityGone } from '../identities.ts';
import { payloadCodec } from '../render/payloads.ts';
import type { ChannelAdapter, ChannelContext, ChannelModule, DeliveryTarget } from '../types.ts';
import { createLineClient, toChannelError } from './client.ts';
import { LineWebhookSchema, normaliseEvent } from './inbound.ts';
import { assertPushAllowed, pushUsage, recordPushes } from './quota.ts';
import { LINE_MESSAGES_PER_CALL, renderLine } from './render.ts';
import { replyTokens } from './reply-tokens.ts';

/** LINE's postback data limit. */
const POSTBACK_DATA_CHARS = 300;

function fingerprint(a: ChannelAccount): string {
  return `${a.secrets.accessToken ?? ''}|${a.apiBaseUrl ?? ''}`;
}

/** LINE deduplicates pushes that carry the same X-Line-Retry-Key (a UUID) for a day: one per message and batch makes retries safe. */
function retryKey(messageId: string, batch: number): string {
  const h = createHash('sha256').update(`${messageId}:${batch}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The person blocked the account: opt them out (cancelling follow-ups) and mark them unreachable, without a turn. */

export const lineModule: ChannelModule = {
  channel: 'line',
  // LINE publishes no per-chat limit; its API limit is generous (2,000 req/s) and 429s are backed off from.
  limits: { perAccount: { max: 1000, durationMs: 1000 }, perChat: { max: 20, durationMs: 1000 }, maxTextLength: 5000 },

  mount(http: Hono, ctx: ChannelContext) {
    const accounts = new AccountDirectory(ctx.db, ctx.secrets);
    const codec = payloadCodec(ctx, 'line', POSTBACK_DATA_CHARS);
    const tokens = replyTokens(ctx);
    http.post('/webhooks/line/:accountId', async (c) => {
      const account = await accounts.byId(c.req.param('accountId'));
      if (!account || account.channel !== 'line' || account.status !== 'active') return c.json({ error: 'unknown account' }, 404);
      // The signature covers the exact bytes LINE sent: verify them before decoding anything (not even as UTF-8).
      const bytes = Buffer.from(await c.req.arrayBuffer());
      const signature = c.req.header('x-line-signature');
      const secret = account.secrets.channelSecret;
      if (!secret || !signature || !validateSignature(bytes, secret, signature)) return c.json({ error: 'bad signature' }, 401);
      let body: unknown;
      try {
        body = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
      } catch {
        ctx.log.warn({ account: account.id }, 'LINE webhook refused: signed body is not UTF-8 JSON');
        return c.json({ error: 'body is not UTF-8 JSON' }, 400);
      }
      const parsed = LineWebhookSchema.safeParse(body);
      if (!parsed.success) {
        ctx.log.warn({ account: account.id }, 'LINE webhook refused: not a webhook body');
        return c.json({ error: 'not a LINE webhook body' }, 400);
      }
      // In order: a follow followed by a message in one delivery must be stored in that order.
      for (const raw of parsed.data.events) {
        const e = await normaliseEvent(raw, account, codec);
        if (!e) continue;
        if (e.kind === 'unfollow') {
          await markIdentityGone(ctx, account, e.userId, e.at, 'line');
          continue;
        }
        if (e.follow) await markIdentityBack(ctx, account, e.message.externalUserId);
        // Stored before the turn is queued, so the turn's first reply finds it.
        if (e.replyToken) await tokens.put(account.id, e.message.externalChatId, e.replyToken);
        await acceptInbound(ctx, e.message);
      }
      return c.json({});
    });
  },

  createAdapter(ctx: ChannelContext): ChannelAdapter {
    const accounts = new AccountDirectory(ctx.db, ctx.secrets);
    const codec = payloadCodec(ctx, 'line', POSTBACK_DATA_CHARS);
    const tokens = replyTokens(ctx);
    const clients = new Map<string, { client: messagingApi.MessagingApiClient; fingerprint: string }>();
    return {
      channel: 'line',
      async send(target: DeliveryTarget, message: OutboundMessage) {
        const account = await accounts.require(target.channelAccountId);
        let entry = clients.get(account.id);
        if (!entry || entry.fingerprint !== fingerprint(account)) {
          entry = { client: createLineClient(account), fingerprint: fingerprint(account) };
          clients.set(account.id, entry);
        }
        const client = entry.client;
        const messages = await renderLine(message, codec);
        const batches: messagingApi.Message[][] = [];
        for (let i = 0; i < messages.length; i += LINE_MESSAGES_PER_CALL) batches.push(messages.slice(i, i + LINE_MESSAGES_PER_CALL));
        let platformMessageId: string | undefined;
        let pushes = 0;
        let replied = false;
        const token = await tokens.take(account.id, target.externalChatId);
        for (const [i, batch] of batches.entries()) {
          if (i > 0) await target.pace?.();
          if (i === 0 && token) {
            try {
              const r = await client.replyMessage({ replyToken: token, messages: batch });
              platformMessageId = r.sentMessages.at(-1)?.id ?? platformMessageId;
              replied = true;
              continue;
            } catch (err) {
              const e = toChannelError(err, 'reply');
              // An expired or used token is no reason to fail: push instead. Anything else is LINE's answer to the message.
              if (!(e instanceof Error && 'permanent' in e && e.permanent)) throw e;
              ctx.log.info({ messageId: target.messageId, err: e.message }, 'LINE reply token refused; pushing instead');
            }
          }
          const usage = await withTenant(ctx.db, target.tenantId, (sql) => pushUsage(sql, target.tenantId));
          assertPushAllowed(usage, 1);
          try {
            const r = await client.pushMessage({ to: target.externalChatId, messages: batch }, retryKey(target.messageId, i));
            platformMessageId = r.sentMessages.at(-1)?.id ?? platformMessageId;
            pushes += 1;
          } catch (err) {
            // 409: LINE already accepted a push with this retry key (an earlier attempt got through): it is delivered.
            if (err instanceof HTTPFetchError && err.status === 409) {
              pushes += 1;
              continue;
            }
            if (pushes > 0 || replied) await withTenant(ctx.db, target.tenantId, (sql) => recordPushes(sql, target.tenantId, target.messageId, pushes, replied));
            throw toChannelError(err, 'push');
          }
        }
        await withTenant(ctx.db, target.tenantId, (sql) => recordPushes(sql, target.tenantId, target.messageId, pushes, replied));
        return { platformMessageId };
      },
    };
  },
};
