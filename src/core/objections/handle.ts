import { z } from 'zod';
import type { Sql } from '../../db/database.ts';
import type { Tenant } from '../tenants.ts';
import { loadLeadContext, type LeadContext } from '../coach/lead-context.ts';
import { markScoreStale } from '../leads/stale.ts';
import { searchPlaybook, type PlaybookEntry } from '../playbooks.ts';
import { loadCatalogue, type CatalogueItem } from '../upsell/catalogue.ts';
import type { ObjectionCategory } from './categories.ts';
import { classifyObjection, type ObjectionClassification } from './classify.ts';
import { comparableListings } from './comparables.ts';
import { followUpDay, nextStep, type NextStep } from './next-step.ts';
import { assignTailoring, itemRef, supportedTechniques, tailor, type TailorLine } from './tailor.ts';

export interface ObjectionResponse {
  id: string;
  category: string;
  title: string;
  body: string;
  technique: string | null;
  followUpQuestion: string | null;
  tailoring: TailorLine[];
}

export interface LocaleAnswer {
  responses: ObjectionResponse[];
  alternatives: { title: string; category: string }[];
  /** Facts about the lead that no response took up. */
  general: TailorLine[];
}

export interface HandleObjectionResult {
  text: string;
  classification: ObjectionClassification;
  lead: { id: string; displayName: string } | null;
  /** The answer in every language the playbook has, so the reply can use the one it speaks. */
  byLocale: Record<string, LocaleAnswer>;
  /** The locale whose entries were nearest in meaning (the language the objection was written in). */
  anchorLocale: string | null;
  nextStep: NextStep;
  /** Whether the objection was noted on the lead's timeline (for coaching later). */
  recorded: boolean;
}

const Settings = z.object({ instalment_months: z.array(z.number().int().positive()).optional() }).loose();

const RESPONSES_FROM_PRIMARY = 2;
// An answer the lead's own facts can back up (a starter package within their
// budget, listings under their cap) beats a slightly closer generic one.
const CONTEXT_BOOST = 0.15;

/**
 * Orders one locale's entries: the main objection's answers nearest in
 * meaning first, then each secondary objection's. In a language other than
 * the one the objection was written in, meaning cannot be compared by a
 * spelling-based embedder, so entries follow the order of their technique in
 * the anchor language (the packs translate techniques one for one).
 */
function orderEntries(
  entries: PlaybookEntry[],
  categories: readonly ObjectionCategory[],
  techniqueRank: Map<string, number> | null,
  supported: ReadonlySet<string>,
): PlaybookEntry[] {
  const rankOf = (e: PlaybookEntry) => techniqueRank?.get(`${e.category}:${String(e.data.technique ?? '')}`) ?? Number.MAX_SAFE_INTEGER;
  const score = (e: PlaybookEntry) => (e.distance ?? 2) - (supported.has(String(e.data.technique ?? '')) ? CONTEXT_BOOST : 0);
  const byDistance = (a: PlaybookEntry, b: PlaybookEntry) => score(a) - score(b) || a.title.localeCompare(b.title);
  return categories.flatMap((c) =>
    entries.filter((e) => e.category === c).sort((a, b) => (techniqueRank ? rankOf(a) - rankOf(b) : 0) || byDistance(a, b)),
  );
}

function pickResponses(ordered: PlaybookEntry[], classification: ObjectionClassification): { chosen: PlaybookEntry[]; rest: PlaybookEntry[] } {
  const primary = ordered.filter((e) => e.category === classification.category);
  const chosen = primary.slice(0, RESPONSES_FROM_PRIMARY);
  const second = classification.secondary[0];
  const secondaryTop = second ? ordered.find((e) => e.category === second) : undefined;
  if (secondaryTop) chosen.push(secondaryTop);
  else if (primary[RESPONSES_FROM_PRIMARY]) chosen.push(primary[RESPONSES_FROM_PRIMARY]);
  return { chosen, rest: ordered.filter((e) => !chosen.includes(e)) };
}

function toResponse(e: PlaybookEntry, tailoring: TailorLine[]): ObjectionResponse {
  const q = e.data.follow_up_question;
  return {
    id: e.id,
    category: e.category,
    title: e.title,
    body: e.body,
    technique: typeof e.data.technique === 'string' ? e.data.technique : null,
    followUpQuestion: typeof q === 'string' ? q : null,
    tailoring,
  };
}

function consultationItem(catalogue: readonly CatalogueItem[]): CatalogueItem | undefined {
  return catalogue.find((c) => c.category === 'consultation' || (c.attributes.bookable === true && c.price === 0));
}

/**
 * Objection handling: classify, retrieve the playbook's answers by meaning,
 * tailor them with the lead's budget, scan or buyer request, and propose one
 * next step. With a lead, the objection is noted on their timeline so the
 * coach can bring it up later.
 */
export async function handleObjection(
  sql: Sql,
  tenant: Tenant,
  input: { text: string; leadId: string | null; now: Date; staffUserId?: string | undefined },
): Promise<HandleObjectionResult> {
  const classification = classifyObjection(input.text);
  const categories = [classification.category, ...classification.secondary];
  const lead: LeadContext | null = input.leadId ? await loadLeadContext(sql, input.leadId) : null;

  const entries = await searchPlaybook(sql, { kind: 'objection', categories, text: input.text, limit: 200 });
  const locales = [...new Set(entries.map((e) => e.locale))];
  const nearest = entries.find((e) => e.distance !== null);
  const anchorLocale = nearest?.locale ?? null;

  const catalogue = await loadCatalogue(sql);
  const cap = lead?.buyerRequest?.priceMax ?? null;
  const comparables = lead?.buyerRequest && cap !== null && categories.some((c) => c === 'price' || c === 'competitor') ? await comparableListings(sql, lead.buyerRequest, cap) : null;
  const lines = tailor({
    categories,
    lead,
    catalogue,
    instalmentMonths: Settings.parse(tenant.settings).instalment_months ?? [],
    comparables,
  });

  const supported = supportedTechniques(lines);
  const anchorOrdered = anchorLocale ? orderEntries(entries.filter((e) => e.locale === anchorLocale), categories, null, supported) : [];
  const techniqueRank = new Map<string, number>();
  anchorOrdered.forEach((e, i) => {
    const key = `${e.category}:${String(e.data.technique ?? '')}`;
    if (!techniqueRank.has(key)) techniqueRank.set(key, i);
  });
  const byLocale: Record<string, LocaleAnswer> = {};
  for (const locale of locales) {
    const ordered = locale === anchorLocale ? anchorOrdered : orderEntries(entries.filter((e) => e.locale === locale), categories, techniqueRank, supported);
    const { chosen, rest } = pickResponses(ordered, classification);
    const { perResponse, general } = assignTailoring(lines, chosen);
    byLocale[locale] = {
      responses: chosen.map((e, i) => toResponse(e, perResponse[i] ?? [])),
      alternatives: rest.map((e) => ({ title: e.title, category: e.category })),
      general,
    };
  }

  const consultation = consultationItem(catalogue);
  const step = nextStep(classification.category, lines, {
    vertical: tenant.vertical,
    consultation: consultation ? itemRef(consultation) : null,
    followUp: followUpDay(input.now, tenant, classification.category),
  });

  let recorded = false;
  if (lead) {
    await sql.query(
      `INSERT INTO activities (tenant_id, lead_id, staff_user_id, kind, body, data, occurred_at)
       VALUES ($1, $2, $3, 'note', $4, $5, $6)`,
      [
        tenant.id,
        lead.id,
        input.staffUserId ?? null,
        input.text,
        JSON.stringify({ objection: { category: classification.category, secondary: classification.secondary, confidence: classification.confidence }, source: 'handle_objection' }),
        input.now,
      ],
    );
    await markScoreStale(sql, lead.id);
    recorded = true;
  }

  return {
    text: input.text,
    classification,
    lead: lead ? { id: lead.id, displayName: lead.displayName } : null,
    byLocale,
    anchorLocale,
    nextStep: step,
    recorded,
  };
}
