import { describe, expect, it } from 'vitest';
import { formatWhen, parseWhen } from '../../src/core/workflow/time.ts';
import { toEnglishTimePhrase } from '../../src/core/workflow/time-vocab.ts';

// Friday 20 Nov 2026, 07:00 in Bangkok (UTC+7) and 03:00 in Riyadh (UTC+3).
const NOW = new Date('2026-11-20T00:00:00Z');
const BKK = 'Asia/Bangkok';
const RUH = 'Asia/Riyadh';

function at(text: string, timeZone = BKK, now = NOW): string {
  const r = parseWhen(text, { now, timeZone });
  if (!r.ok) throw new Error(`${text}: ${r.reason}`);
  return r.at.toISOString();
}

describe('parseWhen: English', () => {
  it.each([
    ['friday', '2026-11-27T03:00:00.000Z'], // a bare weekday on that weekday is next week's, at 10:00 local
    ['on Friday', '2026-11-27T03:00:00.000Z'],
    ['tomorrow', '2026-11-21T03:00:00.000Z'],
    ['tomorrow 10am', '2026-11-21T03:00:00.000Z'],
    ['tomorrow at 4pm', '2026-11-21T09:00:00.000Z'],
    ['in 3 days', '2026-11-23T03:00:00.000Z'],
    ['next monday', '2026-11-23T03:00:00.000Z'],
    ['saturday', '2026-11-21T03:00:00.000Z'],
    ['2026-12-01', '2026-12-01T03:00:00.000Z'],
    ['2026-12-01 14:30', '2026-12-01T07:30:00.000Z'],
    ['today 5pm', '2026-11-20T10:00:00.000Z'],
    ['in 2 hours', '2026-11-20T02:00:00.000Z'],
    ['tmrw 9am', '2026-11-21T02:00:00.000Z'],
  ])('%s → %s (Bangkok)', (text, iso) => {
    expect(at(text)).toBe(iso);
  });

  it('reads the same words in the tenant time zone', () => {
    expect(at('tomorrow at 4pm', RUH)).toBe('2026-11-21T13:00:00.000Z');
    expect(at('friday', RUH)).toBe('2026-11-27T07:00:00.000Z');
  });

  it('takes an ISO instant as it is (what a Confirm button carries)', () => {
    expect(at('2026-11-27T03:00:00.000Z')).toBe('2026-11-27T03:00:00.000Z');
  });

  it('refuses a time in the past, and says which time it read', () => {
    const r = parseWhen('yesterday', { now: NOW, timeZone: BKK });
    expect(r).toMatchObject({ ok: false, reason: 'past' });
    expect(parseWhen('2020-01-01', { now: NOW, timeZone: BKK })).toMatchObject({ ok: false, reason: 'past' });
    // 10:00 today has not passed at 07:00 but has at 12:00.
    expect(parseWhen('today', { now: NOW, timeZone: BKK }).ok).toBe(true);
    expect(parseWhen('today', { now: new Date('2026-11-20T05:00:00Z'), timeZone: BKK })).toMatchObject({ ok: false, reason: 'past' });
    expect(parseWhen('2026-11-19T00:00:00Z', { now: NOW, timeZone: BKK })).toMatchObject({ ok: false, reason: 'past' });
  });

  it('says when it cannot read a time at all', () => {
    expect(parseWhen('banana', { now: NOW, timeZone: BKK })).toMatchObject({ ok: false, reason: 'unparsed' });
    expect(parseWhen('', { now: NOW, timeZone: BKK })).toMatchObject({ ok: false, reason: 'unparsed' });
  });
});

describe('parseWhen: Thai', () => {
  it.each([
    ['วันศุกร์', '2026-11-27T03:00:00.000Z'],
    ['ศุกร์', '2026-11-27T03:00:00.000Z'],
    ['พรุ่งนี้', '2026-11-21T03:00:00.000Z'],
    ['อีก 3 วัน', '2026-11-23T03:00:00.000Z'],
    ['อีกสามวัน', '2026-11-23T03:00:00.000Z'],
    ['อีก ๓ วัน', '2026-11-23T03:00:00.000Z'],
    ['พรุ่งนี้ บ่าย 4 โมง', '2026-11-21T09:00:00.000Z'],
    ['พรุ่งนี้ 10 โมง', '2026-11-21T03:00:00.000Z'],
    ['พรุ่งนี้ 4 โมงเย็น', '2026-11-21T09:00:00.000Z'],
    ['พรุ่งนี้ 14.30 น.', '2026-11-21T07:30:00.000Z'],
    ['วันจันทร์หน้า', '2026-11-23T03:00:00.000Z'],
    ['มะรืนนี้', '2026-11-22T03:00:00.000Z'],
    ['อาทิตย์หน้า', '2026-11-27T03:00:00.000Z'],
  ])('%s → %s', (text, iso) => {
    expect(at(text)).toBe(iso);
  });
});

describe('parseWhen: Arabic', () => {
  it.each([
    ['الجمعة', '2026-11-27T07:00:00.000Z'],
    ['يوم الخميس', '2026-11-26T07:00:00.000Z'],
    ['الخميس', '2026-11-26T07:00:00.000Z'],
    ['غداً', '2026-11-21T07:00:00.000Z'],
    ['غدا', '2026-11-21T07:00:00.000Z'],
    ['بعد 3 أيام', '2026-11-23T07:00:00.000Z'],
    ['بعد ٣ أيام', '2026-11-23T07:00:00.000Z'],
    ['غداً الساعة 4 مساءً', '2026-11-21T13:00:00.000Z'],
    ['غداً الساعة 10 صباحاً', '2026-11-21T07:00:00.000Z'],
    ['الأحد القادم', '2026-11-22T07:00:00.000Z'],
    ['بعد غد', '2026-11-22T07:00:00.000Z'],
  ])('%s → %s (Riyadh)', (text, iso) => {
    expect(at(text, RUH)).toBe(iso);
  });

  it('does not read "واحد" (one) as Sunday', () => {
    expect(toEnglishTimePhrase('بعد واحد')).not.toContain('sunday');
  });
});

describe('formatWhen', () => {
  it('shows the weekday and the local time of the zone', () => {
    const d = new Date('2026-11-27T03:00:00Z');
    expect(formatWhen(d, BKK, 'en')).toMatch(/^Fri 27 Nov,? 10:00$/);
    expect(formatWhen(d, RUH, 'en')).toMatch(/06:00/);
    expect(formatWhen(d, BKK, 'th')).toContain('10:00');
  });
});
