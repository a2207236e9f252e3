import { describe, expect, it } from 'vitest';
import { parseQuestion } from '../../src/core/bi/parse.ts';
import { resolveTime } from '../../src/core/bi/time.ts';
import { checkQuery, UnknownNameError } from '../../src/core/bi/validate.ts';
import { compileQuery } from '../../src/core/bi/compile.ts';
import { MetricQuerySchema } from '../../src/core/bi/query.ts';
import { parseSchedule } from '../../src/core/bi/schedule.ts';
import { matchIntent } from '../../src/agents/rules/patterns.ts';

const now = new Date('2026-11-20T00:00:00Z');
const bkk = { now, timezone: 'Asia/Bangkok', weekStart: 'monday' as const };

describe('time ranges in the tenant timezone', () => {
  it('starts "this month" at local midnight on the 1st', () => {
    const r = resolveTime('this_month', bkk);
    expect(r.start?.toISOString()).toBe('2026-10-31T17:00:00.000Z');
    expect(r.end?.toISOString()).toBe('2026-11-30T17:00:00.000Z');
    expect(r.previous?.start.toISOString()).toBe('2026-09-30T17:00:00.000Z');
  });
  it('a month boundary: 23:30 UTC on Oct 31 is already November in Bangkok', () => {
    const r = resolveTime('this_month', { ...bkk, now: new Date('2026-10-31T23:30:00Z') });
    expect(r.start?.toISOString()).toBe('2026-10-31T17:00:00.000Z');
  });
  it('February 2028 has 29 days', () => {
    const r = resolveTime('2028-02', bkk);
    expect((r.end!.getTime() - r.start!.getTime()) / 86_400_000).toBe(29);
    expect(resolveTime('2027-02', bkk).end!.getTime() - resolveTime('2027-02', bkk).start!.getTime()).toBe(28 * 86_400_000);
  });
  it('weeks start on Monday by default and on Sunday when the tenant says so', () => {
    expect(resolveTime('this_week', bkk).start?.toISOString()).toBe('2026-11-15T17:00:00.000Z'); // Mon 16 Nov
    const sun = resolveTime('this_week', { now, timezone: 'Asia/Riyadh', weekStart: 'sunday' });
    expect(sun.start?.toISOString()).toBe('2026-11-14T21:00:00.000Z'); // Sun 15 Nov
  });
  it('last quarter compares with the quarter before; last 30 days with the 30 before', () => {
    const q = resolveTime('last_quarter', bkk);
    expect(q.start?.toISOString()).toBe('2026-06-30T17:00:00.000Z');
    expect(q.previous?.start.toISOString()).toBe('2026-03-31T17:00:00.000Z');
    const d = resolveTime('last_30_days', bkk);
    expect((d.end!.getTime() - d.start!.getTime()) / 86_400_000).toBe(30);
    expect(d.previous!.end.getTime()).toBe(d.start!.getTime());
  });
  it('rejects impossible specs', () => {
    expect(() => resolveTime('2026-13', bkk)).toThrow();
    expect(() => resolveTime('2026-03-05..2026-03-01', bkk)).toThrow();
  });
});

describe('parsing questions (en, th, ar)', () => {
  const cases: [string, Record<string, unknown>][] = [
    ['revenue this month by rep', { metric: 'revenue', dimensions: ['rep'], time: 'this_month' }],
    ['ยอดขายเดือนนี้', { metric: 'revenue', time: 'this_month' }],
    ['كم عميل محتمل جديد هذا الأسبوع؟', { metric: 'leads_created', time: 'this_week' }],
    ['conversion from LINE leads last quarter vs the quarter before', { metric: 'conversion_rate', time: 'last_quarter', compare: 'previous_period', filters: [{ dimension: 'channel', op: 'eq', values: ['line'] }] }],
    ['hot leads uncontacted for more than 24 hours', { metric: 'hot_leads_open', filters: [{ dimension: 'idle_hours', op: 'gt', values: ['24'] }] }],
    ['win rate by source last year', { metric: 'win_rate', dimensions: ['source'], time: 'last_year' }],
    ['average deal size in March', { metric: 'avg_deal_size', time: '2026-03' }],
    ['ยอดขายมีนาคม 2569 แยกตามเซลล์', { metric: 'revenue', dimensions: ['rep'], time: '2026-03' }],
    ['الإيرادات حسب المندوب الشهر الماضي', { metric: 'revenue', dimensions: ['rep'], time: 'last_month' }],
    ['كم عميل جديد حسب اليوم هذا الشهر', { metric: 'leads_created', dimensions: ['day'], time: 'this_month' }],
    ['p90 first response time last 30 days', { metric: 'first_response_p90', time: 'last_30_days' }],
    ['ลีดร้อนที่ไม่ได้ติดต่อเกิน 24 ชั่วโมง', { metric: 'hot_leads_open', filters: [{ dimension: 'idle_hours', op: 'gt', values: ['24'] }] }],
  ];
  for (const [q, expected] of cases) {
    it(q, () => {
      const r = parseQuestion(q, bkk);
      expect(r.kind).toBe('query');
      if (r.kind === 'query') expect(r.query).toMatchObject(expected);
    });
  }
  it('asks instead of guessing when "sales" could be revenue or deals won', () => {
    const r = parseQuestion('sales this month', bkk);
    expect(r.kind).toBe('ambiguous');
    if (r.kind === 'ambiguous') expect(r.options.map((o) => o.metric)).toEqual(['revenue', 'deals_won']);
  });
  it('does not read "may" the verb as a month', () => {
    const r = parseQuestion('may I see revenue', bkk);
    expect(r.kind).toBe('query');
    if (r.kind === 'query') expect(r.query.time).toBeUndefined();
  });
  it('returns none when no metric words are present', () => {
    expect(parseQuestion('hello there', bkk).kind).toBe('none');
  });
});

describe('validation and compilation', () => {
  it('suggests close metric names for an unknown one', () => {
    try {
      checkQuery(MetricQuerySchema.parse({ metric: 'revenu' }));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(UnknownNameError);
      expect((e as UnknownNameError).suggestions).toContain('revenue');
    }
  });
  it('binds filter values as parameters and never copies them into SQL text', () => {
    const evil = "line'; DROP TABLE leads;--";
    const checked = checkQuery(MetricQuerySchema.parse({ metric: 'revenue', filters: [{ dimension: 'source', values: [evil] }], dimensions: ['rep'] }));
    const c = compileQuery(checked, { start: new Date(0), end: now, now, timezone: 'Asia/Bangkok', weekStart: 'monday', locale: 'en', slaMinutes: 15 });
    expect(c.text).not.toContain('DROP');
    expect(c.values).toContain(evil);
  });
  it('forces the owner filter for reps', () => {
    const checked = checkQuery(MetricQuerySchema.parse({ metric: 'revenue', dimensions: ['rep'] }));
    const c = compileQuery(checked, { start: null, end: null, now, timezone: 'Asia/Bangkok', weekStart: 'monday', locale: 'en', slaMinutes: 15, forcedOwnerId: '00000000-0000-0000-0000-000000000001' });
    expect(c.text).toMatch(/d\.owner_id = \$\d+::uuid/);
    expect(c.values).toContain('00000000-0000-0000-0000-000000000001');
  });
});

describe('schedules', () => {
  it.each([
    ['every Monday 9am', '0 9 * * 1'],
    ['every day at 8:30', '30 8 * * *'],
    ['ทุกวันจันทร์ 9 โมง', '0 9 * * 1'],
    ['كل يوم اثنين الساعة 9 صباحا', '0 9 * * 1'],
    ['on the 1st of every month at 9', '0 9 1 * *'],
  ])('%s → %s', (text, cron) => {
    expect(parseSchedule(text)?.cron).toBe(cron);
  });
  it('refuses to guess', () => expect(parseSchedule('whenever')).toBeUndefined());
});

describe('router', () => {
  it.each([
    ['revenue this month by rep', 'query_metrics'],
    ['ยอดขายเดือนนี้', 'query_metrics'],
    ['كم عميل محتمل جديد هذا الأسبوع؟', 'query_metrics'],
    ['win rate by source last year', 'query_metrics'],
    ['hot leads uncontacted for more than 24 hours', 'query_metrics'],
    ['send me this every Monday 9am', 'schedule_report'],
    ['ส่งให้ฉันทุกวันจันทร์ 9 โมง', 'schedule_report'],
    ['أرسل لي هذا كل يوم اثنين الساعة 9 صباحا', 'schedule_report'],
    ['my reports', 'list_reports'],
    ['รายงานของฉัน', 'list_reports'],
    ['تقاريري', 'list_reports'],
    ['cancel report 2', 'cancel_report'],
    ['ยกเลิกรายงาน 2', 'cancel_report'],
    ['إلغاء التقرير 2', 'cancel_report'],
  ])('%s → %s', (text, intent) => {
    expect(matchIntent(text)?.intent).toBe(intent);
  });
});
