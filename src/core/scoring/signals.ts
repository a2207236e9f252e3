import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { ConfigError } from '../../errors.ts';
import { SIGNAL_KEYS, type SignalKey } from './config.ts';

/**
 * Intent signals (asked about price, asked to book…) are phrase lists per
 * locale in signals/<locale>.json, so a translator extends them without code.
 * Every locale's phrases are used for every lead: people mix languages.
 */
const DIR = fileURLToPath(new URL('./signals/', import.meta.url));
const FileSchema = z.strictObject(Object.fromEntries(SIGNAL_KEYS.map((k) => [k, z.array(z.string().trim().min(1))])) as Record<SignalKey, z.ZodArray<z.ZodString>>);

let phrases: Record<SignalKey, string[]> | undefined;

export function signalPhrases(): Record<SignalKey, string[]> {
  if (phrases) return phrases;
  const out = Object.fromEntries(SIGNAL_KEYS.map((k) => [k, [] as string[]])) as Record<SignalKey, string[]>;
  for (const file of fs.readdirSync(DIR).filter((f) => f.endsWith('.json')).sort()) {
    const parsed = FileSchema.safeParse(JSON.parse(fs.readFileSync(DIR + file, 'utf8')));
    if (!parsed.success) throw new ConfigError(`src/core/scoring/signals/${file} is malformed: ${parsed.error.issues[0]?.message}`);
    for (const k of SIGNAL_KEYS) out[k].push(...parsed.data[k].map((p) => p.toLowerCase()));
  }
  phrases = out;
  return out;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// Thai SARA AM is stored either as one character or, after NFKC, as NIKHAHIT + SARA AA: match both.
const saraAm = (s: string) => s.replace(/\u0E33|\u0E4D\u0E32/g, '(?:\u0E33|\u0E4D\u0E32)');

/**
 * One alternation per signal. Latin-script phrases get word boundaries ("book"
 * must not match "Facebook"); Thai and Arabic are written without reliable
 * word breaks, so their phrases match anywhere. `flavour` picks the boundary
 * syntax: PostgreSQL's \y or JavaScript's \b.
 */
export function signalPattern(key: SignalKey, flavour: 'postgres' | 'js'): string {
  const b = flavour === 'postgres' ? '\\y' : '\\b';
  return signalPhrases()[key]
    .map((p) => (/^[\x20-\x7e]+$/.test(p) ? `${b}${escape(p).replace(/ /g, '\\s+')}${b}` : saraAm(escape(p))))
    .join('|');
}

let jsPatterns: Map<SignalKey, RegExp> | undefined;

/** The signals a message shows, for code that has the text in hand (and for tests of the lists). */
export function detectSignals(text: string): SignalKey[] {
  jsPatterns ??= new Map(SIGNAL_KEYS.map((k) => [k, new RegExp(signalPattern(k, 'js'), 'iu')]));
  return SIGNAL_KEYS.filter((k) => jsPatterns!.get(k)!.test(text));
}
