-- Lead scoring: finding stale scores without reading every lead.
-- A score is stale when an input changed (scored_at cleared by markScoreStale)
-- or when it was computed by another scoring model than the current one
-- (src/core/scoring/config.ts SCORE_MODEL; the demo seed's placeholders).
-- The predicate is exactly STALE_SQL in src/core/scoring/recompute.ts, so the
-- planner can use this partial index: in steady state it holds only the few
-- leads whose inputs just changed. Bumping SCORE_MODEL needs a new migration
-- that recreates this index with the new name.
CREATE INDEX leads_score_stale ON leads (tenant_id, owner_id)
  WHERE (scored_at IS NULL OR score_factors->>'model' IS DISTINCT FROM 'closer-score-v1');
