import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.ts';
import { withSystem, withTenant } from '../../src/db/tenant.ts';
import { listTenants, type Tenant } from '../../src/core/tenants.ts';
import { invokeTool } from '../../src/tools/run.ts';
import type { Actor } from '../../src/core/actors.ts';
import type { QueryMetricsResult } from '../../src/tools/query_metrics.ts';
import { createTestDatabase } from '../helpers/db.ts';
import { TEST_ANCHOR } from '../helpers/anchor.ts';

// Expected values are computed here with plain SQL over the seeded rows, independent of the semantic layer.
let db: Database;
const tenants = new Map<string, Tenant>();
const actors = new Map<string, Actor>();

beforeAll(async () => {
  db = await createTestDatabase({ seeded: true });
  for (const t of await withSystem(db, (sql) => listTenants(sql))) tenants.set(t.slug, t);
  for (const [slug, email] of [['demo-clinic', 'kanya@demo-clinic.example'], ['demo-realty', 'sara@demo-realty.example'], ['demo-clinic/rep', 'ploy@demo-clinic.example']] as const) {
    const tenant = tenants.get(slug.split('/')[0]!)!;
    const s = (await db.pool.query<{ id: string; name: string; role: 'rep' | 'manager'; locale: string; timezone: string }>('SELECT id, name, role, locale, timezone FROM staff_users WHERE tenant_id = $1 AND email = $2', [tenant.id, email])).rows[0]!;
    actors.set(slug, { role: s.role, staffUserId: s.id, name: s.name, locale: s.locale, timezone: s.timezone });
  }
}, 60_000);
afterAll(async () => {
  await db?.close();
});

async function ask(slug: string, args: Record<string, unknown>, who = slug): Promise<QueryMetricsResult> {
  const out = await invokeTool(db, tenants.get(slug)!, actors.get(who)!, 'query_metrics', args, { now: TEST_ANCHOR });
  if (!out.ok) throw out.error;
  return out.result.data as QueryMetricsResult;
}

async function one(text: string, values: unknown[]): Promise<number | null> {
  const v = (await db.pool.query<{ v: string | null }>(text, values)).rows[0]?.v;
  return v === null || v === undefined ? null : Number(v);
}

// Range bounds, written out by hand: Bangkok is UTC+7, Riyadh UTC+3 (no DST).
const R = {
  clinic: {
    this_month: ['2026-10-31T17:00Z', '2026-11-30T17:00Z'], last_month: ['2026-09-30T17:00Z', '2026-10-31T17:00Z'],
    this_week: ['2026-11-15T17:00Z', '2026-11-22T17:00Z'], this_year: ['2025-12-31T17:00Z', '2026-12-31T17:00Z'],
    last_quarter: ['2026-06-30T17:00Z', '2026-09-30T17:00Z'], q2: ['2026-03-31T17:00Z', '2026-06-30T17:00Z'],
    march: ['2026-02-28T17:00Z', '2026-03-31T17:00Z'], last_year: ['2024-12-31T17:00Z', '2025-12-31T17:00Z'],
    last_30_days: ['2026-10-21T17:00Z', '2026-11-20T17:00Z'],
  },
  realty: {
    this_month: ['2026-10-31T21:00Z', '2026-11-30T21:00Z'], last_month: ['2026-09-30T21:00Z', '2026-10-31T21:00Z'],
    this_week: ['2026-11-15T21:00Z', '2026-11-22T21:00Z'], this_year: ['2025-12-31T21:00Z', '2026-12-31T21:00Z'],
    last_quarter: ['2026-06-30T21:00Z', '2026-09-30T21:00Z'], q2: ['2026-03-31T21:00Z', '2026-06-30T21:00Z'],
    march: ['2026-02-28T21:00Z', '2026-03-31T21:00Z'], last_year: ['2024-12-31T21:00Z', '2025-12-31T21:00Z'],
    last_30_days: ['2026-10-21T21:00Z', '2026-11-20T21:00Z'],
  },
} as const;
type RangeKey = keyof typeof R.clinic;
const tid = (slug: string) => tenants.get(slug)!.id;
const rng = (slug: string, k: RangeKey) => (slug === 'demo-clinic' ? R.clinic : R.realty)[k];

const expected = {
  leadsCreated: (s: string, k: RangeKey) => one(`SELECT count(*) AS v FROM leads WHERE tenant_id = $1 AND created_at >= $2 AND created_at < $3`, [tid(s), ...rng(s, k)]),
  revenue: (s: string, k: RangeKey) => one(`SELECT COALESCE(sum(amount), 0) AS v FROM deals WHERE tenant_id = $1 AND status = 'won' AND closed_at >= $2 AND closed_at < $3`, [tid(s), ...rng(s, k)]),
  dealsWon: (s: string, k: RangeKey) => one(`SELECT count(*) AS v FROM deals WHERE tenant_id = $1 AND status = 'won' AND closed_at >= $2 AND closed_at < $3`, [tid(s), ...rng(s, k)]),
  avgDeal: (s: string, k: RangeKey) => one(`SELECT avg(amount) AS v FROM deals WHERE tenant_id = $1 AND status = 'won' AND closed_at >= $2 AND closed_at < $3`, [tid(s), ...rng(s, k)]),
  winRate: (s: string, k: RangeKey) =>
    one(`SELECT sum(CASE WHEN status = 'won' THEN 1 ELSE 0 END)::numeric / nullif(count(*), 0) AS v FROM deals WHERE tenant_id = $1 AND status <> 'open' AND closed_at >= $2 AND closed_at < $3`, [tid(s), ...rng(s, k)]),
  conversion: (s: string, k: RangeKey) =>
    one(
      `SELECT avg(CASE WHEN st.is_won THEN 1.0 ELSE 0 END) AS v FROM leads l JOIN pipeline_stages st ON st.tenant_id = l.tenant_id AND st.key = l.stage_key WHERE l.tenant_id = $1 AND l.created_at >= $2 AND l.created_at < $3`,
      [tid(s), ...rng(s, k)],
    ),
  pipeline: (s: string) => one(`SELECT COALESCE(sum(amount), 0) AS v FROM deals WHERE tenant_id = $1 AND status = 'open'`, [tid(s)]),
  weighted: (s: string) =>
    one(`SELECT COALESCE(sum(d.amount * st.base_probability), 0) AS v FROM deals d JOIN leads l ON l.id = d.lead_id JOIN pipeline_stages st ON st.tenant_id = l.tenant_id AND st.key = l.stage_key WHERE d.tenant_id = $1 AND d.status = 'open'`, [tid(s)]),
  hotIdle: (s: string, hours: number) =>
    one(
      `SELECT count(*) AS v FROM leads l JOIN pipeline_stages st ON st.tenant_id = l.tenant_id AND st.key = l.stage_key WHERE l.tenant_id = $1 AND l.grade = 'A' AND NOT st.is_won AND NOT st.is_lost AND COALESCE(l.last_contact_at, l.created_at) < $2::timestamptz - make_interval(hours => $3)`,
      [tid(s), TEST_ANCHOR.toISOString(), hours],
    ),
  hotOpen: (s: string) =>
    one(`SELECT count(*) AS v FROM leads l JOIN pipeline_stages st ON st.tenant_id = l.tenant_id AND st.key = l.stage_key WHERE l.tenant_id = $1 AND l.grade = 'A' AND NOT st.is_won AND NOT st.is_lost`, [tid(s)]),
  revenueBySource: (s: string, k: RangeKey, source: string) =>
    one(`SELECT COALESCE(sum(d.amount), 0) AS v FROM deals d JOIN leads l ON l.id = d.lead_id WHERE d.tenant_id = $1 AND d.status = 'won' AND d.closed_at >= $2 AND d.closed_at < $3 AND l.source = $4`, [tid(s), ...rng(s, k), source]),
  leadsBySource: (s: string, k: RangeKey, source: string) =>
    one(`SELECT count(*) AS v FROM leads WHERE tenant_id = $1 AND created_at >= $2 AND created_at < $3 AND source = $4`, [tid(s), ...rng(s, k), source]),
};

interface Golden {
  q: string;
  slug: string;
  query: Record<string, unknown>;
  value: () => Promise<number | null>;
  close?: boolean;
}

const C = 'demo-clinic';
const Rt = 'demo-realty';
const GOLDEN: Golden[] = [
  { q: 'revenue this month', slug: C, query: { metric: 'revenue', time: 'this_month' }, value: () => expected.revenue(C, 'this_month') },
  { q: 'ยอดขายเดือนนี้', slug: C, query: { metric: 'revenue', time: 'this_month' }, value: () => expected.revenue(C, 'this_month') },
  { q: 'รายได้เดือนที่แล้ว', slug: C, query: { metric: 'revenue', time: 'last_month' }, value: () => expected.revenue(C, 'last_month') },
  { q: 'revenue this year', slug: C, query: { metric: 'revenue', time: 'this_year' }, value: () => expected.revenue(C, 'this_year') },
  { q: 'revenue last year', slug: Rt, query: { metric: 'revenue', time: 'last_year' }, value: () => expected.revenue(Rt, 'last_year') },
  { q: 'الإيرادات هذا الشهر', slug: Rt, query: { metric: 'revenue', time: 'this_month' }, value: () => expected.revenue(Rt, 'this_month') },
  { q: 'المبيعات الشهر الماضي', slug: Rt, query: { metric: 'revenue', time: 'last_month' }, value: () => expected.revenue(Rt, 'last_month') },
  { q: 'revenue in March 2026', slug: Rt, query: { metric: 'revenue', time: '2026-03' }, value: () => expected.revenue(Rt, 'march') },
  { q: 'ยอดขายมีนาคม 2569', slug: C, query: { metric: 'revenue', time: '2026-03' }, value: () => expected.revenue(C, 'march') },
  { q: 'new leads this week', slug: C, query: { metric: 'leads_created', time: 'this_week' }, value: () => expected.leadsCreated(C, 'this_week') },
  { q: 'كم عميل محتمل جديد هذا الأسبوع؟', slug: Rt, query: { metric: 'leads_created', time: 'this_week' }, value: () => expected.leadsCreated(Rt, 'this_week') },
  { q: 'ลีดใหม่สัปดาห์นี้', slug: C, query: { metric: 'leads_created', time: 'this_week' }, value: () => expected.leadsCreated(C, 'this_week') },
  { q: 'how many leads this month', slug: Rt, query: { metric: 'leads_created', time: 'this_month' }, value: () => expected.leadsCreated(Rt, 'this_month') },
  { q: 'ลีดใหม่เดือนนี้', slug: C, query: { metric: 'leads_created', time: 'this_month' }, value: () => expected.leadsCreated(C, 'this_month') },
  { q: 'new leads last 30 days', slug: C, query: { metric: 'leads_created', time: 'last_30_days' }, value: () => expected.leadsCreated(C, 'last_30_days') },
  { q: 'عملاء جدد آخر 30 يوم', slug: Rt, query: { metric: 'leads_created', time: 'last_30_days' }, value: () => expected.leadsCreated(Rt, 'last_30_days') },
  { q: 'new leads from facebook this year', slug: C, query: { metric: 'leads_created', time: 'this_year', filters: [{ dimension: 'source', op: 'eq', values: ['facebook'] }] }, value: () => expected.leadsBySource(C, 'this_year', 'facebook') },
  { q: 'عملاء جدد من انستغرام هذا العام', slug: Rt, query: { metric: 'leads_created', time: 'this_year', filters: [{ dimension: 'source', values: ['instagram'] }] }, value: () => expected.leadsBySource(Rt, 'this_year', 'instagram') },
  { q: 'deals won this year', slug: C, query: { metric: 'deals_won', time: 'this_year' }, value: () => expected.dealsWon(C, 'this_year') },
  { q: 'الصفقات الرابحة هذا العام', slug: Rt, query: { metric: 'deals_won', time: 'this_year' }, value: () => expected.dealsWon(Rt, 'this_year') },
  { q: 'ดีลที่ปิดได้ไตรมาสที่แล้ว', slug: C, query: { metric: 'deals_won', time: 'last_quarter' }, value: () => expected.dealsWon(C, 'last_quarter') },
  { q: 'win rate last quarter', slug: C, query: { metric: 'win_rate', time: 'last_quarter' }, value: () => expected.winRate(C, 'last_quarter'), close: true },
  { q: 'win rate this year', slug: Rt, query: { metric: 'win_rate', time: 'this_year' }, value: () => expected.winRate(Rt, 'this_year'), close: true },
  { q: 'อัตราการปิดการขายปีนี้', slug: C, query: { metric: 'win_rate', time: 'this_year' }, value: () => expected.winRate(C, 'this_year'), close: true },
  { q: 'معدل الفوز الربع الماضي', slug: Rt, query: { metric: 'win_rate', time: 'last_quarter' }, value: () => expected.winRate(Rt, 'last_quarter'), close: true },
  { q: 'average deal size in March', slug: C, query: { metric: 'avg_deal_size', time: '2026-03' }, value: () => expected.avgDeal(C, 'march'), close: true },
  { q: 'متوسط حجم الصفقة هذا العام', slug: Rt, query: { metric: 'avg_deal_size', time: 'this_year' }, value: () => expected.avgDeal(Rt, 'this_year'), close: true },
  { q: 'มูลค่าดีลเฉลี่ยปีนี้', slug: C, query: { metric: 'avg_deal_size', time: 'this_year' }, value: () => expected.avgDeal(C, 'this_year'), close: true },
  { q: 'conversion rate this year', slug: C, query: { metric: 'conversion_rate', time: 'this_year' }, value: () => expected.conversion(C, 'this_year'), close: true },
  { q: 'conversion rate last quarter', slug: Rt, query: { metric: 'conversion_rate', time: 'last_quarter' }, value: () => expected.conversion(Rt, 'last_quarter'), close: true },
  { q: 'معدل التحويل هذا العام', slug: Rt, query: { metric: 'conversion_rate', time: 'this_year' }, value: () => expected.conversion(Rt, 'this_year'), close: true },
  { q: 'อัตราการเปลี่ยนปีนี้', slug: C, query: { metric: 'conversion_rate', time: 'this_year' }, value: () => expected.conversion(C, 'this_year'), close: true },
  { q: 'pipeline value', slug: C, query: { metric: 'pipeline_value' }, value: () => expected.pipeline(C) },
  { q: 'قيمة خط المبيعات', slug: Rt, query: { metric: 'pipeline_value' }, value: () => expected.pipeline(Rt) },
  { q: 'มูลค่าไปป์ไลน์', slug: C, query: { metric: 'pipeline_value' }, value: () => expected.pipeline(C) },
  { q: 'weighted pipeline', slug: C, query: { metric: 'weighted_pipeline' }, value: () => expected.weighted(C), close: true },
  { q: 'خط المبيعات المرجح', slug: Rt, query: { metric: 'weighted_pipeline' }, value: () => expected.weighted(Rt), close: true },
  { q: 'hot leads uncontacted for more than 24 hours', slug: C, query: { metric: 'hot_leads_open', filters: [{ dimension: 'idle_hours', op: 'gt', values: ['24'] }] }, value: () => expected.hotIdle(C, 24) },
  { q: 'ลีดร้อนที่ไม่ได้ติดต่อเกิน 48 ชั่วโมง', slug: C, query: { metric: 'hot_leads_open', filters: [{ dimension: 'idle_hours', op: 'gt', values: ['48'] }] }, value: () => expected.hotIdle(C, 48) },
  { q: 'العملاء الساخنين الذين لم يتم التواصل معهم منذ أكثر من 24 ساعة', slug: Rt, query: { metric: 'hot_leads_open', filters: [{ dimension: 'idle_hours', op: 'gt', values: ['24'] }] }, value: () => expected.hotIdle(Rt, 24) },
  { q: 'how many hot leads right now', slug: Rt, query: { metric: 'hot_leads_open' }, value: () => expected.hotOpen(Rt) },
  { q: 'revenue from referral this year', slug: C, query: { metric: 'revenue', time: 'this_year', filters: [{ dimension: 'source', values: ['referral'] }] }, value: () => expected.revenueBySource(C, 'this_year', 'referral') },
];

describe('golden questions (rules parser → structured query → value)', () => {
  it('has at least 40 questions', () => expect(GOLDEN.length).toBeGreaterThanOrEqual(40));
  for (const g of GOLDEN) {
    it(`${g.slug}: ${g.q}`, async () => {
      const r = await ask(g.slug, { question: g.q });
      expect(r.kind).toBe('answer');
      if (r.kind !== 'answer') return;
      expect(r.result.query).toMatchObject(g.query);
      const want = await g.value();
      if (g.close && want !== null) expect(r.result.total).toBeCloseTo(want, 6);
      else expect(r.result.total).toBe(want);
    });
  }
});

describe('grouping, comparison, scoping and safety', () => {
  it('revenue by rep: rows add up to the total', async () => {
    const r = await ask(C, { question: 'revenue this year by rep' });
    if (r.kind !== 'answer') throw new Error(r.kind);
    expect(r.result.rows.length).toBeGreaterThan(1);
    expect(r.result.rows.reduce((a, x) => a + (x.value ?? 0), 0)).toBeCloseTo(r.result.total!, 2);
    expect(r.chart).toMatch(/^data:image\/png;base64,/);
  });
  it('compares with the quarter before', async () => {
    const r = await ask(C, { question: 'win rate last quarter vs the quarter before' });
    if (r.kind !== 'answer') throw new Error(r.kind);
    expect(r.result.previousTotal).toBeCloseTo((await expected.winRate(C, 'q2'))!, 6);
  });
  it('a rep asking "revenue by rep" sees only their own row', async () => {
    const r = await ask(C, { question: 'revenue this year by rep' }, 'demo-clinic/rep');
    if (r.kind !== 'answer') throw new Error(r.kind);
    expect(r.result.scopedToOwner).toBe(true);
    expect(r.result.rows.map((x) => x.labels[0])).toEqual(['Ploy Rattanakul']);
    const own = await one(`SELECT COALESCE(sum(amount), 0) AS v FROM deals WHERE tenant_id = $1 AND owner_id = $2 AND status = 'won' AND closed_at >= $3 AND closed_at < $4`, [tid(C), actors.get('demo-clinic/rep')!.staffUserId, ...rng(C, 'this_year')]);
    expect(r.result.total).toBe(own);
  });
  it('treats an injection attempt in a filter as a plain value', async () => {
    const r = await ask(C, { metric: 'revenue', time: 'all_time', filters: [{ dimension: 'source', op: 'eq', values: ["line'; DROP TABLE leads;--"] }] });
    if (r.kind !== 'answer') throw new Error(r.kind);
    expect(r.result.total).toBe(0);
    expect(await one('SELECT count(*) AS v FROM leads', [])).toBeGreaterThan(0);
  });
  it('answers an unknown metric with close matches', async () => {
    const r = await ask(C, { metric: 'revenu' });
    expect(r).toMatchObject({ kind: 'unknown', what: 'metric' });
    if (r.kind === 'unknown') expect(r.suggestions).toContain('revenue');
  });
  it('runs read-only: the audit entry is still written after the query', async () => {
    await ask(C, { question: 'revenue this month' });
    const n = await withTenant(db, tid(C), async (sql) => (await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_log WHERE tool = 'query_metrics' AND outcome = 'ok'`)).rows[0]!.n);
    expect(n).toBeGreaterThan(0);
  });
  it('refuses customers', async () => {
    const lead = (await db.pool.query<{ id: string }>(`SELECT id FROM leads WHERE tenant_id = $1 LIMIT 1`, [tid(C)])).rows[0]!.id;
    const out = await invokeTool(db, tenants.get(C)!, { role: 'customer', leadId: lead, name: 'x', locale: 'th', timezone: 'Asia/Bangkok' }, 'query_metrics', { question: 'revenue this month' }, { now: TEST_ANCHOR });
    expect(out.ok).toBe(false);
  });
});
