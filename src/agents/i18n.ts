import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import i18next, { type i18n, type TFunction } from 'i18next';

/**
 * Reply templates live in prompts/replies/<locale>/<area>.json (data, not
 * code): the file name is the first part of the key (`lookup.not_found` is
 * `not_found` in lookup.json). i18next does the lookup, interpolation and the
 * English fallback.
 */
const DIR = fileURLToPath(new URL('../../prompts/replies/', import.meta.url));
export const SUPPORTED_LOCALES = ['en', 'th', 'ar'] as const;

let instance: i18n | undefined;

function load(): i18n {
  if (instance) return instance;
  const resources: Record<string, { translation: Record<string, unknown> }> = {};
  for (const locale of fs.readdirSync(DIR).filter((d) => fs.statSync(DIR + d).isDirectory())) {
    const translation: Record<string, unknown> = {};
    for (const file of fs.readdirSync(`${DIR}${locale}`).filter((f) => f.endsWith('.json')).sort()) {
      translation[file.replace(/\.json$/, '')] = JSON.parse(fs.readFileSync(`${DIR}${locale}/${file}`, 'utf8')) as unknown;
    }
    resources[locale] = { translation };
  }
  const inst = i18next.createInstance();
  void inst.init({
    resources,
    lng: 'en',
    fallbackLng: 'en',
    initAsync: false,
    interpolation: { escapeValue: false },
    returnNull: false,
    showSupportNotice: false,
  });
  instance = inst;
  return inst;
}

export type Translate = TFunction;

/** A translator bound to `locale` (falling back to English for missing keys). */
export function translator(locale: string): Translate {
  return load().getFixedT(normaliseLocale(locale));
}

export function normaliseLocale(locale: string | undefined | null): string {
  const base = (locale ?? 'en').toLowerCase().split(/[-_]/)[0] ?? 'en';
  return (SUPPORTED_LOCALES as readonly string[]).includes(base) ? base : 'en';
}

/**
 * The language a message is written in, from its script: Thai and Arabic
 * script are unambiguous; Latin script means English here. Returns undefined
 * for text with no letters (emoji, numbers), so the caller keeps its default.
 */
export function detectLocale(text: string): string | undefined {
  let thai = 0;
  let arabic = 0;
  let latin = 0;
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if (c >= 0x0e00 && c <= 0x0e7f) thai++;
    else if ((c >= 0x0600 && c <= 0x06ff) || (c >= 0x0750 && c <= 0x077f) || (c >= 0xfb50 && c <= 0xfdff) || (c >= 0xfe70 && c <= 0xfeff)) arabic++;
    else if (/[A-Za-z]/.test(ch)) latin++;
  }
  const max = Math.max(thai, arabic, latin);
  if (max === 0) return undefined;
  if (max === thai) return 'th';
  if (max === arabic) return 'ar';
  return 'en';
}
