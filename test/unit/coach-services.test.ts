import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.ts';
import { withTenant } from '../../src/db/tenant.ts';
import { actorForPerson, resolvePerson, type Actor } from '../../src/core/actors.ts';
import { getTenantBySlug, type Tenant } from '../../src/core/tenants.ts';
import { handleObjection } from '../../src/core/objections/handle.ts';
import { coachAdvice } from '../../src/core/coach/advice.ts';
import { recommendUpsell } from '../../src/core/upsell/recommend.ts';
import { searchPlaybook } from '../../src/core/playbooks.ts';
import { invokeTool } from '../../src/tools/run.ts';
import { createTestDatabase } from '../helpers/db.ts';
import { TEST_ANCHOR } from '../helpers/anchor.ts';

// Friday 2026-11-20, 10:00 in Bangkok: a fixed clock for every call.
const NOW = new Date(TEST_ANCHOR.getTime() + 3 * 3_600_000);

let db: Database;
const tenants: Record<string, Tenant> = {};
const ids: Record<string, string> = {};

async function inTenant<T>(slug: string, fn: (sql: import('../../src/db/database.ts').Sql) => Promise<T>): Promise<T> {
  return withTenant(db, tenants[slug]!.id, fn);
}

async function actor(slug: string, as: string): Promise<Actor> {
  return inTenant(slug, async (sql) => actorForPerson(sql, tenants[slug]!, await resolvePerson(sql, tenants[slug]!, as)));
}

beforeAll(async () => {
  db = await createTestDatabase({ seeded: true });
  for (const slug of ['demo-clinic', 'demo-realty']) {
    const id = (await db.pool.query<{ id: string }>('SELECT id FROM tenants WHERE slug = $1', [slug])).rows[0]!.id;
    tenants[slug] = await withTenant(db, id, (sql) => getTenantBySlug(sql, slug));
  }
  ids.nok = (await inTenant('demo-clinic', (sql) => sql.query<{ id: string }>(`SELECT id FROM leads WHERE display_name = 'นก'`))).rows[0]!.id;
  ids.faisal = (await inTenant('demo-realty', (sql) => sql.query<{ id: string }>(`SELECT id FROM leads WHERE display_name = 'فيصل العتيبي'`))).rows[0]!.id;
  ids.ploy = (await actor('demo-clinic', 'ploy@demo-clinic.example')).staffUserId!;
});
afterAll(async () => {
  await db.close();
});

describe('objection handling on the demo clinic', () => {
  it('answers "too expensive and she will think about it" for Nok with a starter within her budget, and notes it on her timeline', async () => {
    const r = await inTenant('demo-clinic', (sql) =>
      handleObjection(sql, tenants['demo-clinic']!, { text: "it's too expensive and she'll think about it", leadId: ids.nok!, now: NOW, staffUserId: ids.ploy }),
    );
    expect(r.classification).toMatchObject({ category: 'price', secondary: ['time'] });
    expect(Object.keys(r.byLocale).sort()).toEqual(['en', 'th']);
    expect(r.anchorLocale).toBe('en');
    const en = r.byLocale.en!;
    expect(en.responses.length).toBeGreaterThanOrEqual(2);
    expect(en.responses.length).toBeLessThanOrEqual(3);
    expect(en.responses[0]!.category).toBe('price');
    expect(en.responses.some((x) => x.category === 'time')).toBe(true);
    // Her budget is 15,000 THB: a payment plan (the clinic offers instalments) and a starter answer naming packages that fit it.
    const techniques = en.responses.map((x) => x.technique);
    expect(techniques).toContain('starter_package');
    expect(techniques).toContain('instalments');
    const starter = en.responses.find((x) => x.technique === 'starter_package')!.tailoring.find((l) => l.kind === 'starter');
    expect(starter?.kind).toBe('starter');
    if (starter?.kind === 'starter') {
      expect(starter.items.length).toBeGreaterThan(0);
      for (const i of starter.items) expect(i.price).toBeLessThanOrEqual(15000);
    }
    // Every chosen answer in Thai is the same technique as in English, for a Thai-speaking rep.
    expect(r.byLocale.th!.responses.map((x) => x.technique)).toEqual(en.responses.map((x) => x.technique));
    expect(r.nextStep).toMatchObject({ kind: 'offer_starter', followUp: { weekday: 'sunday', date: '2026-11-22' } });
    expect(r.recorded).toBe(true);

    const rows = await inTenant('demo-clinic', (sql) =>
      sql.query<{ kind: string; body: string; data: { objection: { category: string } }; staff_user_id: string }>(
        `SELECT kind, body, data, staff_user_id FROM activities WHERE lead_id = $1 AND data ? 'objection'`,
        [ids.nok],
      ),
    );
    expect(rows.rows).toHaveLength(1);
    expect(rows.rows[0]).toMatchObject({ kind: 'note', staff_user_id: ids.ploy, data: { objection: { category: 'price' } } });
    const lead = await inTenant('demo-clinic', (sql) => sql.query<{ scored_at: Date | null }>('SELECT scored_at FROM leads WHERE id = $1', [ids.nok]));
    expect(lead.rows[0]!.scored_at).toBeNull();
  });

  it('retrieves Thai answers for a Thai objection, nearest in meaning first', async () => {
    const r = await inTenant('demo-clinic', (sql) => handleObjection(sql, tenants['demo-clinic']!, { text: 'ขอคิดดูก่อน', leadId: null, now: NOW }));
    expect(r.anchorLocale).toBe('th');
    expect(r.classification.category).toBe('time');
    expect(r.byLocale.th!.responses[0]!.title).toBe('ขอคิดดูก่อน ไว้ค่อยทำ');
    expect(r.recorded).toBe(false);
    expect(r.lead).toBeNull();
  });

  it('only ever sees the tenant\'s own playbook', async () => {
    const clinicIds = new Set((await db.pool.query<{ id: string }>('SELECT id FROM playbook_entries WHERE tenant_id = $1', [tenants['demo-clinic']!.id])).rows.map((x) => x.id));
    const found = await inTenant('demo-clinic', (sql) => searchPlaybook(sql, { kind: 'objection', categories: ['price'], text: 'السعر مرتفع جداً' }));
    expect(found.length).toBeGreaterThan(0);
    for (const e of found) expect(clinicIds.has(e.id)).toBe(true);
  });
});

describe('objection handling on the demo agency', () => {
  it('answers Faisal\'s price objection with available villas under his 3,000,000 SAR cap', async () => {
    const r = await inTenant('demo-realty', (sql) => handleObjection(sql, tenants['demo-realty']!, { text: 'السعر مرتفع جداً', leadId: ids.faisal!, now: NOW }));
    expect(r.anchorLocale).toBe('ar');
    expect(r.byLocale.ar!.responses[0]!.category).toBe('price');
    const listings = [...r.byLocale.ar!.responses.flatMap((x) => x.tailoring), ...r.byLocale.ar!.general].find((l) => l.kind === 'listings');
    expect(listings?.kind).toBe('listings');
    if (listings?.kind !== 'listings') return;
    const refs = listings.listings.map((l) => l.ref);
    const rows = await inTenant('demo-realty', (sql) =>
      sql.query<{ price: string; property_type: string; bedrooms: number; status: string }>(`SELECT price, property_type, bedrooms, status FROM listings WHERE ref = ANY($1)`, [refs]),
    );
    expect(rows.rows).toHaveLength(refs.length);
    for (const l of rows.rows) {
      expect(Number(l.price)).toBeLessThanOrEqual(3_000_000);
      expect(l).toMatchObject({ property_type: 'villa', status: 'available' });
      expect(l.bedrooms).toBeGreaterThanOrEqual(4);
    }
    // The agency is closed on Fridays: two days from Friday is Sunday, an open day.
    expect(r.nextStep).toMatchObject({ kind: 'send_listings', count: refs.length, followUp: { weekday: 'sunday' } });
  });
});

describe('coaching', () => {
  it('coaches on Nok from the stage playbook and brings up the objection recorded earlier', async () => {
    const r = await inTenant('demo-clinic', (sql) => coachAdvice(sql, tenants['demo-clinic']!, ids.nok!, NOW));
    expect(r.lead).toMatchObject({ stageKey: 'contacted', budget: 15000, concerns: ['acne', 'large_pores'] });
    expect(Object.keys(r.stage).sort()).toEqual(['en', 'th']);
    expect(r.stage.en!.talking_points.length).toBeGreaterThan(0);
    expect(r.stage.en!.closing_technique).toMatch(/Saturday/);
    expect(r.lastObjection).toMatchObject({ category: 'price', source: 'recorded' });
    expect(r.objectionTips.en?.title).toBeTruthy();
    expect(r.fit).toMatchObject({ kind: 'item', withinBudget: true });
    expect(r.basis).toMatchObject({ stagePlaybook: true, budget: true, needs: true, lastObjection: true });
    expect(r.confidence).toBeGreaterThanOrEqual(0.8);
    expect(r.confidence).toBeLessThanOrEqual(0.9);
  });

  it('coaches on Faisal with the listings that fit his request', async () => {
    const r = await inTenant('demo-realty', (sql) => coachAdvice(sql, tenants['demo-realty']!, ids.faisal!, NOW));
    expect(Object.keys(r.stage).sort()).toEqual(['ar', 'en']);
    expect(r.fit).toMatchObject({ kind: 'listings', cap: 3_000_000 });
    expect(r.lead.grade).toBe('A');
  });
});

describe('upsell', () => {
  it('ranks treatments for Nok\'s acne and large pores, the first within budget for now', async () => {
    const r = await inTenant('demo-clinic', (sql) => recommendUpsell(sql, tenants['demo-clinic']!, ids.nok!));
    expect(r.kind).toBe('ranked');
    if (r.kind !== 'ranked') return;
    expect(r.recommendations[0]).toMatchObject({ timing: 'now', priority: 'high', overBudget: false });
    for (const rec of r.recommendations) {
      const targets = (rec.reasons.find((x) => x.kind === 'targets') as { concerns: string[] }).concerns;
      expect(targets.length).toBeGreaterThan(0);
      expect(rec.overBudget).toBe(rec.item.price > 15000);
    }
  });

  it('never recommends what a customer already bought', async () => {
    const buyers = await inTenant('demo-clinic', (sql) =>
      sql.query<{ id: string; purchases: string[] }>(`SELECT id, attributes->'purchases' AS purchases FROM leads WHERE attributes ? 'purchases' AND jsonb_array_length(attributes->'skin'->'concerns') > 0 LIMIT 20`),
    );
    expect(buyers.rows.length).toBeGreaterThan(0);
    for (const b of buyers.rows) {
      const r = await inTenant('demo-clinic', (sql) => recommendUpsell(sql, tenants['demo-clinic']!, b.id));
      if (r.kind !== 'ranked') continue;
      for (const rec of r.recommendations) expect(b.purchases).not.toContain(rec.item.sku);
      expect(r.purchased.map((p) => p.sku).sort()).toEqual(expect.arrayContaining([...b.purchases].sort()));
    }
  });

  it('tells the agency that upsell is for catalogue businesses', async () => {
    expect(await inTenant('demo-realty', (sql) => recommendUpsell(sql, tenants['demo-realty']!, ids.faisal!))).toMatchObject({ kind: 'not_catalogue', lead: { id: ids.faisal } });
  });

  it('says so when the catalogue is empty', async () => {
    const r = await inTenant('demo-clinic', async (sql) => {
      await sql.query('SAVEPOINT empty_catalogue');
      await sql.query('UPDATE catalogue_items SET active = false');
      const out = await recommendUpsell(sql, tenants['demo-clinic']!, ids.nok!);
      await sql.query('ROLLBACK TO SAVEPOINT empty_catalogue');
      return out;
    });
    expect(r.kind).toBe('no_catalogue');
  });
});

describe('who may use these tools', () => {
  it.each(['handle_objection', 'coach_advice', 'recommend_upsell'])('%s is refused to a customer, even with a guessed lead id', async (tool) => {
    const nok = await actor('demo-clinic', 'customer');
    const otherLead = (await inTenant('demo-clinic', (sql) => sql.query<{ id: string }>(`SELECT id FROM leads WHERE display_name = 'Somjai Chaiyaporn'`))).rows[0]!.id;
    const out = await invokeTool(db, tenants['demo-clinic']!, nok, tool, { lead_id: otherLead, text: 'too expensive' }, { now: NOW });
    expect(out.ok).toBe(false);
    if (out.ok) return;
    expect(out.error.code).toBe('POLICY');
    const audit = await inTenant('demo-clinic', (sql) => sql.query<{ outcome: string }>(`SELECT outcome FROM audit_log WHERE tool = $1 AND actor_type = 'customer' ORDER BY id DESC LIMIT 1`, [tool]));
    expect(audit.rows[0]!.outcome).toBe('refused');
  });

  it('lets a rep, a manager and an admin use them', async () => {
    for (const as of ['rep', 'manager', 'admin']) {
      const who = await actor('demo-clinic', as);
      const out = await invokeTool(db, tenants['demo-clinic']!, who, 'recommend_upsell', { lead_id: ids.nok }, { now: NOW });
      expect(out.ok, as).toBe(true);
    }
  });

  it('cannot reach another tenant\'s lead by id', async () => {
    const rep = await actor('demo-clinic', 'rep');
    const out = await invokeTool(db, tenants['demo-clinic']!, rep, 'coach_advice', { lead_id: ids.faisal }, { now: NOW });
    expect(out.ok).toBe(false);
    if (!out.ok) expect(out.error.code).toBe('NOT_FOUND');
  });
});
