import type { Sql } from '../../db/database.ts';
import { normaliseText } from '../format.ts';

export interface LeadMatch {
  id: string;
  displayName: string;
  stageKey: string;
  similarity: number;
  /** The query is this lead's whole name, first name or one of its aliases. */
  exact?: boolean;
}

/**
 * Finds leads by name (fuzzy, pg_trgm), phone or email within the current
 * tenant (RLS). Exact and prefix matches rank first; trigram similarity
 * catches typos; a plain substring match catches short Thai and Arabic names
 * that are too short for trigrams.
 */
export async function searchLeads(sql: Sql, query: string, limit = 6): Promise<LeadMatch[]> {
  const q = normaliseText(query);
  if (!q) return [];
  const digits = q.replace(/[^\d]/g, '');
  if (/^\+?[\d\s().-]{6,}$/.test(q) && digits.length >= 6) {
    const { rows } = await sql.query<{ id: string; display_name: string; stage_key: string }>(
      `SELECT id, display_name, stage_key FROM leads WHERE phone LIKE '%' || $1 ORDER BY updated_at DESC LIMIT $2`,
      [digits.replace(/^0/, ''), limit],
    );
    return rows.map((r) => ({ id: r.id, displayName: r.display_name, stageKey: r.stage_key, similarity: 1 }));
  }
  if (/^[^\s@]+@[^\s@]+$/.test(q)) {
    const { rows } = await sql.query<{ id: string; display_name: string; stage_key: string }>(
      `SELECT id, display_name, stage_key FROM leads WHERE lower(email) = $1 LIMIT $2`,
      [q, limit],
    );
    return rows.map((r) => ({ id: r.id, displayName: r.display_name, stageKey: r.stage_key, similarity: 1 }));
  }
  // Names are matched over the display name and its aliases (other scripts), see migration 0008.
  const { rows } = await sql.query<{ id: string; display_name: string; stage_key: string; sim: number; rank: number }>(
    `SELECT id, display_name, stage_key, sim, rank FROM (
       SELECT id, display_name, stage_key,
              similarity(closer_lead_names(display_name, aliases), $1) AS sim,
              CASE WHEN lower(display_name) = $1 OR lower(first_name) = $1
                        OR EXISTS (SELECT 1 FROM unnest(aliases) a WHERE lower(a) = $1) THEN 0
                   WHEN closer_lead_names(display_name, aliases) LIKE $1 || '%' OR lower(first_name) LIKE $1 || '%'
                        OR EXISTS (SELECT 1 FROM unnest(aliases) a WHERE lower(a) LIKE $1 || '%') THEN 1
                   WHEN closer_lead_names(display_name, aliases) LIKE '%' || $1 || '%' THEN 2
                   ELSE 3 END AS rank
       FROM leads
       -- Candidates from the trigram index (migration 0016 says why a function); the rows are read here under RLS.
       WHERE id IN (SELECT c.id FROM closer_lead_name_candidates($1) c)
     ) m
     ORDER BY rank, sim DESC, display_name
     LIMIT $2`,
    [q, limit],
  );
  return rows.map((r) => ({ id: r.id, displayName: r.display_name, stageKey: r.stage_key, similarity: Number(r.sim), exact: r.rank === 0 }));
}

/**
 * Picks the one lead a query clearly means, or undefined when the user must
 * choose: a single exact name, or a single hit, is clear; several similar
 * names are not, and we never guess between them.
 */
export function pickUnambiguous(query: string, matches: LeadMatch[]): LeadMatch | undefined {
  if (matches.length === 1) return matches[0];
  const q = normaliseText(query);
  const exact = matches.filter((m) => m.exact || normaliseText(m.displayName) === q);
  if (exact.length === 1) return exact[0];
  return undefined;
}
