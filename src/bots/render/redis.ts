import { Redis, type RedisOptions } from 'ioredis';
import type { ChannelContext } from '../types.ts';

const clients = new WeakMap<object, Redis>();

/**
 * One small Redis client per app for channel state that must be shared by
 * every process (long button payloads, LINE reply tokens). It uses the
 * queues' connection settings and closes with them, since the channel
 * context has no shutdown hook of its own.
 */
export function channelRedis(ctx: ChannelContext): Redis {
  const queues = ctx.queues;
  let client = clients.get(queues);
  if (!client) {
    const created = new Redis({ ...(queues.delivery.opts.connection as RedisOptions), maxRetriesPerRequest: 2, lazyConnect: true });
    created.on('error', (err: Error) => ctx.log.warn({ err: err.message }, 'channel redis error'));
    const close = queues.close.bind(queues);
    queues.close = async () => {
      await close();
      created.disconnect();
    };
    clients.set(queues, created);
    client = created;
  }
  return client;
}
