import { z } from 'zod';
import { getLeadCard, type LeadCard } from '../core/leads/card.ts';
import { pickUnambiguous, searchLeads, type LeadMatch } from '../core/leads/search.ts';
import { formatDateTime, formatMoney } from '../core/format.ts';
import { outbound, type OutboundPart } from '../core/messages/types.ts';
import { defineTool, type PresentContext } from './types.ts';

const Input = z
  .object({
    query: z.string().trim().min(1).max(200).optional().describe('A name (fuzzy), phone number or email'),
    lead_id: z.uuid().optional().describe('The exact lead id, when already known (e.g. from a button)'),
  })
  .refine((a) => a.query !== undefined || a.lead_id !== undefined, { message: 'give a query or a lead_id' });

type Result = { kind: 'card'; card: LeadCard } | { kind: 'choose'; query: string; candidates: LeadMatch[] } | { kind: 'none'; query: string };

export const lookupLead = defineTool({
  name: 'lookup_lead',
  description: 'Find a lead by name (fuzzy, any language), phone, email or id and return the lead card: stage, owner, score and grade, last touch, next follow-up, open tasks, vertical details. Several similar names return candidates to choose from.',
  roles: ['rep', 'manager', 'admin'],
  input: Input,
  async run(ctx, args) {
    if (args.lead_id) {
      const card = await getLeadCard(ctx.sql, args.lead_id);
      return { data: { kind: 'card', card } as Result, summary: `card for lead ${card.id}`, focusLeadId: card.id };
    }
    const query = args.query!;
    const matches = await searchLeads(ctx.sql, query);
    if (matches.length === 0) return { data: { kind: 'none', query } as Result, summary: 'no match' };
    const one = pickUnambiguous(query, matches);
    if (!one) return { data: { kind: 'choose', query, candidates: matches } as Result, summary: `${matches.length} candidates` };
    const card = await getLeadCard(ctx.sql, one.id);
    return { data: { kind: 'card', card } as Result, summary: `card for lead ${card.id}`, focusLeadId: card.id };
  },
  present(result, ctx) {
    const r = result.data;
    if (r.kind === 'none') return outbound([{ type: 'text', text: ctx.t('lookup.not_found', { query: r.query }) }]);
    if (r.kind === 'choose') {
      return outbound([
        { type: 'text', text: ctx.t('lookup.choose', { query: r.query }) },
        {
          type: 'buttons',
          buttons: r.candidates.map((c) => ({ label: c.displayName.slice(0, 80), payload: { action: 'lookup_lead', args: { lead_id: c.id } }, style: 'default' as const })),
        },
      ]);
    }
    return outbound([leadCardPart(r.card, ctx)]);
  },
});

/** The lead card as a channel-neutral card part (also used by other tools' replies). */
export function leadCardPart(card: LeadCard, ctx: PresentContext): OutboundPart {
  const { t, locale, tenant } = ctx;
  const tz = tenant.timezone;
  const fields: { label: string; value: string }[] = [
    { label: t('lookup.stage'), value: card.stageNames[locale] ?? card.stageNames.en ?? card.stageKey },
    { label: t('lookup.owner'), value: card.ownerName ?? t('lookup.unassigned') },
    { label: t('lookup.score'), value: card.score === null ? t('lookup.no_score') : `${card.score}/100${card.grade ? ` (${card.grade})` : ''}` },
    { label: t('lookup.last_touch'), value: card.lastTouchAt ? formatDateTime(card.lastTouchAt, tz, locale) : t('lookup.never') },
    { label: t('lookup.next_followup'), value: card.nextFollowupAt ? formatDateTime(card.nextFollowupAt, tz, locale) : t('lookup.none') },
    { label: t('lookup.open_tasks'), value: card.openTasks.length ? card.openTasks.map((x) => x.title).join('; ') : t('lookup.none') },
    { label: t('lookup.source'), value: card.source },
  ];
  if (card.phone) fields.push({ label: t('lookup.phone'), value: card.phone });
  if (card.email) fields.push({ label: t('lookup.email'), value: card.email });
  if (card.budget !== null) fields.push({ label: t('lookup.budget'), value: formatMoney(card.budget, tenant.currency, locale) });
  const skin = card.attributes.skin as { type?: string; concerns?: string[]; urgency?: number } | undefined;
  if (skin) {
    const bits = [skin.type, (skin.concerns ?? []).join(', '), skin.urgency !== undefined ? t('lookup.urgency', { value: skin.urgency }) : undefined];
    fields.push({ label: t('lookup.skin'), value: bits.filter(Boolean).join(' · ') });
  }
  if (card.buyerRequest) {
    const b = card.buyerRequest;
    const price = b.priceMax ? `≤ ${formatMoney(b.priceMax, tenant.currency, locale)}` : '';
    const bits = [b.propertyTypes.join('/'), [...b.districts, ...b.cities].join(', '), b.bedroomsMin ? t('lookup.bedrooms', { count: b.bedroomsMin }) : '', price];
    fields.push({ label: t('lookup.buyer_request'), value: bits.filter(Boolean).join(' · ') });
  }
  return { type: 'card', title: card.displayName, subtitle: card.grade ? t('lookup.grade', { grade: card.grade }) : undefined, fields };
}
