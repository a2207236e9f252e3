import type { Sql } from '../../db/database.ts';
import { ANSWER_THRESHOLD, searchKnowledge, type KnowledgeChunk } from '../knowledge.ts';
import { markScoreStale } from '../leads/stale.ts';
import type { Tenant } from '../tenants.ts';
import { findListings, ITEM_THRESHOLD, loadCatalogue, matchItems, mentionsListing, recommendItems, type CatalogueItem, type ListingSummary } from './catalogue.ts';
import { tenantDistricts } from './geo.ts';
import { customerText, hasAnyTerm } from './match.ts';
import { extractNeeds } from './needs.ts';
import { applyNeeds } from './profile.ts';
import { recordActivity, upsertCustomerTask } from './tasks.ts';
import { PRICE_TERMS } from './vocabulary.ts';

/**
 * Answers a customer's question from the tenant's own data only: the
 * catalogue (names, prices, sessions), available listings, and the
 * knowledge base. When nothing relevant is found it says so and asks the
 * team (an activity and a task for the owner) instead of making something up.
 */

/** The one qualifying question to ask after an answer. */
export type FollowUp = 'budget' | 'date';

export type Answer =
  | { kind: 'items'; items: CatalogueItem[]; priceQuestion: boolean; followUp: FollowUp }
  | { kind: 'recommend'; concerns: string[]; items: CatalogueItem[]; followUp: FollowUp }
  | { kind: 'listings'; listings: ListingSummary[]; followUp: FollowUp }
  | { kind: 'knowledge'; sources: { source: string; chunks: KnowledgeChunk[] }[] }
  | { kind: 'unknown' };

export type AnswerResult = Answer & {
  /** Skin concerns found in the question and stored on the lead. */
  concernsNoted: string[];
};

/** Runner-up items within this much of the best are shown too ("the laser" may be either laser). */
const CLOSE_MATCH = 0.1;

export async function answerQuestion(sql: Sql, tenant: Tenant, leadId: string, question: string, now: Date): Promise<AnswerResult> {
  const text = customerText(question);
  const districts = tenant.vertical === 'realty' ? await tenantDistricts(sql, tenant) : [];
  const needs = extractNeeds(question, districts);
  const concerns = tenant.vertical === 'realty' ? [] : needs.concerns;
  let concernsNoted: string[] = [];
  if (concerns.length) {
    const stored = await applyNeeds(sql, tenant, leadId, { ...needs, propertyTypes: [], cities: [], districts: [], zones: [], budget: undefined, bedroomsMin: undefined }, now);
    concernsNoted = stored.changed.includes('concerns') ? concerns : [];
  }
  const priceQuestion = hasAnyTerm(text, PRICE_TERMS);
  const budget = (await sql.query<{ budget: string | null }>('SELECT budget FROM leads WHERE id = $1', [leadId])).rows[0]?.budget ?? null;
  const followUp: FollowUp = budget === null && needs.budget === undefined ? 'budget' : 'date';

  const knowledge = await searchKnowledge(sql, question);
  const keywordHits = knowledge.filter((k) => k.keyword);
  const knowledgeAnswer = (): Answer | undefined => {
    const usable = keywordHits.length ? keywordHits.slice(0, 2) : knowledge.filter((k) => k.similarity >= ANSWER_THRESHOLD).slice(0, 1);
    return usable.length ? { kind: 'knowledge', sources: usable.map((k) => ({ source: k.source, chunks: k.chunks })) } : undefined;
  };

  const catalogueAnswer = async (): Promise<Answer | undefined> => {
    if (tenant.vertical === 'realty') {
      if (!mentionsListing(question, needs)) return undefined;
      const listings = await findListings(sql, question, needs);
      if (priceQuestion) await signal(sql, tenant, leadId, 'asked_price', { refs: listings.map((l) => l.ref) }, now);
      return { kind: 'listings', listings, followUp };
    }
    const items = await loadCatalogue(sql);
    const ranked = matchItems(items, question, concerns);
    const best = ranked[0];
    if (!best || best.score < ITEM_THRESHOLD) return undefined;
    const shown = ranked.filter((m) => m.score >= ITEM_THRESHOLD && best.score - m.score <= CLOSE_MATCH).slice(0, 3).map((m) => m.item);
    if (priceQuestion) await signal(sql, tenant, leadId, 'asked_price', { skus: shown.map((i) => i.sku) }, now);
    return { kind: 'items', items: shown, priceQuestion, followUp };
  };

  // A price question is about a product first; a question on a known topic (hours, parking…) is about that topic first.
  const order = priceQuestion || !keywordHits.length ? [catalogueAnswer, async () => knowledgeAnswer()] : [async () => knowledgeAnswer(), catalogueAnswer];
  for (const attempt of order) {
    const a = await attempt();
    if (a) return { ...a, concernsNoted };
  }
  if (concerns.length) {
    const items = recommendItems(await loadCatalogue(sql), concerns).map((m) => m.item);
    if (items.length) {
      if (priceQuestion) await signal(sql, tenant, leadId, 'asked_price', { skus: items.map((i) => i.sku) }, now);
      return { kind: 'recommend', concerns, items, followUp, concernsNoted };
    }
  }
  await recordActivity(sql, tenant, leadId, 'note', `Customer asked a question the assistant could not answer: ${question}`, { signal: 'unanswered_question', question: question.slice(0, 500) }, now);
  await upsertCustomerTask(sql, tenant, leadId, { kind: 'todo', titleKey: 'unanswered', titleVars: { question: question.replace(/\s+/g, ' ').slice(0, 160) }, dueAt: null, now });
  return { kind: 'unknown', concernsNoted };
}

async function signal(sql: Sql, tenant: Tenant, leadId: string, name: string, data: Record<string, unknown>, now: Date): Promise<void> {
  await recordActivity(sql, tenant, leadId, 'system', `Intent signal: ${name}`, { signal: name, ...data }, now);
  await markScoreStale(sql, leadId);
}
