import { authorizeJWT, type AuthConfiguration, type Request as SdkRequest, type WebResponse } from '@microsoft/agents-hosting';
import { z } from 'zod';
import { ChannelApiError } from '../../errors.ts';
import type { TeamsSettings } from './account.ts';

/**
 * The SDK's token validation for one account. Tokens come from two kinds of
 * issuer:
 *  - the Bot Framework (iss https://api.botframework.com): the SDK fetches
 *    its signing keys from login.botframework.com (a URL it hard-codes);
 *  - Entra ID (iss https://login.microsoftonline.com/<tenant>/v2.0 or
 *    https://sts.windows.net/<tenant>/): keys from `<authority>/<tenant>/discovery/v2.0/keys`,
 *    where the authority is the account's --auth-url (sovereign clouds, and
 *    the local fake issuer the tests run).
 * The audience must be the app id, the signature RS256 and the token
 * unexpired (5 min clock skew). validateIssuer is off by default in the
 * SDK; it is turned on so a token from another Entra tenant (the signing keys
 * are shared by all tenants of a cloud) is refused.
 */
export function sdkAuthConfig(s: TeamsSettings): AuthConfiguration {
  const connection: AuthConfiguration = {
    clientId: s.appId,
    ...(s.appTenantId ? { tenantId: s.appTenantId } : {}),
    authority: s.authority,
    validateIssuer: true,
  };
  return { ...connection, connections: new Map([['serviceConnection', connection]]) };
}

export type Verified = { ok: true; claims: Record<string, unknown> } | { ok: false; error: string };

/** A response object just capable enough for the SDK's middleware: it records the refusal instead of writing one. */
function captureResponse(): WebResponse & { code: number; body: unknown } {
  const res = {
    code: 200,
    body: undefined as unknown,
    headersSent: false,
    writableEnded: false,
    status(code: number) {
      res.code = code;
      return res;
    },
    setHeader() {
      return res;
    },
    send(body?: unknown) {
      res.body = body;
      res.headersSent = true;
      res.writableEnded = true;
      return res;
    },
    end() {
      res.writableEnded = true;
      return res;
    },
  };
  return res;
}

/** Runs the SDK's authorizeJWT on a request's Authorization header. Credentials mode only. */
export async function verifyBearer(config: AuthConfiguration, authorization: string | undefined): Promise<Verified> {
  if (!authorization) return { ok: false, error: 'authorization header not found' };
  const req: SdkRequest = { method: 'POST', headers: { authorization } };
  const res = captureResponse();
  let passed = false;
  await authorizeJWT(config)(req, res, () => {
    passed = true;
  });
  if (!passed || !req.user) {
    const body = res.body as { 'jwt-auth-error'?: unknown } | undefined;
    return { ok: false, error: String(body?.['jwt-auth-error'] ?? 'unauthorized') };
  }
  return { ok: true, claims: { ...req.user } };
}

/**
 * The Bot Framework puts the serviceUrl the activity came through in the
 * token (claim `serviceurl`): an activity whose serviceUrl differs was not
 * sent by that channel. Entra-issued tokens have no such claim.
 */
export function serviceUrlClaimMismatch(claims: Record<string, unknown>, serviceUrl: string): boolean {
  const claimed = claims.serviceurl ?? claims.serviceUrl;
  if (claimed === undefined) return false;
  const norm = (u: unknown) => (typeof u === 'string' ? u.trim().replace(/\/+$/, '').toLowerCase() : '');
  return norm(claimed) !== norm(serviceUrl);
}

const TokenResponseSchema = z.object({ access_token: z.string().min(1), expires_in: z.coerce.number().positive() });
const TokenErrorSchema = z.object({ error: z.string().optional(), error_description: z.string().optional() }).loose();

/** The Bot Connector's audience in the cloud of the authority. */
export function connectorScope(authority: string): string {
  return /login\.microsoftonline\.us/i.test(authority) ? 'https://api.botframework.us/.default' : 'https://api.botframework.com/.default';
}

/**
 * Bot tokens for replies: the OAuth 2.0 client-credentials grant against
 * `<authority>/<tenant>/oauth2/v2.0/token`, cached per app until five
 * minutes before it expires.
 *
 * Why not the SDK's MsalTokenProvider: MSAL refuses any authority that is
 * not https (ClientConfigurationError authorityUriInsecure) and the SDK
 * builds its MSAL client with no way to pass known authorities, authority
 * metadata or a CA, so it cannot be pointed at a local fake issuer. This is
 * the same single request MSAL makes for a client secret, so tests and
 * production share one path.
 */
export class BotTokenClient {
  private readonly cache = new Map<string, { token: string; until: number }>();
  private readonly inflight = new Map<string, Promise<string>>();

  async token(s: TeamsSettings): Promise<string> {
    if (!s.appId || !s.appPassword) {
      throw new ChannelApiError('Teams account has no app id or app password; add it again with `closer channels add msteams --app-id … --app-password …`.', 'msteams', true);
    }
    const tenant = s.appTenantId ?? 'botframework.com';
    const url = `${s.authority}/${encodeURIComponent(tenant)}/oauth2/v2.0/token`;
    const key = `${url}|${s.appId}|${s.appPassword}`;
    const hit = this.cache.get(key);
    if (hit && hit.until > Date.now()) return hit.token;
    let pending = this.inflight.get(key);
    if (!pending) {
      pending = this.fetchToken(url, s.appId, s.appPassword, connectorScope(s.authority)).then(
        ({ token, expiresInS }) => {
          this.cache.set(key, { token, until: Date.now() + Math.max(0, expiresInS - 300) * 1000 });
          return token;
        },
      );
      this.inflight.set(key, pending);
      void pending.finally(() => this.inflight.delete(key)).catch(() => undefined);
    }
    return pending;
  }

  /** Forget a token the connector refused (revoked secret, rotated keys): the next send fetches a new one. */
  forget(s: TeamsSettings): void {
    for (const key of this.cache.keys()) if (key.includes(`|${s.appId}|`)) this.cache.delete(key);
  }

  private async fetchToken(url: string, clientId: string, clientSecret: string, scope: string): Promise<{ token: string; expiresInS: number }> {
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret, scope }),
        signal: AbortSignal.timeout(15_000),
      });
    } catch (err) {
      throw new ChannelApiError(`Microsoft Entra could not be reached for a bot token: ${(err as Error).message}`, 'msteams', false);
    }
    const text = await res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (res.ok) {
      const ok = TokenResponseSchema.safeParse(body);
      if (ok.success) return { token: ok.data.access_token, expiresInS: ok.data.expires_in };
      throw new ChannelApiError('Microsoft Entra answered the token request without an access token.', 'msteams', false);
    }
    const e = TokenErrorSchema.safeParse(body);
    const detail = e.success ? [e.data.error, e.data.error_description?.split('\n')[0]].filter(Boolean).join(': ') : text.slice(0, 200);
    if (res.status === 429 || res.status >= 500) throw new ChannelApiError(`Microsoft Entra token endpoint error ${res.status}: ${detail}`, 'msteams', false);
    throw new ChannelApiError(
      `Microsoft Entra refused the bot's credentials (${res.status}): ${detail}. Check --app-id (the Microsoft App ID), --app-password (the client secret's value, not its id) and --app-tenant-id (the app's directory for a single-tenant bot).`,
      'msteams',
      true,
    );
  }
}
