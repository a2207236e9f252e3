import { describe, expect, it } from 'vitest';
import { LOCAL_EMBEDDING_MODEL, cosine, embedLocal, normalizeForEmbedding, toSqlVector } from '../../src/core/embeddings/local.ts';

const norm = (v: number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));

/** cos(query, similar) must beat cos(query, unrelated) by a clear margin. */
function expectCloser(query: string, similar: string, unrelated: string): void {
  const q = embedLocal(query);
  const near = cosine(q, embedLocal(similar));
  const far = cosine(q, embedLocal(unrelated));
  expect(near, `"${similar}" (${near.toFixed(3)}) vs "${unrelated}" (${far.toFixed(3)})`).toBeGreaterThan(far + 0.05);
}

describe('embedLocal', () => {
  it('gives a 256-dimensional unit vector, the same every time', () => {
    const v = embedLocal('Is the HIFU treatment painful?');
    expect(v).toHaveLength(256);
    expect(norm(v)).toBeCloseTo(1, 10);
    expect(embedLocal('Is the HIFU treatment painful?')).toEqual(v);
    expect(LOCAL_EMBEDDING_MODEL).toBe('local-ngram-256-v1');
  });

  it('ignores case, repeated whitespace, width variants and punctuation', () => {
    expect(embedLocal('Hello   World!')).toEqual(embedLocal('hello world'));
    expect(embedLocal('ＰＲＩＣＥ')).toEqual(embedLocal('price'));
    expect(normalizeForEmbedding('  Too\n\texpensive?! ')).toBe('too expensive');
  });

  it('treats Arabic with and without diacritics, tatweel or hamza on alef as the same text', () => {
    expect(embedLocal('السَّعْرُ مرتـــفع')).toEqual(embedLocal('السعر مرتفع'));
    expect(embedLocal('أرض')).toEqual(embedLocal('ارض'));
  });

  it('keeps Thai tone marks, which change the word', () => {
    expect(normalizeForEmbedding('ไก่')).not.toBe(normalizeForEmbedding('ไก'));
  });

  it('gives the zero vector for empty or punctuation-only text', () => {
    expect(embedLocal('')).toEqual(new Array(256).fill(0));
    expect(embedLocal(' ?! ')).toEqual(new Array(256).fill(0));
    expect(cosine(embedLocal(''), embedLocal('hello'))).toBe(0);
  });

  it('scores similar English texts above unrelated ones', () => {
    expectCloser('The price is too expensive for me', "It's too expensive, is there a cheaper price?", 'Where can I park my car near the clinic?');
    expectCloser('Can I pay in monthly instalments?', 'Do you offer instalment payment plans?', 'Does the laser treatment hurt?');
  });

  it('scores similar Thai texts above unrelated ones (no tokenizer needed)', () => {
    expectCloser('ราคาแพงเกินไป มีผ่อนไหมคะ', 'แพงไปค่ะ ผ่อนได้ไหมคะ', 'คลินิกเปิดกี่โมงคะ');
    expectCloser('เลเซอร์รักษาสิว', 'อยากรักษาสิวด้วยเลเซอร์ค่ะ', 'มีที่จอดรถไหม');
  });

  it('scores similar Arabic texts above unrelated ones', () => {
    expectCloser('السعر مرتفع جداً، هل يوجد تقسيط؟', 'السعر مرتفع، ممكن تقسيط؟', 'متى يمكنني معاينة الفيلا في حي الملقا؟');
    expectCloser('أبحث عن فيلا في حي الملقا', 'فلل للبيع في الملقا', 'كم عمولة المكتب؟');
  });

  it('finds the matching answer among several, per language', () => {
    const docs = [
      'Payment options: cash, credit cards, 0% instalments over 3, 6 or 10 months',
      'Parking is in the building, free for 2 hours',
      'Opening hours: every day from 10:00 to 20:00',
    ];
    const best = (q: string) => {
      const qv = embedLocal(q);
      return docs.map((d) => cosine(qv, embedLocal(d))).reduce((bi, s, i, all) => (s > all[bi]! ? i : bi), 0);
    };
    expect(best('can I pay by instalments?')).toBe(0);
    expect(best('where do I park?')).toBe(1);
    expect(best('what are your opening hours')).toBe(2);
  });
});

describe('toSqlVector', () => {
  it("writes pgvector's text form", () => {
    expect(toSqlVector([0.5, -0.25, 0])).toBe('[0.5,-0.25,0]');
    expect(toSqlVector(embedLocal('x'))).toMatch(/^\[-?[\d.e-]+(,-?[\d.e-]+){255}\]$/);
  });

  it('refuses non-finite numbers', () => {
    expect(() => toSqlVector([1, Number.NaN])).toThrow(/non-finite/);
  });
});
