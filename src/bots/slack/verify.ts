import { isValidSlackRequest } from '@slack/bolt';

/** Slack's replay window: a request signed longer ago (or further ahead) than this is refused. */
export const SLACK_REPLAY_WINDOW_S = 300;

export type SlackVerdict = { ok: true } | { ok: false; reason: 'missing' | 'stale' | 'future' | 'signature' };

/**
 * Checks a request's `x-slack-signature` against the raw body. Bolt's check
 * refuses old timestamps but accepts ones from the future, which would let a
 * captured request be replayed for as long as the attacker's clock skew
 * allows: both directions are bounded here before the HMAC is compared.
 */
export function verifySlackSignature(opts: { signingSecret: string; rawBody: string; signature: string | undefined; timestamp: string | undefined; nowMs: number }): SlackVerdict {
  if (!opts.signature || !opts.timestamp || !/^\d{1,12}$/.test(opts.timestamp)) return { ok: false, reason: 'missing' };
  const ts = Number(opts.timestamp);
  const nowS = Math.floor(opts.nowMs / 1000);
  if (nowS - ts > SLACK_REPLAY_WINDOW_S) return { ok: false, reason: 'stale' };
  if (ts - nowS > SLACK_REPLAY_WINDOW_S) return { ok: false, reason: 'future' };
  const valid = isValidSlackRequest({
    signingSecret: opts.signingSecret,
    body: opts.rawBody,
    headers: { 'x-slack-signature': opts.signature, 'x-slack-request-timestamp': ts },
    nowMilliseconds: opts.nowMs,
    logger: SILENT,
  });
  return valid ? { ok: true } : { ok: false, reason: 'signature' };
}

const noop = () => undefined;
// Bolt logs every refusal at info; the route logs its own, with the account.
const SILENT = {
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  setLevel: noop,
  getLevel: () => 'error' as never,
  setName: noop,
};
