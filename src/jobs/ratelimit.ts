import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Redis } from 'ioredis';
import type { ChannelLimits } from '../bots/types.ts';

/**
 * Platform send limits (per bot/workspace and per chat), counted in Redis so
 * every delivery process shares one budget: two workers must not each send
 * Telegram's 30 messages a second.
 */
export class DeliveryRateLimiter {
  private readonly limiters = new Map<string, RateLimiterRedis>();

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private limiter(channel: string, scope: 'account' | 'chat', rule: { max: number; durationMs: number }): RateLimiterRedis {
    const key = `${channel}:${scope}:${rule.max}:${rule.durationMs}`;
    let limiter = this.limiters.get(key);
    if (!limiter) {
      // rate-limiter-flexible counts whole seconds: express sub-second rules as their per-second equivalent.
      const seconds = Math.max(1, Math.round(rule.durationMs / 1000));
      const points = Math.max(1, Math.floor((rule.max * seconds * 1000) / rule.durationMs));
      limiter = new RateLimiterRedis({ storeClient: this.redis, keyPrefix: `${this.prefix}:rl:${channel}:${scope}`, points, duration: seconds });
      this.limiters.set(key, limiter);
    }
    return limiter;
  }

  /**
   * Takes one send from the chat's and the account's budgets. Returns 0 when
   * the message may go now, otherwise how many ms to wait (nothing is taken
   * then, so a waiting message does not eat the budget of the others).
   */
  async take(channel: string, limits: ChannelLimits, accountId: string, chatId: string): Promise<number> {
    const chat = this.limiter(channel, 'chat', limits.perChat);
    const account = this.limiter(channel, 'account', limits.perAccount);
    const chatKey = `${accountId}:${chatId}`;
    try {
      await chat.consume(chatKey);
    } catch (err) {
      if (err instanceof RateLimiterRes) return Math.max(1, err.msBeforeNext);
      throw err;
    }
    try {
      await account.consume(accountId);
      return 0;
    } catch (err) {
      await chat.reward(chatKey).catch(() => undefined);
      if (err instanceof RateLimiterRes) return Math.max(1, err.msBeforeNext);
      throw err;
    }
  }
}
