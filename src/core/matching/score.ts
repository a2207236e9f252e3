import type { PlaceIndex } from './places.ts';

export interface BuyerCriteria {
  cities: string[];
  districts: string[];
  propertyTypes: string[];
  priceMin: number | null;
  priceMax: number | null;
  areaMin: number | null;
  areaMax: number | null;
  bedroomsMin: number | null;
}

export interface ListingFacts {
  city: string;
  district: string | null;
  propertyType: string;
  price: number;
  areaSqm: number | null;
  bedrooms: number | null;
}

export type Criterion = 'location' | 'type' | 'price' | 'bedrooms' | 'area';

/** How one criterion went: `any` means the buyer did not ask (full points, nothing to show). */
export interface Reason {
  criterion: Criterion;
  status: 'match' | 'partial' | 'miss' | 'any';
  points: number;
  max: number;
  detail: Record<string, string | number>;
}

export interface MatchScore {
  /** 0-100, the sum of the criteria points. */
  score: number;
  /** False when a hard filter failed; `failed` says which. */
  passes: boolean;
  failed?: Criterion | undefined;
  reasons: Reason[];
}

/**
 * Hard filters vs soft scoring. A listing is not a match at all when it is
 * in another city, of a property type the buyer did not ask for, more than
 * PRICE_TOLERANCE over their maximum, or two or more bedrooms short:
 * nobody wants those offered. Everything else is scored, so near misses
 * still rank, below exact fits:
 *   location 35  preferred district 35 · same city, other district 5 · no preference 35
 *   type     20  asked-for type (or no preference) 20
 *   price    20  within range 20 · up to 10 % over max: 16 → 0 · under min 12
 *   bedrooms 15  enough 15 · one short 5 · unknown (land) 0
 *   area     10  within range 10 · within 15 % of it 5 · further 0
 */
export const WEIGHTS: Record<Criterion, number> = { location: 35, type: 20, price: 20, bedrooms: 15, area: 10 };
export const PRICE_TOLERANCE = 0.1;
const AREA_TOLERANCE = 0.15;
/** The lowest score still worth showing: a perfect fit outside the preferred districts (70) is; two near misses are not. */
export const MIN_MATCH_SCORE = 50;

export function scoreMatch(req: BuyerCriteria, l: ListingFacts, places: PlaceIndex): MatchScore {
  const reasons: Reason[] = [];
  let failed: Criterion | undefined;
  const add = (criterion: Criterion, status: Reason['status'], points: number, detail: Reason['detail'] = {}) =>
    reasons.push({ criterion, status, points: Math.round(points), max: WEIGHTS[criterion], detail });

  // Location: the city is hard, the district soft.
  const place = { city: l.city, district: l.district ?? '' };
  if (req.cities.length > 0 && !places.includes(req.cities, l.city)) {
    failed ??= 'location';
    add('location', 'miss', 0, { ...place, wanted: req.cities.join(', ') });
  } else if (req.districts.length === 0) {
    add('location', 'any', WEIGHTS.location, place);
  } else if (l.district && places.includes(req.districts, l.district)) {
    add('location', 'match', WEIGHTS.location, place);
  } else {
    add('location', 'partial', 5, { ...place, wanted: req.districts.join(', ') });
  }

  if (req.propertyTypes.length === 0) add('type', 'any', WEIGHTS.type, { type: l.propertyType });
  else if (req.propertyTypes.some((t) => t.toLowerCase() === l.propertyType.toLowerCase())) add('type', 'match', WEIGHTS.type, { type: l.propertyType });
  else {
    failed ??= 'type';
    add('type', 'miss', 0, { type: l.propertyType, wanted: req.propertyTypes.join('/') });
  }

  if (req.priceMin === null && req.priceMax === null) add('price', 'any', WEIGHTS.price, { price: l.price });
  else if (req.priceMax !== null && l.price > req.priceMax) {
    const over = (l.price - req.priceMax) / req.priceMax;
    const pct = Math.max(1, Math.round(over * 100));
    if (over > PRICE_TOLERANCE) {
      failed ??= 'price';
      add('price', 'miss', 0, { price: l.price, over_pct: pct });
    } else add('price', 'partial', 16 * (1 - over / PRICE_TOLERANCE), { price: l.price, over_pct: pct });
  } else if (req.priceMin !== null && l.price < req.priceMin) add('price', 'partial', 12, { price: l.price, under: 1 });
  else add('price', 'match', WEIGHTS.price, { price: l.price });

  if (req.bedroomsMin === null) add('bedrooms', 'any', WEIGHTS.bedrooms, {});
  else if (l.bedrooms === null) add('bedrooms', 'miss', 0, { wanted: req.bedroomsMin });
  else if (l.bedrooms >= req.bedroomsMin) add('bedrooms', 'match', WEIGHTS.bedrooms, { bedrooms: l.bedrooms, wanted: req.bedroomsMin });
  else if (l.bedrooms === req.bedroomsMin - 1) add('bedrooms', 'partial', 5, { bedrooms: l.bedrooms, wanted: req.bedroomsMin });
  else {
    failed ??= 'bedrooms';
    add('bedrooms', 'miss', 0, { bedrooms: l.bedrooms, wanted: req.bedroomsMin });
  }

  if (req.areaMin === null && req.areaMax === null) add('area', 'any', WEIGHTS.area, {});
  else {
    const wanted = `${req.areaMin ?? ''}–${req.areaMax ?? ''}`;
    if (l.areaSqm === null) add('area', 'miss', 0, { wanted });
    else {
      const below = req.areaMin !== null && l.areaSqm < req.areaMin ? (req.areaMin - l.areaSqm) / req.areaMin : 0;
      const above = req.areaMax !== null && l.areaSqm > req.areaMax ? (l.areaSqm - req.areaMax) / req.areaMax : 0;
      const off = Math.max(below, above);
      if (off === 0) add('area', 'match', WEIGHTS.area, { area: l.areaSqm, wanted });
      else add('area', off <= AREA_TOLERANCE ? 'partial' : 'miss', off <= AREA_TOLERANCE ? 5 : 0, { area: l.areaSqm, wanted });
    }
  }

  const score = reasons.reduce((sum, r) => sum + r.points, 0);
  return { score: Math.min(100, score), passes: failed === undefined, failed, reasons };
}

/** A match worth showing: every hard filter passed and the score reaches MIN_MATCH_SCORE. */
export function isMatch(m: MatchScore): boolean {
  return m.passes && m.score >= MIN_MATCH_SCORE;
}
