import { z } from 'zod';
import type { Sql } from '../db/database.ts';
import { queryVectorFor } from './embeddings/query.ts';

/**
 * Retrieval over `playbook_entries`: the tenant's sales playbook (objection
 * answers, per-stage coaching). Every query runs under the caller's
 * tenant-scoped transaction, so RLS keeps tenants apart.
 */
export interface PlaybookEntry {
  id: string;
  kind: string;
  category: string;
  locale: string;
  title: string;
  body: string;
  data: Record<string, unknown>;
  /** Cosine distance to the query (0 = same direction); null when the entry has no comparable vector. */
  distance: number | null;
}

interface Row {
  id: string;
  kind: string;
  category: string;
  locale: string;
  title: string;
  body: string;
  data: Record<string, unknown> | null;
  distance: number | null;
}

function toEntry(r: Row): PlaybookEntry {
  return { ...r, data: r.data ?? {}, distance: r.distance === null ? null : Number(r.distance) };
}

/**
 * Entries of `kind` in `categories`, nearest in meaning to `text` first
 * (pgvector cosine distance, see embeddings/query.ts for which model). Vectors made by another
 * embedding model live in a different space, so they are not compared: those
 * entries come last, as do all entries when the text has no letters.
 */
export async function searchPlaybook(
  sql: Sql,
  opts: { kind: 'objection' | 'stage' | 'closing' | 'upsell'; categories: readonly string[]; text: string; locales?: readonly string[]; limit?: number },
): Promise<PlaybookEntry[]> {
  const q = await queryVectorFor(sql, 'playbook_entries', opts.text);
  const { rows } = await sql.query<Row>(
    `SELECT id, kind, category, locale, title, body, data,
            CASE WHEN $1::vector IS NOT NULL AND embedding IS NOT NULL AND embedding_model = $2 THEN embedding <=> $1::vector END AS distance
     FROM playbook_entries
     WHERE kind = $3 AND category = ANY($4::text[]) AND ($5::text[] IS NULL OR locale = ANY($5::text[]))
     ORDER BY distance NULLS LAST, title
     LIMIT $6`,
    [q?.vector ?? null, q?.model ?? null, opts.kind, [...opts.categories], opts.locales ? [...opts.locales] : null, opts.limit ?? 50],
  );
  return rows.map(toEntry);
}

/** The coaching entries for a pipeline stage, every locale. */
export async function stageEntries(sql: Sql, stageKey: string): Promise<PlaybookEntry[]> {
  const { rows } = await sql.query<Row>(
    `SELECT id, kind, category, locale, title, body, data, NULL::float8 AS distance
     FROM playbook_entries WHERE kind = 'stage' AND category = $1 ORDER BY locale, title`,
    [stageKey],
  );
  return rows.map(toEntry);
}

/** The shape of a stage entry's `data` (see db/seeds/*.json); anything else in it is ignored. */
export const StageData = z.object({
  suggestion: z.string().min(1),
  talking_points: z.array(z.string().min(1)).default([]),
  closing_technique: z.string().min(1),
});
export type StageData = z.infer<typeof StageData>;

/** A value from a per-locale JSON object (catalogue names, listing titles), with the same fallbacks. */
export function localized(names: Record<string, string> | null | undefined, preferred: readonly string[], fallback = ''): string {
  if (!names) return fallback;
  for (const locale of preferred) {
    const v = names[locale];
    if (v) return v;
  }
  return Object.values(names).find((v) => v) ?? fallback;
}
