import { runChannelContract } from './suite.ts';
import { lineHarness } from './harness-line.ts';

runChannelContract(() => lineHarness());
