import type { messagingApi } from '@line/bot-sdk';
import type { OutboundMessage, OutboundPart } from '../../core/messages/types.ts';
import { splitText } from '../render/split.ts';
import type { PayloadCodec } from '../render/payloads.ts';

export const LINE_TEXT_LIMIT = 5000;
/** LINE takes at most five message objects per reply or push call. */
export const LINE_MESSAGES_PER_CALL = 5;
const QUICK_REPLY_ITEMS = 13;
const QUICK_REPLY_LABEL = 20;
const ALT_TEXT = 400;

type Message = messagingApi.Message;

function clip(s: string, max: number): string {
  const chars = Array.from(s);
  return chars.length <= max ? s : `${chars.slice(0, max - 1).join('')}…`;
}

function cardBubble(part: Extract<OutboundPart, { type: 'card' }>): messagingApi.FlexMessage {
  const contents: messagingApi.FlexComponent[] = [{ type: 'text', text: part.title, weight: 'bold', size: 'lg', wrap: true }];
  if (part.subtitle) contents.push({ type: 'text', text: part.subtitle, size: 'sm', color: '#888888', wrap: true });
  for (const f of part.fields) {
    contents.push({
      type: 'box',
      layout: 'baseline',
      spacing: 'sm',
      contents: [
        { type: 'text', text: f.label || ' ', size: 'sm', color: '#888888', flex: 2, wrap: true },
        { type: 'text', text: f.value || ' ', size: 'sm', flex: 4, wrap: true },
      ],
    });
  }
  const alt = [part.title, part.subtitle, ...part.fields.map((f) => `${f.label}: ${f.value}`)].filter(Boolean).join('\n');
  return { type: 'flex', altText: clip(alt, ALT_TEXT), contents: { type: 'bubble', body: { type: 'box', layout: 'vertical', spacing: 'sm', contents } } };
}

/**
 * An OutboundMessage as LINE message objects: texts (split at 5000
 * characters), cards as Flex bubbles, tables as text; buttons become quick
 * replies on the last message (postback data = the button payload, at most
 * 300 characters, longer ones stored server-side by the codec).
 */
export async function renderLine(message: OutboundMessage, codec: PayloadCodec): Promise<Message[]> {
  const out: Message[] = [];
  let pendingText: string[] = [];
  const flushText = () => {
    const joined = pendingText.join('\n\n');
    pendingText = [];
    if (joined.trim()) for (const chunk of splitText(joined, LINE_TEXT_LIMIT)) out.push({ type: 'text', text: chunk });
  };
  const buttons = message.parts.flatMap((p) => (p.type === 'buttons' ? p.buttons : []));
  for (const part of message.parts) {
    if (part.type === 'text') pendingText.push(part.text);
    else if (part.type === 'table') pendingText.push([part.columns.join(' | '), ...part.rows.map((r) => r.join(' | '))].join('\n'));
    else if (part.type === 'image') pendingText.push(`${part.alt}: ${part.url}`);
    else if (part.type === 'card') {
      flushText();
      out.push(cardBubble(part));
    }
  }
  flushText();
  if (out.length === 0) {
    const fallback = message.text.trim() || buttons.map((b) => b.label).join(' · ');
    for (const chunk of splitText(fallback || ' ', LINE_TEXT_LIMIT)) out.push({ type: 'text', text: chunk });
  }
  if (buttons.length) {
    const items: messagingApi.QuickReplyItem[] = await Promise.all(
      buttons.slice(0, QUICK_REPLY_ITEMS).map(async (b) => ({
        type: 'action' as const,
        action: { type: 'postback' as const, label: clip(b.label, QUICK_REPLY_LABEL), data: await codec.encode(b.payload), displayText: clip(b.label, 300) },
      })),
    );
    const last = out[out.length - 1]!;
    out[out.length - 1] = { ...last, quickReply: { items } };
  }
  return out;
}
