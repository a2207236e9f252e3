import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startApp, type App } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import type { Database } from '../../src/db/database.ts';
import { createLogger } from '../../src/log.ts';
import type { Agent } from '../../src/agents/types.ts';
import { createTestDatabase } from './db.ts';
import { dropPrefix, testPrefix, testRedis } from './redis.ts';

export interface TestApp extends App {
  /** Stops the app, drops its Redis keys, closes its database. */
  close(): Promise<void>;
}

/**
 * The real app (same composition root as production) on a cloned embedded
 * database and the machine's Redis under a private prefix.
 */
export async function startTestApp(opts: { http?: boolean; workers?: boolean; agent?: Agent; db?: Database; env?: Record<string, string> } = {}): Promise<TestApp> {
  const db = opts.db ?? (await createTestDatabase({ seeded: true }));
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'closer-home-'));
  const prefix = testPrefix();
  const config = loadConfig({
    CLOSER_HOME: home,
    PORT: '0',
    REDIS_PREFIX: prefix,
    TURN_DEBOUNCE_MS: '0',
    LOCAL_CHAT: 'on',
    DEMO_SEED: 'off',
    // Digests and anomaly checks run on the wall clock; tests drive them with a fixed clock instead (digests/anomalies tests).
    DAILY_JOBS: 'off',
    CLOSER_SECRET_KEY: '0'.repeat(64),
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ...opts.env,
  });
  const app = await startApp({
    config,
    log: createLogger(config.logLevel),
    http: opts.http ?? false,
    workers: opts.workers ?? true,
    db,
    redis: testRedis(),
    agent: opts.agent,
  });
  return Object.assign(app, {
    async close() {
      await app.stop();
      await dropPrefix(prefix);
      if (!opts.db) await db.close();
      fs.rmSync(home, { recursive: true, force: true });
    },
  });
}
