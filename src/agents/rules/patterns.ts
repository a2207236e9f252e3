import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { ConfigError } from '../../errors.ts';

/**
 * Intent phrase lists are data: prompts/intents/<locale>/<area>.json, so a
 * translator can extend them without touching code. Each pattern is a
 * regular expression; named groups become the intent's arguments. Files are
 * read in name order and the first match wins, so more specific areas use a
 * lower number prefix than catch-alls.
 */
const DIR = fileURLToPath(new URL('../../../prompts/intents/', import.meta.url));
const FileSchema = z.record(z.string().regex(/^[a-z_]+$/), z.array(z.string().min(1)));

export interface IntentPattern {
  intent: string;
  locale: string;
  regex: RegExp;
}

let cache: IntentPattern[] | undefined;

export function loadIntentPatterns(): IntentPattern[] {
  if (cache) return cache;
  const out: IntentPattern[] = [];
  const files: { locale: string; name: string; file: string }[] = [];
  for (const locale of fs.readdirSync(DIR).filter((d) => fs.statSync(DIR + d).isDirectory())) {
    for (const name of fs.readdirSync(DIR + locale).filter((f) => f.endsWith('.json'))) files.push({ locale, name, file: `${locale}/${name}` });
  }
  // Name order across locales: every locale's specific areas before any locale's catch-alls.
  files.sort((a, b) => a.name.localeCompare(b.name) || a.locale.localeCompare(b.locale));
  for (const { locale, file } of files) {
    const parsed = FileSchema.safeParse(JSON.parse(fs.readFileSync(DIR + file, 'utf8')));
    if (!parsed.success) throw new ConfigError(`prompts/intents/${file} is malformed: ${parsed.error.issues[0]?.message}`);
    for (const [intent, patterns] of Object.entries(parsed.data)) {
      for (const p of patterns) {
        try {
          // Inputs are NFKC-normalised before matching, so patterns must be too (Thai ำ differs between the forms).
          out.push({ intent, locale, regex: new RegExp(p.normalize('NFKC'), 'iu') });
        } catch (err) {
          throw new ConfigError(`prompts/intents/${file}: bad pattern for ${intent}: ${(err as Error).message}`);
        }
      }
    }
  }
  cache = out;
  return out;
}

export interface IntentMatch {
  intent: string;
  locale: string;
  args: Record<string, string>;
}

/** The first matching intent in any locale (a Thai rep may type English), or undefined. */
export function matchIntent(text: string): IntentMatch | undefined {
  const clean = text.normalize('NFKC').replace(/\s+/g, ' ').trim();
  if (!clean) return undefined;
  for (const p of loadIntentPatterns()) {
    const m = p.regex.exec(clean);
    if (m) {
      const args: Record<string, string> = {};
      for (const [k, v] of Object.entries(m.groups ?? {})) if (v !== undefined) args[k] = v.trim();
      return { intent: p.intent, locale: p.locale, args };
    }
  }
  return undefined;
}
