import { describe, expect, it } from 'vitest';
import { coachConfidence, contactSignals, findLastObjection, type TimelineItem } from '../../src/core/coach/signals.ts';

const at = (iso: string) => new Date(iso);
const item = (iso: string, kind: string, body: string | null, data: Record<string, unknown> = {}): TimelineItem => ({ at: at(iso), kind, body, data });

describe('the last objection in a lead history', () => {
  it('prefers the newest: an objection a rep recorded, or one the customer wrote in plain words', () => {
    const timeline = [
      item('2026-11-19T10:00:00Z', 'message_in', 'โอเคค่ะ ยืนยันนัดนะคะ'),
      item('2026-11-19T09:00:00Z', 'note', 'she needs to ask her husband', { objection: { category: 'authority' } }),
      item('2026-11-18T09:00:00Z', 'message_in', 'แพงเกินไปค่ะ'),
    ];
    expect(findLastObjection(timeline)).toMatchObject({ category: 'authority', source: 'recorded' });
    expect(findLastObjection(timeline.slice(2))).toMatchObject({ category: 'price', source: 'message', text: 'แพงเกินไปค่ะ' });
  });

  it('ignores questions that merely mention a price or a promotion, and staff messages', () => {
    const timeline = [
      item('2026-11-19T10:00:00Z', 'message_in', 'เดือนนี้มีโปรโมชั่นเลเซอร์ไหมคะ'),
      item('2026-11-19T09:00:00Z', 'message_in', 'ราคาเท่าไหร่คะ'),
      item('2026-11-19T08:00:00Z', 'message_out', 'too expensive? we have instalments'),
      item('2026-11-19T07:00:00Z', 'note', 'note without data', {}),
    ];
    expect(findLastObjection(timeline)).toBeNull();
  });

  it('skips recorded data that is not a known category', () => {
    expect(findLastObjection([item('2026-11-19T09:00:00Z', 'note', 'x', { objection: { category: 'weather' } })])).toBeNull();
  });
});

describe('contact signals', () => {
  const now = at('2026-11-20T03:00:00Z');

  it('sees a customer waiting for an answer, and for how long', () => {
    const s = contactSignals({ lastContactAt: at('2026-11-19T07:00:00Z'), lastInboundAt: at('2026-11-19T23:00:00Z') }, [], now);
    expect(s).toEqual({ daysSinceContact: 0, awaitingReply: true, hoursWaiting: 4 });
  });

  it('counts whole days since the last touch in either direction, from the record and the history', () => {
    const s = contactSignals({ lastContactAt: at('2026-11-01T00:00:00Z'), lastInboundAt: null }, [item('2026-11-10T03:00:00Z', 'call', 'called', { direction: 'out' })], now);
    expect(s).toEqual({ daysSinceContact: 10, awaitingReply: false, hoursWaiting: null });
  });

  it('knows nothing of a lead never contacted, and never reports negative time', () => {
    expect(contactSignals({ lastContactAt: null, lastInboundAt: null }, [], now)).toEqual({ daysSinceContact: null, awaitingReply: false, hoursWaiting: null });
    expect(contactSignals({ lastContactAt: null, lastInboundAt: at('2026-11-21T00:00:00Z') }, [], now)).toMatchObject({ daysSinceContact: 0, hoursWaiting: 0 });
  });
});

describe('coaching confidence', () => {
  const all = { stagePlaybook: true, budget: true, needs: true, grade: true, recentHistory: true, lastObjection: true };
  it('grows with each fact the advice rests on and is capped', () => {
    const none = { stagePlaybook: true, budget: false, needs: false, grade: false, recentHistory: false, lastObjection: false };
    expect(coachConfidence(none, 1)).toBe(0.4);
    expect(coachConfidence({ ...none, budget: true, needs: true }, 1)).toBe(0.6);
    expect(coachConfidence(all, 1)).toBe(0.9);
  });
  it('is low without a stage playbook and lower when the history is stale', () => {
    expect(coachConfidence({ ...all, stagePlaybook: false }, 1)).toBe(0.2);
    expect(coachConfidence({ ...all, lastObjection: false }, 45)).toBe(0.7);
  });
});
