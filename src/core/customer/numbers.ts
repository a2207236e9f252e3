/**
 * Numbers as customers type them: Thai (๑๕๐๐๐) and Arabic-Indic (٣٠٠٠٠٠٠)
 * digits, thousands separators, and multiplier words ("15k", "1.5 ล้าน",
 * "3 مليون", "3 million", "สองหมื่น"). No library covers Thai and Arabic
 * amount words, so the vocabulary is here as data.
 */

const DIGIT_BLOCKS = [0x0e50 /* Thai */, 0x0660 /* Arabic-Indic */, 0x06f0 /* Extended Arabic-Indic (Persian, Urdu) */];

/** Western digits for Thai and Arabic ones; the Arabic decimal and thousands marks become "." and ",". */
export function normaliseDigits(text: string): string {
  let out = '';
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    const block = DIGIT_BLOCKS.find((b) => c >= b && c <= b + 9);
    if (block !== undefined) out += String(c - block);
    else if (ch === '\u066b') out += '.';
    else if (ch === '\u066c') out += ',';
    else out += ch;
  }
  return out;
}

/** Multiplier words after a number. Longest first so "mn" does not eat "million". */
const MULTIPLIERS: [string, number][] = [
  ['billion', 1e9], ['مليار', 1e9], ['مليارات', 1e9],
  ['million', 1e6], ['millions', 1e6], ['mil', 1e6], ['mn', 1e6], ['m', 1e6], ['ล้าน', 1e6], ['مليون', 1e6], ['ملايين', 1e6], ['ملیون', 1e6],
  ['แสน', 1e5],
  ['หมื่น', 1e4],
  ['thousand', 1e3], ['k', 1e3], ['พัน', 1e3], ['ألف', 1e3], ['الف', 1e3], ['آلاف', 1e3], ['الاف', 1e3], ['ألاف', 1e3],
];
MULTIPLIERS.sort((a, b) => b[0].length - a[0].length);

/** Small number words, for "four bedrooms", "สี่ห้องนอน", "أربع غرف", "สองหมื่น". */
export const NUMBER_WORDS: Record<string, number> = {
  one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10, half: 0.5,
  หนึ่ง: 1, สอง: 2, สาม: 3, สี่: 4, ห้า: 5, หก: 6, เจ็ด: 7, แปด: 8, เก้า: 9, สิบ: 10, ครึ่ง: 0.5,
  واحد: 1, واحدة: 1, اثنين: 2, اثنان: 2, ثنتين: 2, ثلاث: 3, ثلاثة: 3, أربع: 4, اربع: 4, أربعة: 4, اربعة: 4, خمس: 5, خمسة: 5,
  ست: 6, ستة: 6, سبع: 7, سبعة: 7, ثمان: 8, ثمانية: 8, تسع: 9, تسعة: 9, عشر: 10, عشرة: 10, نص: 0.5, نصف: 0.5,
};

/** Arabic dual forms that carry their own count: "مليونين" is two million. */
const DUALS: Record<string, number> = { مليونين: 2e6, مليونان: 2e6, ألفين: 2e3, الفين: 2e3 };

export interface FoundNumber {
  value: number;
  /** True when a multiplier word or suffix was used ("15k", "3 مليون"): a strong sign of an amount of money. */
  scaled: boolean;
  index: number;
  end: number;
}

const byLength = (words: string[]) => words.sort((a, b) => b.length - a.length).join('|');
const THAI_WORDS = byLength(Object.keys(NUMBER_WORDS).filter((w) => /[\u0e00-\u0e7f]/.test(w)));
const OTHER_WORDS = byLength(Object.keys(NUMBER_WORDS).filter((w) => !/[\u0e00-\u0e7f]/.test(w)));
const MULT_ALT = MULTIPLIERS.map(([w]) => w).join('|');
const DUAL_ALT = byLength(Object.keys(DUALS));
// A number (digits with separators, or a number word), optionally followed by a multiplier.
// English and Arabic words need word boundaries ("ست" is not the start of "ستوديو"); Thai is written
// without spaces, so Thai words need none. Latin multipliers must end a word ("15k" yes, "15kg" no).
const NUMBER_RE = new RegExp(
  `(?<![\\p{L}])(${DUAL_ALT})(?![\\p{L}])|(?:(\\d{1,3}(?:,\\d{3})+(?:\\.\\d+)?|\\d+(?:\\.\\d+)?)|(${THAI_WORDS})|(?<![\\p{L}])(${OTHER_WORDS})(?=\\s?(?:${MULT_ALT})|[^\\p{L}]|$))(?:\\s?(${MULT_ALT})(?![a-z\\u0600-\\u06ff]))?`,
  'giu',
);

/** Every number in the text, in order, with multipliers applied. */
export function findNumbers(text: string): FoundNumber[] {
  const s = normaliseDigits(text).toLowerCase();
  const out: FoundNumber[] = [];
  for (const m of s.matchAll(NUMBER_RE)) {
    const [whole, dual, digits, thaiWord, otherWord, mult] = m;
    const word = thaiWord ?? otherWord;
    let value: number;
    let scaled = false;
    if (dual) {
      value = DUALS[dual]!;
      scaled = true;
    } else {
      value = digits ? Number(digits.replace(/,/g, '')) : NUMBER_WORDS[word!]!;
      if (mult) {
        value *= MULTIPLIERS.find(([w]) => w === mult)![1];
        scaled = true;
      }
    }
    if (!Number.isFinite(value)) continue;
    out.push({ value, scaled, index: m.index, end: m.index + whole.length });
  }
  return out;
}

/**
 * A whole cell or argument as one amount: "15,000", "15k", "1.5 ล้าน",
 * "٣ مليون", "3 million SAR". Undefined when it is not exactly one number
 * (possibly with a currency word around it).
 */
export function parseAmount(text: string): number | undefined {
  const cleaned = normaliseDigits(text)
    .toLowerCase()
    .replace(/(?:฿|\$|﷼|thb|sar|baht|บาท|riyals?|ريال|ر\.س|sr|around|about|approx\.?|under|max|up to|ประมาณ|ไม่เกิน|بحدود|حوالي|حدود|تقريبا|تقريباً)/g, ' ')
    .trim();
  if (!cleaned) return undefined;
  const found = findNumbers(cleaned);
  if (found.length !== 1) return undefined;
  const rest = (cleaned.slice(0, found[0]!.index) + cleaned.slice(found[0]!.end)).replace(/[\s.,+]/g, '');
  return rest ? undefined : found[0]!.value;
}
