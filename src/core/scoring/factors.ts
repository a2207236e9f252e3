import { gradeFor, SIGNAL_KEYS, type FactorKey, type GradeThresholds, type ScoringConfig } from './config.ts';
import type { ScoreFactor, ScoreInput, ScoreResult } from './types.ts';

const DAY_MS = 86_400_000;
const round1 = (x: number) => Math.round(x * 10) / 10;
const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));

type Valued = { value: number; reason: string; params?: ScoreFactor['params'] } | { missing: string; params?: ScoreFactor['params'] };

/** A value that is blank or only whitespace is absent. */
export function present(s: string | null | undefined): string | null {
  const t = s?.normalize('NFKC').trim();
  return t ? t : null;
}

export function isUsablePhone(s: string | null | undefined): boolean {
  const t = present(s);
  if (!t) return false;
  const digits = t.replace(/[\s().-]/g, '');
  return /^\+?[0-9]{7,15}$/.test(digits);
}

export function isUsableEmail(s: string | null | undefined): boolean {
  const t = present(s);
  return t !== null && /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(t);
}

/**
 * The explainable score: each factor turns one input into a value in
 * [-1, 1] (negative only for evidence against: a lost deal, a budget far
 * below every option, hesitation) times its points; the score is their sum,
 * clamped to 0-100. An input we do not have is "missing": it adds nothing
 * and is listed as missing, so no data never reads as bad data.
 */
export function computeScore(input: ScoreInput, cfg: ScoringConfig, thresholds: GradeThresholds, now: Date): ScoreResult {
  const values: Record<FactorKey, Valued> = {
    stage: stageValue(input),
    recency: recencyValue(input, cfg, now),
    frequency: frequencyValue(input, cfg),
    reply: replyValue(input),
    budget: budgetValue(input),
    urgency: input.urgency === null ? { missing: 'no_urgency' } : { value: clamp(input.urgency, 0, 100) / 100, reason: input.urgencyBasis === 'timeline' ? 'urgency_timeline' : 'urgency_skin', params: { urgency: Math.round(input.urgency) } },
    intent: intentValue(input, cfg),
    source: sourceValue(input, cfg),
    completeness: completenessValue(input, cfg),
  };
  const factors: ScoreFactor[] = [];
  const missing: FactorKey[] = [];
  for (const [key, v] of Object.entries(values) as [FactorKey, Valued][]) {
    const max = cfg.points[key];
    if (max === 0) continue;
    if ('missing' in v) {
      missing.push(key);
      factors.push({ key, points: 0, max, known: false, reason: v.missing, params: v.params ?? {} });
    } else {
      factors.push({ key, points: round1(clamp(v.value, -1, 1) * max), max, known: true, reason: v.reason, params: v.params ?? {} });
    }
  }
  const total = factors.reduce((s, f) => s + f.points, 0);
  const score = clamp(Math.round(total), 0, 100);
  // Biggest effect first: the explanation leads with what mattered most.
  factors.sort((a, b) => Math.abs(b.points) - Math.abs(a.points) || Number(b.known) - Number(a.known) || a.key.localeCompare(b.key));
  return { leadId: input.leadId, score, grade: gradeFor(score, thresholds), factors, missing };
}

function stageValue(i: ScoreInput): Valued {
  if (!i.stage) return { missing: 'no_stage' };
  if (i.stage.isWon) return { value: 1, reason: 'stage_won', params: { stage: i.stage.key } };
  if (i.stage.isLost) return { value: -1, reason: 'stage_lost', params: { stage: i.stage.key } };
  const idx = i.stage.openIndex ?? 0;
  const value = i.openStageCount > 1 ? idx / (i.openStageCount - 1) : 0;
  return { value, reason: 'stage_open', params: { stage: i.stage.key, step: idx + 1, steps: i.openStageCount } };
}

function recencyValue(i: ScoreInput, cfg: ScoringConfig, now: Date): Valued {
  const last = i.activity.lastInboundAt;
  if (!last) return i.activity.total > 0 ? { value: 0, reason: 'never_inbound' } : { missing: 'no_activity' };
  const days = Math.max(0, (now.getTime() - last.getTime()) / DAY_MS);
  const value = Math.pow(0.5, days / cfg.recency_half_life_days);
  return days < 1
    ? { value, reason: 'recency_hours', params: { hours: Math.max(1, Math.round(days * 24)) } }
    : { value, reason: 'recency_days', params: { days: Math.round(days) } };
}

function frequencyValue(i: ScoreInput, cfg: ScoringConfig): Valued {
  if (i.activity.total === 0) return { missing: 'no_activity' };
  const n = i.activity.inboundInWindow;
  return { value: Math.min(1, n / cfg.frequency_saturation), reason: 'frequency', params: { count: n, days: cfg.frequency_window_days } };
}

function replyValue(i: ScoreInput): Valued {
  const outs = i.activity.outMessages;
  if (outs === 0) return { missing: 'no_outbound' };
  const replied = Math.min(outs, i.activity.repliedMessages);
  return { value: replied / outs, reason: 'reply_rate', params: { replied, sent: outs, percent: Math.round((100 * replied) / outs) } };
}

function budgetValue(i: ScoreInput): Valued {
  const b = i.budgetFit;
  if (!b) return { missing: 'no_budget' };
  switch (b.kind) {
    case 'no_options':
      return { missing: 'no_comparable', params: { budget: b.budget } };
    case 'fits':
      return { value: 0.4 + (0.6 * b.within) / b.total, reason: 'budget_fits', params: { budget: b.budget, within: b.within, total: b.total } };
    case 'below': {
      const ratio = b.budget / b.cheapest;
      // Within 30% of the cheapest option is a conversation (instalments, a smaller package), not a mismatch.
      const value = ratio >= 0.7 ? 0 : -Math.min(1, (0.7 - ratio) / 0.4);
      return { value, reason: 'budget_below', params: { budget: b.budget, cheapest: b.cheapest } };
    }
  }
}

function intentValue(i: ScoreInput, cfg: ScoringConfig): Valued {
  if (i.activity.inboundMessagesInSignalWindow === 0) return { missing: 'no_messages', params: { days: cfg.signal_window_days } };
  const found = SIGNAL_KEYS.filter((k) => i.activity.signals.includes(k));
  if (found.length === 0) return { value: 0, reason: 'intent_none', params: { days: cfg.signal_window_days } };
  const value = found.reduce((s, k) => s + cfg.signals[k], 0);
  return { value, reason: 'intent_signals', params: { signals: found.join(',') } };
}

function sourceValue(i: ScoreInput, cfg: ScoringConfig): Valued {
  const s = present(i.source)?.toLowerCase();
  if (!s || s === 'unknown') return { missing: 'no_source' };
  const known = cfg.sources[s];
  return { value: known ?? cfg.source_default, reason: 'source', params: { source: s } };
}

function completenessValue(i: ScoreInput, cfg: ScoringConfig): Valued {
  const parts = { phone: isUsablePhone(i.phone), email: isUsableEmail(i.email), chat: i.hasChatIdentity };
  const value = (parts.phone ? cfg.completeness.phone : 0) + (parts.email ? cfg.completeness.email : 0) + (parts.chat ? cfg.completeness.chat : 0);
  const lacking = (Object.keys(parts) as (keyof typeof parts)[]).filter((k) => !parts[k]);
  return { value, reason: lacking.length ? 'completeness_lacking' : 'completeness_full', params: { lacking: lacking.join(',') } };
}
