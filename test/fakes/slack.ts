import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

/** One Web API call the fake received. Form fields that carry JSON (blocks, view) are decoded. */
export interface SlackCall {
  method: string;
  token: string | undefined;
  args: Record<string, unknown>;
  /** Whether the fake answered ok (a scripted refusal is recorded too). */
  ok: boolean;
  at: number;
}

type Scripted = { status: number; headers?: Record<string, string>; body: unknown; channel?: string | undefined };

/** What Slack's authorize page would grant for a code: one workspace's bot install. */
export interface FakeGrant {
  teamId: string;
  teamName: string;
  botToken: string;
  botUserId: string;
  installerId?: string;
  enterprise?: boolean;
  refreshToken?: string;
}

/** A frame the app sent over a Socket Mode connection (acks carry `envelope_id`). */
export interface SocketFrame {
  appToken: string;
  data: Record<string, unknown>;
}

/**
 * A local stand-in for https://slack.com/api/: answers Web API calls the way
 * Slack does (HTTP 200 with `ok`, 429 with Retry-After), records them, and
 * lets a test script failures for the next calls of a method.
 */
export class FakeSlack {
  readonly calls: SlackCall[] = [];
  private readonly scripted = new Map<string, Scripted[]>();
  private server: http.Server | undefined;
  private wss: WebSocketServer | undefined;
  private seq = 0;
  url = '';
  /** The app credentials oauth.v2.access accepts. */
  oauthApp = { clientId: '111.222', clientSecret: 'fake-client-secret' };
  private readonly grants = new Map<string, FakeGrant>();
  /** App-level tokens apps.connections.open accepts. */
  readonly appTokens = new Set<string>();
  /** Open Socket Mode connections, by the app token that opened them. */
  readonly sockets = new Map<string, WebSocket>();
  /** Everything the app sent over Socket Mode. */
  readonly socketFrames: SocketFrame[] = [];
  private readonly tickets = new Map<string, string>();

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString('utf8')));
      req.on('end', () => this.handle(req, raw, res));
    });
    // Socket Mode: apps.connections.open hands out a one-time ws:// URL on this same server.
    this.wss = new WebSocketServer({ noServer: true });
    this.server.on('upgrade', (req, socket, head) => {
      const ticket = new URL(req.url ?? '/', 'http://x').searchParams.get('ticket') ?? '';
      const appToken = this.tickets.get(ticket);
      this.tickets.delete(ticket);
      if (!appToken || !req.url?.startsWith('/link/')) {
        socket.end('HTTP/1.1 401 Unauthorized\r\n\r\n');
        return;
      }
      this.wss!.handleUpgrade(req, socket, head, (ws) => {
        this.sockets.set(appToken, ws);
        ws.on('message', (raw) => {
          try {
            this.socketFrames.push({ appToken, data: JSON.parse(raw.toString()) as Record<string, unknown> });
          } catch {
            this.socketFrames.push({ appToken, data: { unparsable: raw.toString() } });
          }
        });
        ws.on('close', () => {
          if (this.sockets.get(appToken) === ws) this.sockets.delete(appToken);
        });
        ws.send(JSON.stringify({ type: 'hello', num_connections: 1, debug_info: { host: 'fake-slack' }, connection_info: { app_id: 'A1' } }));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/api/`;
    return this;
  }

  /** The fake's origin, for Slack's authorize page URL (`${origin}/oauth/v2/authorize`). */
  get origin(): string {
    return this.url.replace(/\/api\/$/, '');
  }

  async stop(): Promise<void> {
    for (const ws of this.sockets.values()) ws.terminate();
    await new Promise<void>((resolve) => (this.wss ? this.wss.close(() => resolve()) : resolve()));
    await new Promise<void>((resolve) => {
      if (!this.server) return resolve();
      (this.server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      this.server.close(() => resolve());
    });
  }

  /** The next oauth.v2.access with `code` installs this workspace (codes are single-use, as at Slack). */
  grant(code: string, grant: FakeGrant): void {
    this.grants.set(code, grant);
  }

  /** Sends a Socket Mode envelope down the connection opened with `appToken`. */
  sendEnvelope(appToken: string, envelope: Record<string, unknown>): void {
    const ws = this.sockets.get(appToken);
    if (!ws) throw new Error(`no Socket Mode connection for ${appToken.slice(0, 9)}…`);
    ws.send(JSON.stringify(envelope));
  }

  /** The acks received for one envelope. */
  acks(envelopeId: string): SocketFrame[] {
    return this.socketFrames.filter((f) => f.data.envelope_id === envelopeId);
  }

  /** The next call of `method` gets this answer instead of success. */
  script(method: string, answer: Scripted): void {
    const list = this.scripted.get(method) ?? [];
    list.push(answer);
    this.scripted.set(method, list);
  }

  /** The next call of `method` (to `channel`, if given) is refused with 429 and Retry-After. */
  rateLimitNext(method: string, retryAfterS: number, channel?: string): void {
    this.script(method, { status: 429, headers: { 'retry-after': String(retryAfterS) }, body: { ok: false, error: 'ratelimited' }, channel });
  }

  errorNext(method: string, error: string, channel?: string): void {
    this.script(method, { status: 200, body: { ok: false, error }, channel });
  }

  /** Messages Slack accepted (refused attempts are in `calls`). */
  posts(filter: (c: SlackCall) => boolean = () => true): SlackCall[] {
    return this.calls.filter((c) => c.method === 'chat.postMessage' && c.ok && filter(c));
  }

  /** Slack answers chat.postMessage with the channel's id even when it was addressed by #name. */
  readonly channelIds = new Map<string, string>();

  private handle(req: http.IncomingMessage, raw: string, res: http.ServerResponse): void {
    const method = (req.url ?? '').replace(/^\/api\//, '').split('?')[0] ?? '';
    const type = req.headers['content-type'] ?? '';
    const args: Record<string, unknown> = type.includes('json') ? (JSON.parse(raw || '{}') as Record<string, unknown>) : Object.fromEntries(new URLSearchParams(raw));
    for (const key of ['blocks', 'view', 'attachments']) {
      if (typeof args[key] === 'string') args[key] = JSON.parse(args[key]);
    }
    const auth = req.headers.authorization;
    const call: SlackCall = { method, token: auth?.replace(/^Bearer /, ''), args, ok: false, at: Date.now() };
    this.calls.push(call);
    const list = this.scripted.get(method) ?? [];
    const at = list.findIndex((x) => x.channel === undefined || x.channel === args.channel);
    const next = at >= 0 ? list.splice(at, 1)[0] : undefined;
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    if (next) return send(next.status, next.body, next.headers);
    if (method === 'oauth.v2.access') return send(200, this.oauthAccess(call, args, req.headers.authorization));
    if (method === 'apps.connections.open') return send(200, this.connectionsOpen(call, auth, req.headers.host));
    if (!auth?.startsWith('Bearer xoxb-')) return send(200, { ok: false, error: 'not_authed' });
    call.ok = true;
    this.seq += 1;
    const ts = `1700000000.${String(this.seq).padStart(6, '0')}`;
    switch (method) {
      case 'chat.postMessage':
        return send(200, { ok: true, channel: this.channelIds.get(String(args.channel)) ?? args.channel, ts, message: { text: args.text, ts } });
      case 'chat.postEphemeral':
        return send(200, { ok: true, message_ts: ts });
      case 'views.publish':
        return send(200, { ok: true, view: { id: `V${this.seq}` } });
      case 'auth.test': {
        const granted = [...this.grantedTokens.values()].find((g) => g.botToken === call.token);
        return send(200, { ok: true, team_id: granted?.teamId ?? 'T1', user_id: granted?.botUserId ?? 'UBOT', bot_id: 'BBOT' });
      }
      default:
        return send(200, { ok: false, error: 'unknown_method' });
    }
  }

  private readonly grantedTokens = new Map<string, FakeGrant>();

  /** oauth.v2.access: app credentials in the form (or HTTP Basic), a code from grant(); answers like Slack's v2 response. */
  private oauthAccess(call: SlackCall, args: Record<string, unknown>, authorization: string | undefined): Record<string, unknown> {
    let id = String(args.client_id ?? '');
    let secret = String(args.client_secret ?? '');
    if (authorization?.startsWith('Basic ')) [id, secret] = Buffer.from(authorization.slice(6), 'base64').toString().split(':') as [string, string];
    if (id !== this.oauthApp.clientId || secret !== this.oauthApp.clientSecret) return { ok: false, error: 'invalid_client_id' };
    const code = String(args.code ?? '');
    const g = this.grants.get(code);
    if (!g) return { ok: false, error: 'invalid_code' };
    this.grants.delete(code);
    this.grantedTokens.set(g.botToken, g);
    call.ok = true;
    return {
      ok: true,
      app_id: 'A1',
      authed_user: { id: g.installerId ?? 'UINSTALLER' },
      scope: 'chat:write,im:history,app_mentions:read,channels:history,commands',
      token_type: 'bot',
      access_token: g.botToken,
      bot_user_id: g.botUserId,
      ...(g.refreshToken ? { refresh_token: g.refreshToken, expires_in: 43_200 } : {}),
      team: g.enterprise ? null : { id: g.teamId, name: g.teamName },
      enterprise: g.enterprise ? { id: 'E1', name: 'Grid' } : null,
      is_enterprise_install: Boolean(g.enterprise),
    };
  }

  /** apps.connections.open: an app-level token registered in `appTokens` gets a one-time WebSocket URL. */
  private connectionsOpen(call: SlackCall, auth: string | undefined, host: string | undefined): Record<string, unknown> {
    const token = auth?.replace(/^Bearer /, '') ?? '';
    if (!token.startsWith('xapp-')) return { ok: false, error: 'not_allowed_token_type' };
    if (!this.appTokens.has(token)) return { ok: false, error: 'invalid_auth' };
    const ticket = crypto.randomUUID();
    this.tickets.set(ticket, token);
    call.ok = true;
    return { ok: true, url: `ws://${host ?? '127.0.0.1'}/link/?ticket=${ticket}` };
  }
}

/** Signs a request body exactly as Slack does (v0 HMAC-SHA256 over `v0:<ts>:<body>`). */
export function slackSignature(secret: string, body: string, timestampS: number): Record<string, string> {
  const sig = `v0=${crypto.createHmac('sha256', secret).update(`v0:${timestampS}:${body}`).digest('hex')}`;
  return { 'x-slack-signature': sig, 'x-slack-request-timestamp': String(timestampS) };
}

export function slackEvent(teamId: string, eventId: string, event: Record<string, unknown>): string {
  return JSON.stringify({ token: 'x', team_id: teamId, api_app_id: 'A1', type: 'event_callback', event_id: eventId, event_time: Math.floor(Date.now() / 1000), event });
}

export function slackAction(teamId: string, user: string, channel: string, value: unknown, extra: { messageTs?: string; threadTs?: string; triggerId?: string } = {}): string {
  const payload = {
    type: 'block_actions',
    team: { id: teamId },
    user: { id: user, team_id: teamId },
    channel: { id: channel },
    container: { type: 'message', message_ts: extra.messageTs ?? '1.1', ...(extra.threadTs ? { thread_ts: extra.threadTs } : {}) },
    trigger_id: extra.triggerId ?? `trig-${crypto.randomUUID()}`,
    actions: [{ action_id: 'closer_0_0', block_id: 'b', value: JSON.stringify(value), action_ts: String(Date.now() / 1000) }],
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

export function slackCommand(teamId: string, user: string, channel: string, text: string): string {
  return new URLSearchParams({ team_id: teamId, user_id: user, channel_id: channel, command: '/closer', text, trigger_id: `trig-${crypto.randomUUID()}`, response_url: 'http://127.0.0.1:1/unused' }).toString();
}
