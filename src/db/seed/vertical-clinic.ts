import type { LeadAttributes, SkinConcern, SkinType } from '../../core/leads/attributes.ts';
import type { Rng } from '../../core/random.ts';
import { iso, roundTo, type Interest, type LeadProfile, type SeedContext, type Vertical } from './context.ts';
import type { PackCatalogueItem } from './packs.ts';

// How common each concern is among people who message an aesthetic clinic.
const CONCERN_WEIGHTS: ReadonlyArray<readonly [SkinConcern, number]> = [
  ['acne', 22],
  ['pigmentation', 20],
  ['large_pores', 16],
  ['dullness', 14],
  ['wrinkles', 12],
  ['dark_circles', 8],
  ['sagging', 8],
  ['redness', 6],
  ['scars', 6],
];
const SKIN_TYPE_WEIGHTS: ReadonlyArray<readonly [SkinType, number]> = [
  ['oily', 30],
  ['combination', 30],
  ['normal', 15],
  ['sensitive', 13],
  ['dry', 12],
];
// Age shifts with the concern: acne skews young, sagging and wrinkles older.
const CONCERN_AGE: Partial<Record<SkinConcern, [number, number]>> = {
  acne: [17, 32],
  large_pores: [20, 38],
  scars: [20, 40],
  wrinkles: [33, 60],
  sagging: [38, 65],
};

function toInterest(item: PackCatalogueItem): Interest {
  return { ref: item.sku, titles: item.names, price: item.price };
}

function districtOf(rng: Rng, ctx: SeedContext): Record<string, string> {
  return rng.pick(ctx.pack.districts).names;
}

export const clinicVertical: Vertical = {
  itemVariable: 'treatment',
  businessVariable: 'clinic_name',
  meetingType: 'consultation',

  profile(rng, ctx, createdAtMs): LeadProfile {
    const sellable = ctx.catalogue.filter((c) => c.price > 0);
    const attributes: LeadAttributes = {};
    let matches = sellable;
    if (rng.chance(0.85)) {
      const count = rng.weighted([[1, 35], [2, 45], [3, 20]] as const);
      const concerns: SkinConcern[] = [];
      while (concerns.length < count) {
        const c = rng.weighted(CONCERN_WEIGHTS);
        if (!concerns.includes(c)) concerns.push(c);
      }
      const [lo, hi] = CONCERN_AGE[concerns[0]!] ?? [22, 50];
      attributes.skin = {
        type: rng.weighted(SKIN_TYPE_WEIGHTS),
        concerns,
        ageEstimate: rng.int(lo, hi),
        urgency: rng.int(10, 95),
        scannedAt: iso(createdAtMs),
      };
      const targeted = sellable.filter((c) => c.targets.some((t) => concerns.includes(t)));
      if (targeted.length > 0) matches = targeted;
    }
    const main = rng.pick(matches);
    const extras = rng.sample(matches.filter((c) => c.sku !== main.sku), 2).map(toInterest);
    attributes.interests = [...new Set([main.category, ...(rng.chance(0.3) ? [rng.pick(sellable).category] : [])])];
    const budget = rng.chance(0.75) ? roundTo(main.price * rng.float(0.7, 1.6), 1000) : null;
    return { attributes, budget, interest: toInterest(main), extras, buyerRequest: null, district: districtOf(rng, ctx) };
  },

  scenarioProfile(s, ctx, createdAtMs): LeadProfile {
    const item = ctx.catalogue.find((c) => c.sku === s.interest);
    if (!item) throw new Error(`scenario ${s.key}: no catalogue item ${s.interest}`);
    const attributes: LeadAttributes = structuredClone(s.attributes);
    if (attributes.skin && !attributes.skin.scannedAt) attributes.skin.scannedAt = iso(createdAtMs);
    const extras = ctx.catalogue.filter((c) => c.price > 0 && c.sku !== item.sku && c.category === item.category).slice(0, 1).map(toInterest);
    const district = ctx.pack.districts[0]!.names;
    return { attributes, budget: s.budget, interest: toInterest(item), extras, buyerRequest: null, district };
  },

  dealAmount(rng, interest) {
    // Clinics discount by a few percent at most; most courses sell at list price.
    return Math.round((interest.price * rng.weighted([[1, 70], [0.95, 20], [0.9, 10]] as const)) / 10) * 10;
  },

  withPurchases(attributes, wonRefs) {
    if (wonRefs.length === 0) return attributes;
    return { ...attributes, purchases: [...new Set(wonRefs)] };
  },
};
