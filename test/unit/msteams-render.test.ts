import { describe, expect, it } from 'vitest';
import { inlinePayload, parseInlinePayload, type PayloadCodec } from '../../src/bots/render/payloads.ts';
import { ADAPTIVE_CARD_VERSION, escapeCardMarkdown, renderTeams, TABLE_ROWS, TEAMS_TEXT_LIMIT, type CardElement } from '../../src/bots/msteams/render.ts';
import { normaliseActivity, ActivitySchema } from '../../src/bots/msteams/inbound.ts';
import { msteamsModule } from '../../src/bots/msteams/module.ts';
import { outbound } from '../../src/core/messages/types.ts';
import type { ChannelAccount } from '../../src/bots/accounts.ts';

/** The inline half of the real codec, enough for pure rendering tests. */
const codec: PayloadCodec = { encode: async (p) => inlinePayload(p), decode: async (d) => parseInlinePayload(d) };

const find = (els: unknown, type: string): CardElement[] => {
  if (Array.isArray(els)) return els.flatMap((e) => find(e, type));
  if (!els || typeof els !== 'object') return [];
  const o = els as CardElement;
  return [...(o.type === type ? [o] : []), ...Object.values(o).flatMap((v) => find(v, type))];
};

describe('Teams rendering (Adaptive Cards)', () => {
  it('sends text as plain text and cards, tables and buttons as one Adaptive Card 1.5 whose Action.Submit data decodes to the payload', async () => {
    const sends = await renderTeams(
      outbound([
        { type: 'text', text: 'Two villas match.' },
        { type: 'card', title: 'Villa *Palm*', subtitle: 'Al Olaya', fields: [{ label: 'Price', value: '2,900,000 SAR' }] },
        { type: 'table', columns: ['Name', 'Beds'], rows: [['Palm', '4'], ['Dune', '3']] },
        {
          type: 'buttons',
          buttons: [
            { label: 'Book a viewing', payload: { action: 'book_viewing', args: { listing: 'L1' } }, style: 'primary' },
            { label: 'Stop messages', payload: { action: 'set_consent', args: { consent: 'opted_out' } }, style: 'danger' },
            { label: 'Later', payload: { action: 'snooze', args: {} }, style: 'default' },
          ],
        },
      ]),
      codec,
    );
    expect(sends).toHaveLength(1);
    const [send] = sends;
    expect(send!.text).toBe('Two villas match.');
    const card = send!.card!;
    expect(card).toMatchObject({ type: 'AdaptiveCard', version: ADAPTIVE_CARD_VERSION });
    expect(find(card.body, 'TextBlock')[0]).toMatchObject({ text: 'Villa \\*Palm\\*', weight: 'Bolder', wrap: true });
    expect(find(card.body, 'FactSet')[0]).toMatchObject({ facts: [{ title: 'Price', value: '2,900,000 SAR' }] });
    const table = find(card.body, 'Table')[0]!;
    expect(table).toMatchObject({ firstRowAsHeader: true, columns: [{ width: 1 }, { width: 1 }] });
    expect((table.rows as unknown[]).length).toBe(3);
    const actions = card.actions!;
    expect(actions.map((a) => [a.type, a.title, a.style])).toEqual([
      ['Action.Submit', 'Book a viewing', 'positive'],
      ['Action.Submit', 'Stop messages', 'destructive'],
      ['Action.Submit', 'Later', undefined],
    ]);
    const data = actions[1]!.data as { closer: string };
    expect(await codec.decode(data.closer)).toEqual({ action: 'set_consent', args: { consent: 'opted_out' } });
  });

  it('splits a long text at the Teams limit without breaking words, the card riding on the last part', async () => {
    const words = Array.from({ length: 5000 }, (_, i) => `word${i}`);
    const text = words.join(' ');
    const sends = await renderTeams(outbound([{ type: 'text', text }, { type: 'buttons', buttons: [{ label: 'OK', payload: { action: 'ok', args: {} }, style: 'default' }] }]), codec);
    expect(sends.length).toBeGreaterThan(3);
    for (const s of sends) expect(s.text!.length).toBeLessThanOrEqual(TEAMS_TEXT_LIMIT);
    expect(sends.flatMap((s) => s.text!.split(/\s+/).filter(Boolean))).toEqual(words);
    expect(sends.slice(0, -1).every((s) => s.card === undefined)).toBe(true);
    expect(sends.at(-1)!.card!.actions).toHaveLength(1);
    expect(msteamsModule.limits.maxTextLength).toBe(TEAMS_TEXT_LIMIT);
  });

  it('escapes the Markdown that card text blocks would read, and leaves plain text alone', () => {
    expect(escapeCardMarkdown('**Sale** _now_ [click](http://x) `code` ~x~')).toBe('\\*\\*Sale\\*\\* \\_now\\_ \\[click\\](http://x) \\`code\\` \\~x\\~');
    expect(escapeCardMarkdown('- one\n  + two\n3. three\n# head\n> quote')).toBe('\\- one\n  \\+ two\n3\\. three\n\\# head\n\\> quote');
    expect(escapeCardMarkdown('Price 2-3 M, 4.5% yield')).toBe('Price 2-3 M, 4.5% yield');
  });

  it('shows https images in the card, other images as their link, caps long tables, and falls back to the message text', async () => {
    const [withImages] = await renderTeams(outbound([{ type: 'image', url: 'https://cdn.example.com/a.png', alt: 'Chart' }, { type: 'image', url: 'http://127.0.0.1/b.png', alt: 'Local' }]), codec);
    expect(find(withImages!.card!.body, 'Image')).toEqual([{ type: 'Image', url: 'https://cdn.example.com/a.png', altText: 'Chart', size: 'Stretch' }]);
    expect(withImages!.text).toBe('Local: http://127.0.0.1/b.png');

    const rows = Array.from({ length: TABLE_ROWS + 5 }, (_, i) => [`r${i}`]);
    const [big] = await renderTeams(outbound([{ type: 'table', columns: ['c'], rows }]), codec);
    expect((find(big!.card!.body, 'Table')[0]!.rows as unknown[]).length).toBe(TABLE_ROWS + 1);
    expect(find(big!.card!.body, 'TextBlock').at(-1)!.text).toBe('… 5 more rows');

    expect(await renderTeams({ text: 'just text', parts: [] }, codec)).toEqual([{ text: 'just text', card: undefined }]);
  });
});

const account: ChannelAccount = { id: 'acc', tenantId: 'ten', channel: 'msteams', name: 'bot', externalId: 'app', config: {}, secrets: {}, apiBaseUrl: null, status: 'active' };
const activity = (extra: Record<string, unknown>) =>
  ActivitySchema.parse({
    type: 'message',
    id: 'act-1',
    channelId: 'msteams',
    serviceUrl: 'https://smba.trafficmanager.net/amer/',
    timestamp: '2026-11-20T03:00:00.000Z',
    locale: 'th-TH',
    from: { id: '29:user', name: 'Somchai' },
    recipient: { id: '28:bot', name: 'Closer' },
    conversation: { id: 'a:conv', conversationType: 'personal', tenantId: 'entra-t' },
    ...extra,
  });

describe('Teams inbound activities', () => {
  it('turns a personal text message into an InboundMessage and keeps where to reply', async () => {
    const n = await normaliseActivity(activity({ text: ' hello\r\nthere ' }), account, codec);
    expect(n).toMatchObject({
      kind: 'inbound',
      invoke: false,
      message: { channel: 'msteams', platformMessageId: 'act-1', externalChatId: 'a:conv', externalUserId: 'msteams:29:user', displayName: 'Somchai', locale: 'th', text: 'hello\nthere' },
      ref: { conversationId: 'a:conv', serviceUrl: 'https://smba.trafficmanager.net/amer/', botId: '28:bot', userId: '29:user', entraTenantId: 'entra-t', activityChannel: 'msteams' },
    });
  });

  it('reads our payload from an Action.Submit message and an Action.Execute invoke; an unreadable one becomes the menu', async () => {
    const payload = { action: 'set_consent', args: { consent: 'opted_in' } };
    const submit = await normaliseActivity(activity({ value: { closer: inlinePayload(payload) } }), account, codec);
    expect(submit).toMatchObject({ kind: 'inbound', message: { payload } });
    // Identity keys are namespaced by channel; on Teams the Entra object id wins over the per-bot 29:… id.
    const aad = await normaliseActivity(activity({ text: 'hi', from: { id: '29:user', aadObjectId: 'AAAAAAAA-0000-4000-8000-000000000001' } }), account, codec);
    expect(aad).toMatchObject({ message: { externalUserId: 'msteams:aad:aaaaaaaa-0000-4000-8000-000000000001' }, previousKey: 'msteams:29:user' });
    const invoke = await normaliseActivity(activity({ type: 'invoke', name: 'adaptiveCard/action', value: { action: { type: 'Action.Execute', data: { closer: inlinePayload(payload) } } } }), account, codec);
    expect(invoke).toMatchObject({ kind: 'inbound', invoke: true, message: { payload } });
    const junk = await normaliseActivity(activity({ value: { closer: 'j["BAD ACTION",{}]' } }), account, codec);
    expect(junk).toMatchObject({ kind: 'inbound', message: { text: '/help' } });
  });

  it('ignores group chats, channel posts, conversation updates and other invokes', async () => {
    const ignored = async (extra: Record<string, unknown>) => (await normaliseActivity(activity(extra), account, codec)).kind;
    expect(await ignored({ text: 'hi', conversation: { id: 'g', conversationType: 'groupChat', isGroup: true } })).toBe('ignored');
    expect(await ignored({ text: 'hi', conversation: { id: 'c', conversationType: 'channel' } })).toBe('ignored');
    expect(await ignored({ type: 'conversationUpdate' })).toBe('ignored');
    expect(await ignored({ type: 'invoke', name: 'composeExtension/query' })).toBe('ignored');
    expect(await ignored({ type: 'typing' })).toBe('ignored');
    expect(await ignored({ text: '   ' })).toBe('ignored');
  });
});
