import { itemRef, type ItemRef } from '../objections/tailor.ts';
import { concernCoverage, isNewClientsOnly, isStarter, type CatalogueItem } from './catalogue.ts';

export type Timing = 'now' | 'after_first_treatment' | 'next_followup';
export type Priority = 'high' | 'medium' | 'low';

export type UpsellReason =
  | { kind: 'targets'; concerns: string[] }
  | { kind: 'follows'; item: ItemRef }
  | { kind: 'starter_credit'; days: number }
  | { kind: 'no_downtime' }
  | { kind: 'downtime'; days: number };

export interface UpsellRecommendation {
  item: ItemRef & { category: string; sessions: number | null };
  score: number;
  overBudget: boolean;
  timing: Timing;
  priority: Priority;
  reasons: UpsellReason[];
}

export interface UpsellInput {
  concerns: readonly string[];
  /** 0–100 from the skin analysis: how soon they want results. */
  urgency: number | null;
  skinType: string | null;
  budget: number | null;
  interests: readonly string[];
  purchased: readonly string[];
  inProgress: readonly string[];
  catalogue: readonly CatalogueItem[];
  limit?: number;
}

// Weights of the ranking score; coverage of the scan's concerns dominates.
const WITHIN_BUDGET = 0.2;
const OVER_BUDGET = -0.3;
const URGENCY = 0.2;
const INTEREST = 0.05;
const FOLLOWS = 0.1;
const SENSITIVE_DOWNTIME = -0.2;
// Below this urgency the customer is browsing: nothing is pushed "now".
const BROWSING_URGENCY = 30;

const downtimeOf = (item: CatalogueItem) => (typeof item.attributes.downtime_days === 'number' ? item.attributes.downtime_days : null);

/**
 * Next best offers from the catalogue for a customer's skin analysis:
 * items whose targets overlap the concerns, never one already bought or
 * being sold in an open deal, ranked by how much of the concerns they cover,
 * budget fit, urgency and stated interests. Over-budget items stay in the
 * list but flagged, ranked lower and never urgent, so the rep can decide.
 * Starter packages are for trying the business first: only for customers
 * who have not bought yet.
 */
export function rankUpsell(input: UpsellInput): UpsellRecommendation[] {
  const owned = new Set([...input.purchased, ...input.inProgress]);
  const ownedItems = input.catalogue.filter((c) => owned.has(c.sku));
  const hasBought = input.purchased.length > 0 || input.inProgress.length > 0;
  const urgency = input.urgency ?? 50;
  const sensitive = input.skinType === 'sensitive';

  const scored = input.catalogue
    .filter((c) => c.price > 0 && !owned.has(c.sku))
    .filter((c) => !(hasBought && (isStarter(c) || isNewClientsOnly(c))))
    .map((c) => {
      const coverage = concernCoverage(c, input.concerns);
      const overBudget = input.budget !== null && c.price > input.budget;
      const follows = ownedItems.find((o) => o.targets.some((t) => c.targets.includes(t) && input.concerns.includes(t)));
      const downtime = downtimeOf(c);
      let score = coverage.weight + (overBudget ? OVER_BUDGET : WITHIN_BUDGET) + (URGENCY * urgency) / 100;
      if (input.interests.includes(c.category)) score += INTEREST;
      if (follows) score += FOLLOWS;
      if (sensitive && downtime !== null && downtime > 1) score += SENSITIVE_DOWNTIME;
      const reasons: UpsellReason[] = [{ kind: 'targets', concerns: coverage.matched }];
      if (follows) reasons.push({ kind: 'follows', item: itemRef(follows) });
      const credit = c.attributes.credit_on_upgrade_days;
      if (typeof credit === 'number') reasons.push({ kind: 'starter_credit', days: credit });
      if (downtime === 0) reasons.push({ kind: 'no_downtime' });
      else if (downtime !== null && sensitive) reasons.push({ kind: 'downtime', days: downtime });
      return { c, coverage, overBudget, follows, score: Math.round(score * 1000) / 1000, reasons };
    })
    .filter((x) => x.coverage.weight > 0)
    .sort((a, b) => b.score - a.score || a.c.price - b.c.price || a.c.sku.localeCompare(b.c.sku))
    // Starter packages are alternatives to one another: offer the best one only.
    .filter((x, i, all) => !isStarter(x.c) || all.findIndex((y) => isStarter(y.c)) === i)
    .slice(0, input.limit ?? 5);

  let nowTaken = false;
  const nowTargets = new Set<string>();
  return scored.map((x) => {
    let timing: Timing;
    if (x.overBudget) timing = 'next_followup';
    else if (x.follows) timing = 'after_first_treatment';
    else if (!nowTaken && urgency >= BROWSING_URGENCY) {
      timing = 'now';
      nowTaken = true;
      x.c.targets.forEach((t) => nowTargets.add(t));
    } else if (x.c.targets.some((t) => nowTargets.has(t) && input.concerns.includes(t))) timing = 'after_first_treatment';
    else timing = 'next_followup';
    const priority: Priority = x.overBudget ? (x.coverage.weight >= 0.5 ? 'medium' : 'low') : x.score >= 1 ? 'high' : x.score >= 0.6 ? 'medium' : 'low';
    return {
      item: { ...itemRef(x.c), category: x.c.category, sessions: x.c.sessions },
      score: x.score,
      overBudget: x.overBudget,
      timing,
      priority,
      reasons: x.reasons,
    };
  });
}
