import type { Sql } from '../../db/database.ts';

/**
 * Marks a lead's score as stale after one of its scoring inputs changed
 * (stage, budget, attributes, an activity, an intent signal). `scored_at IS
 * NULL` is the contract: the scoring service recomputes stale leads, so
 * scores follow their inputs without a timer sweeping every lead.
 */
export async function markScoreStale(sql: Sql, leadId: string): Promise<void> {
  await sql.query('UPDATE leads SET scored_at = NULL WHERE id = $1 AND scored_at IS NOT NULL', [leadId]);
}
