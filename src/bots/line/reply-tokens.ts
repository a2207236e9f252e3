import type { ChannelContext } from '../types.ts';
import { channelRedis } from '../render/redis.ts';

/**
 * LINE reply tokens are free but live about a minute and work once. The
 * newest token of a chat is kept in Redis for 50 s (a margin under LINE's
 * limit) and taken by the first reply that goes out; later replies push.
 */
export const REPLY_TOKEN_TTL_MS = 50_000;

export function replyTokens(ctx: ChannelContext) {
  const key = (accountId: string, chatId: string) => `${ctx.queues.prefix}:line:reply-token:${accountId}:${chatId}`;
  return {
    async put(accountId: string, chatId: string, token: string): Promise<void> {
      const redis = channelRedis(ctx);
      await redis.set(key(accountId, chatId), token, 'PX', REPLY_TOKEN_TTL_MS);
    },
    async take(accountId: string, chatId: string): Promise<string | undefined> {
      const redis = channelRedis(ctx);
      return (await redis.getdel(key(accountId, chatId))) ?? undefined;
    },
  };
}
