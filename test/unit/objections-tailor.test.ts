import { describe, expect, it } from 'vitest';
import type { LeadContext } from '../../src/core/coach/lead-context.ts';
import { followUpDay, nextStep, openDays } from '../../src/core/objections/next-step.ts';
import { assignTailoring, consideredItem, itemRef, starterOptions, supportedTechniques, tailor } from '../../src/core/objections/tailor.ts';
import type { CatalogueItem } from '../../src/core/upsell/catalogue.ts';
import { TenantSettingsSchema } from '../../src/core/tenants.ts';

const item = (sku: string, price: number, targets: string[], extra: Partial<CatalogueItem> = {}): CatalogueItem => ({
  sku,
  names: { en: sku, th: `th-${sku}` },
  category: 'laser',
  price,
  currency: 'THB',
  sessions: 1,
  targets,
  attributes: {},
  ...extra,
});

const CATALOGUE: CatalogueItem[] = [
  item('CONSULT', 0, [], { category: 'consultation', attributes: { bookable: true } }),
  item('ACNE-STARTER', 3990, ['acne', 'large_pores'], { category: 'starter', attributes: { credit_on_upgrade_days: 30 } }),
  item('GLOW-STARTER', 2990, ['dullness', 'large_pores'], { category: 'starter', attributes: { credit_on_upgrade_days: 30, new_clients_only: true } }),
  item('ACNE-LASER', 12900, ['acne', 'redness']),
  item('PORE-LASER', 14900, ['large_pores']),
  item('HYDRA-6', 17900, ['acne', 'large_pores', 'dullness'], { category: 'facial' }),
];

function lead(over: Partial<LeadContext> = {}): LeadContext {
  return {
    id: '00000000-0000-4000-8000-000000000001',
    displayName: 'นก',
    firstName: 'นก',
    stageKey: 'contacted',
    stageNames: {},
    grade: 'B',
    score: 70,
    budget: 15000,
    skin: { type: 'oily', concerns: ['acne', 'large_pores'], urgency: 75 },
    buyer: null,
    interests: ['laser'],
    purchased: [],
    inProgress: [],
    buyerRequest: null,
    lastContactAt: null,
    lastInboundAt: null,
    ...over,
  };
}

describe('the course a lead is weighing', () => {
  it('is an open deal item when there is one', () => {
    expect(consideredItem(lead({ inProgress: ['HYDRA-6'] }), CATALOGUE)?.sku).toBe('HYDRA-6');
  });
  it('is otherwise the best-covering item in a category they asked about, never a starter or a free item', () => {
    expect(consideredItem(lead(), CATALOGUE)?.sku).toBe('ACNE-LASER');
    expect(consideredItem(lead({ interests: ['facial'] }), CATALOGUE)?.sku).toBe('HYDRA-6');
  });
  it('is unknown without concerns', () => {
    expect(consideredItem(lead({ skin: null }), CATALOGUE)).toBeUndefined();
  });
});

describe('starter options', () => {
  it('fit the budget and the concerns, best coverage first', () => {
    expect(starterOptions(lead(), CATALOGUE).map((c) => c.sku)).toEqual(['ACNE-STARTER', 'GLOW-STARTER']);
    expect(starterOptions(lead({ budget: 3000 }), CATALOGUE).map((c) => c.sku)).toEqual(['GLOW-STARTER']);
    expect(starterOptions(lead({ budget: 1000 }), CATALOGUE)).toEqual([]);
  });
  it('leave out new-client offers once the customer has bought, and what they bought', () => {
    expect(starterOptions(lead({ purchased: ['ACNE-STARTER'] }), CATALOGUE).map((c) => c.sku)).toEqual([]);
    expect(starterOptions(lead({ purchased: ['PORE-LASER'] }), CATALOGUE).map((c) => c.sku)).toEqual(['ACNE-STARTER']);
  });
  it('without a lead, are every paid starter package', () => {
    expect(starterOptions(null, CATALOGUE).map((c) => c.sku).sort()).toEqual(['ACNE-STARTER', 'GLOW-STARTER']);
  });
});

describe('tailoring', () => {
  it('gives a price objection the scan, the starters within budget and instalments when the tenant offers them', () => {
    const lines = tailor({ categories: ['price'], lead: lead(), catalogue: CATALOGUE, instalmentMonths: [3, 6, 10], comparables: null });
    expect(lines.map((l) => l.kind)).toEqual(['scan', 'instalments', 'starter']);
    expect(lines[1]).toMatchObject({ kind: 'instalments', months: 10, monthly: 1290, item: { sku: 'ACNE-LASER' } });
  });

  it('flags the budget gap and never invents instalments the tenant has not configured', () => {
    const lines = tailor({ categories: ['price'], lead: lead({ budget: 10000 }), catalogue: CATALOGUE, instalmentMonths: [], comparables: null });
    expect(lines.find((l) => l.kind === 'budget_gap')).toMatchObject({ budget: 10000, item: { sku: 'ACNE-LASER', price: 12900 } });
    expect(lines.some((l) => l.kind === 'instalments')).toBe(false);
  });

  it('uses only the scan for objections that are not about money', () => {
    const lines = tailor({ categories: ['trust'], lead: lead(), catalogue: CATALOGUE, instalmentMonths: [10], comparables: null });
    expect(lines.map((l) => l.kind)).toEqual(['scan']);
  });

  it('offers listings under the buyer cap, or says there are none', () => {
    const buyer = lead({ skin: null, budget: 3_000_000, buyerRequest: { cities: ['Riyadh'], districts: ['Al Malqa'], propertyTypes: ['villa'], priceMin: null, priceMax: 3_000_000, bedroomsMin: 4 } });
    const listing = { ref: 'RUH-1', titles: { en: 'Villa' }, district: 'Al Malqa', city: 'Riyadh', price: 2_900_000, bedrooms: 5 };
    expect(tailor({ categories: ['price'], lead: buyer, catalogue: [], instalmentMonths: [], comparables: [listing] })).toEqual([{ kind: 'listings', cap: 3_000_000, listings: [listing] }]);
    expect(tailor({ categories: ['price'], lead: buyer, catalogue: [], instalmentMonths: [], comparables: [] })).toEqual([{ kind: 'no_listings', cap: 3_000_000 }]);
  });

  it('puts each fact under the answer whose technique uses it, else under a fitting category, else above all answers', () => {
    const lines = tailor({ categories: ['price'], lead: lead(), catalogue: CATALOGUE, instalmentMonths: [10], comparables: null });
    const responses = [
      { category: 'price', data: { technique: 'instalments' } },
      { category: 'price', data: { technique: 'starter_package' } },
      { category: 'time', data: { technique: 'soft_deadline' } },
    ];
    const { perResponse, general } = assignTailoring(lines, responses);
    expect(perResponse.map((r) => r.map((l) => l.kind))).toEqual([['instalments'], ['starter'], ['scan']]);
    expect(general).toEqual([]);
    const onlyTime = assignTailoring(lines, [{ category: 'time', data: { technique: 'alternative_choice' } }]);
    expect(onlyTime.general.map((l) => l.kind)).toEqual(['scan', 'instalments', 'starter']);
  });

  it('names the techniques the facts can back up', () => {
    const techniques = supportedTechniques([{ kind: 'starter', items: [itemRef(CATALOGUE[1]!)], budget: 15000 }]);
    expect(techniques.has('starter_package')).toBe(true);
    expect(techniques.has('comparables')).toBe(false);
  });
});

describe('next step', () => {
  const clinic = { timezone: 'Asia/Bangkok', settings: TenantSettingsSchema.parse({ business_hours: { start: '10:00', end: '20:00', days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] } }) };
  const realty = { timezone: 'Asia/Riyadh', settings: TenantSettingsSchema.parse({ business_hours: { start: '10:00', end: '20:00', days: ['sat', 'sun', 'mon', 'tue', 'wed', 'thu'] } }) };
  // Wednesday 2026-11-18, 10:00 in Bangkok and 06:00 in Riyadh.
  const wednesday = new Date('2026-11-18T03:00:00Z');

  it('follows up two days later, or the next day after a stall', () => {
    expect(followUpDay(wednesday, clinic, 'price')).toEqual({ weekday: 'friday', date: '2026-11-20' });
    expect(followUpDay(wednesday, clinic, 'time')).toEqual({ weekday: 'thursday', date: '2026-11-19' });
  });

  it('moves the follow-up to a day the business is open, in its timezone', () => {
    expect(followUpDay(wednesday, realty, 'price')).toEqual({ weekday: 'saturday', date: '2026-11-21' });
    // 23:30 UTC on Wednesday is already Thursday in Bangkok.
    expect(followUpDay(new Date('2026-11-18T23:30:00Z'), clinic, 'price').weekday).toBe('saturday');
  });

  it('reads open days as names or numbers, and treats none as every day', () => {
    expect([...openDays({ settings: TenantSettingsSchema.parse({ business_hours: { start: '09:00', end: '17:00', days: [1, 2, 3, 4, 5] } }) })].sort()).toEqual(
      ['friday', 'monday', 'thursday', 'tuesday', 'wednesday'],
    );
    expect(openDays({ settings: TenantSettingsSchema.parse({}) }).size).toBe(7);
  });

  it('offers the starter within budget for a price objection, else instalments, else listings, else a value comparison', () => {
    const followUp = { weekday: 'friday' as const, date: '2026-11-20' };
    const opts = { vertical: 'clinic' as const, consultation: itemRef(CATALOGUE[0]!), followUp };
    const starter = { kind: 'starter' as const, items: [itemRef(CATALOGUE[1]!)], budget: 15000 };
    const instalments = { kind: 'instalments' as const, item: itemRef(CATALOGUE[3]!), months: 10, monthly: 1290 };
    expect(nextStep('price', [instalments, starter], opts)).toMatchObject({ kind: 'offer_starter', item: { sku: 'ACNE-STARTER' }, followUp });
    expect(nextStep('price', [instalments], opts)).toMatchObject({ kind: 'offer_instalments', monthly: 1290 });
    expect(nextStep('price', [], opts)).toMatchObject({ kind: 'compare_value' });
    expect(nextStep('trust', [], opts)).toMatchObject({ kind: 'invite_consultation', item: { sku: 'CONSULT' } });
    expect(nextStep('time', [], opts).kind).toBe('hold_slot');
    expect(nextStep('time', [], { ...opts, vertical: 'realty' }).kind).toBe('check_in');
    expect(nextStep('authority', [], opts).kind).toBe('share_summary');
  });
});
