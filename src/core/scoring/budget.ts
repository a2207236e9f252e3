import type { BudgetFit } from './types.ts';

export interface CatalogueOption {
  price: number;
  category: string;
  targets: string[];
}

export interface ListingOption {
  price: number;
  city: string;
  district: string | null;
  propertyType: string;
  bedrooms: number | null;
}

export interface BuyerRequestInput {
  cities: string[];
  districts: string[];
  propertyTypes: string[];
  priceMax: number | null;
  bedroomsMin: number | null;
}

function budgetFit(budget: number, prices: number[]): BudgetFit {
  if (prices.length === 0) return { kind: 'no_options', budget };
  const within = prices.filter((p) => p <= budget).length;
  return within > 0 ? { kind: 'fits', budget, within, total: prices.length } : { kind: 'below', budget, cheapest: Math.min(...prices) };
}

const usable = (n: number | null | undefined): n is number => typeof n === 'number' && Number.isFinite(n) && n > 0;

/**
 * Clinic: the lead's budget against the treatments that address their skin
 * concerns or interests (all paid treatments when we know neither). Free
 * items (the consultation) say nothing about budget and are left out.
 */
export function clinicBudgetFit(budget: number | null, concerns: string[], interests: string[], catalogue: CatalogueOption[]): BudgetFit | null {
  if (!usable(budget)) return null;
  const paid = catalogue.filter((c) => c.price > 0);
  const relevant = paid.filter((c) => c.targets.some((t) => concerns.includes(t)) || interests.includes(c.category));
  return budgetFit(budget, (relevant.length > 0 ? relevant : paid).map((c) => c.price));
}

/**
 * Realty: the buyer's ceiling (the request's maximum price, else the lead's
 * budget) against available listings of the kind they asked for. When their
 * districts have nothing of that kind, the city is the market they compare to.
 */
export function realtyBudgetFit(budget: number | null, request: BuyerRequestInput | null, listings: ListingOption[]): BudgetFit | null {
  const ceiling = usable(request?.priceMax) ? request!.priceMax : budget;
  if (!usable(ceiling)) return null;
  if (!request) return budgetFit(ceiling, listings.map((l) => l.price));
  const kind = listings.filter(
    (l) =>
      (request.cities.length === 0 || request.cities.includes(l.city)) &&
      (request.propertyTypes.length === 0 || request.propertyTypes.includes(l.propertyType)) &&
      (request.bedroomsMin === null || l.bedrooms === null || l.bedrooms >= request.bedroomsMin),
  );
  const inDistricts = request.districts.length ? kind.filter((l) => l.district !== null && request.districts.includes(l.district)) : kind;
  return budgetFit(ceiling, (inDistricts.length > 0 ? inDistricts : kind).map((l) => l.price));
}
