import { createHmac, randomUUID } from 'node:crypto';
import { startJsonServer } from '../contract/fake-server.ts';

export interface LineSent {
  via: 'reply' | 'push';
  to: string;
  messages: { type: string; text?: string; altText?: string; quickReply?: { items: { action: { label: string; data: string } }[] } }[];
  at: number;
}

type Scripted = { kind: 'rate'; retryAfter: number };

/**
 * Answers like the LINE Messaging API (https://developers.line.biz/en/reference/messaging-api/):
 * POST /v2/bot/message/reply and /push with a Bearer token. Reply tokens are
 * the ones this fake issued for webhook events, usable once; pushes to a
 * blocked user get 400 naming 'to'; a chat can be told to get 429 with
 * Retry-After.
 */
export class FakeLine {
  readonly sent: LineSent[] = [];
  readonly refusedReplies: string[] = [];
  /** Calls this fake refused, with when: tests check a retry came after the wait it was told. */
  readonly refused: { to: string; status: number; at: number }[] = [];
  private readonly tokens = new Map<string, string>();
  private readonly scripted = new Map<string, Scripted[]>();
  private readonly blocked = new Set<string>();
  private readonly retryKeys = new Set<string>();
  private server?: { url: string; close(): Promise<void> };

  constructor(
    readonly channelSecret = 'fake-line-channel-secret-0123456789',
    readonly accessToken = `fake-line-access-token-${randomUUID()}`,
  ) {}

  get url(): string {
    if (!this.server) throw new Error('fake LINE not started');
    return this.server.url;
  }

  async start(): Promise<this> {
    this.server = await startJsonServer((method, path, body, headers) => {
      if (headers.authorization !== `Bearer ${this.accessToken}`) return { status: 401, body: { message: 'Authentication failed' } };
      const b = (body ?? {}) as { replyToken?: string; to?: string; messages?: LineSent['messages'] };
      if (method === 'POST' && path === '/v2/bot/message/reply') {
        const to = b.replyToken ? this.tokens.get(b.replyToken) : undefined;
        // A user who blocked the account sends no events, so there is no live token for them.
        if (!to || !b.replyToken || this.blocked.has(to)) {
          this.refusedReplies.push(String(b.replyToken));
          return { status: 400, body: { message: 'Invalid reply token' } };
        }
        this.tokens.delete(b.replyToken);
        return this.deliver('reply', to, b.messages ?? []);
      }
      if (method === 'POST' && path === '/v2/bot/message/push') {
        const to = String(b.to);
        const retryKey = headers['x-line-retry-key'];
        if (typeof retryKey === 'string' && this.retryKeys.has(retryKey)) return { status: 409, body: { message: 'The retry key is already accepted' } };
        if (this.blocked.has(to)) this.refused.push({ to, status: 400, at: Date.now() });
        if (this.blocked.has(to)) return { status: 400, body: { message: "The property, 'to', in the request body is invalid (line: -, column: -)" } };
        const r = this.deliver('push', to, b.messages ?? []);
        if (r.status === 200 && typeof retryKey === 'string') this.retryKeys.add(retryKey);
        return r;
      }
      return { status: 404, body: { message: 'Not found' } };
    });
    return this;
  }

  private deliver(via: 'reply' | 'push', to: string, messages: LineSent['messages']) {
    const next = this.scripted.get(to)?.shift();
    if (next) this.refused.push({ to, status: 429, at: Date.now() });
    if (next) return { status: 429, headers: { 'retry-after': String(next.retryAfter) }, body: { message: 'The API rate limit has been exceeded. Try again later.' } };
    this.sent.push({ via, to, messages, at: Date.now() });
    return { status: 200, body: { sentMessages: messages.map(() => ({ id: String(Math.floor(Math.random() * 1e15)), quoteToken: randomUUID() })) } };
  }

  /** A reply token for a webhook event this fake "sends"; valid until used. */
  issueReplyToken(userId: string): string {
    const token = randomUUID().replace(/-/g, '');
    this.tokens.set(token, userId);
    return token;
  }

  /** Signs a webhook body exactly as LINE does: base64 HMAC-SHA256 of the raw body with the channel secret. */
  sign(body: string): string {
    return createHmac('sha256', this.channelSecret).update(body).digest('base64');
  }

  rateLimit(userId: string, retryAfterSeconds: number, times = 1): void {
    const list = this.scripted.get(userId) ?? [];
    for (let i = 0; i < times; i++) list.push({ kind: 'rate', retryAfter: retryAfterSeconds });
    this.scripted.set(userId, list);
  }

  block(userId: string): void {
    this.blocked.add(userId);
  }

  sentTo(userId: string): LineSent[] {
    return this.sent.filter((s) => s.to === userId);
  }

  async close(): Promise<void> {
    await this.server?.close();
  }
}
