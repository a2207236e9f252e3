import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

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

/**
 * A local stand-in for https://slack.com/api/: answers Web API calls the way
 * Slack does (HTTP 200 with `ok`, 429 with Retry-After), records them, and
 * lets a test script failures for the next calls of a method.
 */
export class FakeSlack {
  readonly calls: SlackCall[] = [];
  private readonly scripted = new Map<string, Scripted[]>();
  private server: http.Server | undefined;
  private seq = 0;
  url = '';

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString('utf8')));
      req.on('end', () => this.handle(req, raw, res));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/api/`;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
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
      case 'auth.test':
        return send(200, { ok: true, team_id: 'T1', user_id: 'UBOT', bot_id: 'BBOT' });
      default:
        return send(200, { ok: false, error: 'unknown_method' });
    }
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
