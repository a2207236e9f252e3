import { z } from 'zod';
import type { Sql } from '../../db/database.ts';
import { translator } from '../../agents/i18n.ts';
import { formatMoney } from '../format.ts';
import { findBuyersForListing, getListing } from '../matching/queries.ts';
import type { Tenant } from '../tenants.ts';
import { queueToLead, queueToStaff } from '../../jobs/outbox.ts';
import { onLeadEvent } from '../followups/events.ts';
import { raiseHotLeadAlert, type RaiseResult } from './hot.ts';

const Settings = z.object({
  listing_notify_cap: z.number().int().min(0).max(200).default(20),
  /** A match at least this strong also raises a hot-lead alert for the buyer's owner. */
  listing_hot_score: z.number().min(0).max(100).default(85),
});

export interface ListingNotifyResult {
  listingId: string;
  notified: { leadId: string; messageId: string }[];
  skipped: { leadId: string; reason: string }[];
  ownerMessages: string[];
  hotAlerts: Extract<RaiseResult, { status: 'sent' }>[];
}

/**
 * Tells matched, contactable, opted-in buyers about a new listing: at most
 * the tenant's cap, best match first, and once per buyer per listing ever (the
 * alert's dedupe key, checked under a lock). Each owning agent gets one summary
 * of their buyers who were told. Runs in the caller's transaction.
 */
export async function notifyBuyersOfListing(sql: Sql, tenant: Tenant, listingId: string, now: Date): Promise<ListingNotifyResult> {
  const settings = Settings.catch(Settings.parse({})).parse(tenant.settings);
  const listing = await getListing(sql, listingId);
  const result: ListingNotifyResult = { listingId, notified: [], skipped: [], ownerMessages: [], hotAlerts: [] };
  if (listing.status !== 'available' || settings.listing_notify_cap === 0) return result;
  await sql.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`${tenant.id}:listing:${listingId}`]);
  const buyers = await findBuyersForListing(sql, listingId, { cap: settings.listing_notify_cap, onlyContactable: true });
  const byOwner = new Map<string, string[]>();
  for (const b of buyers) {
    const dedupeKey = `listing:${listingId}:${b.leadId}`;
    if ((await sql.query('SELECT 1 FROM alerts WHERE dedupe_key = $1 LIMIT 1', [dedupeKey])).rows.length) {
      result.skipped.push({ leadId: b.leadId, reason: 'already_notified' });
      continue;
    }
    const lead = (await sql.query<{ first_name: string; locale: string | null; owner_id: string | null }>('SELECT first_name, locale, owner_id FROM leads WHERE id = $1', [b.leadId])).rows[0]!;
    const locale = lead.locale ?? tenant.defaultLocale;
    const t = translator(locale);
    const title = listing.titles[locale] ?? listing.titles[tenant.defaultLocale] ?? Object.values(listing.titles)[0] ?? listing.ref;
    const text = t('jobs.listing.buyer', { first_name: lead.first_name, title, price: formatMoney(listing.price, listing.currency, locale), place: [listing.district, listing.city].filter(Boolean).join(', ') });
    const out = await queueToLead(sql, b.leadId, { text, parts: [{ type: 'text', text }] });
    await sql.query(
      `INSERT INTO alerts (tenant_id, kind, lead_id, target_staff_id, dedupe_key, status, payload, created_at) VALUES ($1, 'listing_match', $2, $3, $4, $5, $6, $7)`,
      [tenant.id, b.leadId, lead.owner_id, dedupeKey, out.ok ? 'sent' : 'failed', JSON.stringify({ listing_id: listingId, score: b.match.score, ...(out.ok ? { message_id: out.messageId } : { error: out.reason }) }), now],
    );
    if (!out.ok) {
      result.skipped.push({ leadId: b.leadId, reason: out.reason });
      continue;
    }
    result.notified.push({ leadId: b.leadId, messageId: out.messageId });
    await onLeadEvent(sql, tenant, { type: 'listing_matched', leadId: b.leadId, listingId, listingTitle: title }, now);
    if (lead.owner_id) byOwner.set(lead.owner_id, [...(byOwner.get(lead.owner_id) ?? []), b.displayName]);
    if (b.match.score >= settings.listing_hot_score) {
      const hot = await raiseHotLeadAlert(sql, tenant, b.leadId, 'listing_match', now, { listing_id: listingId });
      if (hot.status === 'sent') result.hotAlerts.push(hot);
    }
  }
  for (const [ownerId, names] of byOwner) {
    const owner = (await sql.query<{ locale: string }>('SELECT locale FROM staff_users WHERE id = $1', [ownerId])).rows[0];
    const t = translator(owner?.locale ?? tenant.defaultLocale);
    const title = listing.titles[owner?.locale ?? ''] ?? Object.values(listing.titles)[0] ?? listing.ref;
    const text = t('jobs.listing.owner_summary', { count: names.length, ref: listing.ref, title, names: names.join(', ') });
    const out = await queueToStaff(sql, ownerId, { text, parts: [{ type: 'text', text }] });
    if (out.ok) result.ownerMessages.push(out.messageId);
  }
  return result;
}
