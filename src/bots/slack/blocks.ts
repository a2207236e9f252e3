import type { OutboundMessage, OutboundPart } from '../../core/messages/types.ts';
import { splitText } from '../render/split.ts';

/** Slack's limits: a section's text, a button's value, blocks per message. */
const SECTION_MAX = 3000;
const VALUE_MAX = 2000;
const BLOCKS_MAX = 50;

// Block Kit is a JSON contract; these are the shapes we emit.
export type SlackBlock = Record<string, unknown>;

export function escapeMrkdwn(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

function plain(text: string, max = 150): { type: 'plain_text'; text: string; emoji: true } {
  return { type: 'plain_text', text: text.length > max ? `${text.slice(0, max - 1)}…` : text, emoji: true };
}

function sections(text: string): SlackBlock[] {
  return splitText(escapeMrkdwn(text), SECTION_MAX).map((chunk) => ({ type: 'section', text: { type: 'mrkdwn', text: chunk } }));
}

function partBlocks(part: OutboundPart, index: number): SlackBlock[] {
  switch (part.type) {
    case 'text':
      return part.text.trim() ? sections(part.text) : [];
    case 'card': {
      const blocks: SlackBlock[] = [{ type: 'header', text: plain(part.title) }];
      if (part.subtitle) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: escapeMrkdwn(part.subtitle).slice(0, SECTION_MAX) }] });
      // A section holds at most 10 fields.
      for (let i = 0; i < part.fields.length; i += 10) {
        blocks.push({
          type: 'section',
          fields: part.fields.slice(i, i + 10).map((f) => ({ type: 'mrkdwn', text: `*${escapeMrkdwn(f.label)}*\n${escapeMrkdwn(f.value)}`.slice(0, 2000) })),
        });
      }
      return blocks;
    }
    case 'buttons':
      return [
        {
          type: 'actions',
          block_id: `closer_actions_${index}`,
          elements: part.buttons.slice(0, 25).map((b, i) => {
            const value = JSON.stringify(b.payload);
            if (value.length > VALUE_MAX) throw new RangeError(`Button "${b.label}" carries a payload longer than Slack allows.`);
            return { type: 'button', action_id: `closer_${index}_${i}`, text: plain(b.label, 75), value, ...(b.style === 'default' ? {} : { style: b.style }) };
          }),
        },
      ];
    case 'table': {
      const widths = part.columns.map((c, i) => Math.max(c.length, ...part.rows.map((r) => (r[i] ?? '').length)));
      const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
      const body = [line(part.columns), ...part.rows.map(line)].join('\n');
      return splitText(escapeMrkdwn(body), SECTION_MAX - 8).map((chunk) => ({ type: 'section', text: { type: 'mrkdwn', text: `\`\`\`${chunk}\`\`\`` } }));
    }
    case 'image':
      return /^https:\/\//.test(part.url) ? [{ type: 'image', image_url: part.url, alt_text: part.alt.slice(0, 2000) || 'image' }] : sections(`(${part.alt})`);
  }
}

/**
 * Renders a message as Block Kit. Buttons carry their payload as JSON in
 * `value`, so a press comes back as the same {action, args} on every
 * channel. Longer than one message allows → several messages, in order.
 */
export function renderSlack(message: OutboundMessage): { text: string; blocks: SlackBlock[] }[] {
  const blocks = message.parts.flatMap(partBlocks);
  const fallback = message.text.slice(0, 3000) || ' ';
  if (blocks.length === 0) return [{ text: fallback, blocks: sections(message.text || ' ') }];
  const out: { text: string; blocks: SlackBlock[] }[] = [];
  for (let i = 0; i < blocks.length; i += BLOCKS_MAX) out.push({ text: i === 0 ? fallback : ' ', blocks: blocks.slice(i, i + BLOCKS_MAX) });
  return out;
}
