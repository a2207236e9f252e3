import type { Sql } from '../../db/database.ts';
import { NotFoundError } from '../../errors.ts';
import { parseLeadAttributes, SKIN_CONCERNS, type LeadAttributes } from '../leads/attributes.ts';
import { markScoreStale } from '../leads/stale.ts';
import type { Tenant } from '../tenants.ts';
import type { Needs } from './needs.ts';

/**
 * Stores what a customer said they want on their own lead: concerns in the
 * lead's attributes (clinic), the active buyer request (realty, created when
 * missing), the budget on the lead. The customer is restating their own
 * wishes, so new values replace old ones; concerns accumulate.
 */

export interface NeedsUpdate extends Needs {
  timeline?: string | undefined;
  preferredDate?: string | undefined;
}

export interface StoredNeeds {
  concerns: string[];
  budget: number | null;
  buyerRequest: { cities: string[]; districts: string[]; propertyTypes: string[]; priceMax: number | null; bedroomsMin: number | null } | null;
  timeline: string | null;
  /** Which fields this update changed. */
  changed: string[];
}

interface LeadRow {
  id: string;
  budget: string | null;
  attributes: unknown;
}

async function loadLead(sql: Sql, leadId: string): Promise<LeadRow> {
  const lead = (await sql.query<LeadRow>('SELECT id, budget, attributes FROM leads WHERE id = $1 FOR UPDATE', [leadId])).rows[0];
  if (!lead) throw new NotFoundError('Your record was not found.');
  return lead;
}

function union<T>(a: readonly T[], b: readonly T[]): T[] {
  return [...new Set([...a, ...b])];
}

/** The concerns the lead has told us about: the skin scan's when there is one, else stated ones kept in `interests`. */
export function statedConcerns(attrs: LeadAttributes): string[] {
  return attrs.skin?.concerns ?? (attrs.interests ?? []).filter((i) => (SKIN_CONCERNS as readonly string[]).includes(i));
}

export async function applyNeeds(sql: Sql, tenant: Tenant, leadId: string, update: NeedsUpdate, now: Date): Promise<StoredNeeds> {
  const lead = await loadLead(sql, leadId);
  const attrs = parseLeadAttributes(lead.attributes);
  const changed: string[] = [];
  let nextAttrs: LeadAttributes = attrs;

  if (update.concerns.length) {
    if (attrs.skin) {
      const concerns = union(attrs.skin.concerns, update.concerns);
      if (concerns.length !== attrs.skin.concerns.length) {
        nextAttrs = { ...nextAttrs, skin: { ...attrs.skin, concerns } };
        changed.push('concerns');
      }
    } else {
      // A skin analysis needs a skin type, which only a scan gives: stated concerns wait in `interests` until then.
      const interests = union(attrs.interests ?? [], update.concerns);
      if (interests.length !== (attrs.interests ?? []).length) {
        nextAttrs = { ...nextAttrs, interests };
        changed.push('concerns');
      }
    }
  }
  if (update.timeline && tenant.vertical === 'realty') {
    nextAttrs = { ...nextAttrs, buyer: { ...(nextAttrs.buyer ?? {}), timeline: update.timeline.slice(0, 120) } };
    changed.push('timeline');
  }
  if (nextAttrs !== attrs) {
    const valid = parseLeadAttributes(nextAttrs);
    await sql.query('UPDATE leads SET attributes = $2, updated_at = now() WHERE id = $1', [leadId, JSON.stringify(valid)]);
  }
  if (update.budget !== undefined && Number(lead.budget) !== update.budget) {
    await sql.query('UPDATE leads SET budget = $2, updated_at = now() WHERE id = $1', [leadId, update.budget]);
    changed.push('budget');
  }

  let buyerRequest: StoredNeeds['buyerRequest'] = null;
  if (tenant.vertical === 'realty') buyerRequest = await upsertBuyerRequest(sql, tenant, leadId, update, changed, now);

  if (changed.length || update.preferredDate || (update.timeline && tenant.vertical !== 'realty')) {
    const extra = { preferred_date: update.preferredDate ?? null, timeline: tenant.vertical === 'realty' ? null : (update.timeline ?? null) };
    await sql.query(
      `INSERT INTO activities (tenant_id, lead_id, kind, body, data, occurred_at) VALUES ($1, $2, 'system', $3, $4, $5)`,
      [tenant.id, leadId, `Customer updated their needs: ${changed.join(', ') || 'preferences'}`, JSON.stringify({ signal: 'needs_updated', changed, ...extra }), now],
    );
    await markScoreStale(sql, leadId);
  }
  const budget = update.budget ?? (lead.budget === null ? null : Number(lead.budget));
  return { concerns: statedConcerns(nextAttrs), budget, buyerRequest, timeline: nextAttrs.buyer?.timeline ?? update.timeline ?? null, changed };
}

async function upsertBuyerRequest(sql: Sql, tenant: Tenant, leadId: string, u: NeedsUpdate, changed: string[], now: Date): Promise<StoredNeeds['buyerRequest']> {
  const current = (
    await sql.query<{ id: string; cities: string[]; districts: string[]; property_types: string[]; price_max: string | null; bedrooms_min: number | null }>(
      `SELECT id, cities, districts, property_types, price_max, bedrooms_min FROM buyer_requests
       WHERE lead_id = $1 AND status = 'active' ORDER BY updated_at DESC LIMIT 1 FOR UPDATE`,
      [leadId],
    )
  ).rows[0];
  const next = {
    cities: u.cities.length ? u.cities : (current?.cities ?? []),
    districts: u.districts.length ? u.districts : (current?.districts ?? []),
    propertyTypes: u.propertyTypes.length ? u.propertyTypes : (current?.property_types ?? []),
    priceMax: u.budget ?? (current?.price_max === null || current?.price_max === undefined ? null : Number(current.price_max)),
    bedroomsMin: u.bedroomsMin ?? current?.bedrooms_min ?? null,
  };
  const touched = u.cities.length + u.districts.length + u.propertyTypes.length > 0 || u.budget !== undefined || u.bedroomsMin !== undefined;
  if (!touched) return current ? { ...next } : null;
  const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
  if (current) {
    if (!same(next.districts, current.districts)) changed.push('districts');
    if (!same(next.propertyTypes, current.property_types)) changed.push('property_types');
    if (!same(next.cities, current.cities)) changed.push('cities');
    if (next.bedroomsMin !== current.bedrooms_min) changed.push('bedrooms_min');
    if (next.priceMax !== (current.price_max === null ? null : Number(current.price_max))) changed.push('price_max');
    await sql.query(
      `UPDATE buyer_requests SET cities = $2, districts = $3, property_types = $4, price_max = $5, bedrooms_min = $6, updated_at = $7 WHERE id = $1`,
      [current.id, next.cities, next.districts, next.propertyTypes, next.priceMax, next.bedroomsMin, now],
    );
  } else {
    changed.push('buyer_request');
    await sql.query(
      `INSERT INTO buyer_requests (tenant_id, lead_id, cities, districts, property_types, price_max, bedrooms_min, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)`,
      [tenant.id, leadId, next.cities, next.districts, next.propertyTypes, next.priceMax, next.bedroomsMin, now],
    );
  }
  return next;
}
