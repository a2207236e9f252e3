import { describe, expect, it } from 'vitest';
import { CHARS_PER_TOKEN, approxTokens, extendSummary, trimToBudget, type MemoryMessage } from '../../src/agents/memory.ts';

const at = new Date('2026-11-20T03:00:00Z');
function msg(i: number, text: string, role: 'user' | 'assistant' = i % 2 ? 'assistant' : 'user'): MemoryMessage {
  return { id: `m${i}`, role, text, at: new Date(at.getTime() + i * 1000) };
}

describe('memory: token estimate', () => {
  it('counts characters / 3.5, rounded up, for every script', () => {
    expect(approxTokens('')).toBe(0);
    expect(approxTokens('abc')).toBe(1);
    expect(approxTokens('a'.repeat(35))).toBe(10);
    expect(approxTokens('a'.repeat(36))).toBe(11);
    // Thai and Arabic are counted by UTF-16 units like everything else (generous for both).
    expect(approxTokens('สวัสดีค่ะ')).toBe(Math.ceil('สวัสดีค่ะ'.length / CHARS_PER_TOKEN));
    expect(approxTokens('مرحبا بك')).toBe(3);
  });
});

describe('memory: trimming to a token budget', () => {
  // 35 chars = 10 tokens, + 4 per message overhead = 14 each.
  const ten = (i: number) => msg(i, String(i).padEnd(35, '.'));

  it('keeps the newest messages that fit, oldest first, and returns the rest as dropped', () => {
    const all = [0, 1, 2, 3, 4].map(ten);
    const { kept, dropped } = trimToBudget(all, 14 * 3);
    expect(kept.map((m) => m.id)).toEqual(['m2', 'm3', 'm4']);
    expect(dropped.map((m) => m.id)).toEqual(['m0', 'm1']);
  });

  it('drops a message that would overflow the budget by one token', () => {
    const { kept } = trimToBudget([0, 1, 2].map(ten), 14 * 3 - 1);
    expect(kept.map((m) => m.id)).toEqual(['m1', 'm2']);
  });

  it('stops at the first message that does not fit: a short older one is not kept past a long newer one', () => {
    const all = [msg(0, 'hi'), msg(1, 'x'.repeat(700)), msg(2, 'ok')];
    const { kept, dropped } = trimToBudget(all, 50);
    expect(kept.map((m) => m.id)).toEqual(['m2']);
    expect(dropped.map((m) => m.id)).toEqual(['m0', 'm1']);
  });

  it('keeps nothing when even the newest message is over budget, and everything when all fit', () => {
    expect(trimToBudget([msg(0, 'x'.repeat(1000))], 100).kept).toEqual([]);
    expect(trimToBudget([], 100)).toEqual({ kept: [], dropped: [] });
    const all = [0, 1].map(ten);
    expect(trimToBudget(all, 1000)).toEqual({ kept: all, dropped: [] });
  });
});

describe('memory: rolling summary', () => {
  it('leaves the summary unchanged when nothing was dropped', () => {
    expect(extendSummary(null, [])).toBeNull();
    expect(extendSummary('User: earlier', [])).toBe('User: earlier');
  });

  it('appends one line per dropped message, with the speaker and collapsed whitespace, cut to 160 characters', () => {
    const s = extendSummary('User: earlier', [msg(0, 'how much\n\nis   acne laser?', 'user'), msg(1, 'y'.repeat(400), 'assistant')]);
    const lines = s!.split('\n');
    expect(lines[0]).toBe('User: earlier');
    expect(lines[1]).toBe('User: how much is acne laser?');
    expect(lines[2]).toBe(`Assistant: ${'y'.repeat(160)}`);
  });

  it('keeps the newest lines when the summary grows past 1500 characters', () => {
    let s: string | null = null;
    for (let i = 0; i < 40; i++) s = extendSummary(s, [msg(i, `message number ${i} ${'z'.repeat(100)}`, 'user')]);
    expect(s!.length).toBeLessThanOrEqual(1500);
    expect(s).toContain('message number 39');
    expect(s).not.toContain('message number 0 ');
    expect(s!.startsWith('User: message number')).toBe(true);
  });
});
