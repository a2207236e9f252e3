import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import { Redis } from 'ioredis';
import type { App } from './app.ts';
import { localRoutes } from './bots/local/routes.ts';
import { CHANNEL_MODULES } from './bots/registry.ts';
import { createMetrics, type MetricsHandle } from './jobs/metrics.ts';
import { mountDashboard } from './jobs/dashboard.ts';
import { isLoopbackHost } from './config.ts';
import { LocalSessions, sameSecret } from './bots/local/auth.ts';
import { clientIp, failureLimit, limitBody } from './bots/guard.ts';

export interface HttpServer {
  url: string;
  port: number;
  /** A new one-time link that signs a browser into the local chat (undefined when LOCAL_CHAT is off). */
  newLoginLink(): string | undefined;
  close(): Promise<void>;
}

/** Body limits per route, checked before anything reads the body (platform payloads are far below these). */
const BODY_LIMITS: [string, number][] = [
  ['/webhooks/telegram/*', 512 * 1024],
  ['/webhooks/line/*', 1024 * 1024],
  ['/webhooks/slack/*', 1024 * 1024],
  ['/webhooks/msteams/*', 512 * 1024],
  ['/local/*', 64 * 1024],
  ['/slack/*', 16 * 1024],
  ['/metrics', 1024],
  ['/admin/*', 64 * 1024],
];

export interface HttpDeps {
  /** The lock-file token `closer ask` uses (embedded database only). */
  localToken: string | undefined;
  sessions: LocalSessions;
  redisProbe: Redis;
  /** A Redis client for the per-IP failed-request budget (shared by every web process). */
  guardRedis: Redis;
  metrics?: MetricsHandle | undefined;
}

/** Builds the HTTP app: health, readiness, metrics, webhooks and the local chat. */
export function buildHttpApp(app: App, deps: HttpDeps): Hono {
  const http = new Hono();
  const cfg = app.config;
  for (const [path, max] of BODY_LIMITS) http.use(path, limitBody(max));
  const failures = failureLimit({ redis: deps.guardRedis, prefix: cfg.redisPrefix, log: app.log, trustProxy: cfg.trustProxy });
  for (const path of ['/webhooks/*', '/local/*', '/metrics', '/slack/*', '/admin/*']) http.use(path, failures);
  http.get('/healthz', (c) => c.json({ status: 'ok' }));
  http.get('/readyz', async (c) => {
    const [database, redis] = await Promise.all([checkDatabase(app), checkRedis(deps.redisProbe)]);
    const ok = database === 'ok' && redis === 'ok';
    // Raw driver errors name hosts and users: they go to the log, the endpoint says only what is down.
    if (!ok) app.log.warn({ database, redis }, 'not ready');
    return c.json({ status: ok ? 'ready' : 'not ready', database: database === 'ok' ? 'ok' : 'unavailable', redis: redis === 'ok' ? 'ok' : 'unavailable' }, ok ? 200 : 503);
  });
  if (deps.metrics) {
    const metrics = deps.metrics;
    http.get('/metrics', async (c) => {
      if (!metricsAllowed(c, cfg.metricsToken)) {
        return c.json({ error: cfg.metricsToken ? 'send Authorization: Bearer <METRICS_TOKEN>' : 'set METRICS_TOKEN to scrape /metrics from another machine' }, 401);
      }
      const m = await metrics.render();
      return c.body(m.body, 200, { 'content-type': m.contentType });
    });
    mountDashboard(http, metrics.queues, cfg.admin, app.log);
  }
  // Webhooks: each channel verifies its own requests (signatures, secret tokens) before anything is stored.
  for (const module of CHANNEL_MODULES) module.mount(http, app.channelContext);
  if (cfg.localChat || deps.localToken) {
    const allowedHosts = [cfg.publicUrl ? new URL(cfg.publicUrl).hostname : undefined, ['0.0.0.0', '::'].includes(cfg.host) ? undefined : cfg.host].filter((h): h is string => Boolean(h));
    http.route('/', localRoutes(app, { token: deps.localToken, sessions: deps.sessions, web: cfg.localChat, password: cfg.localChatPassword, allowedHosts }));
  }
  if (!cfg.localChat) {
    http.get('/', (c) => c.text('Closer is running. The local web chat is off (it is on by default only on embedded defaults bound to a loopback address; see LOCAL_CHAT in the README).\n'));
  }
  http.notFound((c) => c.json({ error: 'not found' }, 404));
  http.onError((err, c) => {
    app.log.error({ err: err.message, path: c.req.path }, 'request failed');
    return c.json({ error: 'internal error' }, 500);
  });
  return http;
}

/** /metrics: a bearer token when METRICS_TOKEN is set, else loopback clients only (never through a proxy header). */
function metricsAllowed(c: Context, token: string | undefined): boolean {
  if (token) {
    const auth = c.req.header('authorization') ?? '';
    return auth.startsWith('Bearer ') && sameSecret(auth.slice(7), token);
  }
  return isLoopbackHost(clientIp(c, false).replace(/^::ffff:/, ''));
}

async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

async function checkDatabase(app: App): Promise<string> {
  try {
    await withTimeout(app.db.pool.query('SELECT 1'), 2_000);
    return 'ok';
  } catch (err) {
    return `error: ${(err as Error).message}`;
  }
}

async function checkRedis(probe: Redis): Promise<string> {
  try {
    if (probe.status === 'wait' || probe.status === 'end') await withTimeout(probe.connect(), 2_000);
    await withTimeout(probe.ping(), 2_000);
    return 'ok';
  } catch (err) {
    return `error: ${(err as Error).message}`;
  }
}

export async function startHttpServer(app: App): Promise<HttpServer> {
  const probe = new Redis({ ...app.redis.options, lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false });
  probe.on('error', () => undefined);
  const guardRedis = new Redis({ ...app.redis.options, maxRetriesPerRequest: 1, enableOfflineQueue: false });
  guardRedis.on('error', () => undefined);
  const metrics = createMetrics(app.db, app.redis, app.config.redisPrefix);
  const sessions = new LocalSessions();
  const http = buildHttpApp(app, { localToken: app.localToken, sessions, redisProbe: probe, guardRedis, metrics });
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: http.fetch, port: app.config.port, hostname: app.config.host }, () => resolve(s));
    s.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;
  const host = app.config.host === '0.0.0.0' || app.config.host === '::' ? 'localhost' : app.config.host;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return {
    url,
    port,
    newLoginLink: () => (app.config.localChat ? `${url}/local/login/${sessions.newLinkToken()}` : undefined),
    close: () =>
      new Promise<void>((resolve) => {
        probe.disconnect();
        guardRedis.disconnect();
        void metrics.close();
        // SSE streams would keep the server open; close them too.
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
