import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { ConfigError } from '../../errors.ts';
import { embedLocal, normalizeForEmbedding } from '../embeddings/local.ts';
import { OBJECTION_CATEGORIES, type ObjectionCategory } from './categories.ts';

/**
 * Objection phrase lists are data (phrases/<locale>.json) so a native
 * speaker can extend them without touching code. A phrase is a string
 * (weight 2) or [phrase, weight]: 3 for wording that names the objection
 * outright ("too expensive"), 1 for words that only hint at it ("price").
 */
const DIR = fileURLToPath(new URL('./phrases/', import.meta.url));
const Category = z.enum(OBJECTION_CATEGORIES);
const Phrase = z.union([z.string().min(1), z.tuple([z.string().min(1), z.number().positive().max(5)])]);
const FileSchema = z.strictObject({
  /** Latin-script languages match at word starts ("afford" in "affordable", not in "unaffordable"); Thai has no spaces and Arabic glues on prefixes, so they match anywhere. */
  word_start: z.boolean(),
  descriptions: z.record(Category, z.string().min(1)),
  phrases: z.partialRecord(Category, z.array(Phrase)),
});

export interface CompiledPhrase {
  category: ObjectionCategory;
  locale: string;
  /** Normalised form, compared against normalised text. */
  text: string;
  weight: number;
  wordStart: boolean;
}

export interface PhraseBook {
  phrases: CompiledPhrase[];
  /** Each category's description embedded, per locale: the meaning the classifier falls back on. */
  descriptionVectors: { category: ObjectionCategory; locale: string; vector: number[] }[];
}

/**
 * The form phrases and messages are compared in: the embedder's
 * normalisation (case, punctuation, Arabic diacritics and alef forms) plus
 * the two Arabic letters people write either way at the end of a word.
 */
export function normaliseForMatch(text: string): string {
  return normalizeForEmbedding(text).replace(/\u0649/g, '\u064A').replace(/\u0629/g, '\u0647');
}

let cache: PhraseBook | undefined;

export function loadPhraseBook(): PhraseBook {
  if (cache) return cache;
  const phrases: CompiledPhrase[] = [];
  const descriptionVectors: PhraseBook['descriptionVectors'] = [];
  for (const file of fs.readdirSync(DIR).filter((f) => f.endsWith('.json')).sort()) {
    const locale = file.replace(/\.json$/, '');
    const parsed = FileSchema.safeParse(JSON.parse(fs.readFileSync(DIR + file, 'utf8')));
    if (!parsed.success) throw new ConfigError(`src/core/objections/phrases/${file} is malformed: ${parsed.error.issues[0]?.message}`);
    for (const [category, list] of Object.entries(parsed.data.phrases) as [ObjectionCategory, z.infer<typeof Phrase>[]][]) {
      for (const p of list) {
        const [raw, weight] = typeof p === 'string' ? [p, 2] : p;
        const text = normaliseForMatch(raw);
        if (text) phrases.push({ category, locale, text, weight, wordStart: parsed.data.word_start });
      }
    }
    for (const [category, description] of Object.entries(parsed.data.descriptions) as [ObjectionCategory, string][]) {
      descriptionVectors.push({ category, locale, vector: embedLocal(description) });
    }
  }
  cache = { phrases, descriptionVectors };
  return cache;
}
