import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { ConfigError } from '../../errors.ts';
import type { Tenant } from '../tenants.ts';

/**
 * Scoring weights are data: one set per vertical in weights.json, and a
 * tenant may override any part in `tenant.settings.scoring_weights` (say,
 * more points for budget fit). `points` are the most a factor can add; the
 * points of all factors add up to 100 so a score reads as "out of 100".
 */
export const FACTOR_KEYS = ['stage', 'recency', 'frequency', 'reply', 'budget', 'urgency', 'intent', 'source', 'completeness'] as const;
export type FactorKey = (typeof FACTOR_KEYS)[number];

export const SIGNAL_KEYS = ['price', 'booking', 'payment', 'hesitation'] as const;
export type SignalKey = (typeof SIGNAL_KEYS)[number];

const fraction = z.number().min(0).max(1);

export const ScoringConfigSchema = z.strictObject({
  points: z.strictObject(Object.fromEntries(FACTOR_KEYS.map((k) => [k, z.number().min(0).max(100)])) as Record<FactorKey, z.ZodNumber>),
  recency_half_life_days: z.number().positive(),
  frequency_window_days: z.number().int().positive(),
  /** Inbound touches in the window that count as "fully engaged". */
  frequency_saturation: z.number().positive(),
  signal_window_days: z.number().int().positive(),
  signals: z.strictObject(Object.fromEntries(SIGNAL_KEYS.map((k) => [k, z.number().min(-1).max(1)])) as Record<SignalKey, z.ZodNumber>),
  sources: z.record(z.string(), fraction),
  source_default: fraction,
  completeness: z.strictObject({ phone: fraction, email: fraction, chat: fraction }),
  /** Realty: known buyer timelines → urgency 0-100 (buyer.timeline is free text; unknown text stays unknown). */
  timeline_urgency: z.record(z.string(), z.number().min(0).max(100)),
});
export type ScoringConfig = z.infer<typeof ScoringConfigSchema>;

const FileSchema = z.record(z.enum(['clinic', 'realty', 'generic']), ScoringConfigSchema);
const FILE = fileURLToPath(new URL('./weights.json', import.meta.url));

let defaults: z.infer<typeof FileSchema> | undefined;

function loadDefaults(): z.infer<typeof FileSchema> {
  if (defaults) return defaults;
  const parsed = FileSchema.safeParse(JSON.parse(fs.readFileSync(FILE, 'utf8')));
  if (!parsed.success) throw new ConfigError(`src/core/scoring/weights.json is malformed: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  defaults = parsed.data;
  return defaults;
}

/** Any part of a config, as a tenant may write it in settings.scoring_weights. */
const OverrideSchema = z
  .object({
    points: ScoringConfigSchema.shape.points.partial().optional(),
    signals: ScoringConfigSchema.shape.signals.partial().optional(),
    completeness: ScoringConfigSchema.shape.completeness.partial().optional(),
    sources: ScoringConfigSchema.shape.sources.optional(),
    timeline_urgency: ScoringConfigSchema.shape.timeline_urgency.optional(),
  })
  .extend(ScoringConfigSchema.pick({ recency_half_life_days: true, frequency_window_days: true, frequency_saturation: true, signal_window_days: true, source_default: true }).partial().shape);

/**
 * The vertical's weights with the tenant's override laid over them. A bad
 * override is reported, not ignored: silently scoring with other weights
 * than the ones a manager set would be worse than failing loudly.
 */
export function scoringConfigFor(tenant: Pick<Tenant, 'slug' | 'vertical' | 'settings'>): ScoringConfig {
  const base = loadDefaults()[tenant.vertical] ?? loadDefaults().generic!;
  const raw = (tenant.settings as { scoring_weights?: unknown }).scoring_weights;
  if (raw === undefined || raw === null) return base;
  const o = OverrideSchema.safeParse(raw);
  if (!o.success) {
    throw new ConfigError(
      `Tenant ${tenant.slug}: settings.scoring_weights is invalid (${o.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}). Fix or remove it.`,
    );
  }
  const v = o.data;
  return {
    ...base,
    ...Object.fromEntries(Object.entries(v).filter(([k, x]) => x !== undefined && !['points', 'signals', 'completeness', 'sources', 'timeline_urgency'].includes(k))),
    points: { ...base.points, ...definedOnly(v.points) },
    signals: { ...base.signals, ...definedOnly(v.signals) },
    completeness: { ...base.completeness, ...definedOnly(v.completeness) },
    sources: { ...base.sources, ...(v.sources ?? {}) },
    timeline_urgency: { ...base.timeline_urgency, ...(v.timeline_urgency ?? {}) },
  };
}

function definedOnly<T extends object>(o: T | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(o ?? {}).filter(([, x]) => x !== undefined)) as Partial<T>;
}

export type GradeThresholds = { A: number; B: number; C: number };

export function gradeFor(score: number, t: GradeThresholds): 'A' | 'B' | 'C' | 'D' {
  return score >= t.A ? 'A' : score >= t.B ? 'B' : score >= t.C ? 'C' : 'D';
}

/**
 * Bumped whenever the factors or their meaning change: stored scores of an
 * older model count as stale and are recomputed on read, like scored_at NULL.
 * The stored column leads.score_stale (db/migrations/0023_score_stale_flag.sql)
 * names this value: a bump needs a migration redefining it.
 */
export const SCORE_MODEL = 'closer-score-v1';
