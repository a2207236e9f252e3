import type { Channel, OutboundMessage } from '../core/messages/types.ts';

/** Where one outbound message goes. */
export interface DeliveryTarget {
  tenantId: string;
  channelAccountId: string;
  conversationId: string;
  externalChatId: string;
  messageId: string;
}

/**
 * The outbound half of a channel: render an OutboundMessage natively and
 * send it. Throw ChannelApiError (permanent or with retryAfterMs) on failure;
 * the delivery worker decides about retries.
 */
export interface ChannelAdapter {
  readonly channel: Channel;
  send(target: DeliveryTarget, message: OutboundMessage): Promise<{ platformMessageId?: string }>;
}
