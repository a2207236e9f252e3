/**
 * The deterministic local embedder: hashed character n-grams. It needs no
 * model, no network and no tokenizer, so it works offline and for scripts
 * written without spaces between words (Thai) or with rich morphology
 * (Arabic). It captures spelling overlap, not meaning: good enough to find the
 * playbook entry that shares words with what the customer said.
 *
 * Changing anything here changes every stored vector: bump the model id so
 * stored rows with the old id are re-embedded rather than compared.
 */
export const LOCAL_EMBEDDING_MODEL = 'local-ngram-256-v1';
export const LOCAL_EMBEDDING_DIMENSIONS = 256;

// Longer n-grams carry more of a word's identity; single characters mostly add noise.
const NGRAM_WEIGHTS = [0, 0.25, 0.75, 1.5] as const;

/**
 * Lower-cased, NFKC-normalised text with punctuation dropped and whitespace
 * collapsed. Arabic short vowels (harakat) and tatweel are dropped and alef
 * forms unified, because the same word is written with and without them; Thai
 * vowel and tone marks are kept, because they change the word.
 */
export function normalizeForEmbedding(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\u064B-\u065F\u0670\u0640]/g, '')
    .replace(/[\u0622\u0623\u0625\u0671]/g, '\u0627')
    .replace(/[\p{P}\p{S}]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** 32-bit FNV-1a over UTF-16 code units: stable across platforms and fast. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * A 256-dimensional, L2-normalised vector for `text`. Empty (or
 * punctuation-only) text gives the zero vector, which has no direction:
 * callers should not search with it.
 */
export function embedLocal(text: string): number[] {
  const v = new Float64Array(LOCAL_EMBEDDING_DIMENSIONS);
  const normalized = normalizeForEmbedding(text);
  if (normalized.length > 0) {
    // Code points, not UTF-16 units, so an astral character is one gram; the
    // padding spaces let 2- and 3-grams mark where words start and end.
    const chars = Array.from(` ${normalized} `);
    const counts = new Map<string, number>();
    for (let n = 1; n <= 3; n++) {
      for (let i = 0; i + n <= chars.length; i++) {
        const gram = chars.slice(i, i + n).join('');
        if (gram.trim().length === 0) continue;
        const key = `${n}:${gram}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
    }
    for (const [key, count] of counts) {
      const h = fnv1a(key);
      // The sign bit comes from bits the bucket index does not use, so two
      // grams sharing a bucket cancel as often as they add up.
      const sign = h & 0x80000000 ? -1 : 1;
      // Sublinear counts: a long playbook body repeating "the" or "ค่ะ" should
      // not outweigh the rarer grams a short question shares with it.
      const weight = (NGRAM_WEIGHTS[Number(key[0])] ?? 1) * (1 + Math.log(count));
      v[h & (LOCAL_EMBEDDING_DIMENSIONS - 1)]! += sign * weight;
    }
  }
  let norm = 0;
  for (const x of v) norm += x * x;
  norm = Math.sqrt(norm);
  return Array.from(v, (x) => (norm > 0 ? x / norm : 0));
}

/** Cosine similarity of two vectors of equal length (0 when either is zero). */
export function cosine(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) throw new RangeError(`cosine(): lengths differ (${a.length} vs ${b.length})`);
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0;
}

/** pgvector's text form, '[0.1,0.2,...]'; use it as a `$n::vector` parameter. */
export function toSqlVector(v: readonly number[]): string {
  for (const x of v) {
    if (!Number.isFinite(x)) throw new RangeError(`toSqlVector(): non-finite component ${x}`);
  }
  return `[${v.join(',')}]`;
}
