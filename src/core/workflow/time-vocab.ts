/**
 * Thai and Arabic time words rewritten as the English chrono-node reads
 * ("พรุ่งนี้ บ่าย 4 โมง" → "tomorrow 4pm", "بعد 3 أيام" → "in 3 days"). A
 * small vocabulary as data beats a second parser: chrono then does the
 * calendar arithmetic for every language the same way. Order matters: longer
 * phrases come before the words they contain.
 */

type Rewrite = [RegExp, string | ((...m: string[]) => string)];

const THAI_NUMBERS: Record<string, number> = { หนึ่ง: 1, สอง: 2, สาม: 3, สี่: 4, ห้า: 5, หก: 6, เจ็ด: 7, แปด: 8, เก้า: 9, สิบ: 10 };
const THAI_NUMBER = `(\\d+|${Object.keys(THAI_NUMBERS).join('|')})`;
const thaiNumber = (s: string): number => THAI_NUMBERS[s] ?? Number(s);

const THAI_DAYS: Record<string, string> = {
  จันทร์: 'monday',
  อังคาร: 'tuesday',
  พุธ: 'wednesday',
  พฤหัสบดี: 'thursday',
  พฤหัส: 'thursday',
  ศุกร์: 'friday',
  เสาร์: 'saturday',
  อาทิตย์: 'sunday',
};
const THAI_DAY = `(${Object.keys(THAI_DAYS).join('|')})`;

const ARABIC_DAYS: Record<string, string> = {
  احد: 'sunday',
  اثنين: 'monday',
  ثلاثاء: 'tuesday',
  اربعاء: 'wednesday',
  خميس: 'thursday',
  جمعه: 'friday',
  سبت: 'saturday',
};
const ARABIC_DAY = `(${Object.keys(ARABIC_DAYS).join('|')})`;
// "احد" is also the end of "واحد" (one): a day name must start a word.
const NOT_ARABIC_BEFORE = '(?<![\\u0600-\\u06ff])';

/**
 * A bare clock hour as people say it at work: 7-11 is the morning, 12 is
 * noon, 1-6 is the afternoon ("call at 4" is never 04:00), 13-23 is already
 * a 24-hour time.
 */
export function workHour(h: number): string {
  if (h >= 13 && h <= 23) return `${h}:00`;
  if (h === 12) return '12pm';
  if (h >= 7 && h <= 11) return `${h}am`;
  if (h >= 1 && h <= 6) return `${h}pm`;
  return `${h}:00`;
}

function clock(h: string, min: string | undefined, meridiem: 'am' | 'pm' | undefined): string {
  const hour = Number(h);
  const m = min ?? '00';
  if (meridiem === 'pm') return hour < 12 ? `${hour + 12}:${m}` : `${hour}:${m}`;
  if (meridiem === 'am') return hour === 12 ? `0:${m}` : `${hour}:${m}`;
  return min ? `${hour}:${m}` : workHour(hour);
}

const THAI: Rewrite[] = [
  [/(\d{1,2})[:.](\d{2})\s*(?:น\.?)?/g, (_, h, m) => ` ${h}:${m} `],
  [/(?:ตอน|ช่วง)?บ่าย\s*(\d{1,2})(?:\s*โมง)?/g, (_, h) => ` ${clock(h!, undefined, 'pm')} `],
  [/(\d{1,2})\s*โมง\s*เย็น/g, (_, h) => ` ${clock(h!, undefined, 'pm')} `],
  [/(\d{1,2})\s*โมง\s*เช้า/g, (_, h) => ` ${clock(h!, undefined, 'am')} `],
  [/(\d{1,2})\s*ทุ่ม/g, (_, h) => ` ${Number(h) + 18}:00 `],
  [/(\d{1,2})\s*โมง/g, (_, h) => ` ${workHour(Number(h))} `],
  [/เที่ยง(?:วัน)?/g, ' 12pm '],
  [/(?:ตอน|ช่วง)เย็น/g, ' evening '],
  [/(?:ตอน|ช่วง)เช้า/g, ' morning '],
  [/(?:ตอน|ช่วง)บ่าย/g, ' afternoon '],
  [/(?:วัน)?มะรืน(?:นี้)?/g, ' in 2 days '],
  [/(?:วัน)?พรุ่งนี้/g, ' tomorrow '],
  [/วันนี้/g, ' today '],
  [new RegExp(`อีก\\s*${THAI_NUMBER}\\s*วัน`, 'g'), (_, n) => ` in ${thaiNumber(n!)} days `],
  [new RegExp(`อีก\\s*${THAI_NUMBER}\\s*(?:สัปดาห์|อาทิตย์)`, 'g'), (_, n) => ` in ${thaiNumber(n!)} weeks `],
  [new RegExp(`อีก\\s*${THAI_NUMBER}\\s*ชั่วโมง`, 'g'), (_, n) => ` in ${thaiNumber(n!)} hours `],
  [/วันอาทิตย์\s*หน้า/g, ' next sunday '],
  // Without "วัน", "อาทิตย์หน้า" means next week, not next Sunday.
  [/(?:สัปดาห์|อาทิตย์)\s*หน้า/g, ' next week '],
  [new RegExp(`(?:วัน)?${THAI_DAY}\\s*(?:หน้า|ที่จะถึง)`, 'g'), (_, d) => ` next ${THAI_DAYS[d!]} `],
  [new RegExp(`(?:วัน)?${THAI_DAY}`, 'g'), (_, d) => ` ${THAI_DAYS[d!]} `],
];

const ARABIC: Rewrite[] = [
  [/(?:الساعة|الساعه|ساعة|ساعه)?\s*(\d{1,2})(?::(\d{2}))?\s*(صباحا|ص|فجرا)(?=\s|$)/g, (_, h, m) => ` ${clock(h!, m, 'am')} `],
  [/(?:الساعة|الساعه|ساعة|ساعه)?\s*(\d{1,2})(?::(\d{2}))?\s*(مساء|م|ظهرا|عصرا|ليلا)(?=\s|$)/g, (_, h, m) => ` ${clock(h!, m, 'pm')} `],
  [/(?:الساعة|الساعه)\s*(\d{1,2})(?::(\d{2}))?/g, (_, h, m) => ` ${clock(h!, m, undefined)} `],
  [/(\d{1,2}):(\d{2})/g, (_, h, m) => ` ${h}:${m} `],
  [/بعد\s*(?:ال)?غد/g, ' in 2 days '],
  [/(?:غدا|بكره|بكرا)/g, ' tomorrow '],
  [/اليوم/g, ' today '],
  [/بعد\s*يومين/g, ' in 2 days '],
  [/بعد\s*(\d+)\s*(?:ايام|يوم|يوما)/g, (_, n) => ` in ${n} days `],
  [/بعد\s*ساعتين/g, ' in 2 hours '],
  [/بعد\s*(\d+)\s*(?:ساعات|ساعه)/g, (_, n) => ` in ${n} hours `],
  [/بعد\s*(?:اسبوعين)/g, ' in 2 weeks '],
  [/بعد\s*(\d+)\s*(?:اسابيع|اسبوع)/g, (_, n) => ` in ${n} weeks `],
  [/بعد\s*اسبوع/g, ' in 1 week '],
  [/(?:ال)?اسبوع\s*(?:ال)?(?:قادم|جاي|مقبل)/g, ' next week '],
  // "الأحد القادم" is the coming Sunday: the bare weekday, not chrono's "next sunday" (a week later).
  [new RegExp(`${NOT_ARABIC_BEFORE}(?:يوم\\s*)?(?:ال)?${ARABIC_DAY}\\s+(?:ال)?(?:قادم|جاي|مقبل)`, 'g'), (_, d) => ` ${ARABIC_DAYS[d!]} `],
  [new RegExp(`${NOT_ARABIC_BEFORE}(?:يوم\\s*)?(?:ال)?${ARABIC_DAY}(?![\\u0600-\\u06ff])`, 'g'), (_, d) => ` ${ARABIC_DAYS[d!]} `],
  [/(?:ال)?مساء/g, ' evening '],
  [/(?:ال)?صباح/g, ' morning '],
];

/** Folds the spellings people type: Thai and Arabic-Indic digits, Arabic diacritics, alef/ya/ta-marbuta variants. */
export function foldScript(text: string): string {
  return text
    .normalize('NFKC')
    .replace(/[\u0660-\u0669]/g, (d) => String(d.charCodeAt(0) - 0x0660))
    .replace(/[\u06f0-\u06f9]/g, (d) => String(d.charCodeAt(0) - 0x06f0))
    .replace(/[\u0e50-\u0e59]/g, (d) => String(d.charCodeAt(0) - 0x0e50))
    .replace(/[\u064b-\u065f\u0670\u0640]/g, '')
    .replace(/[أإآ]/g, 'ا')
    .replace(/ى/g, 'ي')
    .replace(/ة/g, 'ه')
    .replace(/\s+/g, ' ')
    .trim()
    .toLowerCase();
}

/**
 * The English chrono-node can read for a Thai, Arabic or English time
 * phrase. Script left over after the rewrites (particles such as "ใน",
 * "في", "ค่ะ") is dropped so chrono sees one expression, not fragments.
 */
export function toEnglishTimePhrase(text: string): string {
  let s = foldScript(text);
  const rules = /[\u0e00-\u0e7f]/.test(s) ? THAI : /[\u0600-\u06ff]/.test(s) ? ARABIC : [];
  for (const [re, to] of rules) s = s.replace(re, to as (substring: string, ...args: string[]) => string);
  if (rules.length) s = s.replace(/[\u0e00-\u0e7f\u0600-\u06ff]+/g, ' ');
  return s
    .replace(/\b(?:tmrw|tmr|tmw)\b/g, 'tomorrow')
    .replace(/\s+/g, ' ')
    .trim();
}
