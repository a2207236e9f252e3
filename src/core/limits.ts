import type { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';

/**
 * Flood limits (issue #12 item 7), kept in Redis so every process shares
 * them: a person sending faster than any human types is not answered turn by
 * turn, and one conversation cannot run up the model bill.
 *
 * rate-limiter-flexible's Redis limiter is a bucket of `points` refilled every
 * `duration`, counted atomically in Redis (one round trip). Unlike the
 * platforms' send limits (src/jobs/ratelimit.ts, which needs an exact sliding
 * window), a flood guard is fine with a refill per window.
 */
export interface FloodSettings {
  /** Inbound messages one identity may send per window before turns are coalesced (0: off). */
  inboundPerWindow: number;
  inboundWindowS: number;
  /** Model calls one conversation may make per hour before answers fall back to rules mode (0: off). */
  modelCallsPerHour: number;
}

export type InboundVerdict =
  | { allowed: true }
  /** Over the limit: store the message, queue no turn of its own; `first` is the one excess message of the window (it gets the "slow down" notice). */
  | { allowed: false; retryInMs: number; first: boolean };

/** Per-identity bucket, taken once per stored inbound message before its turn is queued. */
export class InboundLimiter {
  private readonly limiter: RateLimiterRedis;

  constructor(
    redis: Redis,
    prefix: string,
    private readonly points: number,
    windowS: number,
  ) {
    this.limiter = new RateLimiterRedis({ storeClient: redis, keyPrefix: `${prefix}:flood:in`, points, duration: windowS });
  }

  async take(identityId: string): Promise<InboundVerdict> {
    try {
      await this.limiter.consume(identityId, 1);
      return { allowed: true };
    } catch (res) {
      // A Redis failure is not the sender's fault: answer them (fail open); the platform's own limits still hold.
      if (!(res instanceof RateLimiterRes)) return { allowed: true };
      return { allowed: false, retryInMs: Math.max(res.msBeforeNext, 1), first: res.consumedPoints === this.points + 1 };
    }
  }
}

/** Per-conversation model calls per hour. Checked before a model turn, charged with the calls the turn made. */
export class ModelCallCap {
  private readonly limiter: RateLimiterRedis;

  constructor(
    redis: Redis,
    prefix: string,
    private readonly perHour: number,
  ) {
    this.limiter = new RateLimiterRedis({ storeClient: redis, keyPrefix: `${prefix}:flood:llm`, points: perHour, duration: 3600 });
  }

  /** True when the conversation has calls left this hour (a Redis failure counts as yes: the monthly budget still holds). */
  async allows(conversationId: string): Promise<boolean> {
    try {
      const res = await this.limiter.get(conversationId);
      return !res || res.consumedPoints < this.perHour;
    } catch {
      return true;
    }
  }

  async charge(conversationId: string, calls: number): Promise<void> {
    if (calls <= 0) return;
    // penalty, not consume: the calls were made already, so going over is recorded, never refused.
    await this.limiter.penalty(conversationId, calls).catch(() => undefined);
  }
}

export interface FloodLimits {
  inbound?: InboundLimiter | undefined;
  modelCalls?: ModelCallCap | undefined;
}

/** The limiters a deployment's settings ask for (undefined where a limit is off). */
export function createFloodLimits(redis: Redis, prefix: string, s: FloodSettings): FloodLimits {
  return {
    ...(s.inboundPerWindow > 0 ? { inbound: new InboundLimiter(redis, prefix, s.inboundPerWindow, s.inboundWindowS) } : {}),
    ...(s.modelCallsPerHour > 0 ? { modelCalls: new ModelCallCap(redis, prefix, s.modelCallsPerHour) } : {}),
  };
}
