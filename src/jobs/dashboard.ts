import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { HonoAdapter } from '@bull-board/hono';
import { serveStatic } from '@hono/node-server/serve-static';
import type { Queue } from 'bullmq';
import type { Hono } from 'hono';
import { timingSafeEqual, createHash } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { Logger } from '../log.ts';

export const DASHBOARD_PATH = '/admin/queues';

/**
 * Bull Board behind basic auth. With no admin credentials configured the
 * route answers 404 with a note, and the log says the dashboard is off.
 */
export function mountDashboard(http: Hono, queues: Queue[], admin: { user: string; password: string } | undefined, log: Logger): void {
  if (!admin) {
    log.info('queue dashboard off: set ADMIN_USER and ADMIN_PASSWORD to enable /admin/queues');
    http.all(`${DASHBOARD_PATH}/*`, (c) => c.text('The queue dashboard is off: set ADMIN_USER and ADMIN_PASSWORD to enable it.\n', 404));
    http.all(DASHBOARD_PATH, (c) => c.text('The queue dashboard is off: set ADMIN_USER and ADMIN_PASSWORD to enable it.\n', 404));
    return;
  }
  const adapter = new HonoAdapter(serveStatic);
  createBullBoard({ queues: queues.map((q) => new BullMQAdapter(q)), serverAdapter: adapter });
  adapter.setBasePath(DASHBOARD_PATH);
  const auth = basicAuth(admin);
  http.use(DASHBOARD_PATH, auth);
  http.use(`${DASHBOARD_PATH}/*`, auth);
  http.route(DASHBOARD_PATH, adapter.registerPlugin());
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * Basic auth that answers 401 itself (Hono's throws, and the app's error
 * handler would turn that into a 500). Compares digests in constant time.
 */
function basicAuth(admin: { user: string; password: string }): MiddlewareHandler {
  const expected = digest(`${admin.user}:${admin.password}`);
  return async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const m = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header);
    const given = m ? Buffer.from(m[1]!, 'base64').toString('utf8') : '';
    if (!m || !timingSafeEqual(digest(given), expected)) {
      return c.text('Authentication required.\n', 401, { 'www-authenticate': 'Basic realm="closer-admin", charset="UTF-8"' });
    }
    await next();
  };
}
