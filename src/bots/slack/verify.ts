import crypto from 'node:crypto';

/** Slack's replay window: a request signed longer ago (or further ahead) than this is refused. */
export const SLACK_REPLAY_WINDOW_S = 300;

export type SlackVerdict = { ok: true } | { ok: false; reason: 'missing' | 'stale' | 'future' | 'signature' };

/**
 * Checks a request's `x-slack-signature` (v0, HMAC-SHA256 of
 * `v0:<timestamp>:<body>`) against the raw bytes Slack sent, before anything
 * decodes them: a body that is not UTF-8 is still judged by its signature.
 * Bolt's check refuses old timestamps but accepts ones from the future, which
 * would let a captured request be replayed for as long as the attacker's
 * clock skew allows: both directions are bounded here before the HMAC.
 */
export function verifySlackSignature(opts: { signingSecret: string; rawBody: string | Buffer; signature: string | undefined; timestamp: string | undefined; nowMs: number }): SlackVerdict {
  if (!opts.signature || !opts.timestamp || !/^\d{1,12}$/.test(opts.timestamp)) return { ok: false, reason: 'missing' };
  const ts = Number(opts.timestamp);
  const nowS = Math.floor(opts.nowMs / 1000);
  if (nowS - ts > SLACK_REPLAY_WINDOW_S) return { ok: false, reason: 'stale' };
  if (ts - nowS > SLACK_REPLAY_WINDOW_S) return { ok: false, reason: 'future' };
  if (!opts.signingSecret) return { ok: false, reason: 'signature' };
  const body = typeof opts.rawBody === 'string' ? Buffer.from(opts.rawBody, 'utf8') : opts.rawBody;
  const expected = Buffer.from(`v0=${crypto.createHmac('sha256', opts.signingSecret).update(`v0:${opts.timestamp}:`).update(body).digest('hex')}`);
  const given = Buffer.from(opts.signature);
  return given.length === expected.length && crypto.timingSafeEqual(given, expected) ? { ok: true } : { ok: false, reason: 'signature' };
}
