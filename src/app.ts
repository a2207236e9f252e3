import path from 'node:path';
import type { Worker } from 'bullmq';
import type { Config } from './config.ts';
import { openEmbeddedDatabase, openServerDatabase, type Database } from './db/database.ts';
import { migrate } from './db/migrate.ts';
import { withSystem } from './db/tenant.ts';
import { acquireLock } from './lock.ts';
import type { Logger } from './log.ts';
import { startRedis, type RedisHandle } from './redis.ts';
import { resolveSecretKey, SecretBox } from './core/secrets.ts';
import type { Channel } from './core/messages/types.ts';
import type { ChannelAdapter, ChannelContext } from './bots/types.ts';
import { CHANNEL_MODULES } from './bots/registry.ts';
import { LocalAdapter } from './bots/local/adapter.ts';
import { resealLegacySecrets } from './bots/accounts.ts';
import type { LocalDeps } from './bots/local/session.ts';
import { createConfiguredAgent } from './agents/select.ts';
import type { Agent } from './agents/types.ts';
import { EventBus } from './jobs/bus.ts';
import { createQueues, type Queues } from './jobs/queues.ts';
import { startTurnWorker } from './jobs/turns.ts';
import { startDeliveryWorker } from './jobs/delivery.ts';
import { startEffectsWorker } from './jobs/effects.ts';
import { createFloodLimits } from './core/limits.ts';
import { Redis } from 'ioredis';
import { startReconciler } from './jobs/reconcile.ts';
import { startReportsWorker } from './jobs/reports.ts';
import { createFollowupQueue, startFollowupWorker } from './jobs/followups.ts';
import { startScheduler } from './jobs/scheduler.ts';
import { createAlertQueue, startAlertWorker } from './jobs/alerts.ts';
import { observeWorker } from './jobs/metrics.ts';
import { startHttpServer, type HttpServer } from './server.ts';
import { startHandoffWorker } from './bots/slack/handoff.ts';
import { startSlackReceivers } from './bots/slack/index.ts';
import type { SocketModeHandle } from './bots/slack/socket.ts';
import { closeHandoffQueue } from './core/handoff/queue.ts';

/**
 * The composition root: every long-lived dependency is built here and passed
 * down, so tests can swap the outside world (a database, Redis, an LLM) and
 * nothing else.
 */
export interface App {
  config: Config;
  log: Logger;
  db: Database;
  redis: RedisHandle;
  queues: Queues;
  bus: EventBus;
  adapters: Map<Channel, ChannelAdapter>;
  agent: Agent;
  secrets: SecretBox;
  /** What channel modules get (webhook routes and adapters). */
  channelContext: ChannelContext;
  local: LocalDeps;
  http?: HttpServer | undefined;
  /** Slack Socket Mode connections (development), when this process receives events. */
  slackSocketMode?: SocketModeHandle | undefined;
  /** The token `closer ask` uses to reach this process's local API. */
  localToken: string | undefined;
  stop(): Promise<void>;
}

export interface StartOptions {
  config: Config;
  log: Logger;
  /** Serve HTTP (webhooks, local web chat, health). */
  http: boolean;
  /** Run the queue workers in this process. */
  workers: boolean;
  /** Seed the demo tenants when the database has no tenants (default: config.demoSeed). */
  seed?: boolean | undefined;
  /** Use this database instead of opening one (tests); it is not closed by stop(). */
  db?: Database | undefined;
  /** Use this Redis instead of connecting (tests); it is not stopped by stop(). */
  redis?: RedisHandle | undefined;
  /** Replace the agent (tests script an LLM agent this way). */
  agent?: Agent | undefined;
  /** Connect Slack accounts in Socket Mode (default: when serving HTTP, i.e. in the process that receives events). */
  slackSocketMode?: boolean | undefined;
}

export async function startApp(opts: StartOptions): Promise<App> {
  const { config, log } = opts;
  const cleanups: (() => Promise<void> | void)[] = [];
  const stop = async () => {
    for (const fn of cleanups.reverse()) {
      try {
        await fn();
      } catch (err) {
        log.warn({ err: (err as Error).message }, 'error during shutdown');
      }
    }
  };
  try {
    const embedded = !opts.db && !config.databaseUrl;
    let lock: ReturnType<typeof acquireLock> | undefined;
    if (embedded) {
      lock = acquireLock(config.home);
      cleanups.push(() => lock?.release());
    }
    const secrets = new SecretBox(resolveSecretKey({ keyHex: config.secretKeyHex, home: config.home, embedded: !config.databaseUrl }));

    // Redis first: it is the quickest to check, so a wrong REDIS_URL fails before the database work.
    let redis = opts.redis;
    if (!redis) {
      redis = await startRedis({ url: config.redisUrl, home: config.home, log });
      const started = redis;
      cleanups.push(() => started.stop());
    }
    let db = opts.db;
    if (!db) {
      const t0 = Date.now();
      db = config.databaseUrl ? await openServerDatabase(config.databaseUrl, log) : await openEmbeddedDatabase(path.join(config.home, 'pgdata'));
      const opened = db;
      cleanups.push(() => opened.close());
      log.info({ kind: db.kind, ms: Date.now() - t0 }, 'database open');
    }
    const migrated = await migrate(db);
    if (migrated.applied.length) log.info({ applied: migrated.applied }, 'migrations applied');
    // Channel secrets stored before they were bound to their rows are sealed again, bound (issue #12).
    const resealed = await resealLegacySecrets(db, secrets);
    if (resealed) log.info({ accounts: resealed }, 'channel secrets sealed again, bound to their accounts');

    if (opts.seed ?? config.demoSeed) {
      const count = await withSystem(db, async (sql) => (await sql.query<{ n: number }>('SELECT count(*)::int AS n FROM tenants')).rows[0]!.n);
      if (count === 0) {
        const { seedDemo } = await import('./db/seed/index.ts');
        const t0 = Date.now();
        await seedDemo(db, {});
        log.info({ ms: Date.now() - t0 }, 'demo tenants seeded (demo-clinic, demo-realty)');
      }
    }

    const queues = createQueues(redis.options, config.redisPrefix);
    cleanups.push(() => queues.close());
    cleanups.push(() => closeHandoffQueue(queues));
    const bus = new EventBus(redis.options, config.redisPrefix);
    cleanups.push(() => bus.close());

    // Flood limits share one Redis connection of their own (rate-limiter-flexible's scripts), closed after the workers.
    const floodRedis = new Redis({ ...redis.options, lazyConnect: true });
    floodRedis.on('error', () => undefined);
    cleanups.push(async () => floodRedis.disconnect());
    const flood = createFloodLimits(floodRedis, config.redisPrefix, config.flood);
    const channelContext: ChannelContext = { db, log, config, secrets, queues, bus, flood };
    const adapters = new Map<Channel, ChannelAdapter>([['local', new LocalAdapter()]]);
    for (const module of CHANNEL_MODULES) adapters.set(module.channel, module.createAdapter(channelContext));
    const agent = opts.agent ?? (await createConfiguredAgent(db, config.llm, log, { modelCalls: flood.modelCalls }));
    const local: LocalDeps = { db, queues, bus, turnDebounceMs: config.turnDebounceMs, inboundLimiter: flood.inbound };

    if (opts.workers) {
      const workers: Worker[] = [
        startTurnWorker({ db, log, bus, queues, agent, turnTimeoutMs: config.turnTimeoutMs }, redis.options, config.redisPrefix),
        startDeliveryWorker({ db, log, bus, adapters }, redis.options, config.redisPrefix),
        startEffectsWorker({ db, log }, redis.options, config.redisPrefix),
      ];
      workers.push(startHandoffWorker({ db, log, secrets, queues }, redis.options, config.redisPrefix));
      const stopReconciler = startReconciler(db, queues, log);
      const reports = startReportsWorker({ db, queues, log }, redis.options, config.redisPrefix);
      const followups = createFollowupQueue(redis.options, config.redisPrefix);
      workers.push(startFollowupWorker({ db, queues, followups, log }, redis.options, config.redisPrefix));
      const alertQueue = createAlertQueue(redis.options, config.redisPrefix);
      const alertDeps = { db, queues, alerts: alertQueue, log };
      workers.push(startAlertWorker(alertDeps, redis.options, config.redisPrefix));
      const stopScheduler = startScheduler({ db, followups, log, alerts: alertDeps, digests: config.dailyJobs ? { db, queues, log } : undefined });
      for (const w of [...workers, reports.worker]) observeWorker(w);
      // Registered after the queues, so they stop first: in-flight jobs finish before connections close.
      cleanups.push(async () => {
        stopReconciler();
        await stopScheduler();
        await Promise.all([...workers.map((w) => w.close()), reports.close()]);
        await Promise.all([followups.close(), alertQueue.close()]);
      });
    }

    const app: App = { config, log, db, redis, queues, bus, adapters, agent, secrets, channelContext, local, localToken: lock?.token, stop };
    if (opts.slackSocketMode ?? opts.http) {
      // Registered after the queues, so connections close (and envelopes in hand finish) before them.
      const socketMode = startSlackReceivers(channelContext);
      app.slackSocketMode = socketMode;
      cleanups.push(() => socketMode.stop());
    }
    if (opts.http) {
      app.http = await startHttpServer(app);
      const server = app.http;
      cleanups.push(() => server.close());
      lock?.setUrl(server.url);
    }
    return app;
  } catch (err) {
    await stop();
    throw err;
  }
}
