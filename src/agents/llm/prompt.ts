import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DateTime } from 'luxon';
import { z } from 'zod';
import type { Role } from '../../core/actors.ts';
import type { Tenant } from '../../core/tenants.ts';
import { normaliseLocale } from '../i18n.ts';

const DIR = fileURLToPath(new URL('../../../prompts/system/', import.meta.url));
const cache = new Map<string, string>();

function template(role: Role, locale: string): string {
  // Admins work like managers in chat; their extra powers are tools, not prose.
  const file = `${role === 'admin' ? 'manager' : role}.${normaliseLocale(locale)}.md`;
  let text = cache.get(file);
  if (text === undefined) {
    text = fs.readFileSync(DIR + file, 'utf8');
    cache.set(file, text);
  }
  return text;
}

export interface PromptVars {
  tenant: Tenant;
  role: Role;
  locale: string;
  name: string;
  now: Date;
  focusLead: { id: string; name: string } | null;
  summary: string | null;
}

const VERTICAL: Record<Tenant['vertical'], string> = { clinic: 'aesthetic clinic', realty: 'real-estate agency', generic: 'sales team' };

/** The role's system prompt in the conversation's language, filled in with the tenant's facts and today's date in its timezone. */
export function systemPrompt(v: PromptVars): string {
  const today = DateTime.fromJSDate(v.now, { zone: v.tenant.timezone }).setLocale(v.locale === 'th' ? 'th-TH-u-ca-gregory' : v.locale).toFormat('cccc d LLLL yyyy');
  const focus = v.focusLead ? `Lead in focus: ${v.focusLead.name} (lead_id ${v.focusLead.id}).` : '';
  const values: Record<string, string> = {
    tenant: v.tenant.name,
    vertical: VERTICAL[v.tenant.vertical],
    currency: v.tenant.currency,
    timezone: v.tenant.timezone,
    today: `${today} (${DateTime.fromJSDate(v.now, { zone: v.tenant.timezone }).toISODate()})`,
    name: v.name,
    focus,
  };
  let text = template(v.role, v.locale).replace(/\{\{(\w+)\}\}/g, (_, k: string) => values[k] ?? '');
  if (v.summary) text += `\n\nEarlier in this conversation (summary):\n${v.summary}`;
  return text;
}

const Notes = z.record(z.string(), z.object({ fallback: z.string(), step_limit: z.string(), empty: z.string(), refusal: z.string(), blocked: z.string(), budget: z.string(), conversation_cap: z.string() }));
export type NoteKey = 'fallback' | 'step_limit' | 'empty' | 'refusal' | 'blocked' | 'budget' | 'conversation_cap';
let notes: z.infer<typeof Notes> | undefined;

/** Short fixed sentences the agent layer adds itself (fallback notice, refusals), per locale. */
export function note(locale: string, key: NoteKey): string {
  notes ??= Notes.parse(JSON.parse(fs.readFileSync(fileURLToPath(new URL('./notes.json', import.meta.url)), 'utf8')));
  return (notes[normaliseLocale(locale)] ?? notes.en!)[key];
}
