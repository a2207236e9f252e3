import crypto from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { LRUCache } from 'lru-cache';
import { isLoopbackHost } from '../../config.ts';
import { sameSecret } from '../guard.ts';

/** The cookie that carries a local-chat session (HttpOnly, SameSite=Strict: no page script and no other site can use it). */
export const SESSION_COOKIE = 'closer_local';
const LINK_TTL_MS = 24 * 3600_000;
const SESSION_TTL_MS = 12 * 3600_000;

const digest = (secret: string) => crypto.createHash('sha256').update(secret).digest('base64url');

/**
 * The local chat's sessions: a one-time login link (printed by `closer start`
 * and `closer web-link`) is exchanged once for a session cookie. Nothing that
 * grants access is ever put in a page. Only hashes are kept, in bounded
 * caches, so a flood of bogus links or cookies costs no memory.
 */
export class LocalSessions {
  private readonly links = new LRUCache<string, true>({ max: 64, ttl: LINK_TTL_MS });
  private readonly sessions = new LRUCache<string, true>({ max: 1_000, ttl: SESSION_TTL_MS });

  /** A fresh one-time link token (valid for a day, until used). */
  newLinkToken(): string {
    const token = crypto.randomBytes(32).toString('base64url');
    this.links.set(digest(token), true);
    return token;
  }

  /** Spends a link token; the new session id, or undefined if the link was used, expired or never issued. */
  redeem(token: string): string | undefined {
    const key = digest(token);
    if (!this.links.get(key)) return undefined;
    this.links.delete(key);
    return this.newSession();
  }

  newSession(): string {
    const id = crypto.randomBytes(32).toString('base64url');
    this.sessions.set(digest(id), true);
    return id;
  }

  valid(sessionId: string | undefined): boolean {
    return Boolean(sessionId && this.sessions.get(digest(sessionId)));
  }
}

export function setSessionCookie(c: Context, sessionId: string): void {
  setCookie(c, SESSION_COOKIE, sessionId, { httpOnly: true, sameSite: 'Strict', path: '/', maxAge: SESSION_TTL_MS / 1000 });
}

export function hasSession(c: Context, sessions: LocalSessions): boolean {
  return sessions.valid(getCookie(c, SESSION_COOKIE));
}

export { sameSecret };

/**
 * Host and Origin checks against DNS rebinding: a web page on any site can
 * make the browser resolve its own name to 127.0.0.1 and talk to us, but it
 * cannot change the Host it sends (its own name) nor the Origin. Requests for
 * the local chat must name this machine (or a host the operator allowed), and
 * a browser's Origin, when sent, must be that same host.
 */
export function hostGuard(allowedHosts: readonly string[]): MiddlewareHandler {
  const allowed = new Set(allowedHosts.map((h) => h.toLowerCase()));
  const hostOk = (host: string | undefined) => {
    if (!host) return false;
    const name = host.replace(/:\d+$/, '').toLowerCase();
    return isLoopbackHost(name) || allowed.has(name);
  };
  return async (c, next) => {
    const host = c.req.header('host');
    if (!hostOk(host)) return c.json({ error: 'this host name is not allowed for the local chat' }, 403);
    const origin = c.req.header('origin');
    if (origin !== undefined) {
      let ok = false;
      try {
        ok = new URL(origin).host.toLowerCase() === host!.toLowerCase();
      } catch {
        ok = false;
      }
      if (!ok) return c.json({ error: 'cross-origin requests are refused' }, 403);
    }
    await next();
  };
}
