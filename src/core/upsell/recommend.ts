import type { Sql } from '../../db/database.ts';
import type { Tenant } from '../tenants.ts';
import { loadLeadContext } from '../coach/lead-context.ts';
import { itemRef, type ItemRef } from '../objections/tailor.ts';
import { loadCatalogue } from './catalogue.ts';
import { rankUpsell, type UpsellRecommendation } from './rank.ts';

type LeadRefOut = { id: string; displayName: string };

export type UpsellResult =
  | { kind: 'not_catalogue'; lead: LeadRefOut }
  | { kind: 'no_catalogue'; lead: LeadRefOut }
  | { kind: 'no_needs'; lead: LeadRefOut; consultation: ItemRef | null }
  | { kind: 'nothing_new'; lead: LeadRefOut; concerns: string[]; purchased: ItemRef[] }
  | {
      kind: 'ranked';
      lead: LeadRefOut;
      concerns: string[];
      urgency: number | null;
      budget: number | null;
      purchased: ItemRef[];
      recommendations: UpsellRecommendation[];
    };

/** Upsell / next best offer for one lead of a catalogue business (see rankUpsell for the rules). */
export async function recommendUpsell(sql: Sql, tenant: Tenant, leadId: string): Promise<UpsellResult> {
  const lead = await loadLeadContext(sql, leadId);
  const ref = { id: lead.id, displayName: lead.displayName };
  // An agency sells listings, not a catalogue: "more of the same" is a matching question, not an upsell.
  if (tenant.vertical === 'realty') return { kind: 'not_catalogue', lead: ref };
  const catalogue = await loadCatalogue(sql);
  if (catalogue.filter((c) => c.price > 0).length === 0) return { kind: 'no_catalogue', lead: ref };
  const concerns = lead.skin?.concerns ?? [];
  if (concerns.length === 0) {
    const consultation = catalogue.find((c) => c.category === 'consultation' || (c.attributes.bookable === true && c.price === 0));
    return { kind: 'no_needs', lead: ref, consultation: consultation ? itemRef(consultation) : null };
  }
  const purchased = catalogue.filter((c) => lead.purchased.includes(c.sku)).map(itemRef);
  const recommendations = rankUpsell({
    concerns,
    urgency: lead.skin?.urgency ?? null,
    skinType: lead.skin?.type ?? null,
    budget: lead.budget,
    interests: lead.interests,
    purchased: lead.purchased,
    inProgress: lead.inProgress,
    catalogue,
  });
  if (recommendations.length === 0) return { kind: 'nothing_new', lead: ref, concerns, purchased };
  return { kind: 'ranked', lead: ref, concerns, urgency: lead.skin?.urgency ?? null, budget: lead.budget, purchased, recommendations };
}
