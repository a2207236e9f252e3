import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { MetricQuerySchema, type Filter, type MetricQuery } from './query.ts';
import { monthSpec, type TimeContext } from './time.ts';

/**
 * The rules-mode reader of business questions. Vocabularies are data
 * (vocab/<locale>.json) and are merged, because a Thai manager may type
 * "LINE" or "win rate" in a Thai sentence. It never guesses: a question whose
 * metric words point at several metrics comes back as options to choose from.
 */

const VocabSchema = z.object({
  metrics: z.record(z.string(), z.array(z.string().min(1))),
  ambiguous: z.record(z.string(), z.array(z.string()).min(2)),
  p90: z.array(z.string()),
  dimensions: z.record(z.string(), z.array(z.string().min(1))),
  time: z.record(z.string(), z.array(z.string().min(1))),
  last_n: z.array(z.object({ pattern: z.string(), unit: z.enum(['days', 'weeks', 'months']) })),
  months: z.array(z.array(z.string().min(1)).min(1)).length(12),
  compare: z.array(z.string().min(1)),
  filters: z.record(z.string(), z.record(z.string(), z.array(z.string().min(1)))),
  idle_hours: z.array(z.string()),
  csv: z.array(z.string().min(1)),
});
type Vocab = z.infer<typeof VocabSchema>;

export const VOCAB_LOCALES = ['en', 'th', 'ar'] as const;
const DIR = fileURLToPath(new URL('./vocab/', import.meta.url));

/** Folds what people type inconsistently: digits of any script, Arabic letter variants, case, punctuation. */
export function normaliseQuestion(s: string): string {
  return foldLetters(s)
    .replace(/[?？؟!！,،"“”]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

function foldLetters(s: string): string {
  return s
    .normalize('NFKC')
    .replace(/[\u0660-\u0669]/g, (d) => String(d.charCodeAt(0) - 0x0660))
    .replace(/[\u06f0-\u06f9]/g, (d) => String(d.charCodeAt(0) - 0x06f0))
    .replace(/[\u0e50-\u0e59]/g, (d) => String(d.charCodeAt(0) - 0x0e50))
    .replace(/[\u064b-\u0652\u0640]/g, '')
    .replace(/[إأآ]/g, 'ا')
    .replace(/ى/g, 'ي')
    .replace(/ة/g, 'ه')
    .toLowerCase();
}

interface Phrase {
  re: RegExp;
  value: string;
  length: number;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A phrase as a regex: whole words for Latin and Arabic (Arabic may carry a one-letter proclitic), substring for Thai. */
function phraseRe(p: string, isPattern = false): RegExp {
  const n = isPattern ? foldLetters(p) : normaliseQuestion(p);
  const body = isPattern ? n : escape(n);
  const first = n[0] ?? '';
  const last = n[n.length - 1] ?? '';
  const arabic = /[\u0600-\u06ff]/;
  const pre = /[a-z0-9]/.test(first) ? '(?<![\\p{L}\\p{N}])' : arabic.test(first) ? '(?<![\\p{L}\\p{N}])(?:[وفبل](?=\\p{L}))?' : '';
  const post = /[a-z0-9]/.test(last) || arabic.test(last) ? '(?![\\p{L}\\p{N}])' : '';
  return new RegExp(`${pre}(?:${body})${post}`, 'u');
}

interface Compiled {
  metrics: Phrase[];
  ambiguous: { re: RegExp; length: number; options: string[] }[];
  p90: RegExp[];
  dimensions: Phrase[];
  time: Phrase[];
  lastN: { re: RegExp; unit: 'days' | 'weeks' | 'months' }[];
  months: { re: RegExp; month: number; short: boolean }[];
  compare: RegExp[];
  filters: { re: RegExp; dimension: string; value: string; length: number }[];
  idle: { re: RegExp; days: boolean }[];
  csv: RegExp[];
}

let compiled: Compiled | undefined;

export function loadVocab(): Compiled {
  if (compiled) return compiled;
  const c: Compiled = { metrics: [], ambiguous: [], p90: [], dimensions: [], time: [], lastN: [], months: [], compare: [], filters: [], idle: [], csv: [] };
  for (const locale of VOCAB_LOCALES) {
    const v: Vocab = VocabSchema.parse(JSON.parse(fs.readFileSync(`${DIR}${locale}.json`, 'utf8')));
    const phrases = (rec: Record<string, string[]>, into: Phrase[]) => {
      for (const [value, list] of Object.entries(rec)) for (const p of list) into.push({ re: phraseRe(p), value, length: normaliseQuestion(p).length });
    };
    phrases(v.metrics, c.metrics);
    phrases(v.dimensions, c.dimensions);
    phrases(v.time, c.time);
    for (const [p, options] of Object.entries(v.ambiguous)) c.ambiguous.push({ re: phraseRe(p), length: normaliseQuestion(p).length, options });
    c.p90.push(...v.p90.map((p) => phraseRe(p)));
    c.lastN.push(...v.last_n.map((x) => ({ re: phraseRe(x.pattern, true), unit: x.unit })));
    v.months.forEach((names, i) => {
      for (const name of names) {
        // English short names ("mar", "may") are everyday words too: they need "in"/"of" before or a year after.
        const short = locale === 'en' && (name.length <= 4 || name === 'march');
        c.months.push({ re: phraseRe(name), month: i + 1, short });
      }
    });
    c.compare.push(...v.compare.map((p) => phraseRe(p)));
    for (const [dimension, values] of Object.entries(v.filters)) {
      for (const [value, list] of Object.entries(values)) for (const p of list) c.filters.push({ re: phraseRe(p), dimension, value, length: normaliseQuestion(p).length });
    }
    v.idle_hours.forEach((p) => c.idle.push({ re: phraseRe(p, true), days: /(?:day|วัน|يوم)/.test(p.slice(-30)) }));
    c.csv.push(...v.csv.map((p) => phraseRe(p)));
  }
  // Longest phrases first, so "hot leads" beats "leads" and "weighted pipeline" beats "pipeline".
  for (const list of [c.metrics, c.dimensions, c.time, c.filters] as { length: number }[][]) list.sort((a, b) => b.length - a.length);
  compiled = c;
  return c;
}

export type ParseResult =
  | { kind: 'query'; query: MetricQuery; csv: boolean; defaultedTime: boolean }
  | { kind: 'ambiguous'; options: MetricQuery[]; csv: boolean }
  | { kind: 'none' };

/** Blanks out a match so later vocabularies do not read the same words twice ("by day" is not "today"). */
function cut(text: string, m: RegExpExecArray): string {
  return text.slice(0, m.index) + ' '.repeat(m[0].length) + text.slice(m.index + m[0].length);
}

/** What a question says, piece by piece; `rest` is the text no vocabulary claimed (where names of people are). */
export interface QuestionParts {
  dimensions: string[];
  filters: Filter[];
  time: string | undefined;
  compare: boolean;
  /** Metric keys the words point at: none, one, or several (ambiguous). */
  options: string[];
  csv: boolean;
  rest: string;
}

export function parseQuestion(question: string, ctx: TimeContext): ParseResult {
  const p = readQuestion(question, ctx);
  if (p.options.length === 0) return { kind: 'none' };
  const build = (metric: string) =>
    MetricQuerySchema.parse({ metric, dimensions: p.dimensions, filters: p.filters, ...(p.time ? { time: p.time } : {}), compare: p.compare ? 'previous_period' : 'none', limit: 20 });
  if (p.options.length > 1) return { kind: 'ambiguous', options: p.options.map(build), csv: p.csv };
  return { kind: 'query', query: build(p.options[0]!), csv: p.csv, defaultedTime: p.time === undefined };
}

export function readQuestion(question: string, ctx: TimeContext): QuestionParts {
  const v = loadVocab();
  let text = ` ${normaliseQuestion(question)} `;
  const csv = v.csv.some((re) => re.test(text));

  const dimensions: string[] = [];
  for (const p of v.dimensions) {
    const m = p.re.exec(text);
    if (m) {
      text = cut(text, m);
      if (!dimensions.includes(p.value) && dimensions.length < 2) dimensions.push(p.value);
    }
  }

  const filters: Filter[] = [];
  for (const x of v.idle) {
    const m = x.re.exec(text);
    if (m) {
      const n = Number(m[1]);
      filters.push({ dimension: 'idle_hours', op: 'gt', values: [String(x.days ? n * 24 : n)] });
      text = cut(text, m);
      break;
    }
  }

  // The earliest time expression is the period asked about; a later one ("vs last month") is the comparison.
  let time: string | undefined;
  let at = Infinity;
  const consider = (index: number, spec: string, m: RegExpExecArray) => {
    if (index < at) {
      at = index;
      time = spec;
      hit = m;
    }
  };
  let hit: RegExpExecArray | undefined;
  for (const p of v.time) {
    const m = p.re.exec(text);
    if (m) consider(m.index, p.value, m);
  }
  for (const x of v.lastN) {
    const m = x.re.exec(text);
    if (m) consider(m.index, `last_${Number(m[1])}_${x.unit}`, m);
  }
  for (const x of v.months) {
    const m = x.re.exec(text);
    if (!m) continue;
    const after = text.slice(m.index + m[0].length);
    const yearM = /^ ?(?:ค\.ศ\.|พ\.ศ\.)? ?(\d{4})(?![\d])/u.exec(after);
    const before = text.slice(0, m.index);
    if (x.short && !yearM && !/(?:in|of|for|during|since) $/.test(before)) continue;
    let year = yearM ? Number(yearM[1]) : undefined;
    if (year !== undefined && year > 2400) year -= 543; // Thai Buddhist-era years.
    consider(m.index, monthSpec(x.month, year, ctx), m);
  }
  const yearOnly = /(?:(?<![\p{L}])(?:in|during|for|of)|ปี|ปี พ\.ศ\.|عام|سنه|سنة) ?(\d{4})(?!\d|-)/u.exec(text);
  if (yearOnly && time === undefined) {
    let y = Number(yearOnly[1]);
    if (y > 2400) y -= 543;
    consider(yearOnly.index, String(y), yearOnly);
  }
  if (hit) text = cut(text, hit);

  const compare = v.compare.some((re) => re.test(text));

  // Metric: the longest matching phrase decides; equally long phrases of different metrics are a real ambiguity.
  // Read before filter values, so "ไลน์" (LINE) inside "ไปป์ไลน์" (pipeline) is not taken for a channel.
  let best: { length: number; metrics: Set<string> } | undefined;
  let bestMatch: RegExpExecArray | undefined;
  for (const p of v.metrics) {
    if (best && p.length < best.length) break;
    const m = p.re.exec(text);
    if (m) {
      best ??= { length: p.length, metrics: new Set() };
      best.metrics.add(p.value);
      bestMatch ??= m;
    }
  }
  const amb = v.ambiguous.find((a) => a.re.test(text) && (!best || a.length > best.length));
  if (bestMatch) text = cut(text, bestMatch);

  for (const f of v.filters) {
    const m = f.re.exec(text);
    if (m && !filters.some((x) => x.dimension === f.dimension)) {
      filters.push({ dimension: f.dimension, op: 'eq', values: [f.value] });
      text = cut(text, m);
    }
  }

  let options: string[] = best ? [...best.metrics] : [];
  if (amb) options = amb.options;
  if (options.length === 1 && options[0] === 'first_response_median' && v.p90.some((re) => re.test(text))) options = ['first_response_p90'];
  for (const re of [...v.compare, ...v.csv]) text = text.replace(new RegExp(re.source, 'gu'), (m) => ' '.repeat(m.length));
  return { dimensions, filters, time, compare, options, csv, rest: text };
}
