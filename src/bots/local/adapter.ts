import type { ChannelAdapter } from '../types.ts';

/**
 * The local channel (web page and terminal). Its "platform" is our own
 * database: a delivered message is the outbound row marked sent, and the
 * delivery worker's event tells the open page or waiting terminal to show it.
 * So sending has nothing to call; it exists so that local replies take the
 * same delivery path (status, retries, events) as every other channel.
 */
export class LocalAdapter implements ChannelAdapter {
  readonly channel = 'local' as const;

  async send(target: { messageId: string }): Promise<{ platformMessageId?: string }> {
    return { platformMessageId: `local-${target.messageId}` };
  }
}
