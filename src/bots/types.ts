import type { FloodLimits } from '../core/limits.ts';
import type { Hono } from 'hono';
import type { Channel, OutboundMessage } from '../core/messages/types.ts';
import type { Database } from '../db/database.ts';
import type { Logger } from '../log.ts';
import type { Config } from '../config.ts';
import type { SecretBox } from '../core/secrets.ts';
import type { Queues } from '../jobs/queues.ts';
import type { EventBus } from '../jobs/bus.ts';

/** Where one outbound message goes. */
export interface DeliveryTarget {
  tenantId: string;
  channelAccountId: string;
  conversationId: string;
  externalChatId: string;
  messageId: string;
  /**
   * Call before each platform call after the first, when one outbound
   * message needs several (a long text split, LINE batches): it returns once
   * the chat's and the account's rate budgets allow one more, so a split
   * message keeps to the platform's limits too. The delivery worker's first
   * call was already counted before send().
   */
  pace?: (() => Promise<void>) | undefined;
}

/**
 * The outbound half of a channel: render an OutboundMessage natively and
 * send it. Throw ChannelApiError (permanent, or with retryAfterMs) on
 * failure; the delivery worker decides about retries.
 */
export interface ChannelAdapter {
  readonly channel: Channel;
  send(target: DeliveryTarget, message: OutboundMessage): Promise<{ platformMessageId?: string }>;
}

/** What a channel module gets from the app: the shared engines, never another channel. */
export interface ChannelContext {
  db: Database;
  log: Logger;
  config: Config;
  secrets: SecretBox;
  queues: Queues;
  bus: EventBus;
  /** Flood limits (issue #12 item 7); absent or partly absent when turned off. */
  flood?: FloodLimits | undefined;
}

/** Platform limits the delivery worker enforces through Redis (shared by every process). */
export interface ChannelLimits {
  /** Messages per `durationMs` for one channel account (bot token / workspace). */
  perAccount: { max: number; durationMs: number };
  /** Messages per `durationMs` to one chat. */
  perChat: { max: number; durationMs: number };
  /** Longest text one platform message may carry; longer texts are split. */
  maxTextLength: number;
}

/**
 * One chat platform: its webhook routes (verify → normalise → acceptInbound
 * → ack) and its outbound adapter. Only files under src/bots/<channel> may
 * import the platform's SDK.
 */
export interface ChannelModule {
  readonly channel: Channel;
  readonly limits: ChannelLimits;
  /** Mounts the webhook routes, under /webhooks/<channel>/…, on the app's HTTP server. */
  mount(http: Hono, ctx: ChannelContext): void;
  createAdapter(ctx: ChannelContext): ChannelAdapter;
}
