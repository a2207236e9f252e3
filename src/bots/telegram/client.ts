import { Bot, GrammyError, HttpError } from 'grammy';
import type { UserFromGetMe } from 'grammy/types';
import { ChannelApiError } from '../../errors.ts';
import type { ChannelAccount } from '../accounts.ts';

/** A Telegram bot token is "<bot id>:<secret>"; the bot id is the account's external id. */
export function botIdFromToken(token: string): string | undefined {
  const m = /^(\d{3,20}):[A-Za-z0-9_-]{30,}$/.exec(token.trim());
  return m?.[1];
}

/**
 * One grammY Bot per account, built without a getMe call (webhooks must not
 * wait on Telegram): the bot's identity comes from the stored account.
 */
export function createBot(account: ChannelAccount): Bot {
  const token = account.secrets.token;
  if (!token) throw new ChannelApiError(`Telegram account ${account.id} has no bot token; add it again with \`closer channels add telegram\`.`, 'telegram', true);
  const stored = account.config.botInfo as Partial<UserFromGetMe> | undefined;
  const botInfo: UserFromGetMe = {
    id: Number(botIdFromToken(token) ?? account.externalId),
    is_bot: true,
    first_name: stored?.first_name ?? account.name,
    username: stored?.username ?? `bot${account.externalId}`,
    can_join_groups: stored?.can_join_groups ?? false,
    can_read_all_group_messages: stored?.can_read_all_group_messages ?? false,
    supports_inline_queries: stored?.supports_inline_queries ?? false,
    can_connect_to_business: stored?.can_connect_to_business ?? false,
    has_main_web_app: stored?.has_main_web_app ?? false,
  } as UserFromGetMe;
  return new Bot(token, { botInfo, client: account.apiBaseUrl ? { apiRoot: account.apiBaseUrl.replace(/\/$/, '') } : {} });
}

const UNREACHABLE = /bot was blocked|user is deactivated|chat not found|bot was kicked|PEER_ID_INVALID|bot can't initiate/i;

/** Telegram's answer as our error: 429 says when to retry; a blocked or unknown chat is permanent and unreachable. */
export function toChannelError(err: unknown): Error {
  if (err instanceof GrammyError) {
    const retryAfter = err.parameters.retry_after;
    if (err.error_code === 429) return new ChannelApiError(`Telegram rate limit: ${err.description}`, 'telegram', false, retryAfter !== undefined ? retryAfter * 1000 : undefined);
    if (err.error_code >= 500) return new ChannelApiError(`Telegram error ${err.error_code}: ${err.description}`, 'telegram', false);
    const unreachable = (err.error_code === 403 || err.error_code === 400) && UNREACHABLE.test(err.description);
    return new ChannelApiError(`Telegram refused the message (${err.error_code}): ${err.description}`, 'telegram', true, undefined, { unreachable });
  }
  if (err instanceof HttpError) return new ChannelApiError(`Telegram could not be reached: ${err.message}`, 'telegram', false);
  return err instanceof Error ? err : new Error(String(err));
}
