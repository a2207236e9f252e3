import { z } from 'zod';
import { ButtonPayloadSchema, type ButtonPayload } from '../../core/messages/types.ts';

/**
 * What one Slack request means for us, independent of the transport (Events
 * API JSON, slash-command form, interactivity form with a `payload` field).
 */
export type SlackRequest =
  | { kind: 'url_verification'; challenge: string }
  | {
      kind: 'message';
      teamId: string;
      eventId: string;
      userId: string;
      channel: string;
      /** 'dm' for the app's DM, 'mention' for @closer in a channel, 'thread' for any other threaded channel message (a handoff reply). */
      via: 'dm' | 'mention' | 'thread';
      text: string;
      ts: string;
      threadTs: string | undefined;
      receivedAt: Date;
    }
  | { kind: 'home_opened'; teamId: string; userId: string }
  | { kind: 'command'; teamId: string; userId: string; channel: string; text: string; triggerId: string }
  | { kind: 'action'; teamId: string; userId: string; channel: string | undefined; messageTs: string | undefined; threadTs: string | undefined; payload: ButtonPayload; actionId: string; triggerId: string }
  /** The workspace removed the app, or revoked its bot token: nothing more can be sent there. */
  | { kind: 'uninstalled'; teamId: string; why: 'app_uninstalled' | 'tokens_revoked' }
  | { kind: 'ignored'; teamId: string | undefined; why: string; malformed?: boolean };

/** Slack workspace ids (T…) and Enterprise Grid ids (E…): anything else is not Slack and is never looked up. */
export const SLACK_TEAM_ID = /^[TE][A-Z0-9]{1,31}$/;

const EventSchema = z.object({
  type: z.string(),
  user: z.string().optional(),
  text: z.string().optional(),
  channel: z.string().optional(),
  channel_type: z.string().optional(),
  ts: z.string().optional(),
  thread_ts: z.string().optional(),
  bot_id: z.string().optional(),
  subtype: z.string().optional(),
  tab: z.string().optional(),
  tokens: z.object({ bot: z.array(z.string()).optional() }).loose().optional(),
});

const EnvelopeSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('url_verification'), challenge: z.string().max(500) }),
  z.object({ type: z.literal('event_callback'), team_id: z.string(), event_id: z.string(), event_time: z.number().optional(), event: EventSchema }),
]);

const CommandSchema = z.object({ team_id: z.string(), user_id: z.string(), channel_id: z.string(), text: z.string().default(''), trigger_id: z.string() });

const ActionPayloadSchema = z.object({
  type: z.literal('block_actions'),
  team: z.object({ id: z.string() }).nullable(),
  user: z.object({ id: z.string(), team_id: z.string().optional() }),
  channel: z.object({ id: z.string() }).optional(),
  container: z.object({ message_ts: z.string().optional(), thread_ts: z.string().optional() }).loose().optional(),
  message: z.object({ ts: z.string().optional(), thread_ts: z.string().optional() }).loose().optional(),
  trigger_id: z.string(),
  actions: z.array(z.object({ action_id: z.string(), value: z.string().optional(), action_ts: z.string().optional() })).min(1),
});

/** `<@U123>` mentions of the bot are noise for the router; Slack's link markup becomes its label or target. */
export function cleanSlackText(text: string, botUserId?: string): string {
  let out = text;
  if (botUserId) out = out.replaceAll(`<@${botUserId}>`, '');
  out = out.replace(/<(?:mailto:|tel:)?([^|>]+)\|([^>]+)>/g, '$2').replace(/<(?:mailto:|tel:)?([^@#!][^|>]*)>/g, '$1');
  return out.replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&').replace(/\s+/g, ' ').trim();
}

/** An HTTP request body (Events API JSON, slash-command form, interactivity form with a `payload` field). */
export function parseSlackRequest(rawBody: string, contentType: string | undefined, opts: { botUserId?: string | undefined } = {}): SlackRequest {
  if ((contentType ?? '').includes('application/x-www-form-urlencoded')) {
    const form = Object.fromEntries(new URLSearchParams(rawBody));
    if (typeof form.payload === 'string') {
      let json: unknown;
      try {
        json = JSON.parse(form.payload);
      } catch {
        return { kind: 'ignored', teamId: undefined, why: 'unreadable payload', malformed: true };
      }
      return parseSlackInteraction(json);
    }
    return parseSlackCommand(form, opts);
  }
  let json: unknown;
  try {
    json = JSON.parse(rawBody);
  } catch {
    return { kind: 'ignored', teamId: undefined, why: 'not json', malformed: true };
  }
  return parseSlackEvent(json, opts);
}

/**
 * A Socket Mode envelope's payload: the same bodies as over HTTP, already
 * decoded (`events_api` carries the event callback, `slash_commands` the
 * command's fields, `interactive` the interaction payload).
 */
export function parseSocketEnvelope(type: string, payload: unknown, opts: { botUserId?: string | undefined } = {}): SlackRequest {
  switch (type) {
    case 'events_api':
      return parseSlackEvent(payload, opts);
    case 'slash_commands':
      return typeof payload === 'object' && payload !== null ? parseSlackCommand(payload as Record<string, unknown>, opts) : { kind: 'ignored', teamId: undefined, why: 'unreadable command' };
    case 'interactive':
      return parseSlackInteraction(payload);
    default:
      return { kind: 'ignored', teamId: undefined, why: `envelope ${type}` };
  }
}

function parseSlackCommand(form: Record<string, unknown>, opts: { botUserId?: string | undefined }): SlackRequest {
  const cmd = CommandSchema.safeParse(form);
  if (!cmd.success) return { kind: 'ignored', teamId: typeof form.team_id === 'string' ? form.team_id : undefined, why: 'unreadable form', malformed: true };
  return { kind: 'command', teamId: cmd.data.team_id, userId: cmd.data.user_id, channel: cmd.data.channel_id, text: cleanSlackText(cmd.data.text, opts.botUserId), triggerId: cmd.data.trigger_id };
}

function parseSlackEvent(json: unknown, opts: { botUserId?: string | undefined }): SlackRequest {
  const env = EnvelopeSchema.safeParse(json);
  if (!env.success) {
    // Another envelope Slack sends (app_rate_limited…) is ignored; a body that is not an envelope at all is malformed.
    const type = typeof json === 'object' && json !== null && !Array.isArray(json) ? (json as { type?: unknown }).type : undefined;
    const known = typeof type === 'string' && type !== 'event_callback' && type !== 'url_verification';
    return { kind: 'ignored', teamId: undefined, why: 'unknown envelope', ...(known ? {} : { malformed: true }) };
  }
  if (env.data.type === 'url_verification') return { kind: 'url_verification', challenge: env.data.challenge };
  const { team_id: teamId, event_id: eventId, event } = env.data;
  if (event.type === 'app_uninstalled') return { kind: 'uninstalled', teamId, why: 'app_uninstalled' };
  if (event.type === 'tokens_revoked') {
    // Only the bot's token matters to us; users revoking their own tokens changes nothing.
    return event.tokens?.bot?.length ? { kind: 'uninstalled', teamId, why: 'tokens_revoked' } : { kind: 'ignored', teamId, why: 'user tokens revoked' };
  }
  if (event.type === 'app_home_opened') {
    return event.user && (event.tab ?? 'home') === 'home' ? { kind: 'home_opened', teamId, userId: event.user } : { kind: 'ignored', teamId, why: 'home tab' };
  }
  // Our own posts (and other bots', and edits/joins) come back as events too; answering them would loop.
  if (event.bot_id || (event.subtype && event.subtype !== 'thread_broadcast') || !event.user || !event.channel || !event.ts) return { kind: 'ignored', teamId, why: 'not a person writing' };
  const receivedAt = new Date(Number(event.ts) * 1000);
  const base = { kind: 'message' as const, teamId, eventId, userId: event.user, channel: event.channel, text: cleanSlackText(event.text ?? '', opts.botUserId), ts: event.ts, threadTs: event.thread_ts, receivedAt };
  if (event.type === 'app_mention') return { ...base, via: 'mention' };
  if (event.type !== 'message') return { kind: 'ignored', teamId, why: `event ${event.type}` };
  if (event.channel_type === 'im') return { ...base, via: 'dm' };
  // A plain channel message matters only inside a thread (a handoff thread); a mention in it also arrives as app_mention.
  if (event.thread_ts && !(opts.botUserId && (event.text ?? '').includes(`<@${opts.botUserId}>`))) return { ...base, via: 'thread' };
  return { kind: 'ignored', teamId, why: 'channel message outside a thread' };
}

function parseSlackInteraction(json: unknown): SlackRequest {
  const p = ActionPayloadSchema.safeParse(json);
  if (!p.success) {
    const type = typeof json === 'object' && json !== null ? (json as { type?: unknown }).type : undefined;
    // Other interactions (view_submission, shortcuts) are Slack's and ignored; anything else is malformed.
    return { kind: 'ignored', teamId: undefined, why: 'not a block action', ...(typeof type === 'string' && type !== 'block_actions' ? {} : { malformed: true }) };
  }
  const teamId = p.data.team?.id ?? p.data.user.team_id;
  if (!teamId) return { kind: 'ignored', teamId: undefined, why: 'no team', malformed: true };
  const action = p.data.actions[0]!;
  let payload: ButtonPayload | undefined;
  try {
    const parsed = ButtonPayloadSchema.safeParse(JSON.parse(action.value ?? ''));
    payload = parsed.success ? parsed.data : undefined;
  } catch {
    payload = undefined;
  }
  if (!payload) return { kind: 'ignored', teamId, why: 'button without a Closer payload' };
  return {
    kind: 'action',
    teamId,
    userId: p.data.user.id,
    channel: p.data.channel?.id,
    messageTs: p.data.container?.message_ts ?? p.data.message?.ts,
    threadTs: p.data.container?.thread_ts ?? p.data.message?.thread_ts,
    payload,
    actionId: action.action_id,
    triggerId: p.data.trigger_id,
  };
}

/**
 * Our chat id for a Slack place: a DM is its channel; a channel mention is
 * answered in its thread, so the thread is the conversation.
 */
export function slackChatId(channel: string, threadTs?: string): string {
  return threadTs ? `${channel}/${threadTs}` : channel;
}

export function splitSlackChatId(chatId: string): { channel: string; threadTs: string | undefined } {
  const at = chatId.indexOf('/');
  return at < 0 ? { channel: chatId, threadTs: undefined } : { channel: chatId.slice(0, at), threadTs: chatId.slice(at + 1) };
}
