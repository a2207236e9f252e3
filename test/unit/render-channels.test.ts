import { describe, expect, it } from 'vitest';
import type { Update } from 'grammy/types';
import { inlinePayload, parseInlinePayload, supportedLocale, type PayloadCodec } from '../../src/bots/render/payloads.ts';
import { renderTelegram } from '../../src/bots/telegram/render.ts';
import { normaliseUpdate } from '../../src/bots/telegram/inbound.ts';
import { renderLine } from '../../src/bots/line/render.ts';
import { normaliseEvent } from '../../src/bots/line/inbound.ts';
import { botIdFromToken } from '../../src/bots/telegram/client.ts';
import { outbound } from '../../src/core/messages/types.ts';
import type { ChannelAccount } from '../../src/bots/accounts.ts';

/** The inline half of the real codec, enough for pure rendering tests. */
const codec: PayloadCodec = { encode: async (p) => inlinePayload(p), decode: async (d) => parseInlinePayload(d) };
const account: ChannelAccount = { id: 'acc', tenantId: 'ten', channel: 'telegram', name: 'bot', externalId: '1', config: {}, secrets: {}, apiBaseUrl: null, status: 'active' };
const at = new Date('2026-11-20T03:00:00Z');
const msg = (text: string, language_code = 'en'): Update =>
  ({ update_id: 7, message: { message_id: 1, date: 1, chat: { id: 42, type: 'private', first_name: 'A' }, from: { id: 42, is_bot: false, first_name: 'Ann', last_name: 'Lee', language_code }, text } }) as Update;

describe('Telegram rendering and commands', () => {
  it('escapes HTML in text and renders cards bold with their fields', async () => {
    const [send] = await renderTelegram(outbound([{ type: 'text', text: 'a < b & c' }, { type: 'card', title: 'Villa <A>', fields: [{ label: 'Price', value: '2,900,000 SAR' }] }]), codec);
    expect(send!.text).toBe('a &lt; b &amp; c\n\n<b>Villa &lt;A&gt;</b>\nPrice: 2,900,000 SAR');
    expect(send!.keyboard).toBeUndefined();
  });

  it('turns buttons into an inline keyboard whose data decodes back to the payload', async () => {
    const [send] = await renderTelegram(outbound([{ type: 'text', text: 'pick' }, { type: 'buttons', buttons: [{ label: 'Yes', payload: { action: 'set_consent', args: { consent: 'opted_in' } }, style: 'primary' }] }]), codec);
    const data = send!.keyboard![0]![0]! as { text: string; callback_data: string };
    expect(data.text).toBe('Yes');
    expect(await codec.decode(data.callback_data)).toEqual({ action: 'set_consent', args: { consent: 'opted_in' } });
  });

  it('maps /start with a deep link to an opt-in with the campaign as source, /stop to an opt-out, /lang to a locale', async () => {
    const start = await normaliseUpdate(msg('/start ig_villa_campaign'), account, codec, at);
    expect(start?.message).toMatchObject({ payload: { action: 'set_consent', args: { consent: 'opted_in' } }, meta: { source: 'ig_villa_campaign' }, platformMessageId: '7', displayName: 'Ann Lee', locale: 'en' });
    const bare = await normaliseUpdate(msg('/start'), account, codec, at);
    expect(bare?.message.meta).toMatchObject({ source: 'telegram' });
    const odd = await normaliseUpdate(msg('/start <script>'), account, codec, at);
    expect(odd?.message.meta).toMatchObject({ source: 'telegram' });
    expect((await normaliseUpdate(msg('/stop'), account, codec, at))?.message.payload).toEqual({ action: 'set_consent', args: { consent: 'opted_out' } });
    const lang = await normaliseUpdate(msg('/lang ar'), account, codec, at);
    expect(lang).toMatchObject({ setLocale: 'ar', message: { text: 'مساعدة', locale: 'ar' } });
    expect((await normaliseUpdate(msg('/lang xx'), account, codec, at))?.setLocale).toBeUndefined();
    expect((await normaliseUpdate(msg('สวัสดี', 'th-TH'), account, codec, at))?.message).toMatchObject({ text: 'สวัสดี', locale: 'th' });
  });

  it('ignores group chats and non-text updates', async () => {
    const group = { update_id: 8, message: { message_id: 1, date: 1, chat: { id: -5, type: 'group', title: 'g' }, from: { id: 1, is_bot: false, first_name: 'x' }, text: 'hi' } } as Update;
    expect(await normaliseUpdate(group, account, codec, at)).toBeUndefined();
    expect(await normaliseUpdate({ update_id: 9 } as Update, account, codec, at)).toBeUndefined();
  });

  it('reads bot ids from tokens and rejects what is not a token', () => {
    expect(botIdFromToken(`123456789:${'A'.repeat(35)}`)).toBe('123456789');
    expect(botIdFromToken('not-a-token')).toBeUndefined();
    expect(supportedLocale('ar-SA')).toBe('ar');
    expect(supportedLocale('fr')).toBeUndefined();
  });
});

describe('LINE rendering and events', () => {
  it('clips quick-reply labels to 20 characters and keeps at most 13 buttons', async () => {
    const buttons = Array.from({ length: 15 }, (_, i) => ({ label: `A very long button label ${i}`, payload: { action: 'help', args: {} }, style: 'default' as const }));
    const out = await renderLine(outbound([{ type: 'text', text: 'choose' }, { type: 'buttons', buttons }]), codec);
    expect(out).toHaveLength(1);
    const items = (out[0] as { quickReply?: { items: { action: { label: string } }[] } }).quickReply!.items;
    expect(items).toHaveLength(13);
    for (const i of items) expect(Array.from(i.action.label).length).toBeLessThanOrEqual(20);
  });

  it('turns follow, postback, text and unfollow events into what the core understands, and drops group events', async () => {
    const line = { ...account, channel: 'line' as const };
    const base = { webhookEventId: 'E1', timestamp: at.getTime(), source: { type: 'user', userId: 'U1' }, replyToken: 'rt' };
    expect(await normaliseEvent({ ...base, type: 'follow' }, line, codec)).toMatchObject({ kind: 'inbound', follow: true, replyToken: 'rt', message: { payload: { action: 'set_consent', args: { consent: 'opted_in' } }, meta: { source: 'line' } } });
    expect(await normaliseEvent({ ...base, type: 'unfollow' }, line, codec)).toEqual({ kind: 'unfollow', userId: 'U1', at });
    expect(await normaliseEvent({ ...base, type: 'postback', postback: { data: inlinePayload({ action: 'talk_to_human', args: {} }) } }, line, codec)).toMatchObject({ message: { payload: { action: 'talk_to_human', args: {} } } });
    expect(await normaliseEvent({ ...base, type: 'postback', postback: { data: 'garbage' } }, line, codec)).toMatchObject({ message: { text: '/help' } });
    expect(await normaliseEvent({ ...base, type: 'message', message: { type: 'text', text: 'hi' }, deliveryContext: { isRedelivery: true } }, line, codec)).toMatchObject({ replyToken: undefined, message: { text: 'hi', platformMessageId: 'E1' } });
    expect(await normaliseEvent({ ...base, type: 'message', source: { type: 'group', groupId: 'G' }, message: { type: 'text', text: 'hi' } }, line, codec)).toBeUndefined();
    expect(await normaliseEvent({ ...base, type: 'message', message: { type: 'sticker' } }, line, codec)).toBeUndefined();
  });
});
