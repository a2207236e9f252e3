import type { Sql } from '../../db/database.ts';
import { customerText } from './match.ts';
import type { Needs } from './needs.ts';
import { LISTING_COLUMNS, toListing, type Listing, type ListingRow } from '../matching/queries.ts';

/**
 * Finds the treatments (catalogue_items) and properties (listings) a
 * customer's question is about. Treatment names are matched by how much of
 * the name's character trigrams the question contains, which works the same
 * for "acne laser", "เลเซอร์รักษาสิว" (no spaces) and small typos.
 */

export interface CatalogueItem {
  sku: string;
  names: Record<string, string>;
  descriptions: Record<string, string>;
  category: string;
  price: number;
  currency: string;
  sessions: number | null;
  durationMinutes: number | null;
  targets: string[];
}

export interface ItemMatch {
  item: CatalogueItem;
  score: number;
  /** Concerns of the question this item treats. */
  treats: string[];
}

/** The part of a name that identifies it: no "(5 sessions)", counts or course words. */
export function coreName(name: string): string {
  return customerText(name)
    .replace(/\([^)]*\)/g, ' ')
    .replace(/\d[\d,.]*\s*(?:ครั้ง|sessions?|shots|cc|ml|ซีซี)?/g, ' ')
    .replace(/(?:^|\s)(?:course|package|single|คอร์ส|แพ็กเกจ)(?=\s|$)/g, ' ')
    .replace(/[^\p{L}\p{N}\p{M}]+/gu, ' ')
    .trim();
}

function trigrams(s: string): Set<string> {
  const out = new Set<string>();
  for (const word of s.split(' ').filter(Boolean)) {
    const chars = Array.from(` ${word} `);
    for (let i = 0; i + 3 <= chars.length; i++) out.add(chars.slice(i, i + 3).join(''));
  }
  return out;
}

/** Share of the name's trigrams found in the question (0..1). */
export function nameContainment(name: string, question: string): number {
  const n = trigrams(coreName(name));
  if (n.size === 0) return 0;
  const q = trigrams(customerText(question).replace(/[^\p{L}\p{N}\p{M}]+/gu, ' '));
  let hit = 0;
  for (const g of n) if (q.has(g)) hit++;
  // Thai has no spaces: a name inside a longer run of letters shares all but its edge trigrams.
  const core = coreName(name).replace(/\s+/g, '');
  if (core.length >= 4 && customerText(question).replace(/\s+/g, '').includes(core)) return 1;
  return hit / n.size;
}

/** How well a question names an item: 0.5 and above is a clear mention. */
export const ITEM_THRESHOLD = 0.5;

export async function loadCatalogue(sql: Sql): Promise<CatalogueItem[]> {
  const { rows } = await sql.query<{
    sku: string; names: Record<string, string>; descriptions: Record<string, string>; category: string; price: string; currency: string;
    sessions: number | null; duration_minutes: number | null; targets: string[];
  }>(`SELECT sku, names, descriptions, category, price, currency, sessions, duration_minutes, targets FROM catalogue_items WHERE active ORDER BY sku`);
  return rows.map((r) => ({
    sku: r.sku,
    names: r.names,
    descriptions: r.descriptions ?? {},
    category: r.category,
    price: Number(r.price),
    currency: r.currency.trim(),
    sessions: r.sessions,
    durationMinutes: r.duration_minutes,
    targets: r.targets,
  }));
}

/** Items ranked by how clearly the question names them; concerns break ties. */
export function matchItems(items: readonly CatalogueItem[], question: string, concerns: readonly string[]): ItemMatch[] {
  return items
    .map((item) => {
      const named = Math.max(0, ...Object.values(item.names).map((n) => nameContainment(n, question)), nameContainment(item.sku.replace(/-/g, ' '), question));
      const treats = item.targets.filter((t) => concerns.includes(t));
      return { item, score: named + 0.05 * treats.length, treats };
    })
    .sort((a, b) => b.score - a.score || a.item.price - b.item.price);
}

/**
 * Treatments for stated concerns, greedily: the item covering most of the
 * concerns not yet covered (the cheaper on a tie: an easier first step), so
 * "pigmentation and wrinkles" gets one treatment for each rather than two for one.
 */
export function recommendItems(items: readonly CatalogueItem[], concerns: readonly string[], limit = 2): ItemMatch[] {
  const paid = items.filter((i) => i.price > 0);
  const picked: ItemMatch[] = [];
  let open = [...concerns];
  while (picked.length < limit && open.length) {
    const best = paid
      .filter((i) => !picked.some((p) => p.item.sku === i.sku))
      .map((item) => ({ item, score: 0, treats: item.targets.filter((t) => open.includes(t)) }))
      .filter((m) => m.treats.length > 0)
      .sort((a, b) => b.treats.length - a.treats.length || a.item.price - b.item.price)[0];
    if (!best) break;
    picked.push({ ...best, treats: best.item.targets.filter((t) => concerns.includes(t)) });
    open = open.filter((c) => !best.treats.includes(c));
  }
  return picked;
}

/** A listing as the customer tools show it: the same shape the matching service reads. */
export type ListingSummary = Listing;

/**
 * Available listings that fit what the question names (a ref such as
 * RUH-1003, property types, districts, bedrooms, a price ceiling), cheapest
 * first. Reserved, sold and withdrawn ones are never offered.
 */
export async function findListings(sql: Sql, question: string, needs: Needs, limit = 3): Promise<ListingSummary[]> {
  const refs = [...question.toUpperCase().matchAll(/\b([A-Z]{2,4}-\d{3,6})\b/g)].map((m) => m[1]!);
  const { rows } = await sql.query<ListingRow>(
    `SELECT ${LISTING_COLUMNS} FROM listings l
     WHERE l.status = 'available'
       AND (cardinality($1::text[]) = 0 OR l.ref = ANY($1))
       AND (cardinality($2::text[]) = 0 OR l.property_type = ANY($2))
       AND (cardinality($3::text[]) = 0 OR l.district = ANY($3))
       AND ($4::int IS NULL OR l.bedrooms >= $4)
       AND ($5::numeric IS NULL OR l.price <= $5)
     ORDER BY l.price, l.ref LIMIT $6`,
    [refs, refs.length ? [] : needs.propertyTypes, refs.length ? [] : needs.districts, refs.length ? null : (needs.bedroomsMin ?? null), refs.length ? null : (needs.budget ?? null), limit],
  );
  return rows.map(toListing);
}

export function mentionsListing(question: string, needs: Needs): boolean {
  return /\b[A-Z]{2,4}-\d{3,6}\b/i.test(question) || needs.propertyTypes.length > 0 || needs.districts.length > 0;
}
