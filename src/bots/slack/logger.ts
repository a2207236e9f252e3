import { LogLevel, type Logger as SlackLogger } from '@slack/oauth';
import type { Logger } from '../../log.ts';

function text(parts: unknown[]): string {
  return parts.map((p) => (p instanceof Error ? p.message : typeof p === 'string' || typeof p === 'number' ? String(p) : '[object]')).join(' ');
}

/**
 * The Slack SDKs' logger interface on top of ours. Their debug output
 * carries message payloads and authorize URLs with OAuth states, so it is
 * dropped; objects are never passed through (they can hold tokens).
 */
export function slackLogger(log: Logger, context: Record<string, unknown>): SlackLogger {
  return {
    debug: () => undefined,
    info: (...m: unknown[]) => log.debug({ ...context, sdk: text(m) }, 'slack sdk'),
    warn: (...m: unknown[]) => log.warn({ ...context, sdk: text(m) }, 'slack sdk warning'),
    error: (...m: unknown[]) => log.warn({ ...context, sdk: text(m) }, 'slack sdk error'),
    setLevel: () => undefined,
    getLevel: () => LogLevel.INFO,
    setName: () => undefined,
  };
}
