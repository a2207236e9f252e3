import type { Update } from 'grammy/types';
import { z } from 'zod';
import type { InboundMessage } from '../../core/messages/types.ts';
import type { ChannelAccount } from '../accounts.ts';
import { supportedLocale, type PayloadCodec } from '../render/payloads.ts';

export interface NormalisedUpdate {
  message: InboundMessage;
  /** `/lang xx`: the customer chose a language; store it before the turn runs. */
  setLocale?: 'en' | 'th' | 'ar' | undefined;
  callbackQueryId?: string | undefined;
}

const User = z.object({ id: z.number().int(), first_name: z.string().max(1000).optional(), last_name: z.string().max(1000).optional(), language_code: z.string().max(40).optional() }).loose();
const Chat = z.object({ id: z.number().int(), type: z.string().max(40) }).loose();

/**
 * The fields of an update this bot reads, checked before grammY or our code
 * touch it: a body that is JSON but not an update (wrong types, missing ids)
 * must not reach code that assumes Telegram's shapes. Other fields and other
 * update kinds pass through (they are ignored later).
 */
export const TelegramUpdateSchema = z
  .object({
    update_id: z.number().int().nonnegative(),
    message: z.object({ message_id: z.number().int(), chat: Chat, from: User.optional(), text: z.string().max(10_000).optional() }).loose().optional(),
    callback_query: z.object({ id: z.string().max(200), from: User, data: z.string().max(200).optional(), message: z.object({ chat: Chat }).loose().optional() }).loose().optional(),
  })
  .loose();

export const HELP_WORD = { en: 'help', th: 'ช่วยเหลือ', ar: 'مساعدة' } as const;

const DEEP_LINK = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * A Telegram update as our InboundMessage, or undefined for updates a
 * customer bot ignores (groups, edits, stickers). Commands become what the
 * rest of the system already understands: /start is an opt-in (its deep-link
 * parameter is the lead's source), /stop an opt-out, both through the
 * set_consent tool; /help the help menu; /lang a language choice.
 */
export async function normaliseUpdate(update: Update, account: ChannelAccount, codec: PayloadCodec, receivedAt: Date): Promise<NormalisedUpdate | undefined> {
  const base = { tenantId: account.tenantId, channel: 'telegram' as const, channelAccountId: account.id, platformMessageId: String(update.update_id), receivedAt };
  if (update.callback_query) {
    const q = update.callback_query;
    const chat = q.message?.chat;
    if (chat && chat.type !== 'private') return undefined;
    const payload = q.data ? await codec.decode(q.data) : undefined;
    const from = q.from;
    return {
      callbackQueryId: q.id,
      message: {
        ...base,
        externalChatId: String(chat?.id ?? from.id),
        externalUserId: String(from.id),
        displayName: [from.first_name, from.last_name].filter(Boolean).join(' '),
        locale: supportedLocale(from.language_code),
        // A button we cannot read any more (expired long payload) still reaches the agent as the label's text.
        ...(payload ? { payload } : { text: '/help' }),
      },
    };
  }
  const m = update.message;
  if (!m || m.chat.type !== 'private' || !m.from || typeof m.text !== 'string') return undefined;
  const from = m.from;
  const message: InboundMessage = {
    ...base,
    externalChatId: String(m.chat.id),
    externalUserId: String(from.id),
    displayName: [from.first_name, from.last_name].filter(Boolean).join(' '),
    locale: supportedLocale(from.language_code),
    text: m.text,
  };
  const command = /^\/([a-z]+)(?:@\w+)?(?:\s+(.*))?$/is.exec(m.text.trim());
  if (!command) return { message };
  const name = command[1]!.toLowerCase();
  const arg = command[2]?.trim();
  switch (name) {
    case 'start': {
      const source = arg && DEEP_LINK.test(arg) ? arg : undefined;
      return { message: { ...message, text: undefined, payload: { action: 'set_consent', args: { consent: 'opted_in' } }, meta: { source: source ?? 'telegram', command: 'start' } } };
    }
    case 'stop':
      return { message: { ...message, text: undefined, payload: { action: 'set_consent', args: { consent: 'opted_out' } }, meta: { command: 'stop' } } };
    case 'help':
      return { message: { ...message, text: '/help' } };
    case 'lang': {
      const locale = supportedLocale(arg);
      if (!locale) return { message: { ...message, text: '/help' } };
      // The help word in the chosen language: the agent answers in the language a message is written in.
      return { message: { ...message, text: HELP_WORD[locale], locale }, setLocale: locale };
    }
    default:
      return { message };
  }
}
