import { HTTPFetchError, messagingApi } from '@line/bot-sdk';
import { ChannelApiError } from '../../errors.ts';
import type { ChannelAccount } from '../accounts.ts';

export function createLineClient(account: ChannelAccount): messagingApi.MessagingApiClient {
  const channelAccessToken = account.secrets.accessToken;
  if (!channelAccessToken) throw new ChannelApiError(`LINE account ${account.id} has no channel access token; add it again with \`closer channels add line\`.`, 'line', true);
  return new messagingApi.MessagingApiClient({ channelAccessToken, ...(account.apiBaseUrl ? { baseURL: account.apiBaseUrl.replace(/\/$/, '') } : {}) });
}

/** LINE answers 400 naming the recipient when the user blocked the account or never existed. */
const UNREACHABLE = /'to'|\bto\b.*invalid|not found|blocked|unfollow/i;

function retryAfterMs(headers: Headers): number | undefined {
  const v = headers.get('retry-after');
  if (!v) return undefined;
  const seconds = Number(v);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function bodyMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    return typeof parsed.message === 'string' ? parsed.message : body;
  } catch {
    return body;
  }
}

/** LINE's answer as our error: 429 (with Retry-After when given) is temporary; a 400 about the recipient means unreachable. */
export function toChannelError(err: unknown, kind: 'reply' | 'push'): Error {
  if (err instanceof HTTPFetchError) {
    const detail = bodyMessage(err.body);
    if (err.status === 429) return new ChannelApiError(`LINE rate limit: ${detail}`, 'line', false, retryAfterMs(err.headers));
    if (err.status >= 500) return new ChannelApiError(`LINE error ${err.status}: ${detail}`, 'line', false);
    const unreachable = kind === 'push' && (err.status === 400 || err.status === 403) && UNREACHABLE.test(detail);
    return new ChannelApiError(`LINE refused the ${kind} (${err.status}): ${detail}`, 'line', true, undefined, { unreachable, status: err.status });
  }
  if (err instanceof ChannelApiError) return err;
  return new ChannelApiError(`LINE could not be reached: ${(err as Error).message}`, 'line', false);
}
