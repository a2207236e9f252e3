import { randomBytes } from 'node:crypto';
import { ButtonPayloadSchema, type ButtonPayload } from '../../core/messages/types.ts';
import type { ChannelContext } from '../types.ts';
import { channelRedis } from './redis.ts';

/**
 * Button payloads travel through the platform (Telegram callback_data ≤ 64
 * bytes, LINE postback data ≤ 300 characters). A payload that fits goes
 * inline as JSON; a longer one is kept in Redis under a short random key for
 * `ttlSeconds`, and only the key travels. Either way what comes back is
 * validated again: the platform hands us whatever the client sent.
 */
export interface PayloadCodec {
  encode(payload: ButtonPayload): Promise<string>;
  decode(data: string): Promise<ButtonPayload | undefined>;
}

const INLINE = 'j';
const STORED = 'k';

/** The compact inline form of a payload (what a platform hands back when the button is pressed). */
export function inlinePayload(payload: ButtonPayload): string {
  return INLINE + JSON.stringify([payload.action, payload.args]);
}

/** Reads the inline form back (validated: the platform hands us whatever the client sent); undefined when it is not a valid inline payload. */
export function parseInlinePayload(data: string): ButtonPayload | undefined {
  if (!data.startsWith(INLINE)) return undefined;
  try {
    const [action, args] = JSON.parse(data.slice(1)) as [unknown, unknown];
    const parsed = ButtonPayloadSchema.safeParse({ action, args });
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export function payloadCodec(ctx: ChannelContext, channel: string, maxBytes: number, ttlSeconds = 30 * 24 * 3600): PayloadCodec {
  const key = (id: string) => `${ctx.queues.prefix}:payload:${channel}:${id}`;
  return {
    async encode(payload) {
      const inline = inlinePayload(payload);
      if (Buffer.byteLength(inline, 'utf8') <= maxBytes) return inline;
      const id = randomBytes(12).toString('base64url');
      const redis = channelRedis(ctx);
      await redis.set(key(id), JSON.stringify(payload), 'EX', ttlSeconds);
      return STORED + id;
    },
    async decode(data) {
      if (data.startsWith(INLINE)) return parseInlinePayload(data);
      let raw: unknown;
      try {
        if (data.startsWith(STORED) && /^[A-Za-z0-9_-]{16}$/.test(data.slice(1))) {
          const redis = channelRedis(ctx);
          const stored = await redis.get(key(data.slice(1)));
          raw = stored ? JSON.parse(stored) : undefined;
        }
      } catch {
        return undefined;
      }
      const parsed = ButtonPayloadSchema.safeParse(raw);
      return parsed.success ? parsed.data : undefined;
    },
  };
}

/** The platform locale codes we answer in ('th-TH' → 'th'); undefined for the rest, so the tenant's default applies. */
export function supportedLocale(code: string | undefined): 'en' | 'th' | 'ar' | undefined {
  const base = code?.toLowerCase().split(/[-_]/)[0];
  return base === 'en' || base === 'th' || base === 'ar' ? base : undefined;
}
