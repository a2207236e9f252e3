import type { Sql } from '../../db/database.ts';
import type { BuyerRequest } from '../coach/lead-context.ts';

export interface ListingRef {
  ref: string;
  titles: Record<string, string>;
  district: string | null;
  city: string;
  price: number;
  bedrooms: number | null;
}

/**
 * Available listings that fit a buyer's request at or under their price cap:
 * the honest answer to "too expensive" is what their money does buy.
 * Listings in the districts they asked for come first, then the rest of
 * their cities; within each, the most home for the money (highest price
 * under the cap).
 */
export async function comparableListings(sql: Sql, request: BuyerRequest, cap: number, limit = 3): Promise<ListingRef[]> {
  const { rows } = await sql.query<{ ref: string; titles: Record<string, string>; district: string | null; city: string; price: string; bedrooms: number | null }>(
    `SELECT ref, titles, district, city, price, bedrooms FROM listings
     WHERE status = 'available' AND price <= $1
       AND (cardinality($2::text[]) = 0 OR property_type = ANY($2::text[]))
       AND (cardinality($3::text[]) = 0 OR city = ANY($3::text[]))
       AND ($4::int IS NULL OR bedrooms >= $4::int)
     ORDER BY COALESCE(district = ANY($5::text[]), false) DESC, price DESC, ref
     LIMIT $6`,
    [cap, request.propertyTypes, request.cities, request.bedroomsMin, request.districts, limit],
  );
  return rows.map((r) => ({ ...r, price: Number(r.price) }));
}
