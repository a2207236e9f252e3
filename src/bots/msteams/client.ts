import { Activity } from '@microsoft/agents-activity';
import { ConnectorClient, HttpClient, HttpError, type HttpRequestConfig, type HttpResponse } from '@microsoft/agents-hosting';
import { ChannelApiError } from '../../errors.ts';
import type { ConversationRef } from './inbound.ts';
import { ADAPTIVE_CARD, type TeamsSend } from './render.ts';

/**
 * Refusals that mean nobody can be reached in this conversation any more
 * (https://learn.microsoft.com/microsoftteams/platform/bots/build-conversational-capability#status-codes-from-bot-conversational-apis):
 * the user blocked or uninstalled the bot, the bot was removed, the
 * conversation is gone.
 */
const UNREACHABLE = new Set(['ConversationBlockedByUser', 'BotNotInConversationRoster', 'ConversationNotFound', 'NotFound', 'UserNotFound']);

function retryAfterMs(headers: Headers | undefined): number | undefined {
  const v = headers?.get('retry-after');
  if (!v) return undefined;
  const seconds = Number(v);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function errorBody(data: unknown): { code?: string; message?: string } {
  const e = (data as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  return { code: typeof e?.code === 'string' ? e.code : undefined, message: typeof e?.message === 'string' ? e.message : undefined };
}

/**
 * The connector's answer as our error: 429 (Retry-After honoured), 412,
 * 502, 504 and other 5xx are temporary, as Teams documents; a blocked user
 * or a vanished conversation is permanent and unreachable; any other 4xx
 * is permanent.
 */
export function toChannelError(err: unknown): Error {
  if (err instanceof ChannelApiError) return err;
  if (err instanceof HttpError) {
    const status = err.status;
    const { code, message } = errorBody(err.response.data);
    const detail = [code, message].filter(Boolean).join(': ') || err.response.statusText || `HTTP ${status}`;
    if (status === 429) return new ChannelApiError(`Teams rate limit: ${detail}`, 'msteams', false, retryAfterMs(err.response.headers));
    if (status >= 500 || status === 412 || status === 408) return new ChannelApiError(`Teams connector error ${status}: ${detail}`, 'msteams', false, retryAfterMs(err.response.headers));
    // A refused token may have been revoked or rotated: retried (with a fresh token) until the attempts run out.
    if (status === 401) return new ChannelApiError(`Teams refused the bot token (401): ${detail}. Check that --app-id is the Azure Bot's Microsoft App ID.`, 'msteams', false, undefined, { status, code });
    const unreachable = (status === 403 || status === 404) && (code === undefined ? status === 404 : UNREACHABLE.has(code));
    return new ChannelApiError(`Teams refused the message (${status}): ${detail}.`, 'msteams', true, undefined, { unreachable, status, code });
  }
  return new ChannelApiError(`Teams connector could not be reached: ${(err as Error).message}`, 'msteams', false);
}

/** One reply activity addressed as the Bot Framework expects (from = the bot, recipient = the user). */
export function replyActivity(ref: ConversationRef, send: TeamsSend): Activity {
  return Activity.fromObject({
    type: 'message',
    channelId: ref.activityChannel,
    serviceUrl: ref.serviceUrl,
    from: { id: ref.botId, ...(ref.botName ? { name: ref.botName } : {}) },
    recipient: { id: ref.userId },
    conversation: { id: ref.conversationId, ...(ref.entraTenantId ? { tenantId: ref.entraTenantId } : {}) },
    ...(ref.entraTenantId ? { channelData: { tenant: { id: ref.entraTenantId } } } : {}),
    ...(send.text ? { text: send.text, textFormat: 'plain' } : {}),
    ...(send.card ? { attachments: [{ contentType: ADAPTIVE_CARD, content: send.card }] } : {}),
  });
}

/** How long one post may take; the SDK's client sets no timeout, and a hung connection would hold the delivery job forever. */
export const POST_TIMEOUT_MS = 15_000;

class TimeoutHttpClient extends HttpClient {
  override request<T = unknown>(config: HttpRequestConfig): Promise<HttpResponse<T>> {
    return super.request<T>({ timeout: POST_TIMEOUT_MS, ...config });
  }
}

/** The SDK's connector client over an HTTP client with a timeout (its constructor is protected, hence the subclass). */
class Connector extends ConnectorClient {
  static create(serviceUrl: string, token: string | undefined): Connector {
    // Built by the SDK first so its headers (User-Agent, Authorization, JSON) are exactly the SDK's.
    const base = ConnectorClient.createClientWithToken(serviceUrl, token ?? '');
    return new Connector(new TimeoutHttpClient({ baseURL: serviceUrl, headers: base.httpClient.defaultHeaders }));
  }
}

/**
 * Posts to `{serviceUrl}/v3/conversations/{id}/activities` through the SDK's
 * connector client. The SDK puts the conversation id into the path as it
 * is; Teams ids hold ':' and '@' and Web Chat ids '|', and an id with '/',
 * '?' or '#' would address another resource, so it is encoded here (as
 * botbuilder's connector did).
 */
export async function postActivity(serviceUrl: string, token: string | undefined, conversationId: string, activity: Activity): Promise<string | undefined> {
  try {
    const r = await Connector.create(serviceUrl, token).sendToConversation(encodeURIComponent(conversationId), activity);
    return typeof r?.id === 'string' ? r.id : undefined;
  } catch (err) {
    throw toChannelError(err);
  }
}
