import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Paths that may carry secrets or personal data. pino replaces them before a
 * line is written, so a token pasted into a config object never reaches a log.
 */
const REDACT = [
  '*.token',
  '*.secret',
  '*.password',
  '*.apiKey',
  '*.authorization',
  '*.channelSecret',
  '*.channelAccessToken',
  '*.signingSecret',
  '*.secrets',
  'headers.authorization',
  'headers["x-telegram-bot-api-secret-token"]',
  'headers["x-line-signature"]',
  'headers["x-slack-signature"]',
  'config.secretKeyHex',
  'config.databaseUrl',
  'config.redisUrl',
];

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  // Logs go to stderr so that `closer ask --json` can keep stdout for JSON.
  return pino({ level, redact: { paths: REDACT, censor: '[redacted]' }, base: { app: 'closer' } }, (destination ?? process.stderr) as pino.DestinationStream);
}
