import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { redisOptionsFromUrl, type RedisHandle } from '../../src/redis.ts';

/** The machine's Redis (TEST_REDIS_URL, default 127.0.0.1:6379); each test file uses its own key prefix. */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export function testRedis(): RedisHandle {
  return { options: redisOptionsFromUrl(TEST_REDIS_URL), description: `test redis ${TEST_REDIS_URL}`, private: false, stop: async () => undefined };
}

export function testPrefix(): string {
  return `closer-test-${randomUUID().slice(0, 8)}`;
}

/** Deletes every key under a test prefix. */
export async function dropPrefix(prefix: string): Promise<void> {
  const client = new Redis(redisOptionsFromUrl(TEST_REDIS_URL));
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await client.del(...keys);
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
}
