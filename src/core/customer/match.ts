import { normaliseText } from '../format.ts';
import { normaliseDigits } from './numbers.ts';

/** The form customer text is matched in: NFKC, lower case, Western digits, Arabic alef forms unified, tatweel dropped. */
export function customerText(text: string): string {
  return normaliseText(normaliseDigits(text))
    .replace(/\u0640/g, '')
    .replace(/[\u064B-\u065F\u0670]/g, '')
    .replace(/[\u0622\u0623\u0625]/g, '\u0627');
}

function normaliseTerm(term: string): string {
  return customerText(term);
}

const LATIN = /^[a-z0-9 '.\-&]+$/;

/** Where `term` occurs in `text` (both already normalised): whole words for Latin terms, anywhere for Thai/Arabic ones. */
export function termIndex(text: string, term: string): number {
  const t = normaliseTerm(term);
  if (!t) return -1;
  if (LATIN.test(t)) {
    const re = new RegExp(`(?<![\\p{L}\\p{N}])${t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\p{L}\\p{N}])`, 'u');
    return re.exec(text)?.index ?? -1;
  }
  return text.indexOf(t);
}

export function hasAnyTerm(text: string, terms: readonly string[]): boolean {
  return terms.some((t) => termIndex(text, t) >= 0);
}

/**
 * Which keys of a vocabulary occur in `text`. The longest term wins and its
 * span is consumed, so "หลุมสิว" (acne scars) is scars, not also acne, and
 * "large pores" is not also matched again by "pores".
 */
export function findKeys<K extends string>(text: string, vocabulary: Record<K, readonly string[]> | readonly (readonly [K, readonly string[]])[]): K[] {
  const entries: [K, string][] = [];
  const pairs = Array.isArray(vocabulary) ? (vocabulary as readonly (readonly [K, readonly string[]])[]) : (Object.entries(vocabulary) as [K, string[]][]);
  for (const [key, terms] of pairs) for (const term of terms) entries.push([key, normaliseTerm(term)]);
  entries.sort((a, b) => b[1].length - a[1].length);
  let rest = customerText(text);
  const found: { key: K; index: number }[] = [];
  for (const [key, term] of entries) {
    const i = termIndex(rest, term);
    if (i < 0) continue;
    rest = rest.slice(0, i) + ' '.repeat(term.length) + rest.slice(i + term.length);
    if (!found.some((f) => f.key === key)) found.push({ key, index: i });
  }
  return found.sort((a, b) => a.index - b.index).map((f) => f.key);
}
