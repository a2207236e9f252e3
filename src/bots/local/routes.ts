import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Hono, type Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { z } from 'zod';
import type { App } from '../../app.ts';
import { withSystem, withTenant } from '../../db/tenant.ts';
import { getTenantBySlug, listTenants } from '../../core/tenants.ts';
import { ButtonPayloadSchema } from '../../core/messages/types.ts';
import { CloserError, describeError } from '../../errors.ts';
import { localAsk, localSend } from './session.ts';
import { hasSession, hostGuard, sameSecret, setSessionCookie, type LocalSessions } from './auth.ts';

const PAGE = fileURLToPath(new URL('./web/index.html', import.meta.url));

const SendSchema = z.object({
  tenant: z.string().min(1).max(64),
  as: z.string().min(1).max(200),
  text: z.string().max(4_000).optional(),
  payload: ButtonPayloadSchema.optional(),
  chat: z.string().max(60).optional(),
  messageId: z.string().min(1).max(200).optional(),
});

/** What the local routes serve: the browser chat (sessions from one-time links) and/or only the API `closer ask` uses. */
export interface LocalRoutesOptions {
  /** The lock-file token of this process (`closer ask`/`chat` read it from `.closer/closer.lock`, mode 600). */
  token: string | undefined;
  sessions: LocalSessions;
  /** Serve the web page and accept browser sessions (LOCAL_CHAT). */
  web: boolean;
  /** When set, /local/login also takes this password (local chat on a non-loopback address, production or a server database). */
  password: string | undefined;
  /** Host names besides loopback the local chat answers to (PUBLIC_URL's, an explicit HOST). */
  allowedHosts: string[];
}

/**
 * The local channel over HTTP: the web chat page and its API, and the
 * endpoint a second `closer ask` process uses to run a turn in this one.
 * Every API call needs either this process's lock-file token (header only)
 * or a browser session set by a one-time link; every request must name an
 * allowed host, and a browser's Origin must match it (DNS rebinding).
 */
export function localRoutes(app: App, opts: LocalRoutesOptions): Hono {
  const r = new Hono();
  const guard = hostGuard(opts.allowedHosts);
  r.use('/', guard);
  r.use('/local/*', guard);

  if (opts.web) {
    r.get('/', (c) => (hasSession(c, opts.sessions) ? c.html(fs.readFileSync(PAGE, 'utf8')) : c.html(loginPage(Boolean(opts.password)), 401)));
    r.get('/local/login/:token', (c) => {
      const session = opts.sessions.redeem(c.req.param('token'));
      if (!session) return c.html(loginPage(Boolean(opts.password), 'This link was already used or has expired.'), 403);
      setSessionCookie(c, session);
      return c.redirect('/', 303);
    });
    if (opts.password) {
      const password = opts.password;
      r.get('/local/login', (c) => c.html(loginPage(true)));
      r.post('/local/login', async (c) => {
        const form = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
        const given = typeof form.password === 'string' ? form.password : '';
        if (!sameSecret(given, password)) return c.html(loginPage(true, 'Wrong password.'), 401);
        setSessionCookie(c, opts.sessions.newSession());
        return c.redirect('/', 303);
      });
    }
  }

  r.use('/local/api/*', async (c, next) => {
    const given = c.req.header('x-closer-token');
    if (given !== undefined && opts.token && sameSecret(given, opts.token)) {
      c.set('localAuth' as never, 'token' as never);
      return next();
    }
    if (opts.web && hasSession(c, opts.sessions)) {
      // A browser always sends Origin on a POST; a state-changing request without one did not come from our page.
      if (c.req.method !== 'GET' && c.req.header('origin') === undefined) return c.json({ error: 'cross-origin requests are refused' }, 403);
      return next();
    }
    return c.json({ error: 'not signed in: open the one-time link printed by `closer start` (or `npx closer web-link`)' }, 401);
  });

  // `closer web-link`: a new one-time link, for the lock-file token holder only (never for a browser session).
  r.post('/local/api/login-links', (c) => {
    const given = c.req.header('x-closer-token');
    if (!opts.web) return c.json({ error: 'the local web chat is off (LOCAL_CHAT)' }, 404);
    if (given === undefined || !opts.token || !sameSecret(given, opts.token)) return c.json({ error: 'only `closer web-link` (the lock-file token) may ask for a login link' }, 403);
    return c.json({ path: `/local/login/${opts.sessions.newLinkToken()}` });
  });

  r.get('/local/api/people', async (c) => {
    const tenants = await withSystem(app.db, (sql) => listTenants(sql));
    const out = [];
    for (const tenant of tenants) {
      const people = await withTenant(app.db, tenant.id, async (sql) => {
        const staff = await sql.query<{ name: string; email: string; role: string; locale: string }>(
          `SELECT name, email, role, locale FROM staff_users WHERE active ORDER BY CASE role WHEN 'rep' THEN 0 WHEN 'manager' THEN 1 ELSE 2 END, email`,
        );
        const customers = await sql.query<{ name: string; channel: string; external_id: string; locale: string | null }>(
          `SELECT DISTINCT ON (l.id) l.display_name AS name, ci.channel, ci.external_id, l.locale
           FROM channel_identities ci JOIN leads l ON l.id = ci.lead_id
           WHERE ci.channel <> 'local' ORDER BY l.id, ci.created_at LIMIT 200`,
        );
        const demoCustomer = (tenant.settings as { demo_people?: { customer?: string } }).demo_people?.customer;
        const list = customers.rows
          .map((x) => ({ as: `${x.channel}:${x.external_id}`, name: x.name, role: 'customer', locale: x.locale ?? tenant.defaultLocale }))
          .sort((a, b) => Number(b.as === demoCustomer) - Number(a.as === demoCustomer) || a.name.localeCompare(b.name))
          .slice(0, 12);
        return [...staff.rows.map((s) => ({ as: s.email, name: s.name, role: s.role, locale: s.locale })), ...list];
      });
      out.push({ slug: tenant.slug, name: tenant.name, locale: tenant.defaultLocale, people });
    }
    return c.json({ tenants: out });
  });

  r.post('/local/api/messages', async (c) => {
    const body = await parseBody(c);
    if (!body.ok) return body.response;
    try {
      const sent = await localSend(app.local, body.data);
      return c.json({ conversationId: sent.conversationId, inboundMessageId: sent.inboundMessageId, duplicate: sent.duplicate, actor: { role: sent.actor.role, name: sent.actor.name } });
    } catch (err) {
      return errorResponse(c, err);
    }
  });

  r.post('/local/api/ask', async (c) => {
    const body = await parseBody(c);
    if (!body.ok) return body.response;
    try {
      return c.json(await localAsk(app.local, body.data, app.config.turnTimeoutMs + 15_000));
    } catch (err) {
      return errorResponse(c, err);
    }
  });

  r.get('/local/api/conversations/:id/messages', async (c) => {
    const tenantSlug = c.req.query('tenant') ?? '';
    const id = c.req.param('id');
    if (!z.uuid().safeParse(id).success) return c.json({ error: 'bad conversation id' }, 400);
    try {
      const tenant = await withSystem(app.db, (sql) => getTenantBySlug(sql, tenantSlug));
      const since = c.req.query('since');
      const rows = await withTenant(app.db, tenant.id, async (sql) =>
        (
          await sql.query(
            `SELECT id, direction, author, text, parts, payload, status, created_at FROM messages
             WHERE conversation_id = $1 AND (direction = 'in' OR status = 'sent') AND ($2::timestamptz IS NULL OR created_at > $2)
             ORDER BY created_at, id LIMIT 200`,
            [id, since ?? null],
          )
        ).rows,
      );
      return c.json({ messages: rows });
    } catch (err) {
      return errorResponse(c, err);
    }
  });

  r.get('/local/api/conversations/:id/stream', (c) => {
    const id = c.req.param('id');
    if (!z.uuid().safeParse(id).success) return c.json({ error: 'bad conversation id' }, 400);
    return streamSSE(c, async (stream) => {
      const unsubscribe = await app.bus.subscribe(id, (e) => {
        void stream.writeSSE({ event: e.type, data: JSON.stringify(e) }).catch(() => undefined);
      });
      stream.onAbort(() => unsubscribe());
      // Subscribed: the page re-reads history now, so nothing delivered before this moment is missed.
      await stream.writeSSE({ event: 'ready', data: '' });
      // Keep the connection alive through proxies; the page re-reads history on each event.
      while (!stream.aborted && !stream.closed) {
        await stream.writeSSE({ event: 'ping', data: '' }).catch(() => undefined);
        await stream.sleep(15_000);
      }
      unsubscribe();
    });
  });

  return r;
}

async function parseBody(c: Context): Promise<{ ok: true; data: z.infer<typeof SendSchema> } | { ok: false; response: Response }> {
  let raw: unknown;
  try {
    raw = await c.req.json();
  } catch {
    return { ok: false, response: c.json({ error: 'body must be JSON' }, 400) };
  }
  const parsed = SendSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, response: c.json({ error: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') }, 400) };
  return { ok: true, data: parsed.data };
}

function errorResponse(c: Context, err: unknown): Response {
  if (err instanceof CloserError) {
    const status = err.code === 'NOT_FOUND' ? 404 : err.code === 'TOOL_INPUT' ? 400 : err.code === 'POLICY' ? 403 : 500;
    return c.json({ error: err.message, code: err.code }, status);
  }
  throw err instanceof Error ? err : new Error(describeError(err));
}

/** The page shown without a session: how to get one (no data, no token). */
function loginPage(password: boolean, problem?: string): string {
  const form = password
    ? `<form method="post" action="/local/login"><label>Password <input type="password" name="password" autocomplete="current-password" required></label> <button>Sign in</button></form>`
    : '';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Closer — sign in</title></head><body style="font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto">
<h1>Closer · local chat</h1>${problem ? `<p style="color:#cf222e">${problem}</p>` : ''}
<p>Open the one-time link printed by <code>npx closer start</code>, or print a new one with <code>npx closer web-link</code> on this machine.</p>${form}</body></html>`;
}
