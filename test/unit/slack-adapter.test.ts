import { describe, expect, it } from 'vitest';
import { verifySlackSignature } from '../../src/bots/slack/verify.ts';
import { cleanSlackText, parseSlackRequest, slackChatId, splitSlackChatId } from '../../src/bots/slack/normalise.ts';
import { renderSlack } from '../../src/bots/slack/blocks.ts';
import { toChannelError } from '../../src/bots/slack/client.ts';
import { outbound } from '../../src/core/messages/types.ts';
import { slackAction, slackCommand, slackEvent, slackSignature } from '../fakes/slack.ts';

const SECRET = 'slack-signing-secret';
const NOW = Date.parse('2026-11-20T10:00:00Z');
const nowS = Math.floor(NOW / 1000);

function verify(body: string, ts: number, secret = SECRET) {
  const h = slackSignature(secret, body, ts);
  return verifySlackSignature({ signingSecret: SECRET, rawBody: body, signature: h['x-slack-signature'], timestamp: h['x-slack-request-timestamp'], nowMs: NOW });
}

describe('Slack request signatures', () => {
  it('accepts a request signed now', () => {
    expect(verify('{"a":1}', nowS)).toEqual({ ok: true });
  });
  it('refuses a wrong secret and a tampered body', () => {
    expect(verify('{"a":1}', nowS, 'other')).toEqual({ ok: false, reason: 'signature' });
    const h = slackSignature(SECRET, '{"a":1}', nowS);
    expect(verifySlackSignature({ signingSecret: SECRET, rawBody: '{"a":2}', signature: h['x-slack-signature'], timestamp: h['x-slack-request-timestamp'], nowMs: NOW }).ok).toBe(false);
  });
  it('refuses timestamps outside five minutes in either direction', () => {
    expect(verify('{}', nowS - 301)).toEqual({ ok: false, reason: 'stale' });
    expect(verify('{}', nowS + 301)).toEqual({ ok: false, reason: 'future' });
    expect(verify('{}', nowS - 299).ok).toBe(true);
    expect(verify('{}', nowS + 299).ok).toBe(true);
  });
  it('refuses missing or malformed headers', () => {
    expect(verifySlackSignature({ signingSecret: SECRET, rawBody: '{}', signature: undefined, timestamp: String(nowS), nowMs: NOW })).toEqual({ ok: false, reason: 'missing' });
    expect(verifySlackSignature({ signingSecret: SECRET, rawBody: '{}', signature: 'v0=00', timestamp: 'soon', nowMs: NOW })).toEqual({ ok: false, reason: 'missing' });
  });
});

describe('Slack request parsing', () => {
  it('reads a DM and a mention, dropping the bot mention', () => {
    const dm = parseSlackRequest(slackEvent('T1', 'Ev1', { type: 'message', channel_type: 'im', channel: 'D1', user: 'U1', text: 'hot leads', ts: '1700000000.000100' }), 'application/json');
    expect(dm).toMatchObject({ kind: 'message', via: 'dm', teamId: 'T1', eventId: 'Ev1', channel: 'D1', text: 'hot leads' });
    const mention = parseSlackRequest(slackEvent('T1', 'Ev2', { type: 'app_mention', channel: 'C1', user: 'U1', text: '<@UBOT> tell me about <mailto:a@b.co|a@b.co>', ts: '1.2' }), 'application/json', { botUserId: 'UBOT' });
    expect(mention).toMatchObject({ kind: 'message', via: 'mention', text: 'tell me about a@b.co' });
  });
  it('ignores bots (our own posts), edits, and channel chatter outside threads', () => {
    expect(parseSlackRequest(slackEvent('T1', 'E', { type: 'message', channel_type: 'im', channel: 'D1', bot_id: 'B1', text: 'hi', ts: '1.1' }), 'application/json').kind).toBe('ignored');
    expect(parseSlackRequest(slackEvent('T1', 'E', { type: 'message', subtype: 'message_changed', channel: 'D1', ts: '1.1' }), 'application/json').kind).toBe('ignored');
    expect(parseSlackRequest(slackEvent('T1', 'E', { type: 'message', channel_type: 'channel', channel: 'C1', user: 'U1', text: 'lunch?', ts: '1.1' }), 'application/json').kind).toBe('ignored');
  });
  it('reads a threaded channel message as a possible handoff reply', () => {
    const r = parseSlackRequest(slackEvent('T1', 'E3', { type: 'message', channel_type: 'channel', channel: 'C9', user: 'U1', text: 'Hello from Ploy', ts: '2.2', thread_ts: '1.1' }), 'application/json');
    expect(r).toMatchObject({ kind: 'message', via: 'thread', threadTs: '1.1', text: 'Hello from Ploy' });
  });
  it('reads the url_verification challenge, slash commands and button actions', () => {
    expect(parseSlackRequest(JSON.stringify({ type: 'url_verification', challenge: 'abc' }), 'application/json')).toEqual({ kind: 'url_verification', challenge: 'abc' });
    expect(parseSlackRequest(slackCommand('T1', 'U1', 'C1', 'hot leads'), 'application/x-www-form-urlencoded')).toMatchObject({ kind: 'command', teamId: 'T1', userId: 'U1', text: 'hot leads' });
    const act = parseSlackRequest(slackAction('T1', 'U1', 'D1', { action: 'lookup_lead', args: { lead_id: 'x' } }, { threadTs: '5.5' }), 'application/x-www-form-urlencoded');
    expect(act).toMatchObject({ kind: 'action', payload: { action: 'lookup_lead', args: { lead_id: 'x' } }, channel: 'D1', threadTs: '5.5' });
  });
  it('ignores a button whose value is not a Closer payload', () => {
    expect(parseSlackRequest(slackAction('T1', 'U1', 'D1', 'not json at all'), 'application/x-www-form-urlencoded').kind).toBe('ignored');
    expect(parseSlackRequest(slackAction('T1', 'U1', 'D1', { action: 'DROP TABLE' }), 'application/x-www-form-urlencoded').kind).toBe('ignored');
    expect(parseSlackRequest('{not json', 'application/json').kind).toBe('ignored');
  });
  it('round-trips thread chat ids and unescapes Slack text', () => {
    expect(splitSlackChatId(slackChatId('C1', '1.2'))).toEqual({ channel: 'C1', threadTs: '1.2' });
    expect(splitSlackChatId('D1')).toEqual({ channel: 'D1', threadTs: undefined });
    expect(cleanSlackText('a &lt;b&gt; &amp; <https://x.io>')).toBe('a <b> & https://x.io');
  });
});

describe('Block Kit rendering', () => {
  it('renders cards, buttons with JSON values, and tables', () => {
    const [msg] = renderSlack(
      outbound([
        { type: 'text', text: 'Top <3>' },
        { type: 'card', title: 'นก', subtitle: 'A', fields: Array.from({ length: 12 }, (_, i) => ({ label: `f${i}`, value: `v${i}` })) },
        { type: 'buttons', buttons: [{ label: 'Claim', payload: { action: 'claim_lead', args: { lead_id: 'L1' } }, style: 'primary' }, { label: 'Snooze', payload: { action: 'snooze', args: {} }, style: 'default' }] },
        { type: 'table', columns: ['Name', 'Score'], rows: [['Nok', '88']] },
      ]),
    );
    const blocks = msg!.blocks;
    expect(blocks[0]).toEqual({ type: 'section', text: { type: 'mrkdwn', text: 'Top &lt;3&gt;' } });
    expect(blocks.filter((b) => b.type === 'section' && 'fields' in b).map((b) => (b.fields as unknown[]).length)).toEqual([10, 2]);
    const actions = blocks.find((b) => b.type === 'actions') as { elements: { value: string; style?: string }[] };
    expect(JSON.parse(actions.elements[0]!.value)).toEqual({ action: 'claim_lead', args: { lead_id: 'L1' } });
    expect(actions.elements[0]!.style).toBe('primary');
    expect(actions.elements[1]!.style).toBeUndefined();
    expect(JSON.stringify(blocks.at(-1))).toContain('Name  Score');
    expect(msg!.text).toContain('Top <3>');
  });
  it('splits long text into sections Slack accepts and many blocks into several messages', () => {
    const long = renderSlack(outbound([{ type: 'text', text: 'word '.repeat(1500) }]));
    expect(long).toHaveLength(1);
    for (const b of long[0]!.blocks) expect(((b.text as { text: string }).text).length).toBeLessThanOrEqual(3000);
    const many = renderSlack(outbound(Array.from({ length: 60 }, (_, i) => ({ type: 'text' as const, text: `line ${i}` }))));
    expect(many.map((m) => m.blocks.length)).toEqual([50, 10]);
  });
});

describe('Slack API errors', () => {
  it('maps 429 to a retry after the given seconds, and dead channels to unreachable', () => {
    const rl = toChannelError({ code: 'slack_webapi_rate_limited_error', retryAfter: 3, message: 'rate limited' });
    expect(rl.permanent).toBe(false);
    expect(rl.retryAfterMs).toBe(3000);
    const gone = toChannelError({ code: 'slack_webapi_platform_error', data: { error: 'channel_not_found' }, message: 'x' });
    expect(gone.permanent).toBe(true);
    expect(gone.context.unreachable).toBe(true);
    const auth = toChannelError({ code: 'slack_webapi_platform_error', data: { error: 'invalid_auth' }, message: 'x' });
    expect([auth.permanent, auth.context.unreachable]).toEqual([true, false]);
    expect(toChannelError(new Error('socket hang up')).permanent).toBe(false);
  });
});
