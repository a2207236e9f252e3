import type { ChannelModule } from '../types.ts';
import { AccountDirectory } from '../accounts.ts';
import { SlackAdapter } from './adapter.ts';
import { mountSlackOAuth } from './oauth.ts';
import { mountSlack } from './routes.ts';

/**
 * Slack for staff. Limits: chat.postMessage is tier "special", about one
 * message per second per channel with short bursts; a workspace's app gets
 * several hundred a minute across channels. Sections carry 3,000 characters.
 */
export const slackModule: ChannelModule = {
  channel: 'slack',
  limits: { perAccount: { max: 100, durationMs: 60_000 }, perChat: { max: 1, durationMs: 1_000 }, maxTextLength: 3_000 },
  mount(http, ctx) {
    // One directory, so an install through OAuth is seen by the event routes at once.
    const accounts = new AccountDirectory(ctx.db, ctx.secrets);
    mountSlack(http, ctx, accounts);
    mountSlackOAuth(http, ctx, accounts);
  },
  createAdapter(ctx) {
    return new SlackAdapter(new AccountDirectory(ctx.db, ctx.secrets));
  },
};
