import type { LeadAttributes } from '../../core/leads/attributes.ts';
import type { Rng } from '../../core/random.ts';
import type { PackCatalogueItem, PackListing, PackScenarioLead, PackStage, SeedPack } from './packs.ts';

/** A row as inserted: column name → JSON value (timestamps as ISO strings). */
export type Row = Record<string, unknown>;

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

export interface StaffRef {
  id: string;
  name: string;
  email: string;
  role: 'rep' | 'manager' | 'admin';
  locale: string;
}

/** What lead generation needs to know about a tenant once its fixed rows exist. */
export interface SeedContext {
  pack: SeedPack;
  tenantId: string;
  anchorMs: number;
  /** The tenant time zone's offset at the anchor, to keep activity times in local waking hours. */
  utcOffsetMs: number;
  /** Open stages in position order (new … negotiation). */
  openStages: PackStage[];
  wonStage: PackStage;
  lostStage: PackStage;
  /** The open stage whose entry opens a deal (proposal, offer). */
  dealStage: PackStage;
  staff: StaffRef[];
  reps: StaffRef[];
  staffByEmail: Map<string, StaffRef>;
  /** channel → channel_accounts.id */
  accountIds: Map<string, string>;
  catalogue: PackCatalogueItem[];
  listings: PackListing[];
}

/** Something a lead can buy: a catalogue item or a listing. */
export interface Interest {
  ref: string;
  titles: Record<string, string>;
  price: number;
}

export interface BuyerRequestDraft {
  cities: string[];
  districts: string[];
  property_types: string[];
  price_min: number | null;
  price_max: number | null;
  area_min: number | null;
  area_max: number | null;
  bedrooms_min: number | null;
}

export interface LeadProfile {
  attributes: LeadAttributes;
  budget: number | null;
  interest: Interest;
  /** Further things a won lead may also buy (a clinic add-on); may be empty. */
  extras: Interest[];
  buyerRequest: BuyerRequestDraft | null;
  /** Where the lead lives or looks, per locale, for message texts. */
  district: Record<string, string>;
}

/** What differs between verticals when generating a lead. */
export interface Vertical {
  /** Template variable naming the interest ({{treatment}}, {{listing_title}}). */
  itemVariable: 'treatment' | 'listing_title';
  /** Template variable naming the business ({{clinic_name}}, {{agency_name}}). */
  businessVariable: 'clinic_name' | 'agency_name';
  meetingType: string;
  profile(rng: Rng, ctx: SeedContext, createdAtMs: number): LeadProfile;
  scenarioProfile(s: PackScenarioLead, ctx: SeedContext, createdAtMs: number): LeadProfile;
  dealAmount(rng: Rng, interest: Interest): number;
  /** The attributes once the lead's won deals are known (a clinic records purchases). */
  withPurchases(attributes: LeadAttributes, wonRefs: string[]): LeadAttributes;
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** The text for `locale`, falling back to the pack's default locale. */
export function localized(texts: Record<string, string>, locale: string, fallback: string): string {
  return texts[locale] ?? texts[fallback] ?? Object.values(texts)[0] ?? '';
}

export function roundTo(value: number, step: number): number {
  return Math.max(step, Math.round(value / step) * step);
}
