import type { Database } from '../src/db/database.ts';
import { withTenant } from '../src/db/tenant.ts';
import { getTenantById } from '../src/core/tenants.ts';
import { classifyObjection } from '../src/core/objections/classify.ts';
import { handleObjection } from '../src/core/objections/handle.ts';
import type { ObjectionCategory } from '../src/core/objections/categories.ts';
import { seedDemo } from '../src/db/seed/index.ts';
import { summarise } from './stats.ts';
import { BENCH_ANCHOR, getBenchDatabase } from './fixture.ts';
import { benchMain } from './lib/cli.ts';

/**
 * A fixed, labelled list of objections as reps and customers write them, in
 * each language the demo tenants speak. The labels make the run report the
 * classifier's accuracy next to its latency.
 */
export const BENCH_OBJECTIONS: { locale: 'en' | 'th' | 'ar'; text: string; expected: ObjectionCategory }[] = [
  { locale: 'en', text: "it's too expensive and she'll think about it", expected: 'price' },
  { locale: 'en', text: 'the price is too high for us', expected: 'price' },
  { locale: 'en', text: "I can't afford the down payment", expected: 'price' },
  { locale: 'en', text: "not ready yet, maybe next year", expected: 'time' },
  { locale: 'en', text: 'is it safe? I worry about side effects', expected: 'trust' },
  { locale: 'en', text: 'we are just browsing for now', expected: 'need' },
  { locale: 'en', text: 'another agent showed me a cheaper one', expected: 'competitor' },
  { locale: 'en', text: 'I need to ask my husband first', expected: 'authority' },
  { locale: 'en', text: 'it is too far from the kids school', expected: 'other' },
  { locale: 'th', text: 'แพงเกินไปค่ะ', expected: 'price' },
  { locale: 'th', text: 'งบไม่พอ ขอผ่อนได้ไหม', expected: 'price' },
  { locale: 'th', text: 'ขอคิดดูก่อนนะคะ', expected: 'time' },
  { locale: 'th', text: 'ช่วงนี้ไม่ว่างเลยค่ะ', expected: 'time' },
  { locale: 'th', text: 'ปลอดภัยไหมคะ มีผลข้างเคียงไหม', expected: 'trust' },
  { locale: 'th', text: 'ผิวยังไม่ได้แย่ขนาดนั้น', expected: 'need' },
  { locale: 'th', text: 'คลินิกอื่นมีโปรถูกกว่า', expected: 'competitor' },
  { locale: 'th', text: 'ขอปรึกษาแฟนก่อน', expected: 'authority' },
  { locale: 'th', text: 'กลัวเจ็บค่ะ', expected: 'other' },
  { locale: 'ar', text: 'السعر مرتفع جداً', expected: 'price' },
  { locale: 'ar', text: 'لا أملك الدفعة الأولى', expected: 'price' },
  { locale: 'ar', text: 'بفكر فيها وأرد عليك', expected: 'time' },
  { locale: 'ar', text: 'أخاف من رسوم مخفية', expected: 'trust' },
  { locale: 'ar', text: 'الشقة تكفينا حالياً', expected: 'need' },
  { locale: 'ar', text: 'وسيط آخر عرض علي أرخص', expected: 'competitor' },
  { locale: 'ar', text: 'العميل يريد استشارة زوجته', expected: 'authority' },
  { locale: 'ar', text: 'الموقع بعيد عن العمل', expected: 'other' },
];

/**
 * Objection-playbook latency for one tenant: the whole handle_objection
 * service (classification, pgvector retrieval in every locale, lead
 * context and tailoring, noting the objection on the lead's timeline), for
 * each objection of the fixed list against a rotating set of the tenant's
 * leads; classification alone is timed too, and scored against its labels.
 */
export async function benchObjections(db: Database, tenantId: string, opts: { rounds?: number; now?: Date } = {}): Promise<Record<string, unknown>> {
  const rounds = opts.rounds ?? 5;
  const now = opts.now ?? new Date(BENCH_ANCHOR.getTime() + 10 * 3_600_000);
  const { tenant, leads, titles, counts } = await withTenant(db, tenantId, async (sql) => ({
    tenant: await getTenantById(sql, tenantId),
    // Open leads with the richest context first (budget, buyer request or scan), deterministic order.
    leads: (
      await sql.query<{ id: string }>(
        `SELECT id FROM leads WHERE stage_key NOT IN ('won', 'lost') ORDER BY (budget IS NOT NULL) DESC, id LIMIT 25`,
      )
    ).rows.map((r) => r.id),
    titles: (await sql.query<{ title: string; category: string }>(`SELECT title, category FROM playbook_entries WHERE kind = 'objection' ORDER BY locale, category, title`)).rows,
    counts: (await sql.query<{ leads: number; entries: number }>(`SELECT (SELECT count(*) FROM leads)::int AS leads, (SELECT count(*) FROM playbook_entries)::int AS entries`)).rows[0]!,
  }));
  if (leads.length === 0) throw new Error(`tenant ${tenant.slug} has no open leads to benchmark with`);

  const classifyMs: number[] = [];
  let correct = 0;
  const correctBy: Record<string, [number, number]> = {};
  for (const o of BENCH_OBJECTIONS) {
    const t0 = performance.now();
    const c = classifyObjection(o.text);
    classifyMs.push(performance.now() - t0);
    const hit = c.category === o.expected;
    correct += Number(hit);
    const slot = (correctBy[o.locale] ??= [0, 0]);
    slot[0] += Number(hit);
    slot[1] += 1;
  }

  // A second, larger labelled set: the playbook's own objection titles. The phrase lists were
  // written with these in view, so this checks coverage rather than being a blind test.
  const titleHits = titles.filter((t) => classifyObjection(t.title).category === t.category).length;

  const run = (text: string, leadId: string | null) => withTenant(db, tenantId, (sql) => handleObjection(sql, tenant, { text, leadId, now }));
  // Warm-up: first-use costs (phrase book, catalogue plans) are not steady-state latency.
  await run(BENCH_OBJECTIONS[0]!.text, leads[0]!);

  const all: number[] = [];
  const byLocale: Record<string, number[]> = {};
  const withoutLead: number[] = [];
  let i = 0;
  for (let r = 0; r < rounds; r++) {
    for (const o of BENCH_OBJECTIONS) {
      const lead = leads[i++ % leads.length]!;
      const t0 = performance.now();
      const res = await run(o.text, lead);
      const ms = performance.now() - t0;
      if (Object.keys(res.byLocale).length === 0) throw new Error(`no playbook answers for "${o.text}" in ${tenant.slug}`);
      all.push(ms);
      (byLocale[o.locale] ??= []).push(ms);
    }
    for (const o of BENCH_OBJECTIONS.slice(0, 6)) {
      const t0 = performance.now();
      await run(o.text, null);
      withoutLead.push(performance.now() - t0);
    }
  }
  const pct = (a: number, b: number) => Math.round((1000 * a) / Math.max(1, b)) / 10;
  return {
    name: 'objections',
    tenant: tenant.slug,
    leads: counts.leads,
    playbookEntries: counts.entries,
    objections: BENCH_OBJECTIONS.length,
    rounds,
    handleObjectionMs: summarise(all),
    handleObjectionMsByLocale: Object.fromEntries(Object.entries(byLocale).map(([k, v]) => [k, summarise(v)])),
    handleObjectionWithoutLeadMs: summarise(withoutLead),
    classifyMs: summarise(classifyMs),
    classificationAccuracyPct: { all: pct(correct, BENCH_OBJECTIONS.length), ...Object.fromEntries(Object.entries(correctBy).map(([k, [c, n]]) => [k, pct(c, n)])) },
    playbookTitleAccuracyPct: { n: titles.length, pct: pct(titleHits, titles.length) },
  };
}

await benchMain(import.meta.url, 'objections', async (ctx) => {
  const bench = await getBenchDatabase({ scale: ctx.flag('--scale', ctx.quick ? 2 : 200), databaseUrl: ctx.databaseUrl });
  try {
    // The bench image holds the agency at scale; the clinic (Thai, catalogue) is added at scale 1 the first time
    // (kept in a server image, so later runs find it).
    const found = (await bench.db.pool.query<{ id: string }>(`SELECT id FROM tenants WHERE slug = 'demo-clinic'`)).rows[0]?.id;
    const clinicId = found ?? (await seedDemo(bench.db, { tenants: ['demo-clinic'], anchor: bench.anchor })).tenants[0]!.tenantId;
    const rounds = ctx.flag('--rounds', ctx.quick ? 1 : 5);
    const realty = await benchObjections(bench.db, bench.tenantId, { rounds });
    const clinic = await benchObjections(bench.db, clinicId, { rounds });
    const p95 = (r: Record<string, unknown>) => (r.handleObjectionMs as { p95: number }).p95;
    return {
      figures: [
        { key: 'objection_p95_ms', label: 'objection handling (classify + retrieval + tailor), agency at scale, p95', value: p95(realty), unit: 'ms' },
        { key: 'objection_clinic_p95_ms', label: 'objection handling, clinic (scale 1), p95', value: p95(clinic), unit: 'ms' },
      ],
      detail: { image: { name: bench.image, built: bench.built, ms: bench.buildMs }, results: [{ scale: bench.scale, ...realty }, { scale: 1, ...clinic }] },
    };
  } finally {
    await bench.db.close();
  }
});
