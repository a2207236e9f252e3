import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { categorySimilarities, classifyObjection } from '../../src/core/objections/classify.ts';
import { OBJECTION_CATEGORIES } from '../../src/core/objections/categories.ts';
import { loadPhraseBook, normaliseForMatch } from '../../src/core/objections/phrases.ts';

describe('objection classifier', () => {
  it.each([
    ['too expensive', 'price'],
    ['he says the price is too high', 'price'],
    ["I can't afford it right now", 'price'],
    ['let me think about it', 'time'],
    ['not ready yet, maybe next year', 'time'],
    ['is it safe? any side effects?', 'trust'],
    ["my skin isn't that bad", 'need'],
    ['the clinic down the road has a promotion', 'competitor'],
    ['need to ask my husband', 'authority'],
    ['I am afraid of pain', 'other'],
    ['แพงเกินไป', 'price'],
    ['ขอคิดดูก่อน', 'time'],
    ['ปลอดภัยไหมคะ', 'trust'],
    ['ใช้สกินแคร์ก็พอแล้ว', 'need'],
    ['คลินิกอื่นถูกกว่า', 'competitor'],
    ['ขอปรึกษาแฟนก่อนนะคะ', 'authority'],
    ['กลัวเจ็บค่ะ', 'other'],
    ['السعر مرتفع جداً', 'price'],
    ['بفكر فيها وأرد عليك', 'time'],
    ['أخاف من رسوم مخفية', 'trust'],
    ['الإيجار أوفر', 'need'],
    ['وسيط آخر عرض علي أرخص', 'competitor'],
    ['العميل يريد استشارة زوجته', 'authority'],
    ['الموقع بعيد عن المدارس', 'other'],
  ])('%s → %s', (text, category) => {
    const c = classifyObjection(text);
    expect(c.category).toBe(category);
    expect(c.confidence).toBeGreaterThan(0.3);
    expect(c.confidence).toBeLessThanOrEqual(1);
  });

  it('finds a price objection with a stall behind it, price first', () => {
    const c = classifyObjection("she says it's too expensive and she'll think about it");
    expect(c.category).toBe('price');
    expect(c.secondary).toEqual(['time']);
    expect(c.matched.price).toEqual(['too expensive']);
    // Two objections at once are less certain than one named outright.
    expect(c.confidence).toBeLessThan(classifyObjection('too expensive').confidence);
  });

  it('counts overlapping phrases of one category once (the longest)', () => {
    const c = classifyObjection('แพงเกินไป');
    expect(c.matched.price).toEqual([normaliseForMatch('แพงเกิน')]);
    expect(c.scores.price).toBe(3);
  });

  it('matches English phrases at word starts only', () => {
    expect(classifyObjection('it is not affordable for me').category).toBe('price');
    expect(classifyObjection('the reprice happened').scores.price).toBeUndefined();
  });

  it('settles a tie between phrase scores by meaning, deterministically', () => {
    const text = 'expensive but busy';
    const c = classifyObjection(text);
    expect(c.scores.price).toBe(c.scores.time);
    expect(c.method).toBe('phrases+embedding');
    const sims = categorySimilarities(text);
    const expected = sims.price >= sims.time ? 'price' : 'time';
    expect(c.category).toBe(expected);
    expect(c.secondary).toEqual([expected === 'price' ? 'time' : 'price']);
    expect(classifyObjection(text)).toEqual(c);
  });

  it('falls back to meaning alone, with low confidence, when no phrase matches', () => {
    const c = classifyObjection("I'm not convinced it does anything for me");
    expect(c.method).toBe('embedding');
    expect(c.category).toBe('need');
    expect(c.confidence).toBeLessThanOrEqual(0.45);
  });

  it('says "other" with almost no confidence for text that is not an objection', () => {
    for (const text of ['the weather is nice', 'hello', '!!!', '   ']) {
      const c = classifyObjection(text);
      expect(c.category).toBe('other');
      expect(c.confidence).toBeLessThanOrEqual(0.1);
      expect(c.secondary).toEqual([]);
    }
  });

  it('does not take a weak hint for a second objection', () => {
    expect(classifyObjection('too expensive, what is the price per month').secondary).toEqual([]);
  });
});

describe('phrase lists', () => {
  const book = loadPhraseBook();
  const locales = fs.readdirSync(new URL('../../src/core/objections/phrases/', import.meta.url)).map((f) => f.replace(/\.json$/, ''));

  it('exist for en, th and ar and cover every category in each', () => {
    expect(locales.sort()).toEqual(['ar', 'en', 'th']);
    for (const locale of locales) {
      for (const category of OBJECTION_CATEGORIES) {
        expect(book.phrases.some((p) => p.locale === locale && p.category === category), `${locale}/${category}`).toBe(true);
        expect(book.descriptionVectors.some((d) => d.locale === locale && d.category === category), `${locale}/${category} description`).toBe(true);
      }
    }
  });

  it('hold no duplicate phrase within a category and locale', () => {
    const seen = new Set<string>();
    for (const p of book.phrases) {
      const key = `${p.locale}|${p.category}|${p.text}`;
      expect(seen.has(key), key).toBe(false);
      seen.add(key);
    }
  });
});
