import { webApi } from '@slack/bolt';
import { ChannelApiError } from '../../errors.ts';
import type { ChannelAccount } from '../accounts.ts';

export type SlackClient = InstanceType<typeof webApi.WebClient>;

/** Errors after which writing to the same place again cannot succeed. */
const UNREACHABLE = new Set(['channel_not_found', 'is_archived', 'account_inactive', 'user_not_found', 'user_disabled', 'cannot_dm_bot', 'not_in_channel']);
const PERMANENT = new Set([...UNREACHABLE, 'invalid_auth', 'not_authed', 'token_revoked', 'invalid_blocks', 'invalid_blocks_format', 'msg_too_long', 'no_text', 'missing_scope']);

const clients = new Map<string, { token: string; url: string | null; client: SlackClient }>();

/**
 * One Web API client per workspace. Its own retries are off: the delivery
 * worker owns retries (and Retry-After), so a 429 must surface at once
 * instead of being slept through inside a job.
 */
export function slackClient(account: ChannelAccount): SlackClient {
  const token = account.secrets.bot_token;
  if (!token) throw new ChannelApiError(`Slack account ${account.name} has no bot token (closer slack add --bot-token …).`, 'slack', true);
  const hit = clients.get(account.id);
  if (hit && hit.token === token && hit.url === account.apiBaseUrl) return hit.client;
  const client = new webApi.WebClient(token, {
    ...(account.apiBaseUrl ? { slackApiUrl: account.apiBaseUrl.endsWith('/') ? account.apiBaseUrl : `${account.apiBaseUrl}/` } : {}),
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: 10_000,
    logLevel: webApi.LogLevel.ERROR,
  });
  clients.set(account.id, { token, url: account.apiBaseUrl, client });
  return client;
}

/** Turns a Web API failure into the delivery worker's terms. */
export function toChannelError(err: unknown): ChannelApiError {
  const e = err as { code?: string; retryAfter?: number; statusCode?: number; data?: { error?: string }; message?: string };
  const message = `Slack: ${e.message ?? String(err)}`;
  switch (e.code) {
    case webApi.ErrorCode.RateLimitedError:
      return new ChannelApiError(message, 'slack', false, Math.max(1, e.retryAfter ?? 1) * 1000);
    case webApi.ErrorCode.PlatformError: {
      const code = e.data?.error ?? 'unknown';
      return new ChannelApiError(message, 'slack', PERMANENT.has(code), undefined, { slackError: code, unreachable: UNREACHABLE.has(code) });
    }
    case webApi.ErrorCode.HTTPError:
      return new ChannelApiError(message, 'slack', e.statusCode !== undefined && e.statusCode >= 400 && e.statusCode < 500 && e.statusCode !== 408);
    default:
      return new ChannelApiError(message, 'slack', false);
  }
}
