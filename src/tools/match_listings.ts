import { z } from 'zod';
import { PolicyRefusal, NotFoundError } from '../errors.ts';
import { formatMoney, normaliseText } from '../core/format.ts';
import { resolveLeadRef } from '../core/leads/resolve.ts';
import { outbound, type OutboundPart } from '../core/messages/types.ts';
import { placeIndexFor, type PlaceIndex } from '../core/matching/places.ts';
import { findListings, matchBuyersForListing, matchListingsForLead, MAX_MATCH_LIMIT, type BuyerMatch, type Listing, type ListingMatch } from '../core/matching/queries.ts';
import type { Reason } from '../core/matching/score.ts';
import { loadStages, stageName } from '../core/workflow/stages.ts';
import { defineTool, type PresentContext } from './types.ts';

// Phrases that mean the buyer in focus, beyond the shared pronouns of resolveLeadRef.
const FOCUS_WORDS = new Set(['this buyer', 'the buyer', 'that buyer', 'this client', 'the client', 'ผู้ซื้อคนนี้', 'ลูกค้ารายนี้', 'هذا المشتري', 'المشتري', 'هذا العميل']);

const Input = z.object({
  lead_id: z.uuid().optional().describe('The buyer lead id, when known'),
  lead: z.string().trim().min(1).max(200).optional().describe('The buyer: a name, phone, email or a pronoun for the lead in focus'),
  listing: z
    .string()
    .trim()
    .min(1)
    .max(120)
    .optional()
    .describe('Find buyers for this listing instead: its reference (RUH-1003) or words from its title or district (staff only)'),
  limit: z.coerce.number().int().min(1).transform((n) => Math.min(n, MAX_MATCH_LIMIT)).optional().describe(`How many results (default 5, at most ${MAX_MATCH_LIMIT})`),
});

type Result =
  | { kind: 'not_applicable' }
  | { kind: 'no_request'; leadName: string }
  | { kind: 'listings'; leadName: string; matches: ListingMatch[] }
  | { kind: 'choose_listing'; query: string; candidates: Listing[] }
  | { kind: 'buyers'; listing: Listing; buyers: BuyerMatch[]; stageNames: Record<string, Record<string, string>> };

export const matchListings = defineTool({
  name: 'match_listings',
  description:
    'Property matching at an agency, with a 0-100 score and the reason per criterion (location, type, price, bedrooms, area): the available listings that fit a buyer lead\'s request, or (with `listing`) the buyers whose request fits a listing. Customers get their own matches only.',
  roles: ['customer', 'rep', 'manager', 'admin'],
  input: Input,
  async run(ctx, args) {
    const limit = args.limit ?? 5;
    if (ctx.tenant.vertical !== 'realty') return { data: { kind: 'not_applicable' } as Result, summary: 'not an agency' };
    if (args.listing) {
      if (ctx.actor.role === 'customer') throw new PolicyRefusal('customers can see the listings that match their own request, not other buyers.');
      const places = placeIndexFor(ctx.tenant.slug);
      const found = await findListings(ctx.sql, args.listing, places);
      if (found.length === 0) throw new NotFoundError(`No listing matches "${args.listing}": give its reference (e.g. RUH-1003) or words from its title.`);
      if (found.length > 1) return { data: { kind: 'choose_listing', query: args.listing, candidates: found } as Result, summary: `${found.length} listing candidates` };
      const listing = found[0]!;
      const buyers = await matchBuyersForListing(ctx.sql, listing, { limit, onlyContactable: false, tenantSlug: ctx.tenant.slug });
      const stageNames = Object.fromEntries((await loadStages(ctx.sql)).map((s) => [s.key, s.names]));
      return { data: { kind: 'buyers', listing, buyers, stageNames } as Result, summary: `${buyers.length} buyers for listing ${listing.id}` };
    }
    const lead = args.lead && FOCUS_WORDS.has(normaliseText(args.lead)) ? undefined : args.lead;
    const leadId = await resolveLeadRef(ctx.sql, ctx.actor, { lead_id: args.lead_id, lead }, ctx.focusLeadId);
    const name = (await ctx.sql.query<{ display_name: string }>('SELECT display_name FROM leads WHERE id = $1', [leadId])).rows[0]?.display_name ?? '';
    const { requests, matches } = await matchListingsForLead(ctx.sql, leadId, { limit });
    if (requests === 0) return { data: { kind: 'no_request', leadName: name } as Result, summary: `lead ${leadId} has no active buyer request`, focusLeadId: leadId };
    return { data: { kind: 'listings', leadName: name, matches } as Result, summary: `${matches.length} listings for lead ${leadId}`, focusLeadId: leadId };
  },
  present(result, ctx) {
    const r = result.data;
    const { t } = ctx;
    const places = placeIndexFor(ctx.tenant.slug);
    switch (r.kind) {
      case 'not_applicable':
        return outbound([{ type: 'text', text: t('workflow.match_not_applicable', { tenant: ctx.tenant.name }) }]);
      case 'no_request':
        return outbound([{ type: 'text', text: t('workflow.match_no_request', { lead: r.leadName }) }]);
      case 'choose_listing':
        return outbound([
          { type: 'text', text: t('workflow.match_choose_listing', { query: r.query }) },
          {
            type: 'buttons',
            buttons: r.candidates.map((l) => ({ label: `${l.ref} · ${titleOf(l, ctx.locale)}`.slice(0, 80), payload: { action: 'match_listings', args: { listing: l.ref } }, style: 'default' as const })),
          },
        ]);
      case 'listings': {
        if (r.matches.length === 0) return outbound([{ type: 'text', text: t('workflow.match_no_listings', { lead: r.leadName }) }]);
        const parts: OutboundPart[] = [
          { type: 'text', text: t('workflow.match_listings_title', { lead: r.leadName, count: r.matches.length }) },
          {
            type: 'table',
            columns: [t('workflow.col_ref'), t('workflow.col_listing'), t('workflow.col_price'), t('workflow.col_score'), t('workflow.col_why')],
            rows: r.matches.map((m) => [m.listing.ref, titleOf(m.listing, ctx.locale), formatMoney(m.listing.price, m.listing.currency, ctx.locale), String(m.match.score), reasonsText(m.match.reasons, places, ctx)]),
          },
        ];
        return outbound(parts);
      }
      case 'buyers': {
        const l = r.listing;
        const head = t('workflow.match_buyers_title', { ref: l.ref, title: titleOf(l, ctx.locale), count: r.buyers.length });
        const parts: OutboundPart[] = [];
        if (l.status !== 'available') parts.push({ type: 'text', text: t('workflow.match_listing_status', { ref: l.ref, status: t(`workflow.status_${l.status}`, { defaultValue: l.status }) }) });
        if (r.buyers.length === 0) return outbound([...parts, { type: 'text', text: t('workflow.match_no_buyers', { ref: l.ref }) }]);
        parts.unshift({ type: 'text', text: head });
        parts.push({
          type: 'table',
          columns: [t('workflow.col_buyer'), t('workflow.col_stage'), t('workflow.col_owner'), t('workflow.col_score'), t('workflow.col_why'), t('workflow.col_contact')],
          rows: r.buyers.map((b) => [
            b.displayName,
            r.stageNames[b.stageKey]?.[ctx.locale] ?? r.stageNames[b.stageKey]?.en ?? b.stageKey,
            b.ownerName ?? t('workflow.nobody'),
            String(b.match.score),
            reasonsText(b.match.reasons, places, ctx),
            b.unreachable ? t('workflow.contact_unreachable') : b.consent === 'opted_in' ? t('workflow.contact_ok') : t(`workflow.contact_${b.consent === 'opted_out' ? 'opted_out' : 'unknown'}`),
          ]),
        });
        return outbound(parts);
      }
    }
  },
});

function titleOf(l: Listing, locale: string): string {
  return l.titles[locale] ?? l.titles.en ?? Object.values(l.titles)[0] ?? l.ref;
}

/** The reasons worth reading: criteria the buyer set, as "✓ Al Narjis · ✓ villa · ~ 4% over budget". */
export function reasonsText(reasons: Reason[], places: PlaceIndex, ctx: PresentContext): string {
  const { t, locale } = ctx;
  const out: string[] = [];
  for (const r of reasons) {
    if (r.status === 'any') continue;
    const d = r.detail;
    switch (r.criterion) {
      case 'location': {
        const place = d.district ? places.label(String(d.district), locale) : String(d.city);
        out.push(t(r.status === 'match' ? 'workflow.reason_location_match' : 'workflow.reason_location_other', { place }));
        break;
      }
      case 'type':
        out.push(t('workflow.reason_type', { type: t(`workflow.type_${d.type}`, { defaultValue: String(d.type) }) }));
        break;
      case 'price':
        if (r.status === 'match') out.push(t('workflow.reason_price_match'));
        else if (d.over_pct !== undefined) out.push(t('workflow.reason_price_over', { pct: d.over_pct }));
        else out.push(t('workflow.reason_price_under'));
        break;
      case 'bedrooms':
        if (d.bedrooms === undefined) out.push(t('workflow.reason_bedrooms_unknown'));
        else out.push(t(r.status === 'match' ? 'workflow.reason_bedrooms_match' : 'workflow.reason_bedrooms_short', { n: d.bedrooms, wanted: d.wanted }));
        break;
      case 'area':
        if (d.area === undefined) out.push(t('workflow.reason_area_unknown'));
        else out.push(t(r.status === 'match' ? 'workflow.reason_area_match' : r.status === 'partial' ? 'workflow.reason_area_near' : 'workflow.reason_area_miss', { n: d.area, wanted: d.wanted }));
        break;
    }
  }
  return out.join(' · ');
}
