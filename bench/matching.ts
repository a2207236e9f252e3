import type { Database } from '../src/db/database.ts';
import { withTenant } from '../src/db/tenant.ts';
import { getTenantById } from '../src/core/tenants.ts';
import { findBuyersForListing, getListing, matchBuyersForListing, matchListingsForLead } from '../src/core/matching/queries.ts';
import { invokeTool } from '../src/tools/run.ts';
import type { Actor } from '../src/core/actors.ts';
import { summarise } from './stats.ts';
import { getBenchDatabase } from './fixture.ts';
import { benchMain } from './lib/cli.ts';

/**
 * Property matching latency on one agency tenant, both directions:
 * - listings for a buyer (matchListingsForLead, limit 5), over buyers with an active request;
 * - buyers for a listing (matchBuyersForListing, limit 20; findBuyersForListing, cap 50, contactable only),
 *   over the tenant's listings;
 * and the same two through the tool runner (role check, schema, transaction, audit row), as a rep asks.
 * Each sample is one call in its own tenant transaction, measured from the caller.
 */
export async function benchMatching(db: Database, tenantId: string, opts: { samples?: number } = {}): Promise<Record<string, unknown>> {
  const samples = opts.samples ?? 100;
  const { tenant, buyers, listings, counts, rep } = await withTenant(db, tenantId, async (sql) => ({
    tenant: await getTenantById(sql, tenantId),
    buyers: (await sql.query<{ lead_id: string }>(`SELECT DISTINCT lead_id FROM buyer_requests WHERE status = 'active' ORDER BY lead_id LIMIT $1`, [samples])).rows.map((r) => r.lead_id),
    listings: (await sql.query<{ id: string }>(`SELECT id FROM listings ORDER BY ref`)).rows.map((r) => r.id),
    counts: (
      await sql.query<{ leads: number; requests: number; listings: number }>(
        `SELECT (SELECT count(*) FROM leads)::int AS leads, (SELECT count(*) FROM buyer_requests WHERE status = 'active')::int AS requests, (SELECT count(*) FROM listings)::int AS listings`,
      )
    ).rows[0]!,
    rep: (await sql.query<{ id: string; name: string }>(`SELECT id, name FROM staff_users WHERE role = 'rep' AND active ORDER BY email LIMIT 1`)).rows[0]!,
  }));
  if (buyers.length === 0 || listings.length === 0) throw new Error(`tenant ${tenant.slug} has no buyer requests or listings to match`);
  const actor: Actor = { role: 'rep', staffUserId: rep.id, name: rep.name, locale: 'en', timezone: tenant.timezone };
  const now = new Date();

  const time = async (fn: () => Promise<number>): Promise<{ ms: number; n: number }> => {
    const t0 = performance.now();
    const n = await fn();
    return { ms: performance.now() - t0, n };
  };
  const run = async (count: number, one: (i: number) => Promise<number>) => {
    // Warm-up: first-call module, JIT and plan costs are not what a steady system pays.
    for (let i = 0; i < Math.min(10, count); i++) await one(i);
    const ms: number[] = [];
    let results = 0;
    for (let i = 0; i < count; i++) {
      const r = await time(() => one(i));
      ms.push(r.ms);
      results += r.n;
    }
    return { ms: summarise(ms), meanResults: Math.round((results / count) * 10) / 10 };
  };

  const listingsForBuyer = await run(samples, (i) => withTenant(db, tenantId, async (sql) => (await matchListingsForLead(sql, buyers[i % buyers.length]!, { limit: 5 })).matches.length));
  const buyersForListing = await run(samples, (i) =>
    withTenant(db, tenantId, async (sql) => (await matchBuyersForListing(sql, await getListing(sql, listings[i % listings.length]!), { limit: 20, onlyContactable: false, tenantSlug: tenant.slug })).length),
  );
  const notifyBuyers = await run(samples, (i) => withTenant(db, tenantId, async (sql) => (await findBuyersForListing(sql, listings[i % listings.length]!, { cap: 50 })).length));
  const refs = await withTenant(db, tenantId, async (sql) => (await sql.query<{ ref: string }>('SELECT ref FROM listings ORDER BY ref')).rows.map((r) => r.ref));
  const tool = async (args: Record<string, unknown>) => {
    const o = await invokeTool(db, tenant, actor, 'match_listings', args, { now });
    if (!o.ok) throw o.error;
    return 1;
  };
  const toolListings = await run(Math.min(samples, 50), (i) => tool({ lead_id: buyers[i % buyers.length] }));
  const toolBuyers = await run(Math.min(samples, 50), (i) => tool({ listing: refs[i % refs.length] }));

  return {
    name: 'matching',
    tenant: tenant.slug,
    leads: counts.leads,
    activeBuyerRequests: counts.requests,
    listings: counts.listings,
    samples,
    listingsForBuyerMs: listingsForBuyer,
    buyersForListingMs: buyersForListing,
    findBuyersForListingMs: notifyBuyers,
    tool: { listingsForBuyerMs: toolListings.ms, buyersForListingMs: toolBuyers.ms },
  };
}

await benchMain(import.meta.url, 'matching', async (ctx) => {
  const bench = await getBenchDatabase({ scale: ctx.flag('--scale', ctx.quick ? 2 : 200), databaseUrl: ctx.databaseUrl });
  try {
    const r = await benchMatching(bench.db, bench.tenantId, { samples: ctx.flag('--samples', ctx.quick ? 10 : 100) });
    const p95 = (k: string) => ((r[k] as { ms: { p95: number } }).ms.p95);
    return {
      figures: [
        { key: 'match_listings_for_buyer_p95_ms', label: 'listings for a buyer, p95', value: p95('listingsForBuyerMs'), unit: 'ms' },
        { key: 'match_buyers_for_listing_p95_ms', label: 'buyers for a listing, p95', value: p95('buyersForListingMs'), unit: 'ms' },
      ],
      detail: { scale: bench.scale, image: { name: bench.image, built: bench.built, ms: bench.buildMs }, ...r },
    };
  } finally {
    await bench.db.close();
  }
});
