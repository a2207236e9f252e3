import type { ChannelAccount } from '../accounts.ts';
import type { ChannelContext } from '../types.ts';
import { createBot } from './client.ts';
import { handleUpdates, telegramCodec } from './module.ts';

/**
 * Long polling, for development machines Telegram cannot reach: the same
 * update handler as the webhook (normalise → persist → queue), fed by
 * getUpdates. Telegram allows one or the other, so the webhook is removed
 * first; set it again (`closer channels add telegram … --set-webhook`) when
 * done.
 */
export async function pollTelegram(ctx: ChannelContext, account: ChannelAccount, signal: AbortSignal): Promise<void> {
  const bot = createBot(account);
  handleUpdates(bot, ctx, account, telegramCodec(ctx));
  bot.catch((err) => ctx.log.error({ err: err.message, update: err.ctx.update.update_id }, 'telegram update failed; it will not be redelivered in polling mode'));
  await bot.api.deleteWebhook();
  signal.addEventListener('abort', () => void bot.stop());
  await bot.start({ allowed_updates: ['message', 'callback_query'], onStart: (me) => ctx.log.info({ bot: me.username }, 'telegram long polling started') });
}
