import { z } from 'zod';
import { concernList, localName, money } from '../core/customer/format.ts';
import { tenantDistricts, type District } from '../core/customer/geo.ts';
import { findKeys } from '../core/customer/match.ts';
import { emptyNeeds, extractNeeds, hasNeeds, type Needs } from '../core/customer/needs.ts';
import { parseAmount } from '../core/customer/numbers.ts';
import { applyNeeds, type StoredNeeds } from '../core/customer/profile.ts';
import { CONCERN_TERMS, PROPERTY_TYPE_TERMS } from '../core/customer/vocabulary.ts';
import { SKIN_CONCERNS, type SkinConcern } from '../core/leads/attributes.ts';
import { resolveLeadRef } from '../core/leads/resolve.ts';
import { outbound } from '../core/messages/types.ts';
import { ToolInputError } from '../errors.ts';
import { defineTool } from './types.ts';

const List = z.union([z.array(z.string().trim().min(1).max(80)).max(20), z.string().trim().max(400)]).optional();
const blankToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

const Input = z.object({
  text: z.preprocess(blankToUndefined, z.string().trim().max(1000).optional()).describe('What the customer wrote, read for anything not given as a field'),
  concerns: List.describe('Skin concerns: acne, large_pores, pigmentation… or the words the customer used'),
  budget: z.preprocess(blankToUndefined, z.union([z.number().nonnegative(), z.string().trim().max(60)]).optional()).describe('A budget such as 15000, "15k", "3 مليون"'),
  area: z.preprocess(blankToUndefined, z.string().trim().max(200).optional()).describe('Districts, a city or a zone such as "north Riyadh"'),
  district: z.preprocess(blankToUndefined, z.string().trim().max(200).optional()),
  property_type: z.preprocess(blankToUndefined, z.string().trim().max(100).optional()),
  bedrooms: z.preprocess(blankToUndefined, z.coerce.number().int().min(0).max(20).optional()),
  timeline: z.preprocess(blankToUndefined, z.string().trim().max(120).optional()),
  preferred_date: z.preprocess(blankToUndefined, z.string().trim().max(120).optional()),
  lead_id: z.uuid().optional(),
});
type Args = z.output<typeof Input>;

interface Result {
  stored: StoredNeeds;
  recognised: boolean;
  districts: District[];
}

function asText(v: string | string[] | undefined): string {
  return Array.isArray(v) ? v.join(', ') : (v ?? '');
}

/** Explicit fields first; the free text fills whatever they leave out. */
function needsFrom(args: Args, districts: District[]): Needs {
  const fromText = args.text ? extractNeeds(args.text, districts) : emptyNeeds();
  const needs: Needs = { ...fromText };
  const concernText = asText(args.concerns);
  if (concernText) {
    const keys = concernText.split(/[,;|،]/).map((s) => s.trim().toLowerCase().replace(/\s+/g, '_')).filter((k): k is SkinConcern => (SKIN_CONCERNS as readonly string[]).includes(k));
    const words = findKeys(concernText, CONCERN_TERMS);
    const all = [...new Set([...keys, ...words])];
    if (!all.length) throw new ToolInputError(`"${concernText}" is not a concern I know (${SKIN_CONCERNS.join(', ')}).`);
    needs.concerns = [...new Set([...needs.concerns, ...all])];
  }
  const place = [args.area, args.district].filter(Boolean).join(', ');
  if (place) {
    const p = extractNeeds(place, districts);
    if (p.districts.length) needs.districts = p.districts;
    if (p.cities.length) needs.cities = p.cities;
    if (!p.districts.length && !p.cities.length) needs.districts = place.split(/[,;،]/).map((s) => s.trim()).filter(Boolean);
  }
  if (args.property_type) {
    const types = findKeys(args.property_type, PROPERTY_TYPE_TERMS);
    if (!types.length) throw new ToolInputError(`"${args.property_type}" is not a property type I know (${Object.keys(PROPERTY_TYPE_TERMS).join(', ')}).`);
    needs.propertyTypes = types;
  }
  if (args.bedrooms !== undefined) needs.bedroomsMin = args.bedrooms;
  if (args.budget !== undefined) {
    const value = typeof args.budget === 'number' ? args.budget : parseAmount(args.budget);
    if (value === undefined) throw new ToolInputError(`"${args.budget}" is not an amount (try 15000, 15k or 3 million).`);
    needs.budget = value;
  }
  return needs;
}

export const updateMyNeeds = defineTool({
  name: 'update_my_needs',
  description:
    "Record what the customer is looking for on their own record: skin concerns and budget (clinic); property type, districts or zone, bedrooms, price ceiling and timeline (real estate, kept as their active buyer request). Numbers may be written with Thai/Arabic digits or words (15k, 1.5 ล้าน, 3 مليون).",
  roles: ['customer'],
  input: Input,
  async run(ctx, args) {
    const leadId = await resolveLeadRef(ctx.sql, ctx.actor, { lead_id: args.lead_id }, ctx.focusLeadId);
    const districts = await tenantDistricts(ctx.sql, ctx.tenant);
    const needs = needsFrom(args, districts);
    const recognised = hasNeeds(needs) || Boolean(args.timeline || args.preferred_date);
    const stored = await applyNeeds(ctx.sql, ctx.tenant, leadId, { ...needs, timeline: args.timeline, preferredDate: args.preferred_date }, ctx.now);
    return { data: { stored, recognised, districts } as Result, summary: recognised ? `needs updated: ${stored.changed.join(', ') || 'no change'}` : 'nothing recognised' };
  },
  present(result, ctx) {
    const { t, locale, tenant } = ctx;
    const { stored, recognised, districts } = result.data;
    if (!recognised) return outbound([{ type: 'text', text: t(`customer.needs_nothing.${tenant.vertical}`) }]);
    const fields: { label: string; value: string }[] = [];
    const br = stored.buyerRequest;
    if (br) {
      if (br.propertyTypes.length) fields.push({ label: t('customer.looking_for'), value: br.propertyTypes.map((p) => t(`customer.property_type.${p}`, { defaultValue: p })).join(', ') });
      if (br.districts.length) {
        const names = br.districts.map((d) => {
          const known = districts.find((x) => x.name === d);
          return known ? localName({ en: known.name, ...known.names }, locale, tenant.defaultLocale) : d;
        });
        fields.push({ label: t('customer.areas'), value: names.join(', ') });
      } else if (br.cities.length) fields.push({ label: t('customer.areas'), value: br.cities.join(', ') });
      if (br.bedroomsMin !== null) fields.push({ label: t('customer.bedrooms'), value: `${br.bedroomsMin}+` });
      if (br.priceMax !== null) fields.push({ label: t('customer.budget'), value: `≤ ${money(br.priceMax, tenant.currency, locale)}` });
    } else if (stored.budget !== null) {
      fields.push({ label: t('customer.budget'), value: money(stored.budget, tenant.currency, locale) });
    }
    if (stored.concerns.length) fields.push({ label: t('customer.concerns'), value: concernList(stored.concerns, t) });
    if (stored.timeline) fields.push({ label: t('customer.timeline'), value: stored.timeline });
    return outbound([
      { type: 'text', text: t('customer.needs_saved') },
      { type: 'card', title: t('customer.needs_title'), fields },
      {
        type: 'buttons',
        buttons: [
          { label: t(`customer.button_book.${tenant.vertical}`), payload: { action: 'book_appointment', args: {} }, style: 'primary' },
          { label: t('customer.button_staff'), payload: { action: 'talk_to_human', args: {} }, style: 'default' },
        ],
      },
    ]);
  },
});
