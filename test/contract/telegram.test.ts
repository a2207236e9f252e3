import { runChannelContract } from './suite.ts';
import { telegramHarness } from './harness-telegram.ts';

runChannelContract(() => telegramHarness());
