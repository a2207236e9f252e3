import crypto from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';
import { bodyLimit } from 'hono/body-limit';
import type { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Logger } from '../log.ts';

/**
 * Transport guards for every inbound HTTP route: a body limit that refuses
 * an oversized request before anything reads it, and a per-IP budget of
 * failed requests (bad signature, unknown account, refused host) kept in
 * Redis so every web process shares it. Platforms that sign their requests
 * never fail, so only someone probing spends the budget.
 */

/** 413 before the body is read: Content-Length is checked first, a chunked body is counted as it streams. */
export function limitBody(maxBytes: number): MiddlewareHandler {
  return bodyLimit({ maxSize: maxBytes, onError: (c) => c.json({ error: `body larger than ${maxBytes} bytes` }, 413) });
}

/** The client's address: the socket's, or with TRUST_PROXY the last X-Forwarded-For hop (the one our proxy added). */
export function clientIp(c: Context, trustProxy: boolean): string {
  if (trustProxy) {
    const hops = (c.req.header('x-forwarded-for') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    if (hops.length) return hops[hops.length - 1]!;
  }
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Statuses that mean "you are not who you claim" or "that does not exist": the probing an attacker does. */
const FAILURES = new Set([401, 403, 404, 413]);

export interface FailureLimitOptions {
  redis: Redis;
  prefix: string;
  log: Logger;
  trustProxy: boolean;
  /** Failed requests allowed per IP in `windowS` seconds before the IP is refused. */
  points?: number;
  windowS?: number;
  /** How long an IP that went over is refused. */
  blockS?: number;
}

/**
 * Refuses (429) an IP that made too many failed requests, before the route
 * does any work (no body read, no database query, no HMAC). If Redis is
 * unreachable the guard lets requests through: the signature checks still
 * protect the data, and webhooks must not stop because a counter did.
 */
export function failureLimit(opts: FailureLimitOptions): MiddlewareHandler {
  const limiter = new RateLimiterRedis({
    storeClient: opts.redis,
    keyPrefix: `${opts.prefix}:failed-requests`,
    points: opts.points ?? 30,
    duration: opts.windowS ?? 60,
    blockDuration: opts.blockS ?? 300,
  });
  const points = opts.points ?? 30;
  return async (c, next) => {
    const ip = clientIp(c, opts.trustProxy);
    try {
      const seen = await limiter.get(ip);
      if (seen && seen.consumedPoints > points) {
        return c.json({ error: 'too many failed requests from this address; try again later' }, 429, { 'retry-after': String(Math.ceil(seen.msBeforeNext / 1000)) });
      }
    } catch (err) {
      opts.log.warn({ err: (err as Error).message }, 'failed-request limiter unavailable; letting the request through');
    }
    await next();
    if (FAILURES.has(c.res.status)) {
      await limiter.consume(ip).catch((err: unknown) => {
        if (!(err instanceof RateLimiterRes)) opts.log.warn({ err: (err as Error).message }, 'failed-request limiter unavailable');
      });
    }
  };
}

/** Compares two secrets in constant time (digests first, so different lengths leak nothing either). */
export function sameSecret(given: string, expected: string): boolean {
  const a = crypto.createHash('sha256').update(given).digest();
  const b = crypto.createHash('sha256').update(expected).digest();
  return crypto.timingSafeEqual(a, b);
}
