import crypto from 'node:crypto';
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

const PAGE = fileURLToPath(new URL('./web/index.html', import.meta.url));

const SendSchema = z.object({
  tenant: z.string().min(1).max(64),
  as: z.string().min(1).max(200),
  text: z.string().max(4_000).optional(),
  payload: ButtonPayloadSchema.optional(),
  chat: z.string().max(60).optional(),
  messageId: z.string().min(1).max(200).optional(),
});

/**
 * The local channel over HTTP: the web chat page and its API, and the
 * endpoint a second `closer ask` process uses to run a turn in this one.
 * Every API call needs this process's token (embedded in the page, and in
 * `.closer/closer.lock` for the CLI).
 */
export function localRoutes(app: App, token: string): Hono {
  const r = new Hono();
  const html = () => fs.readFileSync(PAGE, 'utf8').replace('__CLOSER_TOKEN__', token);

  r.get('/', (c) => c.html(html()));

  r.use('/local/api/*', async (c, next) => {
    const given = c.req.header('x-closer-token') ?? c.req.query('token') ?? '';
    const a = Buffer.from(given);
    const b = Buffer.from(token);
    if (a.length !== b.length || !crypto.timingSafeEqual(a, b)) return c.json({ error: 'missing or wrong local token' }, 401);
    await next();
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
