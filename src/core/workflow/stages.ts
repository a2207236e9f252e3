import type { Sql } from '../../db/database.ts';
import type { Role } from '../actors.ts';
import { foldScript } from './time-vocab.ts';

export interface Stage {
  key: string;
  names: Record<string, string>;
  position: number;
  isWon: boolean;
  isLost: boolean;
  allowedNext: string[];
}

export async function loadStages(sql: Sql): Promise<Stage[]> {
  const { rows } = await sql.query<{ key: string; names: Record<string, string>; position: number; is_won: boolean; is_lost: boolean; allowed_next: string[] }>(
    'SELECT key, names, position, is_won, is_lost, allowed_next FROM pipeline_stages ORDER BY position',
  );
  return rows.map((r) => ({ key: r.key, names: r.names ?? {}, position: r.position, isWon: r.is_won, isLost: r.is_lost, allowedNext: r.allowed_next ?? [] }));
}

export function stageName(stage: Stage | undefined, locale: string, fallback = ''): string {
  if (!stage) return fallback;
  return stage.names[locale] ?? stage.names.en ?? stage.key;
}

// Words people wrap a stage name in: "the negotiation stage", "ขั้นต่อรอง", "مرحلة التفاوض".
const WRAPPERS = /^(?:to |the |stage |status |ขั้นตอน|ขั้น|สถานะ|مرحله |الي )+|(?: stage| status)$/g;

/** The comparable form of a stage name: script folded, wrappers and the Arabic article dropped. */
export function stageKeyOf(text: string): string {
  return foldScript(text)
    .replace(/[_-]+/g, ' ')
    .replace(WRAPPERS, '')
    .split(' ')
    .map((w) => w.replace(/^ال(?=[\u0600-\u06ff]{2,})/, ''))
    .join(' ')
    .trim();
}

/**
 * The stage a person means, by key ("consultation_booked") or by a localized
 * name in any tenant locale ("Negotiation", "ต่อรอง", "التفاوض"). An exact
 * name wins; otherwise a single stage whose name starts with the words given
 * ("consultation" is ambiguous at the clinic, "nego" is not).
 */
export function resolveStage(stages: Stage[], text: string): Stage | undefined {
  const q = stageKeyOf(text);
  if (!q) return undefined;
  const forms = (s: Stage) => [s.key, ...Object.values(s.names)].map(stageKeyOf);
  const exact = stages.filter((s) => forms(s).includes(q));
  if (exact.length === 1) return exact[0];
  const prefix = stages.filter((s) => forms(s).some((f) => f.startsWith(q)));
  return prefix.length === 1 ? prefix[0] : undefined;
}

export type TransitionCheck =
  | { ok: true }
  | { ok: false; reason: 'same' | 'not_allowed' | 'final_needs_manager'; allowed: Stage[] };

/**
 * The pipeline policy, with the edges as data (`pipeline_stages.allowed_next`):
 * open stages list every later stage (forward moves may skip) plus `lost` and
 * the odd step back; won and lost are final, so leaving them is a reopening
 * that only a manager or admin may do, and only to a stage the final stage
 * lists (the open ones).
 */
export function checkTransition(stages: Stage[], fromKey: string, toKey: string, role: Role): TransitionCheck {
  const from = stages.find((s) => s.key === fromKey);
  const byKey = (keys: string[]) => stages.filter((s) => keys.includes(s.key));
  if (!from) return { ok: false, reason: 'not_allowed', allowed: [] };
  const final = from.isWon || from.isLost;
  const mayReopen = role === 'manager' || role === 'admin';
  const allowed = final && !mayReopen ? [] : byKey(from.allowedNext);
  if (fromKey === toKey) return { ok: false, reason: 'same', allowed };
  if (final && !mayReopen) return { ok: false, reason: 'final_needs_manager', allowed };
  if (!from.allowedNext.includes(toKey)) return { ok: false, reason: 'not_allowed', allowed };
  return { ok: true };
}
