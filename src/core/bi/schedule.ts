import { normaliseQuestion } from './parse.ts';

/**
 * Reads "every Monday 9am", "ทุกวันจันทร์ 9 โมง", "كل يوم اثنين الساعة 9 صباحا"
 * into a cron pattern (minute hour day-of-month month day-of-week). Returns
 * undefined rather than guessing when it cannot tell when.
 */
export interface Schedule {
  cron: string;
  kind: 'daily' | 'weekdays' | 'weekly' | 'monthly';
  hour: number;
  minute: number;
  /** 0 = Sunday … 6 = Saturday, for weekly. */
  dayOfWeek?: number;
  dayOfMonth?: number;
}

const DAYS: [number, RegExp][] = [
  [1, /(?<![a-z])mon(?:day)?s?(?![a-z])|จันทร์|(?:ال)?اثنين/],
  [2, /(?<![a-z])tue(?:s|sday)?s?(?![a-z])|อังคาร|(?:ال)?ثلاثاء/],
  [3, /(?<![a-z])wed(?:nesday)?s?(?![a-z])|พุธ|(?:ال)?اربعاء/],
  [4, /(?<![a-z])thu(?:rs|rsday)?s?(?![a-z])|พฤหัส(?:บดี)?|(?:ال)?خميس/],
  [5, /(?<![a-z])fri(?:day)?s?(?![a-z])|ศุกร์|(?:ال)?جمعه/],
  [6, /(?<![a-z])sat(?:urday)?s?(?![a-z])|เสาร์|(?:ال)?سبت/],
  [0, /(?<![a-z])sun(?:day)?s?(?![a-z])|(?:วัน)?อาทิตย์|(?:ال)?احد/],
];

function readTime(s: string): { hour: number; minute: number } | undefined {
  // Thai: "บ่าย 2 โมง" (2 pm), "9 โมงเช้า", "ทุ่ม" (evening hours from 7 pm), "เวลา 9:30".
  let m = /บ่าย\s*(\d{1,2})(?:\s*โมง)?/.exec(s);
  if (m) return { hour: (Number(m[1]) % 12) + 12, minute: 0 };
  m = /(\d{1,2})\s*ทุ่ม/.exec(s);
  if (m) return { hour: Number(m[1]) + 18, minute: 0 };
  m = /(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm|a\.m\.|p\.m\.|โมง(?:เช้า|เย็น)?|นาฬิกา|น\.|صباحا|صباح|مساء|مساءا|ص|م)?(?![\d])/.exec(s.replace(/(?:at|เวลา|الساعه)\s*/g, ' '));
  if (!m) return undefined;
  let hour = Number(m[1]);
  const minute = m[2] ? Number(m[2]) : 0;
  const suffix = m[3] ?? '';
  if (/^(pm|p\.m\.|مساء|مساءا|م|โมงเย็น)$/.test(suffix) && hour < 12) hour += 12;
  if (/^(am|a\.m\.)$/.test(suffix) && hour === 12) hour = 0;
  // A bare "โมง" after 1–6 means afternoon in everyday Thai ("4 โมง" is 4 pm); mornings say "โมงเช้า".
  if (suffix === 'โมง' && hour >= 1 && hour <= 6) hour += 12;
  if (hour > 23 || minute > 59) return undefined;
  return { hour, minute };
}

export function parseSchedule(text: string): Schedule | undefined {
  const s = normaliseQuestion(text);
  const time = readTime(s.replace(/(?:on the |วันที่ |يوم )?\d{1,2}(?:st|nd|rd|th)(?: of)?/g, ' ')) ?? { hour: 9, minute: 0 };
  const { hour, minute } = time;
  const monthly = /(?:every|each) month|monthly|ทุกเดือน|รายเดือน|كل شهر|شهريا/.test(s);
  if (monthly) {
    const dm = /(\d{1,2})(?:st|nd|rd|th)|วันที่\s*(\d{1,2})|يوم\s*(\d{1,2})/.exec(s);
    const dayOfMonth = dm ? Number(dm[1] ?? dm[2] ?? dm[3]) : 1;
    if (dayOfMonth < 1 || dayOfMonth > 28) return undefined;
    return { cron: `${minute} ${hour} ${dayOfMonth} * *`, kind: 'monthly', hour, minute, dayOfMonth };
  }
  if (/weekdays?|working days?|ทุกวันทำงาน|วันทำงาน|ايام العمل|كل يوم عمل/.test(s)) return { cron: `${minute} ${hour} * * 1-5`, kind: 'weekdays', hour, minute };
  for (const [dow, re] of DAYS) {
    if (re.test(s)) return { cron: `${minute} ${hour} * * ${dow}`, kind: 'weekly', hour, minute, dayOfWeek: dow };
  }
  if (/(?:every|each) (?:day|morning|evening)|daily|ทุกวัน|รายวัน|كل يوم|يوميا/.test(s)) return { cron: `${minute} ${hour} * * *`, kind: 'daily', hour, minute };
  if (/(?:every|each) week|weekly|ทุกสัปดาห์|ทุกอาทิตย์|รายสัปดาห์|كل اسبوع|اسبوعيا/.test(s)) return { cron: `${minute} ${hour} * * 1`, kind: 'weekly', hour, minute, dayOfWeek: 1 };
  return undefined;
}
