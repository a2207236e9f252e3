import type { Sql } from '../../db/database.ts';
import { NotFoundError } from '../../errors.ts';
import type { Tenant } from '../tenants.ts';
import { loadScoringContext, type ScoringContext, type StageInfo } from '../scoring/context.ts';
import { computeScore } from '../scoring/factors.ts';
import { gatherScoreInputs } from '../scoring/gather.ts';
import type { ScoreFactor, ScoreInput } from '../scoring/types.ts';
import { fitLogistic, predictLogistic, type LogisticModel } from './logistic.ts';
import { brierScore, rocAuc, stableFraction } from './metrics.ts';

/**
 * The features describe a lead the same way whether it is open (as of now)
 * or closed (as it was when it closed: its last open stage, activities up to
 * then). Recency and activity counts are left out on purpose: a closed
 * lead's snapshot is taken as it left a stage, an open lead is somewhere in
 * the middle of one, so time-dependent counts learned from history would
 * mislead on open leads (ratios like the reply rate do not drift that way).
 */
export const FEATURES = ['stage', 'reply', 'budget', 'urgency', 'intent', 'source', 'completeness'] as const;
export type Feature = (typeof FEATURES)[number];

/** Enough history to fit a model rather than fall back to stage rates. */
export const MIN_CLOSED = 50;
export const MIN_PER_CLASS = 10;
/** A stage's own win rate is used once this many closed leads went through it. */
export const MIN_STAGE_HISTORY = 20;
export const MODEL_TTL_MS = 10 * 60_000;

export interface Holdout {
  /** Examples (lead × stage snapshots); train and test never share a lead. */
  n: number;
  nTrain: number;
  nTest: number;
  brier: number;
  auc: number;
  /** The same held-out leads scored by stage win rates alone, to show what the model adds. */
  baselineBrier: number;
}

export interface TenantModel {
  method: 'model' | 'stage_history' | 'stage_defaults';
  /** Closed leads learned from, and the (lead, stage) examples they gave. */
  snapshots: number;
  closed: number;
  won: number;
  lost: number;
  logistic?: LogisticModel;
  holdout?: Holdout;
  /** Win rate of closed leads that were at each open stage (empirical with enough history, else the pipeline default). */
  stageRates: Map<string, { rate: number; n: number; empirical: boolean }>;
  fittedAt: Date;
}

interface Example {
  id: string;
  won: 0 | 1;
  row: number[];
  /** The open stage this snapshot was taken at. */
  lastOpen: StageInfo | undefined;
}

const cache = new Map<string, { model: TenantModel; expires: number }>();

export function clearProbabilityCache(): void {
  cache.clear();
}

function featureRow(input: ScoreInput, ctx: ScoringContext, now: Date): { row: number[]; factors: Map<string, ScoreFactor> } {
  const result = computeScore(input, ctx.config, ctx.tenant.settings.grade_thresholds, now);
  const factors = new Map(result.factors.map((f) => [f.key, f]));
  const row = FEATURES.map((k) => {
    const f = factors.get(k);
    return f && f.known && f.max > 0 ? f.points / f.max : NaN;
  });
  return { row, factors };
}

/**
 * One example per open stage each closed lead passed through, described as
 * it was when it left that stage, labelled with how it finally closed. So
 * the model answers "a lead at this stage, looking like this: does it win?"
 * which is the question asked about an open lead.
 */
async function loadExamples(sql: Sql, ctx: ScoringContext): Promise<Example[]> {
  const { rows } = await sql.query<{ id: string; won: boolean; left_at: Date | null; from_key: string | null; fallback_at: Date }>(
    `SELECT l.id, ps.is_won AS won, a.occurred_at AS left_at, a.data->>'from' AS from_key,
            coalesce((SELECT max(d.closed_at) FROM deals d WHERE d.lead_id = l.id), l.updated_at) AS fallback_at
     FROM leads l
     JOIN pipeline_stages ps ON ps.key = l.stage_key AND (ps.is_won OR ps.is_lost)
     LEFT JOIN activities a ON a.tenant_id = $1 AND a.lead_id = l.id AND a.kind = 'stage_change'
     ORDER BY l.id, a.occurred_at`,
    [ctx.tenant.id],
  );
  const firstOpen = [...ctx.stages.values()].find((s) => s.openIndex === 0);
  const snaps: { id: string; won: 0 | 1; stage: StageInfo | undefined; at: Date }[] = [];
  for (const r of rows) {
    if (r.left_at === null) {
      // A lead closed without recorded stage changes: all we know is it was open once.
      snaps.push({ id: r.id, won: r.won ? 1 : 0, stage: firstOpen, at: r.fallback_at });
      continue;
    }
    const from = r.from_key ? ctx.stages.get(r.from_key) : undefined;
    if (from && from.openIndex !== null) snaps.push({ id: r.id, won: r.won ? 1 : 0, stage: from, at: r.left_at });
  }
  const examples: Example[] = [];
  const BATCH = 4_000;
  for (let i = 0; i < snaps.length; i += BATCH) {
    const part = snaps.slice(i, i + BATCH);
    const inputs = await gatherScoreInputs(sql, ctx, part.map((x) => x.id), { now: new Date(0), asOf: part.map((x) => x.at) });
    part.forEach((x, j) => {
      const input = inputs[j];
      if (!input) return;
      const atStage: ScoreInput = { ...input, stage: x.stage ? { key: x.stage.key, isWon: false, isLost: false, openIndex: x.stage.openIndex } : null };
      examples.push({ id: x.id, won: x.won, row: featureRow(atStage, ctx, x.at).row, lastOpen: x.stage });
    });
  }
  return examples;
}

function stageRates(examples: Example[], stages: StageInfo[]): TenantModel['stageRates'] {
  const out: TenantModel['stageRates'] = new Map();
  for (const s of stages.filter((x) => x.openIndex !== null)) {
    const reached = examples.filter((e) => e.lastOpen?.key === s.key);
    const won = reached.filter((e) => e.won === 1).length;
    out.set(
      s.key,
      reached.length >= MIN_STAGE_HISTORY
        ? { rate: won / reached.length, n: reached.length, empirical: true }
        : { rate: s.baseProbability, n: reached.length, empirical: false },
    );
  }
  return out;
}

/** Fits on a deterministic 80% of the closed leads (by a hash of their id) and scores the other 20%. */
export function evaluateHoldout(examples: Example[], stages: StageInfo[]): Holdout | undefined {
  const test = examples.filter((e) => stableFraction(e.id) < 0.2);
  const train = examples.filter((e) => stableFraction(e.id) >= 0.2);
  if (!enough(train) || test.length === 0) return undefined;
  const m = fitLogistic([...FEATURES], train.map((e) => e.row), train.map((e) => e.won));
  const p = test.map((e) => predictLogistic(m, e.row).p);
  const y = test.map((e) => e.won);
  const rates = stageRates(train, stages);
  const base = test.map((e) => (e.lastOpen ? (rates.get(e.lastOpen.key)?.rate ?? 0) : 0));
  return { n: examples.length, nTrain: train.length, nTest: test.length, brier: brierScore(p, y), auc: rocAuc(p, y), baselineBrier: brierScore(base, y) };
}

function outcomes(examples: Example[]): { closed: number; won: number; lost: number } {
  const byLead = new Map(examples.map((e) => [e.id, e.won]));
  const won = [...byLead.values()].filter((w) => w === 1).length;
  return { closed: byLead.size, won, lost: byLead.size - won };
}

function enough(examples: Example[]): boolean {
  const o = outcomes(examples);
  return o.closed >= MIN_CLOSED && o.won >= MIN_PER_CLASS && o.lost >= MIN_PER_CLASS;
}

/** Builds the tenant's model from its won/lost history (no cache). */
export async function fitTenantModel(sql: Sql, tenant: Tenant): Promise<TenantModel> {
  const ctx = await loadScoringContext(sql, tenant);
  const examples = await loadExamples(sql, ctx);
  const stages = [...ctx.stages.values()];
  const base = { ...outcomes(examples), snapshots: examples.length, stageRates: stageRates(examples, stages), fittedAt: new Date() };
  if (!enough(examples)) {
    const anyEmpirical = [...base.stageRates.values()].some((r) => r.empirical);
    return { ...base, method: anyEmpirical ? 'stage_history' : 'stage_defaults' };
  }
  const logistic = fitLogistic([...FEATURES], examples.map((e) => e.row), examples.map((e) => e.won));
  return { ...base, method: 'model', logistic, holdout: evaluateHoldout(examples, stages) };
}

/** The tenant's model from the in-memory cache, refitted after MODEL_TTL_MS. */
export async function tenantModel(sql: Sql, tenant: Tenant): Promise<TenantModel> {
  const hit = cache.get(tenant.id);
  if (hit && hit.expires > Date.now()) return hit.model;
  const model = await fitTenantModel(sql, tenant);
  cache.set(tenant.id, { model, expires: Date.now() + MODEL_TTL_MS });
  return model;
}

export interface Driver {
  feature: Feature;
  /** Percentage points this feature adds to (or takes from) the probability, against an average lead. */
  points: number;
  reason: string;
  params: ScoreFactor['params'];
}

export interface DealProbability {
  leadId: string;
  name: string;
  stage: StageInfo | undefined;
  status: 'open' | 'won' | 'lost';
  probability: number;
  method: TenantModel['method'];
  model: Pick<TenantModel, 'closed' | 'won' | 'lost' | 'holdout'>;
  stageRate: { rate: number; n: number; empirical: boolean } | undefined;
  drivers: Driver[];
}

export async function dealProbability(sql: Sql, tenant: Tenant, leadId: string, now: Date): Promise<DealProbability> {
  const lead = (await sql.query<{ display_name: string; stage_key: string }>('SELECT display_name, stage_key FROM leads WHERE id = $1', [leadId])).rows[0];
  if (!lead) throw new NotFoundError(`No lead ${leadId}.`);
  const ctx = await loadScoringContext(sql, tenant);
  const stage = ctx.stages.get(lead.stage_key);
  const model = await tenantModel(sql, tenant);
  const common = { leadId, name: lead.display_name, stage, method: model.method, model: { closed: model.closed, won: model.won, lost: model.lost, holdout: model.holdout } };
  if (stage?.isWon || stage?.isLost) {
    return { ...common, status: stage.isWon ? 'won' : 'lost', probability: stage.isWon ? 1 : 0, stageRate: undefined, drivers: [] };
  }
  const stageRate = stage ? model.stageRates.get(stage.key) : undefined;
  if (model.method !== 'model' || !model.logistic) {
    return { ...common, status: 'open', probability: stageRate?.rate ?? stage?.baseProbability ?? 0, stageRate, drivers: [] };
  }
  const [input] = await gatherScoreInputs(sql, ctx, [leadId], { now });
  const { row, factors } = featureRow(input!, ctx, now);
  const { p, contributions } = predictLogistic(model.logistic, row);
  const logit = Math.log(p / (1 - p));
  const drivers: Driver[] = FEATURES.map((feature, j) => {
    const without = 1 / (1 + Math.exp(-(logit - contributions[j]!)));
    const f = factors.get(feature);
    return {
      feature,
      points: Math.round((p - without) * 1000) / 10,
      reason: f?.reason ?? 'missing',
      params: f?.params ?? {},
    };
  })
    .filter((d) => Math.abs(d.points) >= 0.5)
    .sort((a, b) => Math.abs(b.points) - Math.abs(a.points));
  return { ...common, status: 'open', probability: p, stageRate, drivers };
}
