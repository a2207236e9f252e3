import type { OutboundMessage, OutboundPart } from '../../core/messages/types.ts';
import { splitText } from '../render/split.ts';
import type { PayloadCodec } from '../render/payloads.ts';
import { PAYLOAD_KEY } from './inbound.ts';

/**
 * Teams refuses a bot message over its size limit (413 MessageSizeTooBig),
 * counted on the whole activity encoded as UTF-16: documented as 28 KB for
 * a long time, 40 KB later (https://learn.microsoft.com/microsoftteams/platform/bots/how-to/format-your-bot-messages).
 * 10,000 characters are at most 20 KB in UTF-16, which leaves room for the
 * activity envelope under the oldest documented limit; longer texts are
 * split into several messages.
 */
export const TEAMS_TEXT_LIMIT = 10_000;
export const ADAPTIVE_CARD = 'application/vnd.microsoft.card.adaptive';
export const ADAPTIVE_CARD_VERSION = '1.5';
/** Rows of one table shown in a card; the rest are counted, so the card stays under the size limit. */
export const TABLE_ROWS = 40;
const CELL_CHARS = 300;

export interface CardElement {
  type: string;
  [key: string]: unknown;
}

export interface AdaptiveCard {
  type: 'AdaptiveCard';
  $schema: string;
  version: string;
  body: CardElement[];
  actions?: CardElement[];
}

/** One message activity to post: plain text, optionally with an Adaptive Card. */
export interface TeamsSend {
  text?: string | undefined;
  card?: AdaptiveCard | undefined;
}

function clip(s: string, max: number): string {
  const chars = Array.from(s);
  return chars.length <= max ? s : `${chars.slice(0, max - 1).join('')}…`;
}

/**
 * Card TextBlocks always read a Markdown subset (**bold**, _italic_, [links](…),
 * "- " and "1. " lists). Data from a lead's record or a listing must show as
 * written, so the characters that start that markup are escaped.
 */
export function escapeCardMarkdown(s: string): string {
  return s
    .replace(/[\\*_[\]`~]/g, (c) => `\\${c}`)
    .replace(/^(\s*)([-+>#])(?=\s)/gm, '$1\\$2')
    .replace(/^(\s*\d+)\.(?=\s)/gm, '$1\\.');
}

function textBlock(text: string, extra: Record<string, unknown> = {}): CardElement {
  return { type: 'TextBlock', text: escapeCardMarkdown(text), wrap: true, ...extra };
}

function cardElements(part: Extract<OutboundPart, { type: 'card' }>): CardElement[] {
  const out: CardElement[] = [textBlock(part.title, { weight: 'Bolder', size: 'Medium' })];
  if (part.subtitle) out.push(textBlock(part.subtitle, { isSubtle: true, spacing: 'None' }));
  // FactSet titles and values are plain text in Adaptive Cards (no Markdown), so they go as they are.
  if (part.fields.length) out.push({ type: 'FactSet', facts: part.fields.map((f) => ({ title: clip(f.label, CELL_CHARS), value: clip(f.value, CELL_CHARS) })) });
  return out;
}

function tableElements(part: Extract<OutboundPart, { type: 'table' }>): CardElement[] {
  const width = Math.max(part.columns.length, ...part.rows.map((r) => r.length), 1);
  const row = (cells: string[], header: boolean): CardElement => ({
    type: 'TableRow',
    cells: Array.from({ length: width }, (_, i) => ({ type: 'TableCell', items: [textBlock(clip(cells[i] ?? '', CELL_CHARS), header ? { weight: 'Bolder' } : {})] })),
  });
  const shown = part.rows.slice(0, TABLE_ROWS);
  const out: CardElement[] = [
    {
      type: 'Table',
      columns: Array.from({ length: width }, () => ({ width: 1 })),
      firstRowAsHeader: part.columns.length > 0,
      showGridLines: true,
      rows: [...(part.columns.length ? [row(part.columns, true)] : []), ...shown.map((r) => row(r, false))],
    },
  ];
  if (part.rows.length > shown.length) out.push(textBlock(`… ${part.rows.length - shown.length} more rows`, { isSubtle: true }));
  return out;
}

/**
 * An OutboundMessage as Teams / Web Chat message activities: text as plain
 * text (textFormat "plain": nothing the agent or a customer wrote is read as
 * Markdown or HTML), split at TEAMS_TEXT_LIMIT without breaking words;
 * cards, tables and images as one Adaptive Card 1.5 on the last activity,
 * with the buttons as Action.Submit carrying our payload.
 */
export async function renderTeams(message: OutboundMessage, codec: PayloadCodec): Promise<TeamsSend[]> {
  const texts: string[] = [];
  const body: CardElement[] = [];
  const buttons = message.parts.flatMap((p) => (p.type === 'buttons' ? p.buttons : []));
  for (const part of message.parts) {
    if (part.type === 'text') texts.push(part.text);
    else if (part.type === 'card') body.push({ type: 'Container', separator: body.length > 0, items: cardElements(part) });
    else if (part.type === 'table') body.push(...tableElements(part));
    else if (part.type === 'image') {
      // Teams and Web Chat only load https images; anything else is shown as its link.
      if (/^https:\/\//i.test(part.url)) body.push({ type: 'Image', url: part.url, altText: clip(part.alt, 200), size: 'Stretch' });
      else texts.push(`${part.alt}: ${part.url}`);
    }
  }
  const actions: CardElement[] = await Promise.all(
    buttons.map(async (b) => ({
      type: 'Action.Submit',
      title: clip(b.label, 80),
      data: { [PAYLOAD_KEY]: await codec.encode(b.payload) },
      ...(b.style === 'primary' ? { style: 'positive' } : b.style === 'danger' ? { style: 'destructive' } : {}),
    })),
  );
  let text = texts.join('\n\n').trim();
  if (!message.parts.length) text = message.text.trim();
  const card: AdaptiveCard | undefined =
    body.length || actions.length
      ? { type: 'AdaptiveCard', $schema: 'http://adaptivecards.io/schemas/adaptive-card.json', version: ADAPTIVE_CARD_VERSION, body, ...(actions.length ? { actions } : {}) }
      : undefined;
  if (!text && !card) text = message.text.trim() || ' ';
  const chunks = text ? splitText(text, TEAMS_TEXT_LIMIT) : [];
  if (!chunks.length) return [{ card }];
  return chunks.map((t, i) => ({ text: t, card: i === chunks.length - 1 ? card : undefined }));
}
