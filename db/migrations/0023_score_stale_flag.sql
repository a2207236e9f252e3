-- The stale-score test of 0002 as a stored column. The planner cannot
-- estimate `scored_at IS NULL OR score_factors->>'model' IS DISTINCT FROM …`
-- (it guesses 99.5 % of leads), so for one rep's leads it preferred
-- leads_tenant_owner and read all of that rep's leads (90 ms at 100,000 leads,
-- before every hot list) over the partial index that holds only the few stale
-- ones. A boolean column has real statistics. STALE_SQL in
-- src/core/scoring/recompute.ts reads it; bumping SCORE_MODEL needs a
-- migration redefining the column (as 0002 said of its index).
ALTER TABLE leads ADD COLUMN score_stale boolean GENERATED ALWAYS AS
  (scored_at IS NULL OR score_factors->>'model' IS DISTINCT FROM 'closer-score-v1') STORED;
DROP INDEX IF EXISTS leads_score_stale;
CREATE INDEX leads_score_stale ON leads (tenant_id, owner_id) WHERE score_stale;
