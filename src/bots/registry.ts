import type { ChannelModule } from './types.ts';

/**
 * The chat platforms this build speaks, besides the local channel (which
 * src/bots/local wires on its own). Add a channel by adding its module here.
 */
export const CHANNEL_MODULES: readonly ChannelModule[] = [];
