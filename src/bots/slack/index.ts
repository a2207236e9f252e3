import type { ChannelContext, ChannelModule } from '../types.ts';
import { slackDirectory } from './directory.ts';
import { SlackAdapter } from './adapter.ts';
import { mountSlackOAuth } from './oauth.ts';
import { mountSlack } from './routes.ts';
import { startSlackSocketMode, type SocketModeHandle } from './socket.ts';

const directory = slackDirectory;

/**
 * Slack for staff. Limits: chat.postMessage is tier "special", about one
 * message per second per channel with short bursts; a workspace's app gets
 * several hundred a minute across channels. Sections carry 3,000 characters.
 */
export const slackModule: ChannelModule = {
  channel: 'slack',
  limits: { perAccount: { max: 100, durationMs: 60_000 }, perChat: { max: 1, durationMs: 1_000 }, maxTextLength: 3_000 },
  mount(http, ctx) {
    const accounts = directory(ctx);
    mountSlack(http, ctx, accounts);
    mountSlackOAuth(http, ctx, accounts);
  },
  createAdapter(ctx) {
    return new SlackAdapter(directory(ctx));
  },
};

/** Connects the Slack accounts that use Socket Mode (development), with the same account directory as the routes. */
export function startSlackReceivers(ctx: ChannelContext, opts: { refreshMs?: number } = {}): SocketModeHandle {
  return startSlackSocketMode(ctx, directory(ctx), opts);
}
