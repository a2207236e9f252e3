import { z } from 'zod';
import type { InboundMessage } from '../../core/messages/types.ts';
import type { ChannelAccount } from '../accounts.ts';
import { supportedLocale, type PayloadCodec } from '../render/payloads.ts';

/**
 * The part of a Bot Framework Activity we read
 * (https://learn.microsoft.com/azure/bot-service/rest-api/bot-framework-rest-connector-api-reference#activity-object).
 * Unknown fields are ignored, not rejected: channels add their own.
 */
const Account = z.object({ id: z.string().min(1).max(500), name: z.string().max(500).optional(), aadObjectId: z.string().max(100).optional() }).loose();
export const ActivitySchema = z
  .object({
    type: z.string().min(1).max(100),
    id: z.string().min(1).max(500),
    channelId: z.string().min(1).max(100),
    serviceUrl: z.string().min(1).max(2000),
    timestamp: z.string().optional(),
    locale: z.string().max(40).optional(),
    from: Account,
    recipient: Account,
    conversation: z
      .object({ id: z.string().min(1).max(1000), isGroup: z.boolean().optional(), conversationType: z.string().optional(), tenantId: z.string().max(100).optional() })
      .loose(),
    text: z.string().max(100_000).optional(),
    name: z.string().max(200).optional(),
    value: z.unknown().optional(),
    channelData: z.object({ tenant: z.object({ id: z.string().max(100) }).loose().optional() }).loose().optional(),
    /** installationUpdate: add | remove | add-upgrade | remove-upgrade. */
    action: z.string().max(40).optional(),
  })
  .loose();
export type Activity = z.infer<typeof ActivitySchema>;

/**
 * Activity channels whose user id the client chooses: a Direct Line client
 * (Web Chat, a custom app) sends `from.id` itself, so without Enhanced
 * Authentication anybody can claim anybody's id.
 */
export const DIRECT_LINE_CHANNELS: ReadonlySet<string> = new Set(['webchat', 'directline', 'directlinespeech']);

/**
 * The key a sender's identity is stored under (channel_identities.external_id).
 * Namespaced by the activity channel, so an id chosen in one channel (Web
 * Chat) can never land on an identity of another (Teams). On Teams the
 * person's Entra object id (`aadObjectId`), which Teams sets and the client
 * cannot, rather than the per-bot `29:…` id.
 */
export function senderKey(a: Pick<Activity, 'channelId' | 'from'>): string {
  if (a.channelId === 'msteams' && a.from.aadObjectId) return `msteams:aad:${a.from.aadObjectId.toLowerCase()}`;
  return `${a.channelId}:${a.from.id}`;
}

/**
 * The key an identity had before senderKey used aadObjectId: migration 0043
 * namespaced the old `from.id` keys by channel. A Teams sender whose aad key
 * is new takes that identity over (see adoptIdentity), so nobody is orphaned.
 */
export function previousSenderKey(a: Pick<Activity, 'channelId' | 'from'>): string | undefined {
  return a.channelId === 'msteams' && a.from.aadObjectId ? `msteams:${a.from.id}` : undefined;
}

/**
 * Why an activity's sender cannot be trusted here, or undefined. Direct
 * Line / Web Chat only with Enhanced Authentication attested on the account,
 * and then the user id must be one a token server issued (`dl_…`: with
 * Enhanced Authentication, Direct Line refuses tokens for other ids).
 * Anonymous accounts (the Emulator, local testing) authenticate nobody anyway.
 */
export function senderRefusal(a: Pick<Activity, 'channelId' | 'from'>, s: { mode: 'credentials' | 'anonymous'; directLineEnhancedAuth: boolean }): string | undefined {
  if (s.mode === 'anonymous' || !DIRECT_LINE_CHANNELS.has(a.channelId)) return undefined;
  if (!s.directLineEnhancedAuth) {
    return `a ${a.channelId} activity, but the account does not have Direct Line Enhanced Authentication: its sender could be anybody. Turn Enhanced authentication on for the bot's Direct Line site in the Azure portal, issue tokens with a user id "dl_<your user id>", then add the account again with --direct-line-enhanced-auth.`;
  }
  if (!a.from.id.startsWith('dl_')) return `a ${a.channelId} activity from "${a.from.id}", which no Enhanced Authentication token carries (user ids there start with dl_).`;
  return undefined;
}

/** Where replies to a conversation go; stored per conversation before its turn is queued. */
export interface ConversationRef {
  conversationId: string;
  serviceUrl: string;
  activityChannel: string;
  botId: string;
  botName?: string | undefined;
  userId: string;
  entraTenantId?: string | undefined;
}

export type Normalised =
  | { kind: 'inbound'; message: InboundMessage; ref: ConversationRef; invoke: boolean; previousKey: string | undefined }
  /** The person removed the app from their personal scope (like a LINE unfollow), or added it back. `userId` is their identity key. */
  | { kind: 'removed' | 'added'; userId: string; previousKey: string | undefined; at: Date; invoke: false }
  /** Valid, but nothing a customer conversation answers (group chats, typing, reactions, conversationUpdate). */
  | { kind: 'ignored'; reason: string; invoke: boolean };

/** The key our Action.Submit buttons put their payload under in the card's data. */
export const PAYLOAD_KEY = 'closer';

const SubmitData = z.object({ [PAYLOAD_KEY]: z.string().max(2000) }).loose();
const InvokeValue = z.object({ action: z.object({ data: z.unknown().optional() }).loose() }).loose();

function buttonData(a: Activity): string | undefined {
  if (a.type === 'invoke') {
    const v = InvokeValue.safeParse(a.value);
    const d = v.success ? SubmitData.safeParse(v.data.action.data) : undefined;
    return d?.success ? d.data[PAYLOAD_KEY] : undefined;
  }
  const d = SubmitData.safeParse(a.value);
  return d.success ? d.data[PAYLOAD_KEY] : undefined;
}

/**
 * One activity as what the core understands. A text message is a message;
 * an Adaptive Card Action.Submit arrives as a message whose `value` is the
 * button's data, an Action.Execute as an `invoke` named adaptiveCard/action;
 * either carries our button payload under "closer". Group chats and
 * channels are ignored: this is a one-to-one customer channel.
 */
export async function normaliseActivity(a: Activity, account: ChannelAccount, codec: PayloadCodec): Promise<Normalised> {
  const invoke = a.type === 'invoke';
  if (a.conversation.isGroup || (a.conversation.conversationType && a.conversation.conversationType !== 'personal')) return { kind: 'ignored', reason: 'not a one-to-one chat', invoke };
  if (a.type === 'installationUpdate') {
    const at = a.timestamp && !Number.isNaN(new Date(a.timestamp).getTime()) ? new Date(a.timestamp) : new Date();
    if (a.action === 'remove' || a.action === 'remove-upgrade') return { kind: 'removed', userId: senderKey(a), previousKey: previousSenderKey(a), at, invoke: false };
    if (a.action === 'add' || a.action === 'add-upgrade') return { kind: 'added', userId: senderKey(a), previousKey: previousSenderKey(a), at, invoke: false };
    return { kind: 'ignored', reason: `installationUpdate ${a.action ?? ''}`.trim(), invoke };
  }
  if (a.type !== 'message' && !(invoke && a.name === 'adaptiveCard/action')) return { kind: 'ignored', reason: `activity type ${a.type}${a.name ? ` (${a.name})` : ''}`, invoke };
  const ref: ConversationRef = {
    conversationId: a.conversation.id,
    serviceUrl: a.serviceUrl,
    activityChannel: a.channelId,
    botId: a.recipient.id,
    botName: a.recipient.name,
    userId: a.from.id,
    entraTenantId: a.conversation.tenantId ?? a.channelData?.tenant?.id,
  };
  const at = a.timestamp ? new Date(a.timestamp) : new Date();
  const base = {
    tenantId: account.tenantId,
    channel: 'msteams' as const,
    channelAccountId: account.id,
    platformMessageId: a.id,
    externalChatId: a.conversation.id,
    externalUserId: senderKey(a),
    displayName: a.from.name,
    locale: supportedLocale(a.locale),
    receivedAt: Number.isNaN(at.getTime()) ? new Date() : at,
    meta: { activityChannel: a.channelId },
  };
  const data = buttonData(a);
  if (data !== undefined || invoke) {
    const payload = data !== undefined ? await codec.decode(data) : undefined;
    // A button we cannot read any more (expired long payload) still gets the menu.
    return { kind: 'inbound', message: { ...base, ...(payload ? { payload } : { text: '/help' }) }, ref, invoke, previousKey: previousSenderKey(a) };
  }
  const text = a.text?.replace(/\r\n?/g, '\n').trim();
  if (!text) return { kind: 'ignored', reason: 'message without text', invoke };
  return { kind: 'inbound', message: { ...base, text }, ref, invoke, previousKey: previousSenderKey(a) };
}
