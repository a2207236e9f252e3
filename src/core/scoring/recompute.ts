import type { Database, Sql } from '../../db/database.ts';
import { withTenant } from '../../db/tenant.ts';
import { NotFoundError } from '../../errors.ts';
import type { Tenant } from '../tenants.ts';
import { SCORE_MODEL } from './config.ts';
import { loadScoringContext, type ScoringContext } from './context.ts';
import { computeScore } from './factors.ts';
import { gatherScoreInputs } from './gather.ts';
import type { ScoreResult, StoredFactors } from './types.ts';

/**
 * A stored score is stale when an input changed (markScoreStale cleared
 * scored_at) or when it was computed by another scoring model (an older
 * version, or the demo seed's placeholder scores): both are recomputed.
 */
// leads.score_stale (migration 0023) is exactly this test, stored, so the planner has statistics for it.
export const STALE_SQL_EXPR = `(scored_at IS NULL OR score_factors->>'model' IS DISTINCT FROM '${SCORE_MODEL}')`;
export const STALE_SQL = 'score_stale';

const BATCH = 2_000;

/** Scores the given leads and stores the results with one bulk UPDATE. */
export async function scoreLeads(sql: Sql, ctx: ScoringContext, ids: string[], now: Date): Promise<ScoreResult[]> {
  const results: ScoreResult[] = [];
  for (let i = 0; i < ids.length; i += BATCH) {
    const inputs = (await gatherScoreInputs(sql, ctx, ids.slice(i, i + BATCH), { now, lock: true })).filter((x) => x !== undefined);
    const batch = inputs.map((input) => computeScore(input, ctx.config, ctx.tenant.settings.grade_thresholds, now));
    await storeScores(sql, batch, now);
    results.push(...batch);
  }
  return results;
}

async function storeScores(sql: Sql, results: ScoreResult[], now: Date): Promise<void> {
  if (results.length === 0) return;
  const rows = results.map((r) => ({
    id: r.leadId,
    score: r.score,
    grade: r.grade,
    factors: { model: SCORE_MODEL, factors: r.factors, missing: r.missing } satisfies StoredFactors,
  }));
  await sql.query(
    `UPDATE leads l SET score = r.score, grade = r.grade, score_factors = r.factors, scored_at = $2
     FROM jsonb_to_recordset($1::jsonb) AS r(id uuid, score smallint, grade text, factors jsonb)
     WHERE l.id = r.id`,
    [JSON.stringify(rows), now],
  );
}

/** Recomputes and stores one lead's score, stale or not. */
export async function recomputeLeadScore(sql: Sql, tenant: Tenant, leadId: string, now: Date): Promise<ScoreResult> {
  const ctx = await loadScoringContext(sql, tenant);
  const [result] = await scoreLeads(sql, ctx, [leadId], now);
  if (!result) throw new NotFoundError(`No lead ${leadId}.`);
  return result;
}

export interface StaleScope {
  /** Only this owner's leads (a rep's hot list); null = unassigned leads only. */
  ownerId?: string | null | undefined;
  /** Only leads in open stages (the ones a hot list can show). */
  openOnly?: boolean;
}

/**
 * Recomputes up to `limit` stale scores (see STALE_SQL), optionally only in
 * a scope, and says whether stale leads remain beyond the limit. This is the
 * lazy path: tools that show scores call it first, so scores follow their
 * inputs without a timer sweeping every lead.
 */
export async function recomputeStaleScores(
  sql: Sql,
  tenant: Tenant,
  opts: { now: Date; limit: number; scope?: StaleScope },
): Promise<{ scored: number; remaining: boolean }> {
  // The tenant named although RLS applies it: RLS's qual (tenant OR system transaction, migration 0060) serves no index.
  const where = ['tenant_id = closer_current_tenant()', STALE_SQL];
  const params: unknown[] = [opts.limit + 1];
  if (opts.scope?.ownerId !== undefined) {
    if (opts.scope.ownerId === null) where.push('owner_id IS NULL');
    else {
      params.push(opts.scope.ownerId);
      where.push(`owner_id = $${params.length}`);
    }
  }
  if (opts.scope?.openOnly) where.push(`stage_key IN (SELECT key FROM pipeline_stages WHERE NOT is_won AND NOT is_lost)`);
  // ORDER BY the columns of the partial index leads_score_stale (migration 0023): in index order a LIMIT
  // reads the few stale leads even where the statistics are stale (before 0023 this read every lead,
  // 150-200 ms at 100,000 leads, on each hot-list request).
  const { rows } = await sql.query<{ id: string }>(`SELECT id FROM leads WHERE ${where.join(' AND ')} ORDER BY tenant_id, owner_id LIMIT $1`, params);
  const ids = rows.slice(0, opts.limit).map((r) => r.id);
  if (ids.length > 0) await scoreLeads(sql, await loadScoringContext(sql, tenant), ids, opts.now);
  return { scored: ids.length, remaining: rows.length > opts.limit };
}

/**
 * Re-scores every lead of a tenant (or only stale ones), one transaction per
 * batch so a long run holds no long transaction; keyset pagination by id.
 */
export async function recomputeAllScores(
  db: Database,
  tenant: Tenant,
  opts: { now: Date; onlyStale?: boolean; batchSize?: number; onProgress?: (done: number) => void },
): Promise<{ scored: number; elapsedMs: number; leadsPerSecond: number }> {
  const began = performance.now();
  const size = opts.batchSize ?? 5_000;
  let after = '00000000-0000-0000-0000-000000000000';
  let scored = 0;
  for (;;) {
    const n = await withTenant(db, tenant.id, async (sql) => {
      const { rows } = await sql.query<{ id: string }>(
        `SELECT id FROM leads WHERE id > $1 ${opts.onlyStale ? `AND ${STALE_SQL}` : ''} ORDER BY id LIMIT $2`,
        [after, size],
      );
      if (rows.length === 0) return 0;
      after = rows[rows.length - 1]!.id;
      await scoreLeads(sql, await loadScoringContext(sql, tenant), rows.map((r) => r.id), opts.now);
      return rows.length;
    });
    if (n === 0) break;
    scored += n;
    opts.onProgress?.(scored);
  }
  const elapsedMs = Math.round(performance.now() - began);
  return { scored, elapsedMs, leadsPerSecond: Math.round((scored / Math.max(1, elapsedMs)) * 1000) };
}
