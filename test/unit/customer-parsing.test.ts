import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { findNumbers, normaliseDigits, parseAmount } from '../../src/core/customer/numbers.ts';
import { parseWhen } from '../../src/core/customer/dates.ts';
import { extractNeeds } from '../../src/core/customer/needs.ts';
import { parseConsent } from '../../src/core/customer/consent.ts';
import { matchItems, recommendItems, type CatalogueItem } from '../../src/core/customer/catalogue.ts';
import type { District } from '../../src/core/customer/geo.ts';

const realty = JSON.parse(fs.readFileSync(new URL('../../db/seeds/realty.json', import.meta.url), 'utf8')) as { districts: District[] };
const clinic = JSON.parse(fs.readFileSync(new URL('../../db/seeds/clinic.json', import.meta.url), 'utf8')) as {
  catalogue: { sku: string; names: Record<string, string>; descriptions: Record<string, string>; category: string; price: number; sessions: number | null; duration_minutes: number | null; targets: string[] }[];
};
const catalogue: CatalogueItem[] = clinic.catalogue.map((c) => ({ ...c, currency: 'THB', durationMinutes: c.duration_minutes }));
const NORTH_RIYADH = realty.districts.filter((d) => d.city === 'Riyadh' && d.zone === 'north').map((d) => d.name);

describe('amounts as customers write them', () => {
  it.each([
    ['15k', 15_000],
    ['15,000', 15_000],
    ['1.5 ล้าน', 1_500_000],
    ['3 مليون', 3_000_000],
    ['٣ مليون ريال', 3_000_000],
    ['3 million SAR', 3_000_000],
    ['๑๕๐๐๐ บาท', 15_000],
    ['สองหมื่น', 20_000],
    ['مليونين', 2_000_000],
    ['฿12,900', 12_900],
  ])('%s → %d', (text, value) => {
    expect(parseAmount(text)).toBe(value);
  });

  it('rejects what is not one amount', () => {
    expect(parseAmount('15kg')).toBeUndefined();
    expect(parseAmount('abc')).toBeUndefined();
    expect(parseAmount('3 or 4 million')).toBeUndefined();
  });

  it('turns Thai and Arabic-Indic digits into Western ones and keeps word boundaries', () => {
    expect(normaliseDigits('๐๘๑-๒๓๔ ٠٥٠١')).toBe('081-234 0501');
    expect(findNumbers('ستوديو')).toEqual([]);
  });
});

describe('days and times in the tenant time zone', () => {
  // Friday 20 Nov 2026, 12:00 in Bangkok (UTC+7) and 08:00 in Riyadh (UTC+3).
  const now = new Date('2026-11-20T05:00:00Z');
  it.each([
    ['Saturday', 'Asia/Bangkok', '2026-11-21T03:00:00.000Z', false],
    ['วันเสาร์', 'Asia/Bangkok', '2026-11-21T03:00:00.000Z', false],
    ['السبت', 'Asia/Riyadh', '2026-11-21T07:00:00.000Z', false],
    ['on saturday at 3pm', 'Asia/Bangkok', '2026-11-21T08:00:00.000Z', true],
    ['วันเสาร์ บ่ายสอง', 'Asia/Bangkok', '2026-11-21T07:00:00.000Z', true],
    ['يوم السبت الساعة 5 مساء', 'Asia/Riyadh', '2026-11-21T14:00:00.000Z', true],
    ['tomorrow 10:30', 'Asia/Bangkok', '2026-11-21T03:30:00.000Z', true],
    ['พรุ่งนี้ 2 ทุ่ม', 'Asia/Bangkok', '2026-11-21T13:00:00.000Z', true],
    ['بكرة', 'Asia/Riyadh', '2026-11-21T07:00:00.000Z', false],
    ['friday', 'Asia/Bangkok', '2026-11-27T03:00:00.000Z', false],
    ['25/11', 'Asia/Bangkok', '2026-11-25T03:00:00.000Z', false],
  ])('%s (%s) → %s', (text, tz, iso, hasTime) => {
    const r = parseWhen(text, now, tz, '10:00');
    expect(r?.at.toISOString()).toBe(iso);
    expect(r?.hasTime).toBe(hasTime);
  });

  it('reads no date into text without one', () => {
    expect(parseWhen('next week sometime', now, 'Asia/Bangkok')).toBeUndefined();
    expect(parseWhen('', now, 'Asia/Bangkok')).toBeUndefined();
  });
});

describe('needs from free text', () => {
  it("reads Faisal's Arabic request: villa, 4 bedrooms, north Riyadh, 3 million", () => {
    const n = extractNeeds('أريد فيلا 4 غرف في شمال الرياض بحدود 3 مليون ريال', realty.districts);
    expect(n.propertyTypes).toEqual(['villa']);
    expect(n.bedroomsMin).toBe(4);
    expect(n.budget).toBe(3_000_000);
    expect(n.cities).toEqual(['Riyadh']);
    expect(n.districts.sort()).toEqual([...NORTH_RIYADH].sort());
    expect(n.districts).toEqual(expect.arrayContaining(['Al Malqa', 'Al Yasmin', 'Al Narjis']));
  });

  it('prefers a named district over a zone word inside another name', () => {
    const n = extractNeeds('مهتم بأرض في أبحر الشمالية جدة', realty.districts);
    expect(n.districts).toEqual(['Obhur Al Shamaliyah']);
    expect(n.zones).toEqual([]);
    expect(n.propertyTypes).toEqual(['land']);
  });

  it('reads English requests and words for numbers', () => {
    const n = extractNeeds('I want a four bedroom villa in Al Malqa or Hittin, budget 2.5m', realty.districts);
    expect(n).toMatchObject({ propertyTypes: ['villa'], districts: ['Al Malqa', 'Hittin'], bedroomsMin: 4, budget: 2_500_000 });
  });

  it('finds skin concerns in Thai and English, longest term first', () => {
    expect(extractNeeds('มีปัญหาสิวกับรูขุมขนกว้าง งบ 15000 ค่ะ', []).concerns).toEqual(['acne', 'large_pores']);
    expect(extractNeeds('มีหลุมสิวค่ะ', []).concerns).toEqual(['scars']);
    expect(extractNeeds('I have acne and large pores', []).concerns).toEqual(['acne', 'large_pores']);
    expect(extractNeeds('มีปัญหาสิวกับรูขุมขนกว้าง งบ 15000 ค่ะ', []).budget).toBe(15_000);
  });

  it('does not take a phone number for a budget', () => {
    expect(extractNeeds('call me on 0812345678', []).budget).toBeUndefined();
  });
});

describe('consent words', () => {
  it.each([
    ['STOP', 'opted_out'],
    ['unsubscribe', 'opted_out'],
    ['ไม่สนใจแล้ว ไม่ต้องส่งมาอีก', 'opted_out'],
    ['ไม่ต้องส่งมาอีก', 'opted_out'],
    ['إلغاء الاشتراك', 'opted_out'],
    ['توقف', 'opted_out'],
    ['لا ترسل لي', 'opted_out'],
    ['opted_out', 'opted_out'],
    ['START', 'opted_in'],
    ['subscribe again', 'opted_in'],
    ['opted_in', 'opted_in'],
    ['اشتراك', 'opted_in'],
  ])('%s → %s', (text, consent) => {
    expect(parseConsent(text)).toBe(consent);
  });
  it('is undefined for anything else', () => {
    expect(parseConsent('maybe')).toBeUndefined();
  });
});

describe('catalogue matching', () => {
  it.each([
    ['how much is the acne laser?', 'ACNE-LASER-5'],
    ['ราคาเลเซอร์รักษาสิวเท่าไหร่คะ', 'ACNE-LASER-5'],
    ['how much is pico?', 'PICO-SINGLE'],
    ['ฟิลเลอร์ใต้ตาราคาเท่าไหร่', 'FILLER-UNDEREYE'],
    ['สนใจพิโคเลเซอร์ค่ะ', 'PICO-SINGLE'],
  ])('%s → %s', (q, sku) => {
    const [best] = matchItems(catalogue, q, []);
    expect(best?.item.sku).toBe(sku);
    expect(best!.score).toBeGreaterThanOrEqual(0.5);
  });

  it('names nothing for a question about something else', () => {
    expect(matchItems(catalogue, 'what time do you open?', [])[0]!.score).toBeLessThan(0.5);
  });

  it('recommends one treatment per concern, cheaper first', () => {
    const recs = recommendItems(catalogue, ['pigmentation', 'wrinkles']);
    expect(recs).toHaveLength(2);
    const covered = new Set(recs.flatMap((r) => r.treats));
    expect(covered).toEqual(new Set(['pigmentation', 'wrinkles']));
  });
});
