import { describe, expect, it } from 'vitest';
import type { CatalogueItem } from '../../src/core/upsell/catalogue.ts';
import { rankUpsell, type UpsellInput } from '../../src/core/upsell/rank.ts';

const item = (sku: string, price: number, targets: string[], extra: Partial<CatalogueItem> = {}): CatalogueItem => ({
  sku, names: { en: sku }, category: 'laser', price, currency: 'THB', sessions: 1, targets, attributes: {}, ...extra,
});

const CATALOGUE: CatalogueItem[] = [
  item('CONSULT', 0, [], { category: 'consultation' }),
  item('ACNE-STARTER', 3990, ['acne', 'large_pores'], { category: 'starter', attributes: { credit_on_upgrade_days: 30, downtime_days: 0 } }),
  item('GLOW-STARTER', 2990, ['large_pores', 'dullness'], { category: 'starter', attributes: { new_clients_only: true } }),
  item('ACNE-LASER', 12900, ['acne', 'redness'], { attributes: { downtime_days: 0 } }),
  item('PEEL', 5900, ['acne', 'pigmentation'], { category: 'peel', attributes: { downtime_days: 2 } }),
  item('HYDRA-6', 17900, ['acne', 'large_pores', 'dullness'], { category: 'facial', attributes: { downtime_days: 0 } }),
  item('HIFU', 19900, ['sagging', 'wrinkles'], { category: 'lifting' }),
];

const base: UpsellInput = {
  concerns: ['acne', 'large_pores'],
  urgency: 75,
  skinType: 'oily',
  budget: 15000,
  interests: ['laser'],
  purchased: [],
  inProgress: [],
  catalogue: CATALOGUE,
};

describe('next best offer ranking', () => {
  it('ranks items that target the concerns, the best starter first for a new customer, with timing and priority', () => {
    const recs = rankUpsell(base);
    expect(recs.map((r) => r.item.sku)).toEqual(['ACNE-STARTER', 'ACNE-LASER', 'PEEL', 'HYDRA-6']);
    expect(recs[0]).toMatchObject({ timing: 'now', priority: 'high', overBudget: false });
    expect(recs[0]!.reasons).toEqual([{ kind: 'targets', concerns: ['acne', 'large_pores'] }, { kind: 'starter_credit', days: 30 }, { kind: 'no_downtime' }]);
    expect(recs[1]).toMatchObject({ timing: 'after_first_treatment' });
  });

  it('never offers an item already bought or in an open deal, nor a starter to a returning customer', () => {
    const recs = rankUpsell({ ...base, purchased: ['ACNE-LASER'], inProgress: ['PEEL'] });
    const skus = recs.map((r) => r.item.sku);
    expect(skus).not.toContain('ACNE-LASER');
    expect(skus).not.toContain('PEEL');
    expect(skus).not.toContain('ACNE-STARTER');
    expect(skus).not.toContain('GLOW-STARTER');
    expect(recs.find((r) => r.item.sku === 'HYDRA-6')?.reasons).toContainEqual({ kind: 'follows', item: expect.objectContaining({ sku: 'ACNE-LASER' }) });
  });

  it('keeps over-budget items but flags them, ranks them lower and never for now', () => {
    const recs = rankUpsell({ ...base, budget: 5000 });
    const over = recs.filter((r) => r.overBudget);
    expect(over.map((r) => r.item.sku).sort()).toEqual(['ACNE-LASER', 'HYDRA-6', 'PEEL']);
    for (const r of over) {
      expect(r.timing).toBe('next_followup');
      expect(r.priority).not.toBe('high');
    }
    expect(recs[0]!.overBudget).toBe(false);
  });

  it('offers only the best of several starter packages', () => {
    expect(rankUpsell(base).filter((r) => r.item.category === 'starter')).toHaveLength(1);
  });

  it('pushes nothing "now" to someone only browsing', () => {
    expect(rankUpsell({ ...base, urgency: 10 }).some((r) => r.timing === 'now')).toBe(false);
  });

  it('ranks a long-downtime treatment lower for sensitive skin and says why', () => {
    const oily = rankUpsell({ ...base, budget: null });
    const sensitive = rankUpsell({ ...base, budget: null, skinType: 'sensitive' });
    const peel = (recs: typeof oily) => recs.find((r) => r.item.sku === 'PEEL')!;
    expect(peel(sensitive).score).toBeLessThan(peel(oily).score);
    expect(peel(oily).reasons.some((r) => r.kind === 'downtime')).toBe(false);
    expect(sensitive.find((r) => r.item.sku === 'PEEL')?.reasons).toContainEqual({ kind: 'downtime', days: 2 });
  });

  it('returns nothing from an empty catalogue or without matching targets', () => {
    expect(rankUpsell({ ...base, catalogue: [] })).toEqual([]);
    expect(rankUpsell({ ...base, concerns: ['dark_circles'] })).toEqual([]);
  });

  it('respects the limit', () => {
    expect(rankUpsell({ ...base, budget: null, limit: 2 })).toHaveLength(2);
  });
});
