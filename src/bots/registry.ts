import type { ChannelModule } from './types.ts';
import { lineModule } from './line/module.ts';
import { telegramModule } from './telegram/module.ts';
import { slackModule } from './slack/index.ts';
import { msteamsModule } from './msteams/module.ts';

/**
 * The chat platforms this build speaks, besides the local channel (which
 * src/bots/local wires on its own). Add a channel by adding its module here.
 */
export const CHANNEL_MODULES: readonly ChannelModule[] = [telegramModule, lineModule, slackModule, msteamsModule];
