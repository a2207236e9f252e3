import type { LeadAttributes } from '../../core/leads/attributes.ts';
import type { Rng } from '../../core/random.ts';
import { roundTo, type BuyerRequestDraft, type Interest, type LeadProfile, type SeedContext, type Vertical } from './context.ts';
import type { PackListing } from './packs.ts';

const TYPE_WEIGHTS = [
  ['villa', 38],
  ['apartment', 30],
  ['townhouse', 12],
  ['duplex', 12],
  ['land', 8],
] as const;
const TIMELINES = ['immediately', 'within 3 months', 'within 6 months', 'this year', 'just exploring'] as const;

function toInterest(l: PackListing): Interest {
  return { ref: l.ref, titles: l.titles, price: l.price };
}

function districtNames(ctx: SeedContext, city: string, district: string): Record<string, string> {
  return ctx.pack.districts.find((d) => d.city === city && d.name === district)?.names ?? { en: district };
}

function buyerRequest(rng: Rng, ctx: SeedContext): BuyerRequestDraft {
  const city = rng.weighted([['Riyadh', 88], ['Jeddah', 12]] as const);
  // Most Riyadh demand is for the newer northern districts.
  const inCity = ctx.pack.districts.filter((d) => d.city === city);
  const districts: string[] = [];
  const wanted = rng.weighted([[1, 40], [2, 35], [3, 25]] as const);
  while (districts.length < Math.min(wanted, inCity.length)) {
    const d = rng.weighted(inCity.map((x) => [x.name, city === 'Riyadh' && x.zone === 'north' ? 3 : 1] as const));
    if (!districts.includes(d)) districts.push(d);
  }
  const types: string[] = [rng.weighted(TYPE_WEIGHTS)];
  if (rng.chance(0.25)) {
    const second = rng.weighted(TYPE_WEIGHTS);
    if (!types.includes(second)) types.push(second);
  }
  const comparable = ctx.listings.filter((l) => l.city === city && types.includes(l.property_type));
  const reference = comparable.length > 0 ? rng.pick(comparable) : rng.pick(ctx.listings);
  const priceMax = roundTo(reference.price * rng.float(0.85, 1.3), 50_000);
  const isLand = types.length === 1 && types[0] === 'land';
  return {
    cities: [city],
    districts,
    property_types: types,
    price_min: rng.chance(0.5) ? roundTo(priceMax * rng.float(0.5, 0.75), 50_000) : null,
    price_max: priceMax,
    area_min: rng.chance(0.3) ? roundTo(reference.area_sqm * 0.8, 10) : null,
    area_max: rng.chance(0.15) ? roundTo(reference.area_sqm * 1.4, 10) : null,
    bedrooms_min: isLand ? null : rng.chance(0.8) ? Math.max(1, Math.min(6, (reference.bedrooms ?? 3) - rng.int(0, 1))) : null,
  };
}

/** The listing the lead asked about: the best fit for the request, else anything in the city. */
function pickListing(rng: Rng, ctx: SeedContext, req: BuyerRequestDraft | null): PackListing {
  if (!req) return rng.pick(ctx.listings);
  const inCity = ctx.listings.filter((l) => req.cities.includes(l.city));
  const fits = inCity.filter(
    (l) => req.property_types.includes(l.property_type) && (req.price_max === null || l.price <= req.price_max * 1.1),
  );
  const best = fits.filter((l) => req.districts.includes(l.district));
  return rng.pick(best.length > 0 ? best : fits.length > 0 ? fits : inCity.length > 0 ? inCity : ctx.listings);
}

export const realtyVertical: Vertical = {
  itemVariable: 'listing_title',
  businessVariable: 'agency_name',
  meetingType: 'viewing',

  profile(rng, ctx): LeadProfile {
    const req = rng.chance(0.85) ? buyerRequest(rng, ctx) : null;
    const listing = pickListing(rng, ctx, req);
    const attributes: LeadAttributes = {};
    if (rng.chance(0.9)) {
      attributes.buyer = {
        purpose: rng.weighted([['live', 75], ['invest', 25]] as const),
        financing: rng.weighted([['mortgage', 60], ['cash', 40]] as const),
        timeline: rng.pick(TIMELINES),
      };
    }
    const budget = rng.chance(0.9) ? (req?.price_max ?? roundTo(listing.price * 1.05, 50_000)) : null;
    const district = req?.districts[0] ?? listing.district;
    const city = req?.cities[0] ?? listing.city;
    return { attributes, budget, interest: toInterest(listing), extras: [], buyerRequest: req, district: districtNames(ctx, city, district) };
  },

  scenarioProfile(s, ctx): LeadProfile {
    const listing = ctx.listings.find((l) => l.ref === s.interest);
    if (!listing) throw new Error(`scenario ${s.key}: no listing ${s.interest}`);
    const req = s.buyer_request;
    const district = districtNames(ctx, req?.cities[0] ?? listing.city, req?.districts[0] ?? listing.district);
    return { attributes: structuredClone(s.attributes), budget: s.budget, interest: toInterest(listing), extras: [], buyerRequest: req, district };
  },

  dealAmount(rng, interest) {
    // Resale homes usually close a few percent under the asking price.
    return roundTo(interest.price * rng.float(0.92, 1), 5_000);
  },

  withPurchases(attributes) {
    return attributes;
  },
};
