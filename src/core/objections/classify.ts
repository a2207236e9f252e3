import { cosine, embedLocal } from '../embeddings/local.ts';
import { OBJECTION_CATEGORIES, type ObjectionCategory } from './categories.ts';
import { loadPhraseBook, normaliseForMatch, type CompiledPhrase } from './phrases.ts';

export interface ObjectionClassification {
  category: ObjectionCategory;
  /** Other objections in the same words, strongest first ("too expensive and I'll think about it" → time). */
  secondary: ObjectionCategory[];
  /** 0–1: how sure the classifier is about `category`. */
  confidence: number;
  /** Phrase score per category that had a match. */
  scores: Partial<Record<ObjectionCategory, number>>;
  /** The phrases that matched, per category, for explaining the decision. */
  matched: Partial<Record<ObjectionCategory, string[]>>;
  /** How the primary category was chosen. */
  method: 'phrases' | 'phrases+embedding' | 'embedding' | 'none';
}

// Scores this close are a tie, settled by meaning rather than by list order.
const TIE = 0.25;
// A secondary objection needs more than a passing word ("price" alone is not one).
const MIN_SECONDARY = 1.5;
// The character n-gram embedder shares some grams with any sentence: below
// this cosine, or without a clear lead over the runner-up, it is noise.
const MIN_EMBEDDING_SIMILARITY = 0.3;
const MIN_EMBEDDING_MARGIN = 0.08;

interface Hit {
  phrase: CompiledPhrase;
  start: number;
  end: number;
}

function isWordChar(ch: string | undefined): boolean {
  return ch !== undefined && /[\p{L}\p{N}]/u.test(ch);
}

function findHits(text: string, phrase: CompiledPhrase): Hit[] {
  const hits: Hit[] = [];
  let from = 0;
  for (;;) {
    const i = text.indexOf(phrase.text, from);
    if (i < 0) return hits;
    if (!phrase.wordStart || !isWordChar(text[i - 1])) hits.push({ phrase, start: i, end: i + phrase.text.length });
    from = i + 1;
  }
}

/** Similarity of the text to each category's description, best over locales. */
export function categorySimilarities(text: string): Record<ObjectionCategory, number> {
  const v = embedLocal(text);
  const out = Object.fromEntries(OBJECTION_CATEGORIES.map((c) => [c, 0])) as Record<ObjectionCategory, number>;
  for (const d of loadPhraseBook().descriptionVectors) out[d.category] = Math.max(out[d.category], cosine(v, d.vector));
  return out;
}

/**
 * Classifies an objection in any of the tenant languages. Phrase lists
 * (data) are scored first: within a category overlapping matches count once,
 * the longest winning, so "too expensive" is not also counted as "expensive".
 * The local embedder's similarity to each category's description settles
 * ties and classifies text that no phrase covers.
 */
export function classifyObjection(text: string): ObjectionClassification {
  const norm = normaliseForMatch(text);
  if (!norm) return { category: 'other', secondary: [], confidence: 0, scores: {}, matched: {}, method: 'none' };

  const byCategory = new Map<ObjectionCategory, Hit[]>();
  for (const phrase of loadPhraseBook().phrases) {
    const hits = findHits(norm, phrase);
    if (hits.length) byCategory.set(phrase.category, [...(byCategory.get(phrase.category) ?? []), ...hits]);
  }
  const scores: Partial<Record<ObjectionCategory, number>> = {};
  const matched: Partial<Record<ObjectionCategory, string[]>> = {};
  for (const [category, hits] of byCategory) {
    const accepted: Hit[] = [];
    for (const h of [...hits].sort((a, b) => b.end - b.start - (a.end - a.start) || b.phrase.weight - a.phrase.weight)) {
      if (accepted.some((a) => h.start < a.end && a.start < h.end)) continue;
      accepted.push(h);
    }
    scores[category] = accepted.reduce((s, h) => s + h.phrase.weight, 0);
    matched[category] = [...new Set(accepted.sort((a, b) => a.start - b.start).map((h) => h.phrase.text))];
  }

  const sims = categorySimilarities(text);
  const ranked = (Object.entries(scores) as [ObjectionCategory, number][]).sort((a, b) => b[1] - a[1]);
  if (ranked.length === 0) {
    const bySim = (Object.entries(sims) as [ObjectionCategory, number][]).sort((a, b) => b[1] - a[1]);
    const [best, sim] = bySim[0]!;
    const runnerUp = bySim[1]?.[1] ?? 0;
    if (sim < MIN_EMBEDDING_SIMILARITY || sim - runnerUp < MIN_EMBEDDING_MARGIN) return { category: 'other', secondary: [], confidence: 0.1, scores, matched, method: 'none' };
    // Meaning alone from a spelling-based embedder is a weak signal: never more than 0.45.
    return { category: best, secondary: [], confidence: round(Math.min(0.45, sim)), scores, matched, method: 'embedding' };
  }

  const top = ranked[0]![1];
  const tied = ranked.filter(([, s]) => top - s <= TIE);
  let method: ObjectionClassification['method'] = 'phrases';
  let order = ranked;
  if (tied.length > 1) {
    method = 'phrases+embedding';
    const tiedSorted = [...tied].sort((a, b) => sims[b[0]] - sims[a[0]]);
    order = [...tiedSorted, ...ranked.filter(([c]) => !tied.some(([t]) => t === c))];
  }
  const [category, score] = order[0]!;
  const total = ranked.reduce((s, [, v]) => s + v, 0);
  const strength = 1 - Math.exp(-score / 2.5);
  const share = score / total;
  const confidence = round(strength * (0.5 + 0.5 * share));
  const secondary = order
    .slice(1)
    .filter(([c, s]) => s >= Math.max(MIN_SECONDARY, 0.4 * score) && (c !== 'other' || s >= 2))
    .map(([c]) => c);
  return { category, secondary, confidence, scores, matched, method };
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
