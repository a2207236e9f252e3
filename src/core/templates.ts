/**
 * Message templates with `{{variable}}` slots. A slot with no value makes the
 * whole render fail (with the names), because a half-filled text ("Hi ,")
 * reaching a customer is worse than not sending at all.
 */
export type TemplateVars = Record<string, string | number | null | undefined>;

export type RenderResult = { ok: true; text: string } | { ok: false; missing: string[] };

const SLOT = /\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}/gi;

export function templateVariables(template: string): string[] {
  return [...new Set([...template.matchAll(SLOT)].map((m) => m[1]!))];
}

export function renderTemplate(template: string, vars: TemplateVars): RenderResult {
  const missing = templateVariables(template).filter((name) => {
    const v = vars[name];
    return v === undefined || v === null || String(v).trim() === '';
  });
  if (missing.length) return { ok: false, missing };
  return { ok: true, text: template.replace(SLOT, (_, name: string) => String(vars[name]).trim()) };
}

/** The template for a locale: the exact locale, then the fallbacks in order. */
export function pickTemplate(templates: Record<string, string>, locales: readonly (string | null | undefined)[]): { locale: string; template: string } | undefined {
  for (const l of locales) {
    if (l && templates[l]) return { locale: l, template: templates[l] };
  }
  const first = Object.entries(templates)[0];
  return first ? { locale: first[0], template: first[1] } : undefined;
}
