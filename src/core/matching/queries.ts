import type { Sql } from '../../db/database.ts';
import { NotFoundError } from '../../errors.ts';
import { placeIndexFor, placeKey, type PlaceIndex } from './places.ts';
import { isMatch, PRICE_TOLERANCE, scoreMatch, type BuyerCriteria, type MatchScore } from './score.ts';

export interface Listing {
  id: string;
  ref: string;
  titles: Record<string, string>;
  city: string;
  district: string | null;
  propertyType: string;
  price: number;
  currency: string;
  areaSqm: number | null;
  bedrooms: number | null;
  status: string;
}

export interface BuyerMatch {
  leadId: string;
  displayName: string;
  stageKey: string;
  ownerName: string | null;
  consent: string;
  unreachable: boolean;
  match: MatchScore;
}

export interface ListingMatch {
  listing: Listing;
  match: MatchScore;
}

export const MAX_MATCH_LIMIT = 20;

/** The columns toListing reads, for any query over `listings l`. */
export const LISTING_COLUMNS = 'l.id, l.ref, l.titles, l.city, l.district, l.property_type, l.price, l.currency, l.area_sqm, l.bedrooms, l.status';
export type ListingRow = {
  id: string; ref: string; titles: Record<string, string>; city: string; district: string | null; property_type: string;
  price: string; currency: string; area_sqm: string | null; bedrooms: number | null; status: string;
};
const num = (v: string | number | null): number | null => (v === null ? null : Number(v));

export function toListing(r: ListingRow): Listing {
  return {
    id: r.id, ref: r.ref, titles: r.titles ?? {}, city: r.city, district: r.district, propertyType: r.property_type,
    price: Number(r.price), currency: r.currency.trim(), areaSqm: num(r.area_sqm), bedrooms: r.bedrooms, status: r.status,
  };
}

type RequestRow = {
  cities: string[]; districts: string[]; property_types: string[]; price_min: string | null; price_max: string | null;
  area_min: string | null; area_max: string | null; bedrooms_min: number | null;
};

function toCriteria(r: RequestRow): BuyerCriteria {
  return {
    cities: r.cities ?? [], districts: r.districts ?? [], propertyTypes: r.property_types ?? [],
    priceMin: num(r.price_min), priceMax: num(r.price_max), areaMin: num(r.area_min), areaMax: num(r.area_max), bedroomsMin: r.bedrooms_min,
  };
}

async function tenantSlugOf(sql: Sql, table: 'leads' | 'listings', id: string): Promise<string | undefined> {
  const { rows } = await sql.query<{ slug: string }>(`SELECT t.slug FROM ${table} x JOIN tenants t ON t.id = x.tenant_id WHERE x.id = $1`, [id]);
  return rows[0]?.slug;
}

export async function getListing(sql: Sql, id: string): Promise<Listing> {
  const { rows } = await sql.query<ListingRow>(`SELECT ${LISTING_COLUMNS} FROM listings l WHERE l.id = $1`, [id]);
  if (!rows[0]) throw new NotFoundError(`No listing with id ${id}.`);
  return toListing(rows[0]);
}

/**
 * Listings a person may mean: the exact reference ("RUH-1003", any case or
 * spacing) when there is one, else listings whose title or district
 * contains the text (district names in any of the pack's languages).
 */
export async function findListings(sql: Sql, text: string, places: PlaceIndex, limit = 10): Promise<Listing[]> {
  const q = text.trim();
  const ref = q.replace(/\s+/g, '').toUpperCase();
  const exact = await sql.query<ListingRow>(`SELECT ${LISTING_COLUMNS} FROM listings l WHERE upper(l.ref) = $1`, [ref]);
  if (exact.rows[0]) return [toListing(exact.rows[0])];
  const { rows } = await sql.query<ListingRow>(`SELECT ${LISTING_COLUMNS} FROM listings l ORDER BY (l.status = 'available') DESC, l.ref`);
  const key = placeKey(q);
  const needle = q.toLowerCase();
  if (!key) return [];
  return rows
    .map(toListing)
    .filter((l) => (l.district && places.same(l.district, q)) || Object.values(l.titles).some((t) => t.toLowerCase().includes(needle)) || placeKey(l.ref).includes(key))
    .slice(0, limit);
}

/**
 * Available listings that fit a lead's active buyer requests, best first.
 * A lead with several requests is matched on each; a listing keeps its best score.
 * Returns `requests: 0` when the lead has no active request.
 */
export async function matchListingsForLead(sql: Sql, leadId: string, opts: { limit: number }): Promise<{ requests: number; matches: ListingMatch[] }> {
  const places = placeIndexFor((await tenantSlugOf(sql, 'leads', leadId)) ?? '');
  const reqs = (
    await sql.query<RequestRow>(
      `SELECT cities, districts, property_types, price_min, price_max, area_min, area_max, bedrooms_min
       FROM buyer_requests WHERE lead_id = $1 AND status = 'active' ORDER BY updated_at DESC`,
      [leadId],
    )
  ).rows.map(toCriteria);
  if (reqs.length === 0) return { requests: 0, matches: [] };
  // The cheap hard filters in SQL (type, price ceiling); places and the scores in code.
  const types = [...new Set(reqs.flatMap((r) => (r.propertyTypes.length ? r.propertyTypes : ['*'])))];
  const ceilings = reqs.map((r) => (r.priceMax === null ? null : r.priceMax * (1 + PRICE_TOLERANCE)));
  const ceiling = ceilings.includes(null) ? null : Math.max(...(ceilings as number[]));
  const { rows } = await sql.query<ListingRow>(
    `SELECT ${LISTING_COLUMNS} FROM listings l
     WHERE l.status = 'available' AND l.tenant_id = (SELECT tenant_id FROM leads WHERE id = $1)
       AND ('*' = ANY($2::text[]) OR l.property_type = ANY($2::text[]))
       AND ($3::numeric IS NULL OR l.price <= $3::numeric)`,
    [leadId, types, ceiling],
  );
  const matches: ListingMatch[] = [];
  for (const listing of rows.map(toListing)) {
    const best = reqs.map((r) => scoreMatch(r, listing, places)).filter(isMatch).sort((a, b) => b.score - a.score)[0];
    if (best) matches.push({ listing, match: best });
  }
  matches.sort((a, b) => b.match.score - a.match.score || a.listing.price - b.listing.price || a.listing.ref.localeCompare(b.listing.ref));
  return { requests: reqs.length, matches: matches.slice(0, Math.min(opts.limit, MAX_MATCH_LIMIT)) };
}

/**
 * Leads whose active buyer request fits a listing, best first. Leads in a
 * won or lost stage are left out (they bought, or walked away).
 * `onlyContactable` keeps leads we may message: opted in and reachable.
 */
export async function matchBuyersForListing(sql: Sql, listing: Listing, opts: { limit: number; onlyContactable: boolean; tenantSlug?: string }): Promise<BuyerMatch[]> {
  const places = placeIndexFor(opts.tenantSlug ?? (await tenantSlugOf(sql, 'listings', listing.id)) ?? '');
  const { rows } = await sql.query<RequestRow & { lead_id: string; display_name: string; stage_key: string; owner_name: string | null; consent: string; unreachable: boolean }>(
    `SELECT br.lead_id, br.cities, br.districts, br.property_types, br.price_min, br.price_max, br.area_min, br.area_max, br.bedrooms_min,
            ld.display_name, ld.stage_key, s.name AS owner_name, ld.consent, ld.unreachable
     FROM buyer_requests br
     JOIN leads ld ON ld.id = br.lead_id
     LEFT JOIN pipeline_stages ps ON ps.tenant_id = ld.tenant_id AND ps.key = ld.stage_key
     LEFT JOIN staff_users s ON s.id = ld.owner_id
     WHERE br.tenant_id = (SELECT tenant_id FROM listings WHERE id = $1) AND br.status = 'active'
       AND NOT COALESCE(ps.is_won OR ps.is_lost, false)
       AND (cardinality(br.property_types) = 0 OR $2 = ANY(br.property_types))
       AND (br.price_max IS NULL OR br.price_max * $3 >= $4::numeric)
       AND (br.bedrooms_min IS NULL OR $5::int IS NULL OR $5::int >= br.bedrooms_min - 1)
       AND (NOT $6::boolean OR (ld.consent = 'opted_in' AND NOT ld.unreachable))`,
    [listing.id, listing.propertyType, 1 + PRICE_TOLERANCE, listing.price, listing.bedrooms, opts.onlyContactable],
  );
  const best = new Map<string, BuyerMatch>();
  for (const r of rows) {
    const match = scoreMatch(toCriteria(r), listing, places);
    if (!isMatch(match)) continue;
    const seen = best.get(r.lead_id);
    if (seen && seen.match.score >= match.score) continue;
    best.set(r.lead_id, { leadId: r.lead_id, displayName: r.display_name, stageKey: r.stage_key, ownerName: r.owner_name, consent: r.consent, unreachable: r.unreachable, match });
  }
  return [...best.values()]
    .sort((a, b) => b.match.score - a.match.score || a.displayName.localeCompare(b.displayName) || a.leadId.localeCompare(b.leadId))
    .slice(0, opts.limit);
}

/**
 * The buyers to tell about a listing (for the job that notifies them when a
 * listing is added): matched, and by default only those we may message,
 * opted in and reachable; at most `cap`, best first. Runs in the caller's
 * tenant-scoped transaction.
 */
export async function findBuyersForListing(sql: Sql, listingId: string, opts: { cap: number; onlyContactable?: boolean }): Promise<BuyerMatch[]> {
  const listing = await getListing(sql, listingId);
  return matchBuyersForListing(sql, listing, { limit: Math.max(0, opts.cap), onlyContactable: opts.onlyContactable ?? true });
}
