import { z } from 'zod';

/**
 * The channel-neutral message contract. Adapters in src/bots turn platform
 * events into InboundMessage and render OutboundMessage natively (Block Kit,
 * inline keyboards, LINE Flex, Adaptive Cards, the local web page).
 */
export const CHANNELS = ['local', 'slack', 'telegram', 'line', 'msteams', 'webchat'] as const;
export type Channel = (typeof CHANNELS)[number];

/** A button press: an action name and string arguments, the same on every platform. */
export const ButtonPayloadSchema = z.object({
  action: z.string().min(1).max(64).regex(/^[a-z_:.-]+$/),
  args: z.record(z.string(), z.string().max(500)).default({}),
});
export type ButtonPayload = z.infer<typeof ButtonPayloadSchema>;

export interface InboundMessage {
  /** The tenant that owns the channel account; the adapter resolves it before ingest. */
  tenantId: string;
  channel: Channel;
  channelAccountId: string;
  /** The platform's id for this delivery (Slack event_id, Telegram update_id, LINE webhookEventId…); redeliveries share it. */
  platformMessageId: string;
  /** Where replies go (a DM, a chat, a thread). */
  externalChatId: string;
  /** Who wrote it, in the platform's terms. */
  externalUserId: string;
  displayName?: string | undefined;
  text?: string | undefined;
  payload?: ButtonPayload | undefined;
  locale?: string | undefined;
  receivedAt: Date;
  /** Adapter-specific facts the core may record but never depends on (deep-link source, thread ts…). */
  meta?: Record<string, unknown> | undefined;
}

export const ButtonSchema = z.object({
  label: z.string().min(1).max(80),
  payload: ButtonPayloadSchema,
  style: z.enum(['primary', 'danger', 'default']).default('default'),
});
export type Button = z.infer<typeof ButtonSchema>;

export const OutboundPartSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text'), text: z.string() }),
  z.object({
    type: z.literal('card'),
    title: z.string(),
    subtitle: z.string().optional(),
    fields: z.array(z.object({ label: z.string(), value: z.string() })).default([]),
  }),
  z.object({ type: z.literal('buttons'), buttons: z.array(ButtonSchema).max(10) }),
  z.object({ type: z.literal('table'), columns: z.array(z.string()), rows: z.array(z.array(z.string())) }),
  z.object({ type: z.literal('image'), url: z.string(), alt: z.string() }),
]);
export type OutboundPart = z.infer<typeof OutboundPartSchema>;

export interface OutboundMessage {
  /** Plain-text rendering of the whole message: what a channel without rich parts shows, and what tests read. */
  text: string;
  parts: OutboundPart[];
}

/** Builds an OutboundMessage whose plain text is derived from its parts. */
export function outbound(parts: OutboundPart[]): OutboundMessage {
  return { text: parts.map(partToText).filter(Boolean).join('\n\n'), parts };
}

export function partToText(part: OutboundPart): string {
  switch (part.type) {
    case 'text':
      return part.text;
    case 'card':
      return [part.title, part.subtitle, ...part.fields.map((f) => `${f.label}: ${f.value}`)].filter(Boolean).join('\n');
    case 'buttons':
      return part.buttons.map((b, i) => `[${i + 1}] ${b.label}`).join('  ');
    case 'table':
      return [part.columns.join(' | '), ...part.rows.map((r) => r.join(' | '))].join('\n');
    case 'image':
      return `(${part.alt})`;
  }
}
