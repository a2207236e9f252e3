import { foldDigits } from './output-check.ts';

/**
 * Text as the reply check compares it, so a disguise does not get another
 * lead's data past it: NFKC (full-width letters and digits become ASCII),
 * Thai and Arabic-Indic digits folded, zero-width characters and soft hyphens
 * removed, lower case, every run of separators one space. Mirrors
 * closer_check_words() in db/migrations/0041_reply_check_index.sql.
 */
const ZERO_WIDTH = /[\u00AD\u200B-\u200F\u2060\uFEFF]/g;
const SEPARATORS = /[^\p{L}\p{N}\p{M}]+/gu;

export function checkText(text: string): string {
  return foldDigits(text.normalize('NFKC')).replace(ZERO_WIDTH, '').toLowerCase().replace(SEPARATORS, ' ').trim();
}

export function checkWords(text: string): string[] {
  const t = checkText(text);
  return t ? t.split(' ') : [];
}

/**
 * Every run of digits the text holds once letters are the only separators
 * that count: "060–643–5546", "０６０ ６４３ ５５４６" and "0.6.0.6.4.3" all
 * become one run. Digits split by words stay apart.
 */
export function digitRuns(text: string): string[] {
  const folded = foldDigits(text.normalize('NFKC')).replace(ZERO_WIDTH, '');
  return [...folded.replace(/[^\p{L}\p{N}]+/gu, '').matchAll(/\d+/g)].map((m) => m[0]);
}

/** Every nine-digit window of each run: what a phone's last nine digits are compared with. */
export function phoneWindows(text: string): string[] {
  const out = new Set<string>();
  for (const run of digitRuns(text)) {
    if (run.length < 8) continue;
    if (run.length <= 9) out.add(run);
    for (let i = 0; i + 9 <= run.length && out.size < 5_000; i++) out.add(run.slice(i, i + 9));
  }
  return [...out];
}

/**
 * Emails, also spelled out ("name dot x at example dot net", "name [at]
 * example (dot) net"): "dot" and "at" between word characters become "." and
 * "@" before the usual pattern runs. Only ever compared with real addresses.
 */
export function emailCandidates(text: string): string[] {
  const base = foldDigits(text.normalize('NFKC')).replace(ZERO_WIDTH, '').toLowerCase();
  const spelled = base
    .replace(/\s*[([{]?\s*\b(?:dot|ดอท|نقطة)\b\s*[)\]}]?\s*/g, '.')
    .replace(/\s*[([{]?\s*\b(?:at|แอท)\b\s*[)\]}]?\s*/g, '@')
    .replace(/\s*[([{]\s*@\s*[)\]}]\s*/g, '@')
    .replace(/\s*@\s*/g, '@')
    .replace(/\s*\.\s*/g, '.');
  const found = new Set<string>();
  for (const src of [base, spelled]) for (const m of src.matchAll(/[\p{L}\p{N}._%+-]+@[\p{L}\p{N}.-]+\.[\p{L}]{2,}/gu)) found.add(m[0].replace(/^[._-]+|[._-]+$/g, ''));
  return [...found];
}

/** Words, plus the substrings of Thai runs (Thai writes a name inside a phrase without spaces). Bounded. */
export function nameCandidates(text: string): string[] {
  const out = new Set<string>();
  for (const w of checkWords(text)) {
    out.add(w);
    if (/[\u0E00-\u0E7F]/.test(w) && w.length > 2) {
      for (let i = 0; i < w.length && out.size < 4_000; i++) for (let n = 2; n <= 16 && i + n <= w.length; n++) out.add(w.slice(i, i + n));
    }
  }
  return [...out];
}
