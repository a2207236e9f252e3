import type { LeadContext } from '../coach/lead-context.ts';
import type { PlaybookEntry } from '../playbooks.ts';
import { concernCoverage, isNewClientsOnly, isStarter, type CatalogueItem } from '../upsell/catalogue.ts';
import type { ObjectionCategory } from './categories.ts';
import type { ListingRef } from './comparables.ts';

export interface ItemRef {
  sku: string;
  names: Record<string, string>;
  price: number;
  /** Days within which the price is credited on upgrade (starter packages). */
  creditDays: number | null;
}

/** One fact about the lead that makes a playbook answer theirs. */
export type TailorLine =
  | { kind: 'scan'; concerns: string[]; urgency: number | null; skinType: string }
  | { kind: 'budget_gap'; item: ItemRef; budget: number }
  | { kind: 'instalments'; item: ItemRef; months: number; monthly: number }
  | { kind: 'starter'; items: ItemRef[]; budget: number | null }
  | { kind: 'listings'; cap: number; listings: ListingRef[] }
  | { kind: 'no_listings'; cap: number };

export interface TailorInput {
  categories: readonly ObjectionCategory[];
  lead: LeadContext | null;
  catalogue: readonly CatalogueItem[];
  /** Longest-first is not assumed: the longest plan gives the smallest monthly figure. */
  instalmentMonths: readonly number[];
  /** Listings under the buyer's cap, when the lead has a buyer request with one. */
  comparables: readonly ListingRef[] | null;
}

const MONEY_CATEGORIES: readonly ObjectionCategory[] = ['price', 'competitor'];

export function itemRef(item: CatalogueItem): ItemRef {
  const credit = item.attributes.credit_on_upgrade_days;
  return { sku: item.sku, names: item.names, price: item.price, creditDays: typeof credit === 'number' ? credit : null };
}

/**
 * The course the lead is weighing: an open deal's item, else the paid,
 * non-starter item in a category they said they want (laser, facial…) that
 * best covers their concerns, the cheaper one on a tie.
 */
export function consideredItem(lead: LeadContext, catalogue: readonly CatalogueItem[]): CatalogueItem | undefined {
  for (const sku of lead.inProgress) {
    const hit = catalogue.find((c) => c.sku === sku);
    if (hit) return hit;
  }
  const concerns = lead.skin?.concerns ?? [];
  if (!concerns.length) return undefined;
  return catalogue
    .filter((c) => c.price > 0 && !isStarter(c) && !lead.purchased.includes(c.sku))
    .map((c) => ({ c, w: concernCoverage(c, concerns).weight, interested: lead.interests.includes(c.category) }))
    .filter((x) => x.w > 0)
    .sort((a, b) => Number(b.interested) - Number(a.interested) || b.w - a.w || a.c.price - b.c.price)[0]?.c;
}

/** Starter packages the lead may buy, within budget, aimed at their concerns; the two best. */
export function starterOptions(lead: LeadContext | null, catalogue: readonly CatalogueItem[]): CatalogueItem[] {
  const concerns = lead?.skin?.concerns ?? [];
  const hasBought = (lead?.purchased.length ?? 0) > 0;
  return catalogue
    .filter((c) => isStarter(c) && c.price > 0)
    .filter((c) => !lead || !lead.purchased.includes(c.sku))
    .filter((c) => !(hasBought && isNewClientsOnly(c)))
    .filter((c) => lead?.budget == null || c.price <= lead.budget)
    .map((c) => ({ c, w: concerns.length ? concernCoverage(c, concerns).weight : 1 }))
    .filter((x) => x.w > 0)
    .sort((a, b) => b.w - a.w || a.c.price - b.c.price)
    .slice(0, 2)
    .map((x) => x.c);
}

/** Facts about the lead that bear on these objection categories. */
export function tailor(input: TailorInput): TailorLine[] {
  const { lead, catalogue } = input;
  const lines: TailorLine[] = [];
  if (lead?.skin && lead.skin.concerns.length) {
    lines.push({ kind: 'scan', concerns: lead.skin.concerns, urgency: lead.skin.urgency ?? null, skinType: lead.skin.type });
  }
  if (!input.categories.some((c) => MONEY_CATEGORIES.includes(c))) return lines;

  const item = lead ? consideredItem(lead, catalogue) : undefined;
  if (item && lead?.budget != null && item.price > lead.budget) lines.push({ kind: 'budget_gap', item: itemRef(item), budget: lead.budget });
  const months = Math.max(0, ...input.instalmentMonths);
  if (item && months > 1) lines.push({ kind: 'instalments', item: itemRef(item), months, monthly: Math.ceil(item.price / months) });
  const starters = starterOptions(lead, catalogue);
  if (starters.length) lines.push({ kind: 'starter', items: starters.map(itemRef), budget: lead?.budget ?? null });

  const cap = lead?.buyerRequest?.priceMax ?? null;
  if (cap !== null && input.comparables) {
    lines.push(input.comparables.length ? { kind: 'listings', cap, listings: [...input.comparables] } : { kind: 'no_listings', cap });
  }
  return lines;
}

// Which playbook techniques each fact strengthens; the category is the fallback.
const TECHNIQUES: Record<TailorLine['kind'], readonly string[]> = {
  scan: ['diagnostic', 'consultation_offer', 'social_proof', 'evidence', 'reframe', 'empathy_then_process', 'soft_deadline'],
  budget_gap: ['instalments', 'financing', 'value_comparison'],
  instalments: ['instalments', 'financing'],
  starter: ['starter_package'],
  listings: ['comparables', 'like_for_like', 'verify', 'cost_of_waiting', 'financing'],
  no_listings: ['comparables', 'like_for_like', 'verify', 'cost_of_waiting', 'financing'],
};
const CATEGORIES: Record<TailorLine['kind'], readonly string[]> = {
  scan: ['need', 'trust'],
  budget_gap: MONEY_CATEGORIES,
  instalments: MONEY_CATEGORIES,
  starter: MONEY_CATEGORIES,
  listings: MONEY_CATEGORIES,
  no_listings: MONEY_CATEGORIES,
};

/** Playbook techniques that the lead's facts give something concrete to say. */
export function supportedTechniques(lines: readonly TailorLine[]): Set<string> {
  return new Set(lines.flatMap((l) => TECHNIQUES[l.kind]));
}

/**
 * Puts each fact under the answer it strengthens: the first response whose
 * technique uses it, else the first of a fitting category; facts that fit
 * none are shown once, above the answers.
 */
export function assignTailoring(lines: readonly TailorLine[], responses: readonly Pick<PlaybookEntry, 'category' | 'data'>[]): { perResponse: TailorLine[][]; general: TailorLine[] } {
  const perResponse = responses.map(() => [] as TailorLine[]);
  const general: TailorLine[] = [];
  for (const line of lines) {
    let i = responses.findIndex((r) => TECHNIQUES[line.kind].includes(String(r.data.technique ?? '')));
    if (i < 0) i = responses.findIndex((r) => CATEGORIES[line.kind].includes(r.category));
    if (i < 0) general.push(line);
    else perResponse[i]!.push(line);
  }
  return { perResponse, general };
}
