import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.ts';
import { withSystem, withTenant } from '../../src/db/tenant.ts';
import { actorForPerson, resolvePerson, type Actor } from '../../src/core/actors.ts';
import { getTenantBySlug, type Tenant } from '../../src/core/tenants.ts';
import { invokeTool, type ToolOutcome } from '../../src/tools/run.ts';
import { translator } from '../../src/agents/i18n.ts';
import { createListing } from '../../src/core/matching/listings.ts';
import { findBuyersForListing } from '../../src/core/matching/queries.ts';
import { PolicyRefusal, ToolInputError } from '../../src/errors.ts';
import { createTestDatabase } from '../helpers/db.ts';
import { TEST_ANCHOR } from '../helpers/anchor.ts';

let db: Database;
let realty: Tenant;
let clinic: Tenant;
let omar: Actor;
let faisal: Actor;
const NOW = TEST_ANCHOR;

async function actor(tenant: Tenant, as: string): Promise<Actor> {
  return withTenant(db, tenant.id, async (sql) => actorForPerson(sql, tenant, await resolvePerson(sql, tenant, as)));
}
function call(tenant: Tenant, who: Actor, args: Record<string, unknown>): Promise<ToolOutcome> {
  return invokeTool(db, tenant, who, 'match_listings', args, { now: NOW });
}
function text(o: ToolOutcome, tenant: Tenant, who: Actor, locale = 'en'): string {
  if (!o.ok) throw o.error;
  return o.tool.present(o.result, { tenant, actor: who, locale, t: translator(locale), now: NOW }).text;
}
type ListingsData = { kind: 'listings'; matches: { listing: { ref: string; status: string; propertyType: string; price: number; city: string }; match: { score: number } }[] };
type BuyersData = { kind: 'buyers'; buyers: { displayName: string; match: { score: number } }[] };

beforeAll(async () => {
  db = await createTestDatabase({ seeded: true });
  realty = await withSystem(db, (sql) => getTenantBySlug(sql, 'demo-realty'));
  clinic = await withSystem(db, (sql) => getTenantBySlug(sql, 'demo-clinic'));
  omar = await actor(realty, 'omar@demo-realty.example');
  faisal = await actor(realty, 'telegram:12345');
});
afterAll(async () => {
  await db.close();
});

describe('match_listings: listings for a buyer', () => {
  it('ranks the available villas in Faisal’s districts within budget first, five by default', async () => {
    const r = await call(realty, omar, { lead: 'فيصل' });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const data = r.result.data as ListingsData;
    expect(data.kind).toBe('listings');
    expect(data.matches).toHaveLength(5);
    const scores = data.matches.map((m) => m.match.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    for (const m of data.matches) {
      expect(m.listing).toMatchObject({ status: 'available', propertyType: 'villa', city: 'Riyadh' });
      expect(m.listing.price).toBeLessThanOrEqual(3_300_000);
    }
    // RUH-1003 (Al Narjis, 2.85M, 5 BR) is the listing Faisal asked about: a perfect fit.
    expect(data.matches.find((m) => m.listing.ref === 'RUH-1003')?.match.score).toBe(100);
    expect(data.matches.map((m) => m.listing.ref)).not.toContain('RUH-1001'); // 3.4M: over budget by 13 %
    const reply = text(r, realty, omar);
    expect(reply).toContain('RUH-1003');
    expect(reply).toContain('✓ Al Narjis');
    expect(text(r, realty, omar, 'ar')).toContain('✓ النرجس');
    expect(r.result.focusLeadId).toBe(faisal.leadId);
  });

  it('caps results at the limit asked, and at 20', async () => {
    const two = await call(realty, omar, { lead: 'فيصل', limit: '2' });
    expect(two.ok && (two.result.data as ListingsData).matches).toHaveLength(2);
    const many = await call(realty, omar, { lead: 'فيصل', limit: '500' });
    expect(many.ok && (many.result.data as ListingsData).matches.length).toBeLessThanOrEqual(20);
  });

  it('gives a customer their own matches, never someone else’s', async () => {
    const own = await call(realty, faisal, {});
    expect(own.ok && (own.result.data as ListingsData).kind).toBe('listings');
    const other = await withTenant(db, realty.id, async (sql) => (await sql.query<{ id: string }>('SELECT lead_id AS id FROM buyer_requests WHERE lead_id <> $1 LIMIT 1', [faisal.leadId])).rows[0]!.id);
    const guessed = await call(realty, faisal, { lead_id: other });
    expect(!guessed.ok && guessed.error).toBeInstanceOf(PolicyRefusal);
    const buyers = await call(realty, faisal, { listing: 'RUH-1003' });
    expect(!buyers.ok && buyers.error).toBeInstanceOf(PolicyRefusal);
  });

  it('says so when the lead has no buyer request, and at a clinic that matching is for property listings', async () => {
    const noReq = await withTenant(db, realty.id, async (sql) =>
      (await sql.query<{ id: string }>(`SELECT id FROM leads l WHERE NOT EXISTS (SELECT 1 FROM buyer_requests b WHERE b.lead_id = l.id AND b.status = 'active') LIMIT 1`)).rows[0]!.id,
    );
    expect(text(await call(realty, omar, { lead_id: noReq }), realty, omar)).toMatch(/has no active buyer request/);
    const ploy = await actor(clinic, 'rep');
    expect(text(await call(clinic, ploy, { lead: 'นก' }), clinic, ploy)).toMatch(/Matching applies to property listings/);
  });
});

describe('match_listings: buyers for a listing', () => {
  it('finds Faisal among the buyers of RUH-1003, by reference in any case', async () => {
    const r = await call(realty, omar, { listing: 'ruh-1003' });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const data = r.result.data as BuyersData;
    expect(data.kind).toBe('buyers');
    expect(data.buyers.length).toBeGreaterThan(0);
    expect(data.buyers.length).toBeLessThanOrEqual(5);
    const all = await call(realty, omar, { listing: 'RUH-1003', limit: '20' });
    expect(all.ok && (all.result.data as BuyersData).buyers.map((b) => b.displayName)).toContain('فيصل العتيبي');
  });

  it('offers a choice when words fit several listings, and says when none does', async () => {
    const r = await call(realty, omar, { listing: 'الملقا' });
    expect(r.ok && r.result.data).toMatchObject({ kind: 'choose_listing' });
    const none = await call(realty, omar, { listing: 'RY-014' });
    expect(none.ok).toBe(false);
  });

  it('findBuyersForListing returns only opted-in, reachable buyers, capped', async () => {
    const listingId = await withTenant(db, realty.id, async (sql) => (await sql.query<{ id: string }>(`SELECT id FROM listings WHERE ref = 'RUH-1005'`)).rows[0]!.id);
    const { all, contactable, capped } = await withTenant(db, realty.id, async (sql) => ({
      all: await findBuyersForListing(sql, listingId, { cap: 1000, onlyContactable: false }),
      contactable: await findBuyersForListing(sql, listingId, { cap: 1000 }),
      capped: await findBuyersForListing(sql, listingId, { cap: 2 }),
    }));
    expect(all.length).toBeGreaterThan(contactable.length);
    expect(contactable.length).toBeGreaterThan(2);
    expect(contactable.every((b) => b.consent === 'opted_in' && !b.unreachable)).toBe(true);
    expect(capped.map((b) => b.leadId)).toEqual(contactable.slice(0, 2).map((b) => b.leadId));
  });
});

describe('createListing (closer listings add)', () => {
  it('adds a listing whose Arabic district matches buyers of the same district', async () => {
    const listing = await withTenant(db, realty.id, (sql) =>
      createListing(sql, realty, { ref: 'ry-900', title: 'فيلا في الملقا', city: 'Riyadh', district: 'الملقا', type: 'villa', price: '2800000', bedrooms: '5', area: '450' }),
    );
    expect(listing).toMatchObject({ ref: 'RY-900', titles: { ar: 'فيلا في الملقا' }, price: 2_800_000, currency: 'SAR', status: 'available' });
    const buyers = await withTenant(db, realty.id, (sql) => findBuyersForListing(sql, listing.id, { cap: 50, onlyContactable: false }));
    expect(buyers.map((b) => b.displayName)).toContain('فيصل العتيبي');
    const faisalMatch = buyers.find((b) => b.displayName === 'فيصل العتيبي')!;
    expect(faisalMatch.match.reasons[0]).toMatchObject({ criterion: 'location', status: 'match' });
  });

  it('validates its input and refuses a duplicate reference or a clinic', async () => {
    const bad = { ref: 'RY-901', title: 'x', city: 'Riyadh', type: 'castle', price: '-1' };
    await expect(withTenant(db, realty.id, (sql) => createListing(sql, realty, bad as never))).rejects.toThrow(ToolInputError);
    await expect(
      withTenant(db, realty.id, (sql) => createListing(sql, realty, { ref: 'RUH-1003', title: 'Villa', city: 'Riyadh', type: 'villa', price: 1 })),
    ).rejects.toThrow(/already exists/);
    await expect(withTenant(db, clinic.id, (sql) => createListing(sql, clinic, { ref: 'RY-902', title: 'Villa', city: 'Riyadh', type: 'villa', price: 1 }))).rejects.toThrow(
      /not an agency/,
    );
  });
});
