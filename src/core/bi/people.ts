import type { Sql } from '../../db/database.ts';
import { normaliseQuestion } from './parse.ts';

/**
 * Finds the staff member a question names ("revenue for Ploy", "ยอดขายของ
 * พลอย", "إيرادات عمر"). Staff names are stored in Latin letters, so a name
 * written in Thai or Arabic is compared by its consonant skeleton: the
 * letters both spellings keep (عمر and Omar are both "mr"). Only an
 * unambiguous match counts; two people with the same skeleton match nobody.
 */

export interface StaffName {
  id: string;
  name: string;
  email: string;
}

export async function loadStaffNames(sql: Sql): Promise<StaffName[]> {
  const { rows } = await sql.query<StaffName>(`SELECT id, name, email FROM staff_users WHERE active ORDER BY name`);
  return rows;
}

const THAI: Record<string, string> = {};
const ARABIC: Record<string, string> = {};
const fill = (into: Record<string, string>, spec: Record<string, string>) => {
  for (const [letters, sound] of Object.entries(spec)) for (const ch of letters) into[ch] = sound;
};
// Romanised Thai writes these consonants as these letters (RTGS, as people spell names); vowel carriers drop.
fill(THAI, { กขฃคฅฆ: 'k', ง: 'ng', จฉชฌ: 'c', ซศษส: 's', ฎด: 'd', ฏตฐฑฒถทธ: 't', ณน: 'n', บ: 'b', ปผพภ: 'p', ฝฟ: 'f', ม: 'm', รฤ: 'r', ลฦฬ: 'l', หฮ: 'h', ยญวอ: '' });
// Long vowels, hamza, ta marbuta and ʿayn have no consonant in everyday Latin spellings (Omar, Abdullah).
fill(ARABIC, { اأإآىءئؤويةع: '', ب: 'b', تثطة: 't', ج: 'j', حه: 'h', خقك: 'k', دذض: 'd', ر: 'r', زظ: 'z', سشص: 's', غ: 'g', ف: 'f', ل: 'l', م: 'm', ن: 'n' });

const collapse = (s: string) => s.replace(/(.)\1+/g, '$1');

export function latinSkeleton(name: string): string {
  const s = name
    .toLowerCase()
    .replace(/[^a-z]/g, '')
    .replace(/kh|ch|sh|th|ph|dh|gh/g, (d) => ({ kh: 'k', ch: 'c', sh: 's', th: 't', ph: 'p', dh: 'd', gh: 'g' })[d]!)
    .replace(/q|c(?!$)/g, 'k')
    .replace(/[aeiouyw]/g, '');
  return collapse(s);
}

export function nativeSkeleton(word: string): string {
  let out = '';
  for (const ch of word) {
    const t = THAI[ch] ?? ARABIC[ch];
    if (t !== undefined) out += t;
  }
  return collapse(out);
}

// Words that come before a name ("of", "for", honorifics), and a one-letter Arabic proclitic (لعمر = for Omar).
const THAI_PREFIX = /^(?:ของ)?(?:คุณ|น้อง|พี่|เซลส์)?/u;
const THAI_SUFFIX = /(?:หน่อย)?(?:ค่ะ|ครับ|คะ|นะ)?$/u;

function nativeCandidates(token: string): string[] {
  if (/[\u0e00-\u0e7f]/.test(token)) return [token.replace(THAI_PREFIX, '').replace(THAI_SUFFIX, '')].filter(Boolean);
  const out = [token];
  if (/^[لوبف]\p{L}{2,}/u.test(token)) out.push(token.slice(1));
  if (/^ل?ل\p{L}{2,}/u.test(token) && token.startsWith('لل')) out.push(token.slice(2));
  return out;
}

/**
 * The one staff member the leftover words of a question name, if any.
 * `rest` is the question with the vocabulary already blanked out, so metric
 * and time words cannot be mistaken for names.
 */
export function findStaffInText(rest: string, staff: StaffName[]): StaffName | undefined {
  const text = ` ${normaliseQuestion(rest)} `;
  const hits = new Set<StaffName>();
  for (const s of staff) {
    const first = s.name.split(/\s+/)[0] ?? s.name;
    const local = s.email.split('@')[0] ?? '';
    for (const n of [s.name, first, local, s.email]) {
      const needle = n.toLowerCase().trim();
      if (needle.length < 2) continue;
      const re = new RegExp(`(?<![\\p{L}\\p{N}@.])${needle.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\p{L}\\p{N}@])`, 'u');
      if (re.test(text)) hits.add(s);
    }
  }
  if (hits.size === 0) {
    const tokens = text.split(/\s+/).filter((w) => /[\u0e00-\u0e7f\u0600-\u06ff]/.test(w));
    for (const token of tokens) {
      for (const cand of nativeCandidates(token)) {
        // A final ه may be a folded ta marbuta (نورة → نوره), silent in Latin spellings, or a real h (عبدالله).
        const forms = /ه$/.test(cand) ? [cand, cand.slice(0, -1)] : [cand];
        for (const sk of forms.map(nativeSkeleton)) {
          if (sk.length < 2) continue;
          for (const s of staff) if (latinSkeleton(s.name.split(/\s+/)[0] ?? '') === sk) hits.add(s);
        }
      }
    }
  }
  return hits.size === 1 ? [...hits][0] : undefined;
}

/** The filter value that names this person in answers: the name, or the email when the name is shared. */
export function staffFilterValue(s: StaffName, staff: StaffName[]): string {
  return staff.filter((x) => x.name.toLowerCase() === s.name.toLowerCase()).length > 1 ? s.email : s.name;
}
