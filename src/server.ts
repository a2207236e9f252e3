import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { Redis } from 'ioredis';
import type { App } from './app.ts';
import { localRoutes } from './bots/local/routes.ts';
import { CHANNEL_MODULES } from './bots/registry.ts';
import { createMetrics, type MetricsHandle } from './jobs/metrics.ts';
import { mountDashboard } from './jobs/dashboard.ts';

export interface HttpServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Builds the HTTP app: health, readiness, the local chat, and (later) webhooks and admin views. */
export function buildHttpApp(app: App, localToken: string, redisProbe: Redis, metrics?: MetricsHandle): Hono {
  const http = new Hono();
  http.get('/healthz', (c) => c.json({ status: 'ok' }));
  http.get('/readyz', async (c) => {
    const [database, redis] = await Promise.all([checkDatabase(app), checkRedis(redisProbe)]);
    const ok = database === 'ok' && redis === 'ok';
    return c.json({ status: ok ? 'ready' : 'not ready', database, redis }, ok ? 200 : 503);
  });
  if (metrics) {
    http.get('/metrics', async (c) => {
      const m = await metrics.render();
      return c.body(m.body, 200, { 'content-type': m.contentType });
    });
    mountDashboard(http, metrics.queues, app.config.admin, app.log);
  }
  // Webhooks: each channel verifies its own requests (signatures, secret tokens) before anything is stored.
  for (const module of CHANNEL_MODULES) module.mount(http, app.channelContext);
  if (app.config.localChat) {
    http.route('/', localRoutes(app, localToken));
  } else {
    http.get('/', (c) => c.text('Closer is running. The local web chat is off (set LOCAL_CHAT=on to enable it on a trusted machine).\n'));
  }
  http.notFound((c) => c.json({ error: 'not found' }, 404));
  http.onError((err, c) => {
    app.log.error({ err: err.message, path: c.req.path }, 'request failed');
    return c.json({ error: 'internal error' }, 500);
  });
  return http;
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
  const token = app.localToken ?? (await import('node:crypto')).randomBytes(24).toString('base64url');
  app.localToken = token;
  const probe = new Redis({ ...app.redis.options, lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false });
  probe.on('error', () => undefined);
  const metrics = createMetrics(app.db, app.redis, app.config.redisPrefix);
  const http = buildHttpApp(app, token, probe, metrics);
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: http.fetch, port: app.config.port, hostname: app.config.host }, () => resolve(s));
    s.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;
  const host = app.config.host === '0.0.0.0' || app.config.host === '::' ? 'localhost' : app.config.host;
  return {
    url: `http://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        probe.disconnect();
        void metrics.close();
        // SSE streams would keep the server open; close them too.
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
