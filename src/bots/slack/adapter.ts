import type { OutboundMessage } from '../../core/messages/types.ts';
import { ChannelApiError } from '../../errors.ts';
import type { AccountDirectory } from '../accounts.ts';
import type { ChannelAdapter, DeliveryTarget } from '../types.ts';
import { renderSlack } from './blocks.ts';
import { slackClient, toChannelError } from './client.ts';
import { splitSlackChatId } from './normalise.ts';

/** Posts to a DM, or into the thread a mention started (chat id `C…/ts`). */
export class SlackAdapter implements ChannelAdapter {
  readonly channel = 'slack' as const;

  constructor(private readonly accounts: AccountDirectory) {}

  async send(target: DeliveryTarget, message: OutboundMessage): Promise<{ platformMessageId?: string }> {
    const account = await this.accounts.require(target.channelAccountId);
    if (account.status !== 'active') {
      throw new ChannelApiError(
        `Slack workspace ${account.externalId} is disabled (the app was uninstalled or its token revoked): install it again (closer slack install-link, or closer channels add slack) to send there.`,
        'slack',
        true,
      );
    }
    const client = slackClient(account);
    const { channel, threadTs } = splitSlackChatId(target.externalChatId);
    let last: string | undefined;
    for (const [i, chunk] of renderSlack(message).entries()) {
      if (i > 0) await target.pace?.();
      try {
        const res = await client.chat.postMessage({ channel, text: chunk.text, blocks: chunk.blocks as never, ...(threadTs ? { thread_ts: threadTs } : {}), unfurl_links: false });
        last = res.ts ?? last;
      } catch (err) {
        throw toChannelError(err);
      }
    }
    return last ? { platformMessageId: last } : {};
  }
}
