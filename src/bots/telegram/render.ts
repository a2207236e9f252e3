import type { InlineKeyboardButton } from 'grammy/types';
import type { OutboundMessage, OutboundPart } from '../../core/messages/types.ts';
import { splitText } from '../render/split.ts';
import type { PayloadCodec } from '../render/payloads.ts';

export const TELEGRAM_TEXT_LIMIT = 4096;

export interface TelegramSend {
  text: string;
  keyboard?: InlineKeyboardButton[][] | undefined;
}

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function partHtml(part: OutboundPart): string {
  switch (part.type) {
    case 'text':
      return escapeHtml(part.text);
    case 'card':
      return [`<b>${escapeHtml(part.title)}</b>`, part.subtitle ? `<i>${escapeHtml(part.subtitle)}</i>` : '', ...part.fields.map((f) => `${escapeHtml(f.label)}: ${escapeHtml(f.value)}`)]
        .filter(Boolean)
        .join('\n');
    case 'table':
      return `<pre>${escapeHtml([part.columns.join(' | '), ...part.rows.map((r) => r.join(' | '))].join('\n'))}</pre>`;
    case 'image':
      return `<a href="${escapeHtml(part.url)}">${escapeHtml(part.alt)}</a>`;
    case 'buttons':
      return '';
  }
}

/**
 * An OutboundMessage as Telegram sendMessage calls: HTML text split at 4096
 * characters (tags kept balanced), buttons as an inline keyboard on the last
 * one, one button per row so long labels stay readable on a phone.
 */
export async function renderTelegram(message: OutboundMessage, codec: PayloadCodec): Promise<TelegramSend[]> {
  const html = message.parts.length ? message.parts.map(partHtml).filter(Boolean).join('\n\n') : escapeHtml(message.text);
  const buttons = message.parts.flatMap((p) => (p.type === 'buttons' ? p.buttons : []));
  const keyboard = buttons.length ? await Promise.all(buttons.map(async (b) => [{ text: b.label, callback_data: await codec.encode(b.payload) }])) : undefined;
  const chunks = splitText(html || escapeHtml(buttons.map((b) => b.label).join(' · ')) || ' ', TELEGRAM_TEXT_LIMIT, { markup: 'html' });
  return chunks.map((text, i) => ({ text, keyboard: i === chunks.length - 1 ? keyboard : undefined }));
}
