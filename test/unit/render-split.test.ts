import { describe, expect, it } from 'vitest';
import { splitText } from '../../src/bots/render/split.ts';

const words = (n: number, w = 'word') => Array.from({ length: n }, (_, i) => `${w}${i}`).join(' ');

describe('splitText', () => {
  it('leaves a text within the limit alone', () => {
    expect(splitText('hello world', 4096)).toEqual(['hello world']);
  });

  it('cuts at word boundaries and keeps every word whole', () => {
    const text = words(2000);
    const chunks = splitText(text, 4096);
    expect(chunks.length).toBeGreaterThan(1);
    for (const c of chunks) expect(c.length).toBeLessThanOrEqual(4096);
    expect(chunks.join(' ').split(/\s+/)).toEqual(text.split(' '));
  });

  it('prefers paragraph breaks over word breaks', () => {
    const para = words(30);
    const text = `${para}\n\n${para}\n\n${para}`;
    const chunks = splitText(text, para.length + 10);
    expect(chunks).toEqual([para, para, para]);
  });

  it('splits Thai and Arabic text with spaces on word boundaries', () => {
    const th = Array.from({ length: 400 }, () => 'สวัสดีค่ะ').join(' ');
    const ar = Array.from({ length: 400 }, () => 'مرحبا بكم').join(' ');
    for (const text of [th, ar]) {
      const chunks = splitText(text, 500);
      for (const c of chunks) expect(c.length).toBeLessThanOrEqual(500);
      expect(chunks.join(' ').replace(/\s+/g, ' ')).toBe(text);
    }
  });

  it('cuts a single over-long word only when nothing else fits, without halving an emoji', () => {
    const text = '😀'.repeat(40);
    const chunks = splitText(text, 25);
    for (const c of chunks) {
      expect(c.length).toBeLessThanOrEqual(25);
      expect(c).not.toMatch(/^[\uDC00-\uDFFF]|[\uD800-\uDBFF]$/);
    }
    expect(chunks.join('')).toBe(text);
  });

  it('never cuts inside an HTML tag or entity and rebalances open tags across chunks', () => {
    const text = `<b>${words(60)}</b> &amp; <pre>${words(60, 'code')}</pre>`;
    const chunks = splitText(text, 120, { markup: 'html' });
    expect(chunks.length).toBeGreaterThan(3);
    for (const c of chunks) {
      expect(c.length).toBeLessThanOrEqual(120);
      const opens = (c.match(/<(b|pre)>/g) ?? []).length;
      const closes = (c.match(/<\/(b|pre)>/g) ?? []).length;
      expect(opens).toBe(closes);
      expect(c).not.toMatch(/<[^>]*$|^[^<]*>|&[a-z]*$/);
    }
    const plain = chunks.map((c) => c.replace(/<[^>]+>/g, '')).join(' ').replace(/\s+/g, ' ');
    expect(plain).toBe(text.replace(/<[^>]+>/g, '').replace(/\s+/g, ' '));
  });
});
