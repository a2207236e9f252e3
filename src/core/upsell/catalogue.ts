import type { Sql } from '../../db/database.ts';

/** A sellable catalogue item as the sales-intelligence services use it. */
export interface CatalogueItem {
  sku: string;
  names: Record<string, string>;
  category: string;
  price: number;
  currency: string;
  sessions: number | null;
  targets: string[];
  attributes: Record<string, unknown>;
}

/** The tenant's active catalogue (RLS-scoped), cheapest first. */
export async function loadCatalogue(sql: Sql): Promise<CatalogueItem[]> {
  const { rows } = await sql.query<{
    sku: string; names: Record<string, string>; category: string; price: string; currency: string; sessions: number | null; targets: string[]; attributes: Record<string, unknown> | null;
  }>(`SELECT sku, names, category, price, currency, sessions, targets, attributes FROM catalogue_items WHERE active ORDER BY price, sku`);
  return rows.map((r) => ({ ...r, currency: r.currency.trim(), price: Number(r.price), attributes: r.attributes ?? {} }));
}

/**
 * Entry-level packages: made for trying the business first, credited when
 * the customer upgrades. Recognised by the credit terms in the item's
 * attributes, or by the pack's 'starter' category.
 */
export function isStarter(item: CatalogueItem): boolean {
  return item.category === 'starter' || typeof item.attributes.credit_on_upgrade_days === 'number';
}

/** Starter packages some businesses reserve for customers who have never bought. */
export function isNewClientsOnly(item: CatalogueItem): boolean {
  return item.attributes.new_clients_only === true;
}

/** How many of `concerns` an item targets, earlier concerns (the scan's main ones) counting more. */
export function concernCoverage(item: CatalogueItem, concerns: readonly string[]): { matched: string[]; weight: number } {
  const matched = concerns.filter((c) => item.targets.includes(c));
  const total = concerns.reduce((s, _c, i) => s + 1 / (i + 1), 0);
  const got = concerns.reduce((s, c, i) => s + (item.targets.includes(c) ? 1 / (i + 1) : 0), 0);
  return { matched, weight: total > 0 ? got / total : 0 };
}
