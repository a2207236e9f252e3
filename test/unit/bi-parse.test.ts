import { describe, expect, it } from 'vitest';
import { parseQuestion, readQuestion } from '../../src/core/bi/parse.ts';
import { findStaffInText, latinSkeleton, nativeSkeleton, type StaffName } from '../../src/core/bi/people.ts';
import { argsToQuery, QueryMetricsInput } from '../../src/tools/query_metrics.ts';
import type { MetricQuery } from '../../src/core/bi/query.ts';
import type { Tenant } from '../../src/core/tenants.ts';
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

describe('rep names in questions', () => {
  const clinic: StaffName[] = [
    { id: 'p', name: 'Ploy Rattanakul', email: 'ploy@demo-clinic.example' },
    { id: 'm', name: 'Mint Chaiyasit', email: 'mint@demo-clinic.example' },
    { id: 'f', name: 'Fern Wongsakul', email: 'fern@demo-clinic.example' },
    { id: 'k', name: 'Kanya Srisawat', email: 'kanya@demo-clinic.example' },
  ];
  const realty: StaffName[] = [
    { id: 'o', name: 'Omar Al-Harbi', email: 'omar@demo-realty.example' },
    { id: 'kh', name: 'Khalid Al-Dosari', email: 'khalid@demo-realty.example' },
    { id: 'n', name: 'Noura Al-Shehri', email: 'noura@demo-realty.example' },
    { id: 'a', name: 'Abdullah Al-Mutairi', email: 'abdullah@demo-realty.example' },
    { id: 's', name: 'Sara Al-Qahtani', email: 'sara@demo-realty.example' },
  ];
  const who = (q: string, staff: StaffName[]) => findStaffInText(readQuestion(q, bkk).rest, staff)?.id;
  it.each([
    ['revenue for Ploy this month', clinic, 'p'],
    ['REVENUE FOR PLOY', clinic, 'p'],
    ['ยอดขายของ Ploy', clinic, 'p'],
    ['ยอดขายของพลอยเดือนนี้', clinic, 'p'],
    ['ยอดขายของคุณมิ้นท์', clinic, 'm'],
    ['ยอดขายเฟิร์นเดือนนี้ค่ะ', clinic, 'f'],
    ['revenue of mint@demo-clinic.example', clinic, 'm'],
    ['إيرادات عمر', realty, 'o'],
    ['إيرادات خالد هذا الشهر', realty, 'kh'],
    ['كم صفقة لنورة', realty, 'n'],
    ['مبيعات عبدالله', realty, 'a'],
    ['revenue for Omar Al-Harbi last month', realty, 'o'],
  ])('%s', (q, staff, id) => {
    expect(who(q, staff)).toBe(id);
  });
  it('names nobody in a question without a name, and does not read metric or time words as names', () => {
    expect(who('revenue this month by rep', clinic)).toBeUndefined();
    expect(who('ยอดขายเดือนนี้', clinic)).toBeUndefined();
    expect(who('كم عميل محتمل جديد هذا الأسبوع', realty)).toBeUndefined();
    expect(who('revenue for Ployee', clinic)).toBeUndefined();
  });
  it('matches nobody when two people fit', () => {
    const twins = [...realty, { id: 'o2', name: 'Amr Saleh', email: 'amr@demo-realty.example' }];
    expect(who('إيرادات عمر', twins)).toBeUndefined();
  });
  it('skeletons agree across scripts', () => {
    expect(latinSkeleton('Omar')).toBe(nativeSkeleton('عمر'));
    expect(latinSkeleton('Khalid')).toBe(nativeSkeleton('خالد'));
    expect(latinSkeleton('Ploy')).toBe(nativeSkeleton('พลอย'));
    expect(latinSkeleton('Omar')).not.toBe(latinSkeleton('Noura'));
  });
});

describe('follow-up questions', () => {
  const tenant = { id: 't', slug: 'demo-clinic', timezone: 'Asia/Bangkok', currency: 'THB', locales: ['th', 'en'], settings: { sla_response_minutes: 15 } } as unknown as Tenant;
  const previous = MetricQuerySchema.parse({ metric: 'revenue', dimensions: ['rep'], time: 'last_month' });
  const prep = (question: string, prev: MetricQuery | null = previous) => argsToQuery(QueryMetricsInput.parse({ question }), { tenant, now, staff: [], previous: prev ?? undefined });
  it.each(['compare with the month before', 'เทียบกับเดือนก่อน', 'قارن مع الشهر السابق', 'vs the previous period'])('"%s" compares the last answer with its previous period', (q) => {
    const r = prep(q);
    expect('query' in r && r.query).toMatchObject({ metric: 'revenue', dimensions: ['rep'], time: 'last_month', compare: 'previous_period' });
    expect('followUp' in r && r.followUp).toBe(true);
  });
  it('"what about by source" regroups, "and last week" changes the period', () => {
    expect(prep('what about by source')).toMatchObject({ query: { metric: 'revenue', dimensions: ['source'], time: 'last_month' } });
    expect(prep('and last week')).toMatchObject({ query: { metric: 'revenue', dimensions: ['rep'], time: 'last_week' } });
  });
  it('without an earlier answer a follow-up is not understood rather than guessed', () => {
    expect(prep('compare with the month before', null)).toEqual({ kind: 'not_understood' });
  });
  it('a question with its own metric starts afresh', () => {
    expect(prep('new leads this week')).toMatchObject({ query: { metric: 'leads_created', dimensions: [], time: 'this_week', compare: 'none' }, followUp: false });
  });
  it.each([
    ['compare with the month before', 'query_metrics'],
    ['and compare it to last month', 'query_metrics'],
    ['what about by source', 'query_metrics'],
    ['เทียบกับเดือนก่อน', 'query_metrics'],
    ['قارن مع الشهر السابق', 'query_metrics'],
    ['revenue for Ploy this month', 'query_metrics'],
    ['ยอดขายของ Ploy', 'query_metrics'],
    ['إيرادات عمر', 'query_metrics'],
  ])('routes "%s" to %s', (text, intent) => {
    expect(matchIntent(text)?.intent).toBe(intent);
  });
});
