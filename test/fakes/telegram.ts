import { startJsonServer } from '../contract/fake-server.ts';

export interface TelegramSent {
  method: string;
  chatId: string;
  text: string;
  buttons: { text: string; data: string }[];
  at: number;
  /** The message_id this fake answered with (what the product stores as platform_sent_id). */
  messageId: number;
}

type Scripted = { kind: 'rate'; retryAfter: number } | { kind: 'blocked' };

/**
 * Answers like the Telegram Bot API (https://core.telegram.org/bots/api):
 * POST /bot<token>/<method> with a JSON body, `{ ok, result }` or
 * `{ ok: false, error_code, description, parameters }`. Records what it was
 * asked to send, and can be told to refuse a chat (429 with retry_after, or
 * 403 "bot was blocked by the user").
 */
export class FakeTelegram {
  readonly sent: TelegramSent[] = [];
  readonly calls: { method: string; body: unknown }[] = [];
  /** Sends this fake refused, with when: tests check a retry came after the wait it was told. */
  readonly refused: { chatId: string; status: number; at: number }[] = [];
  private readonly scripted = new Map<string, Scripted[]>();
  private readonly blocked = new Set<string>();
  private nextId = 1;
  private server?: { url: string; close(): Promise<void> };
  /** Called for every message this fake accepted (the soak waits on it instead of polling). */
  onSent?: (sent: TelegramSent) => void;

  constructor(readonly token = `7000000001:${'A'.repeat(35)}`) {}

  get url(): string {
    if (!this.server) throw new Error('fake Telegram not started');
    return this.server.url;
  }

  get botId(): string {
    return this.token.split(':')[0]!;
  }

  async start(): Promise<this> {
    this.server = await startJsonServer((_m, path, body) => {
      const match = /^\/bot([^/]+)\/(\w+)$/.exec(path);
      if (!match || match[1] !== this.token) return { status: 401, body: { ok: false, error_code: 401, description: 'Unauthorized' } };
      const method = match[2]!;
      const b = (body ?? {}) as Record<string, unknown>;
      this.calls.push({ method, body: b });
      if (method === 'getMe') return { status: 200, body: { ok: true, result: { id: Number(this.botId), is_bot: true, first_name: 'Fake bot', username: 'fake_bot', can_join_groups: false, can_read_all_group_messages: false, supports_inline_queries: false } } };
      if (method === 'answerCallbackQuery' || method === 'setWebhook' || method === 'deleteWebhook') return { status: 200, body: { ok: true, result: true } };
      if (method === 'getUpdates') return { status: 200, body: { ok: true, result: [] } };
      if (method !== 'sendMessage') return { status: 404, body: { ok: false, error_code: 404, description: 'Not Found: method not found' } };
      const chatId = String(b.chat_id);
      if (this.blocked.has(chatId)) this.refused.push({ chatId, status: 403, at: Date.now() });
      if (this.blocked.has(chatId)) return { status: 403, body: { ok: false, error_code: 403, description: 'Forbidden: bot was blocked by the user' } };
      const next = this.scripted.get(chatId)?.shift();
      if (next) this.refused.push({ chatId, status: next.kind === 'rate' ? 429 : 403, at: Date.now() });
      if (next?.kind === 'rate')
        return { status: 429, body: { ok: false, error_code: 429, description: `Too Many Requests: retry after ${next.retryAfter}`, parameters: { retry_after: next.retryAfter } } };
      if (next?.kind === 'blocked') return { status: 403, body: { ok: false, error_code: 403, description: 'Forbidden: bot was blocked by the user' } };
      const markup = b.reply_markup as { inline_keyboard?: { text: string; callback_data: string }[][] } | undefined;
      const buttons = (markup?.inline_keyboard ?? []).flat().map((k) => ({ text: k.text, data: k.callback_data }));
      const id = this.nextId++;
      const record = { method, chatId, text: String(b.text ?? ''), buttons, at: Date.now(), messageId: id };
      this.sent.push(record);
      this.onSent?.(record);
      return { status: 200, body: { ok: true, result: { message_id: id, date: Math.floor(Date.now() / 1000), chat: { id: Number(chatId), type: 'private' }, text: b.text } } };
    });
    return this;
  }

  /** The next `times` sends to this chat get 429 with retry_after seconds. */
  rateLimit(chatId: string, retryAfterSeconds: number, times = 1): void {
    const list = this.scripted.get(chatId) ?? [];
    for (let i = 0; i < times; i++) list.push({ kind: 'rate', retryAfter: retryAfterSeconds });
    this.scripted.set(chatId, list);
  }

  block(chatId: string): void {
    this.blocked.add(chatId);
  }

  sentTo(chatId: string): TelegramSent[] {
    return this.sent.filter((s) => s.chatId === chatId);
  }

  async close(): Promise<void> {
    await this.server?.close();
  }
}
