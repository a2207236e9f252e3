import { generateKeyPairSync, randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { startJsonServer } from '../contract/fake-server.ts';

export interface TeamsActivityIn {
  type: string;
  text?: string;
  textFormat?: string;
  from?: { id: string };
  recipient?: { id: string };
  conversation?: { id: string };
  attachments?: { contentType: string; content: { body?: unknown[]; actions?: { type: string; title: string; data?: Record<string, unknown> }[] } }[];
}

export interface TeamsPosted {
  conversationId: string;
  activity: TeamsActivityIn;
  /** Whether the post carried a bearer token (anonymous bots send none). */
  authorized: boolean;
  at: number;
}

type Scripted = { kind: 'rate'; retryAfter: number };

/** All text a card shows (TextBlocks anywhere in it, FactSet facts), for tests that read a reply. */
export function cardText(node: unknown): string[] {
  if (Array.isArray(node)) return node.flatMap(cardText);
  if (!node || typeof node !== 'object') return [];
  const o = node as Record<string, unknown>;
  const own = o.type === 'TextBlock' && typeof o.text === 'string' ? [o.text] : [];
  const facts = o.type === 'FactSet' && Array.isArray(o.facts) ? (o.facts as { title: string; value: string }[]).map((f) => `${f.title}: ${f.value}`) : [];
  return [...own, ...facts, ...Object.entries(o).flatMap(([k, v]) => (k === 'actions' ? [] : cardText(v)))];
}

/**
 * The outside world of a Teams bot, on loopback:
 *  - an Entra-like issuer: OpenID metadata and JWKS under /<tenant>/, the
 *    client-credentials token endpoint /<tenant>/oauth2/v2.0/token, and
 *    tokens for inbound activities signed with its RSA key (RS256, kid,
 *    iss, aud = app id, serviceurl claim), as the Bot Framework signs them;
 *  - a Bot Connector (the activities' serviceUrl): POST
 *    /v3/conversations/{id}/activities needs a bearer token this issuer
 *    gave out, answers 200 {id}, 429 with Retry-After when told, 403
 *    ConversationBlockedByUser for a blocked user and 404
 *    ConversationNotFound for a conversation it never saw.
 */
export class FakeTeams {
  readonly tenantId = randomUUID();
  readonly appId = randomUUID();
  readonly appPassword = `fake~${randomBytes(18).toString('base64url')}`;
  readonly posted: TeamsPosted[] = [];
  readonly refused: { conversationId: string; status: number; at: number }[] = [];
  readonly tokenRequests: Record<string, string>[] = [];
  private readonly kid = randomBytes(8).toString('hex');
  private readonly keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
  /** Another key with the same kid: a token signed with it has a bad signature. */
  private readonly forger = generateKeyPairSync('rsa', { modulusLength: 2048 });
  private readonly issued = new Set<string>();
  private readonly conversations = new Set<string>();
  /** Conversations of a bot with no app id (the Emulator's model): posts without a token are accepted. */
  private readonly anonymous = new Set<string>();
  private readonly scripted = new Map<string, Scripted[]>();
  private readonly blocked = new Set<string>();
  private server?: { url: string; close(): Promise<void> };

  get url(): string {
    if (!this.server) throw new Error('fake Teams not started');
    return this.server.url;
  }

  /** The issuer of the tokens this fake signs: Entra v2 form under the fake's authority. */
  get issuer(): string {
    return `${this.url}/${this.tenantId}/v2.0`;
  }

  async start(): Promise<this> {
    const jwk = { ...this.keys.publicKey.export({ format: 'jwk' }), kid: this.kid, use: 'sig', alg: 'RS256' };
    this.server = await startJsonServer((method, rawPath, body, headers) => {
      const path = rawPath.split('?')[0]!;
      const t = `/${this.tenantId}`;
      if (method === 'GET' && path === `${t}/v2.0/.well-known/openid-configuration`) {
        return {
          status: 200,
          body: { issuer: this.issuer, jwks_uri: `${this.url}${t}/discovery/v2.0/keys`, token_endpoint: `${this.url}${t}/oauth2/v2.0/token`, id_token_signing_alg_values_supported: ['RS256'] },
        };
      }
      if (method === 'GET' && path === `${t}/discovery/v2.0/keys`) return { status: 200, body: { keys: [jwk] } };
      if (method === 'POST' && path === `${t}/oauth2/v2.0/token`) return this.token(typeof body === 'string' ? body : '');
      const m = /^\/v3\/conversations\/([^/]+)\/activities$/.exec(path);
      if (method === 'POST' && m) return this.activity(decodeURIComponent(m[1]!), headers.authorization, body as TeamsActivityIn);
      return { status: 404, body: { error: { code: 'NotFound', message: `no route ${method} ${path}` } } };
    });
    return this;
  }

  private token(form: string) {
    const p = Object.fromEntries(new URLSearchParams(form));
    this.tokenRequests.push(p);
    if (p.grant_type !== 'client_credentials' || p.client_id !== this.appId || p.client_secret !== this.appPassword) {
      return { status: 401, body: { error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.' } };
    }
    if (p.scope !== 'https://api.botframework.com/.default') return { status: 400, body: { error: 'invalid_scope', error_description: `AADSTS70011: bad scope ${p.scope}` } };
    const access = jwt.sign({ appid: this.appId, tid: this.tenantId }, this.keys.privateKey, { algorithm: 'RS256', keyid: this.kid, issuer: this.issuer, audience: 'https://api.botframework.com', expiresIn: 3600 });
    this.issued.add(access);
    return { status: 200, body: { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: access } };
  }

  private activity(conversationId: string, authorization: string | undefined, activity: TeamsActivityIn) {
    const token = authorization?.startsWith('Bearer ') ? authorization.slice(7) : '';
    if (!this.issued.has(token) && !(this.anonymous.has(conversationId) && !authorization)) return { status: 401, body: { message: 'Authorization has been denied for this request.' } };
    if (!this.conversations.has(conversationId)) return { status: 404, body: { error: { code: 'ConversationNotFound', message: 'Conversation not found.' } } };
    if (this.blocked.has(conversationId)) {
      this.refused.push({ conversationId, status: 403, at: Date.now() });
      return { status: 403, body: { error: { code: 'ConversationBlockedByUser', message: 'User blocked the conversation with the bot.' } } };
    }
    const next = this.scripted.get(conversationId)?.shift();
    if (next) {
      this.refused.push({ conversationId, status: 429, at: Date.now() });
      return { status: 429, headers: { 'retry-after': String(next.retryAfter) }, body: { error: { code: 'TooManyRequests', message: 'Too many requests.' } } };
    }
    this.posted.push({ conversationId, activity, authorized: Boolean(authorization), at: Date.now() });
    return { status: 200, body: { id: `1:${randomBytes(12).toString('base64url')}` } };
  }

  /** The connector knows this conversation (a user started it). */
  openConversation(conversationId: string, opts: { anonymous?: boolean } = {}): void {
    this.conversations.add(conversationId);
    if (opts.anonymous) this.anonymous.add(conversationId);
  }

  /** A token for an inbound activity, as the channel signs it: aud = app id, serviceurl = the activity's serviceUrl. */
  inboundToken(serviceUrl: string, opts: { forged?: boolean; audience?: string; issuer?: string; expiredS?: number } = {}): string {
    const key: KeyObject = opts.forged ? this.forger.privateKey : this.keys.privateKey;
    const now = Math.floor(Date.now() / 1000);
    const exp = opts.expiredS ? now - opts.expiredS : now + 3600;
    return jwt.sign({ serviceurl: serviceUrl, appid: this.appId, tid: this.tenantId, nbf: now - 60, exp, iat: now - 60 }, key, {
      algorithm: 'RS256',
      keyid: this.kid,
      issuer: opts.issuer ?? this.issuer,
      audience: opts.audience ?? this.appId,
    });
  }

  rateLimit(conversationId: string, retryAfterSeconds: number, times = 1): void {
    const list = this.scripted.get(conversationId) ?? [];
    for (let i = 0; i < times; i++) list.push({ kind: 'rate', retryAfter: retryAfterSeconds });
    this.scripted.set(conversationId, list);
  }

  block(conversationId: string): void {
    this.blocked.add(conversationId);
  }

  postedTo(conversationId: string): TeamsPosted[] {
    return this.posted.filter((p) => p.conversationId === conversationId);
  }

  async close(): Promise<void> {
    await this.server?.close();
  }
}
