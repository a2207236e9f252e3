import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/**
 * Flags messages that try to change the assistant's instructions or reach
 * other people's data. Phrase lists are data (injection-phrases.json) so they
 * can grow without code changes. This is the polite first line only: a
 * message that slips past it still meets a customer-only toolset, sanitised
 * tool output and the reply check.
 */
const Phrases = z.object({
  instructions: z.record(z.string(), z.array(z.string())),
  other_people: z.record(z.string(), z.array(z.string())),
});

export type InjectionKind = 'instructions' | 'other_people';
export interface InjectionVerdict {
  kind: InjectionKind;
  pattern: string;
}

let compiled: { kind: InjectionKind; re: RegExp; source: string }[] | undefined;

function patterns() {
  if (compiled) return compiled;
  const file = fileURLToPath(new URL('./injection-phrases.json', import.meta.url));
  const data = Phrases.parse(JSON.parse(fs.readFileSync(file, 'utf8')));
  compiled = [];
  for (const kind of ['instructions', 'other_people'] as const) {
    // Patterns are normalised like the text (NFKC splits Thai sara am, for one), or they would never match.
    for (const list of Object.values(data[kind])) for (const source of list) compiled.push({ kind, re: new RegExp(source.normalize('NFKC'), 'iu'), source });
  }
  return compiled;
}

/** Zero-width and bidi control characters hide words from naive matching ("ig\u200bnore"). */
const INVISIBLE = /[\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]/g;

export function normaliseForDetection(text: string): string {
  return text.normalize('NFKC').replace(INVISIBLE, '').replace(/\s+/g, ' ').trim();
}

/** The first injection pattern `text` matches, or undefined. */
export function detectInjection(text: string): InjectionVerdict | undefined {
  const clean = normaliseForDetection(text);
  for (const p of patterns()) if (p.re.test(clean)) return { kind: p.kind, pattern: p.source };
  // Heuristic: role-play markup ("[system]", "<|im_start|>", "### instruction") is never how customers write.
  if (/(<\|?(im_start|system|assistant)\|?>|\[\s*(system|admin|developer)\s*\]|^#{2,}\s*(system|instruction))/imu.test(clean)) {
    return { kind: 'instructions', pattern: 'role-markup' };
  }
  return undefined;
}
