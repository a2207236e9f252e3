import { z } from 'zod';
import type { InboundMessage } from '../../core/messages/types.ts';
import type { ChannelAccount } from '../accounts.ts';
import type { PayloadCodec } from '../render/payloads.ts';

/** The part of a LINE webhook body we read; everything else is ignored, not rejected (LINE adds fields). */
const EventSchema = z
  .object({
    type: z.string(),
    webhookEventId: z.string().min(1),
    timestamp: z.number(),
    replyToken: z.string().optional(),
    source: z.object({ type: z.string(), userId: z.string().optional() }).loose().optional(),
    message: z.object({ type: z.string(), text: z.string().optional() }).loose().optional(),
    postback: z.object({ data: z.string() }).loose().optional(),
    deliveryContext: z.object({ isRedelivery: z.boolean() }).loose().optional(),
  })
  .loose();
export const LineWebhookSchema = z.object({ destination: z.string().optional(), events: z.array(z.unknown()) }).loose();
export type LineEvent = z.infer<typeof EventSchema>;

export type NormalisedEvent =
  | { kind: 'inbound'; message: InboundMessage; replyToken?: string | undefined; follow: boolean }
  | { kind: 'unfollow'; userId: string; at: Date };

/**
 * One LINE event as what the core understands, or undefined for events a
 * customer account ignores (groups, stickers, reads). follow is an opt-in
 * (source "line"), unfollow an opt-out handled without a turn (nobody can be
 * answered any more); postback data is a button payload.
 */
export async function normaliseEvent(raw: unknown, account: ChannelAccount, codec: PayloadCodec): Promise<NormalisedEvent | undefined> {
  const parsed = EventSchema.safeParse(raw);
  if (!parsed.success) return undefined;
  const e = parsed.data;
  const userId = e.source?.type === 'user' ? e.source.userId : undefined;
  if (!userId) return undefined;
  const at = new Date(e.timestamp);
  if (e.type === 'unfollow') return { kind: 'unfollow', userId, at };
  // A redelivered event's reply token may already be dead; replies then push.
  const replyToken = e.deliveryContext?.isRedelivery ? undefined : e.replyToken;
  const base = {
    tenantId: account.tenantId,
    channel: 'line' as const,
    channelAccountId: account.id,
    platformMessageId: e.webhookEventId,
    externalChatId: userId,
    externalUserId: userId,
    receivedAt: at,
  };
  if (e.type === 'message' && e.message?.type === 'text' && typeof e.message.text === 'string') {
    return { kind: 'inbound', message: { ...base, text: e.message.text }, replyToken, follow: false };
  }
  if (e.type === 'postback' && e.postback) {
    const payload = await codec.decode(e.postback.data);
    return { kind: 'inbound', message: { ...base, ...(payload ? { payload } : { text: '/help' }) }, replyToken, follow: false };
  }
  if (e.type === 'follow') {
    return { kind: 'inbound', message: { ...base, payload: { action: 'set_consent', args: { consent: 'opted_in' } }, meta: { source: 'line', event: 'follow' } }, replyToken, follow: true };
  }
  return undefined;
}
