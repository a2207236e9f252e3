import { z } from 'zod';
import { FACTOR_KEYS, SIGNAL_KEYS, type FactorKey, type SignalKey } from './config.ts';

/** How well the lead's budget fits what the tenant sells (see budget.ts). */
export type BudgetFit =
  | { kind: 'fits'; budget: number; within: number; total: number }
  | { kind: 'below'; budget: number; cheapest: number }
  | { kind: 'no_options'; budget: number };

/** Everything the score is computed from, for one lead; gathered set-based by gather.ts. */
export interface ScoreInput {
  leadId: string;
  stage: { key: string; isWon: boolean; isLost: boolean; openIndex: number | null } | null;
  openStageCount: number;
  source: string | null;
  phone: string | null;
  email: string | null;
  hasChatIdentity: boolean;
  budgetFit: BudgetFit | null;
  /** 0-100, from a skin scan or a buyer's timeline; null when not known. */
  urgency: number | null;
  urgencyBasis: 'skin' | 'timeline' | null;
  activity: {
    total: number;
    inboundInWindow: number;
    lastInboundAt: Date | null;
    outMessages: number;
    repliedMessages: number;
    /** Inbound messages inside the signal window: the text intent signals were read from. */
    inboundMessagesInSignalWindow: number;
    signals: SignalKey[];
  };
}

export const ScoreFactorSchema = z.object({
  key: z.enum(FACTOR_KEYS),
  points: z.number(),
  max: z.number(),
  known: z.boolean(),
  /** A reply-template key under scoring.reason.*; params fill it. */
  reason: z.string(),
  params: z.record(z.string(), z.union([z.string(), z.number()])),
});
export type ScoreFactor = z.infer<typeof ScoreFactorSchema>;

/** What leads.score_factors holds. */
export const StoredFactorsSchema = z.object({
  model: z.string(),
  factors: z.array(ScoreFactorSchema),
  missing: z.array(z.enum(FACTOR_KEYS)),
});
export type StoredFactors = z.infer<typeof StoredFactorsSchema>;

export interface ScoreResult {
  leadId: string;
  score: number;
  grade: 'A' | 'B' | 'C' | 'D';
  factors: ScoreFactor[];
  missing: FactorKey[];
}
