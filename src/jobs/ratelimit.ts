import type { Redis } from 'ioredis';
import type { ChannelLimits } from '../bots/types.ts';

/**
 * Platform send limits (per bot/workspace and per chat), kept in Redis so
 * every delivery process shares one budget: two workers must not each send
 * Telegram's 30 messages a second.
 *
 * Why a sliding-window log and not a counter per fixed window (what
 * rate-limiter-flexible and most libraries do): platforms count "at most N in
 * any D", and a fixed window lets 2N through around each window edge. With a
 * fixed 1 s window, bench/jobs.ts measured two messages 155 ms apart to one
 * Telegram chat and 43 to one bot within a second. The log keeps the send
 * times of the last D per key (a sorted set of at most N members), so a
 * send is allowed only when fewer than N fell in the D before it, on Redis's
 * own clock, shared by every process. Both keys are checked and taken in one
 * script, so a message refused by the bot's budget takes nothing from its
 * chat's.
 */
const TAKE = `
local now = redis.call('TIME')
local t = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local wait = 0
for i = 1, 2 do
  local key, max, dur = KEYS[i], tonumber(ARGV[i * 2 - 1]), tonumber(ARGV[i * 2])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', t - dur)
  if redis.call('ZCARD', key) >= max then
    local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
    -- At t + w the oldest entry is exactly dur old, and the trim above (score <= now - dur) drops it.
    local w = tonumber(oldest[2]) + dur - t
    if w > wait then wait = w end
  end
end
if wait > 0 or ARGV[5] == 'check' then return wait end
for i = 1, 2 do
  local key, dur = KEYS[i], tonumber(ARGV[i * 2])
  local seq = redis.call('INCR', key .. ':seq')
  redis.call('PEXPIRE', key .. ':seq', dur)
  redis.call('ZADD', key, t, t .. '-' .. seq)
  redis.call('PEXPIRE', key, dur)
end
return 0
`;

/**
 * How much wider than the platform's window our window is. A send leaves the
 * limiter, claims its row and crosses the network before the platform counts
 * it; this margin absorbs that jitter so two sends spaced by exactly the
 * platform's window never arrive inside one.
 */
export const WINDOW_MARGIN = 1.1;

type TakeCommand = (chatKey: string, accountKey: string, chatMax: number, chatMs: number, accountMax: number, accountMs: number, mode: 'take' | 'check') => Promise<number>;

export class DeliveryRateLimiter {
  private readonly take_: TakeCommand;

  constructor(
    redis: Redis,
    private readonly prefix: string,
  ) {
    // defineCommand sends the script once (EVALSHA afterwards) and survives reconnects.
    if (!('closerRateTake' in redis)) redis.defineCommand('closerRateTake', { numberOfKeys: 2, lua: TAKE });
    const command = (redis as unknown as { closerRateTake: (...args: (string | number)[]) => Promise<number> }).closerRateTake.bind(redis);
    this.take_ = (...args) => command(...args);
  }

  /**
   * Takes one send from the chat's and the account's budgets. Returns 0 when
   * the message may go now, otherwise how many ms to wait (nothing is taken
   * then, so a waiting message does not eat the budget of the others).
   */
  take(channel: string, limits: ChannelLimits, accountId: string, chatId: string): Promise<number> {
    return this.run('take', channel, limits, accountId, chatId);
  }

  /** What take would answer, without taking anything: a cheap look before claiming a row. */
  check(channel: string, limits: ChannelLimits, accountId: string, chatId: string): Promise<number> {
    return this.run('check', channel, limits, accountId, chatId);
  }

  private async run(mode: 'take' | 'check', channel: string, limits: ChannelLimits, accountId: string, chatId: string): Promise<number> {
    const window = (ms: number) => Math.ceil(ms * WINDOW_MARGIN);
    const base = `${this.prefix}:rl:${channel}`;
    return Number(
      await this.take_(
        `${base}:chat:${accountId}:${chatId}`,
        `${base}:account:${accountId}`,
        limits.perChat.max,
        window(limits.perChat.durationMs),
        limits.perAccount.max,
        window(limits.perAccount.durationMs),
        mode,
      ),
    );
  }
}
