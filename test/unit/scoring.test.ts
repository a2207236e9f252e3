import { describe, expect, it } from 'vitest';
import { scoringConfigFor } from '../../src/core/scoring/config.ts';
import { computeScore, isUsableEmail, isUsablePhone } from '../../src/core/scoring/factors.ts';
import { clinicBudgetFit, realtyBudgetFit } from '../../src/core/scoring/budget.ts';
import { detectSignals } from '../../src/core/scoring/signals.ts';
import type { ScoreInput } from '../../src/core/scoring/types.ts';
import { ConfigError } from '../../src/errors.ts';
import type { Tenant } from '../../src/core/tenants.ts';

const NOW = new Date('2026-11-20T00:00:00Z');
const TH = { A: 80, B: 60, C: 40 };
const clinic = { slug: 'demo-clinic', vertical: 'clinic', settings: {} } as unknown as Tenant;
const cfg = scoringConfigFor(clinic);

function input(over: Partial<ScoreInput> = {}, activity: Partial<ScoreInput['activity']> = {}): ScoreInput {
  return {
    leadId: 'l1',
    stage: { key: 'contacted', isWon: false, isLost: false, openIndex: 1 },
    openStageCount: 6,
    source: 'line',
    phone: '+66812345678',
    email: null,
    hasChatIdentity: true,
    budgetFit: { kind: 'fits', budget: 15000, within: 2, total: 4 },
    urgency: 70,
    urgencyBasis: 'skin',
    ...over,
    activity: {
      total: 6,
      inboundInWindow: 3,
      lastInboundAt: new Date(NOW.getTime() - 2 * 86_400_000),
      outMessages: 4,
      repliedMessages: 3,
      inboundMessagesInSignalWindow: 3,
      signals: ['price'],
      ...activity,
    },
  };
}

const factor = (r: ReturnType<typeof computeScore>, key: string) => r.factors.find((f) => f.key === key)!;

describe('computeScore', () => {
  it('adds up factor points into a 0-100 score and a grade from the thresholds', () => {
    const r = computeScore(input(), cfg, TH, NOW);
    const sum = r.factors.reduce((s, f) => s + f.points, 0);
    expect(r.score).toBe(Math.round(sum));
    expect(r.grade).toBe(r.score >= 80 ? 'A' : r.score >= 60 ? 'B' : r.score >= 40 ? 'C' : 'D');
    expect(r.missing).toEqual([]);
    // Biggest effect first.
    const sizes = r.factors.map((f) => Math.abs(f.points));
    expect([...sizes].sort((a, b) => b - a)).toEqual(sizes);
  });

  it('shows a missing input as missing with no points, not as a bad value', () => {
    const r = computeScore(input({ budgetFit: null, urgency: null, urgencyBasis: null, source: '   ' }, { outMessages: 0, repliedMessages: 0 }), cfg, TH, NOW);
    expect(r.missing.sort()).toEqual(['budget', 'reply', 'source', 'urgency']);
    for (const k of r.missing) expect(factor(r, k)).toMatchObject({ known: false, points: 0 });
    // A budget far below every option is evidence against; no budget at all is not.
    const below = computeScore(input({ budgetFit: { kind: 'below', budget: 1000, cheapest: 20000 } }), cfg, TH, NOW);
    expect(factor(below, 'budget').points).toBeLessThan(0);
    expect(below.score).toBeLessThan(computeScore(input({ budgetFit: null }), cfg, TH, NOW).score);
  });

  it('treats a lead with no activity at all as unknown engagement, and one who never wrote as zero', () => {
    const none = computeScore(input({}, { total: 0, inboundInWindow: 0, lastInboundAt: null, outMessages: 0, inboundMessagesInSignalWindow: 0, signals: [] }), cfg, TH, NOW);
    expect(none.missing).toEqual(expect.arrayContaining(['recency', 'frequency', 'reply', 'intent']));
    const silent = computeScore(input({}, { lastInboundAt: null, inboundInWindow: 0 }), cfg, TH, NOW);
    expect(factor(silent, 'recency')).toMatchObject({ known: true, points: 0, reason: 'never_inbound' });
  });

  it('is whitespace-safe: a phone or email of spaces is not contact data', () => {
    const blank = computeScore(input({ phone: '   ', email: ' \t ', hasChatIdentity: false }), cfg, TH, NOW);
    expect(factor(blank, 'completeness')).toMatchObject({ points: 0, params: { lacking: 'phone,email,chat' } });
    expect(isUsablePhone(' +66 81 234 5678 ')).toBe(true);
    expect(isUsablePhone('12')).toBe(false);
    expect(isUsableEmail(' nok@example.com ')).toBe(true);
    expect(isUsableEmail('nok@')).toBe(false);
  });

  it('decays recency with time and rewards later stages; won and lost stages sit at the ends', () => {
    const fresh = factor(computeScore(input({}, { lastInboundAt: new Date(NOW.getTime() - 3_600_000) }), cfg, TH, NOW), 'recency');
    const old = factor(computeScore(input({}, { lastInboundAt: new Date(NOW.getTime() - 30 * 86_400_000) }), cfg, TH, NOW), 'recency');
    expect(fresh.reason).toBe('recency_hours');
    expect(fresh.points).toBeGreaterThan(old.points);
    const late = computeScore(input({ stage: { key: 'negotiation', isWon: false, isLost: false, openIndex: 5 } }), cfg, TH, NOW);
    expect(factor(late, 'stage').points).toBe(cfg.points.stage);
    const lost = computeScore(input({ stage: { key: 'lost', isWon: false, isLost: true, openIndex: null } }), cfg, TH, NOW);
    expect(factor(lost, 'stage').points).toBe(-cfg.points.stage);
  });

  it('counts hesitation against the lead and clamps the score to 0-100', () => {
    const keen = computeScore(input({}, { signals: ['price', 'booking'] }), cfg, TH, NOW);
    const unsure = computeScore(input({}, { signals: ['hesitation'] }), cfg, TH, NOW);
    expect(factor(unsure, 'intent').points).toBeLessThan(0);
    expect(keen.score).toBeGreaterThan(unsure.score);
    const worst = computeScore(
      input({ stage: { key: 'lost', isWon: false, isLost: true, openIndex: null }, budgetFit: { kind: 'below', budget: 1, cheapest: 100000 }, phone: null, hasChatIdentity: false }, { signals: ['hesitation'], lastInboundAt: null }),
      cfg,
      TH,
      NOW,
    );
    expect(worst.score).toBe(0);
    expect(worst.grade).toBe('D');
  });
});

describe('scoring weights', () => {
  it('lets a tenant override part of its vertical weights and rejects a bad override loudly', () => {
    const t = { ...clinic, settings: { scoring_weights: { points: { budget: 30 }, sources: { line: 1 } } } } as unknown as Tenant;
    const c = scoringConfigFor(t);
    expect(c.points.budget).toBe(30);
    expect(c.points.stage).toBe(cfg.points.stage);
    expect(c.sources.line).toBe(1);
    expect(c.sources.referral).toBe(cfg.sources.referral);
    expect(() => scoringConfigFor({ ...clinic, settings: { scoring_weights: { points: { budget: 'lots' } } } } as unknown as Tenant)).toThrow(ConfigError);
  });

  it('ships weights whose points add up to 100 for every vertical', () => {
    for (const vertical of ['clinic', 'realty', 'generic']) {
      const c = scoringConfigFor({ slug: 'x', vertical, settings: {} } as unknown as Tenant);
      expect(Object.values(c.points).reduce((a, b) => a + b, 0)).toBe(100);
    }
  });
});

describe('budget fit', () => {
  const catalogue = [
    { price: 0, category: 'consultation', targets: [] },
    { price: 9900, category: 'laser', targets: ['acne'] },
    { price: 29900, category: 'laser', targets: ['acne', 'scars'] },
    { price: 59000, category: 'lifting', targets: ['sagging'] },
  ];
  it('compares a clinic budget with the treatments for the lead’s concerns, ignoring free items', () => {
    expect(clinicBudgetFit(15000, ['acne'], [], catalogue)).toEqual({ kind: 'fits', budget: 15000, within: 1, total: 2 });
    expect(clinicBudgetFit(5000, ['sagging'], [], catalogue)).toEqual({ kind: 'below', budget: 5000, cheapest: 59000 });
    // No concern known: every paid treatment is the reference.
    expect(clinicBudgetFit(100000, [], [], catalogue)).toMatchObject({ kind: 'fits', within: 3, total: 3 });
    expect(clinicBudgetFit(null, ['acne'], [], catalogue)).toBeNull();
    expect(clinicBudgetFit(0, ['acne'], [], catalogue)).toBeNull();
  });

  it('compares a buyer’s ceiling with listings of the kind asked for, widening to the city when the districts have none', () => {
    const listings = [
      { price: 2_900_000, city: 'Riyadh', district: 'Al Malqa', propertyType: 'villa', bedrooms: 5 },
      { price: 3_400_000, city: 'Riyadh', district: 'Al Yasmin', propertyType: 'villa', bedrooms: 4 },
      { price: 900_000, city: 'Riyadh', district: 'Al Malqa', propertyType: 'apartment', bedrooms: 3 },
      { price: 1_800_000, city: 'Riyadh', district: 'Al Olaya', propertyType: 'villa', bedrooms: 3 },
    ];
    const req = { cities: ['Riyadh'], districts: ['Al Malqa', 'Al Yasmin'], propertyTypes: ['villa'], priceMax: 3_000_000, bedroomsMin: 4 };
    expect(realtyBudgetFit(null, req, listings)).toEqual({ kind: 'fits', budget: 3_000_000, within: 1, total: 2 });
    expect(realtyBudgetFit(null, { ...req, districts: ['Hittin'] }, listings)).toEqual({ kind: 'fits', budget: 3_000_000, within: 1, total: 2 });
    expect(realtyBudgetFit(null, { ...req, propertyTypes: ['land'] }, listings)).toEqual({ kind: 'no_options', budget: 3_000_000 });
    expect(realtyBudgetFit(null, { ...req, priceMax: null }, listings)).toBeNull();
  });
});

describe('intent signals', () => {
  it.each([
    ['Hi, I’m interested in the laser. How much is it?', ['price']],
    ['Can I book a consultation with the doctor on Saturday?', ['booking']],
    ['I found you on Facebook', []],
    ['สวัสดีค่ะ สนใจเลเซอร์ค่ะ ราคาเท่าไหร่คะ', ['price']],
    ['ขอจองคิวปรึกษาคุณหมอวันเสาร์ได้ไหมคะ', ['booking']],
    ['ผ่อนได้ไหมคะ ใช้บัตรเครดิตธนาคารไหนได้บ้าง', ['payment']],
    ['ขอบคุณค่ะ ขอคิดดูก่อนนะคะ', ['hesitation']],
    ['كم السعر النهائي؟ وهل فيه مجال للتفاوض؟', ['price']],
    ['متى أقدر أعاين العقار؟', ['booking']],
    ['هل يمكن الشراء عن طريق التمويل العقاري؟', ['payment']],
    ['بفكر فيها وأرد عليك إن شاء الله', ['hesitation']],
  ])('%s → %j', (text, signals) => {
    expect(detectSignals(text)).toEqual(signals);
  });

});
