import type { Sql } from '../../db/database.ts';
import { loadConfig } from '../../config.ts';
import { toSqlVector } from './local.ts';
import { createEmbedder, localEmbedder, type Embedder } from './provider.ts';

/**
 * The query side of retrieval. Rule: a query is embedded with the configured
 * embedder and compared only with rows whose `embedding_model` is that
 * embedder's. While the stored vectors are still local (a remote provider was
 * configured but `closer reembed` has not run, or the provider fails right
 * now), the query is embedded locally and compared with the local rows, so
 * retrieval keeps working. Rows of any other model are never compared.
 */
let configured: Promise<Embedder> | undefined;

/** The deployment's embedder (EMBEDDINGS_PROVIDER); tests set their own with setQueryEmbedder. */
export function queryEmbedder(): Promise<Embedder> {
  configured ??= (async () => {
    let cfg;
    try {
      cfg = loadConfig().embeddings;
    } catch {
      // An invalid environment stops the app at startup with a clear message; library callers (scripts, tests) get the default.
      return localEmbedder;
    }
    return createEmbedder(cfg);
  })();
  return configured;
}

export function setQueryEmbedder(embedder: Embedder | undefined): void {
  configured = embedder ? Promise.resolve(embedder) : undefined;
}

export interface QueryVector {
  model: string;
  /** pgvector text form, for a `$n::vector` parameter. */
  vector: string;
}

/** The models of the vectors stored in `table` (RLS-scoped to the tenant). */
async function storedModels(sql: Sql, table: 'playbook_entries' | 'knowledge_chunks'): Promise<Set<string>> {
  const { rows } = await sql.query<{ m: string }>(`SELECT DISTINCT embedding_model AS m FROM ${table} WHERE embedding IS NOT NULL AND embedding_model IS NOT NULL`);
  return new Set(rows.map((r) => r.m));
}

/**
 * `text` as a vector comparable with the rows of `table` whose
 * embedding_model equals the returned model, or null when there is nothing
 * to compare (no letters in the text, no vectors of a usable model).
 */
export async function queryVectorFor(sql: Sql, table: 'playbook_entries' | 'knowledge_chunks', text: string): Promise<QueryVector | null> {
  const models = await storedModels(sql, table);
  const preferred = await queryEmbedder();
  const candidates = [preferred, localEmbedder].filter((e, i, all) => models.has(e.model) && all.findIndex((x) => x.model === e.model) === i);
  for (const embedder of candidates) {
    let v: number[] | undefined;
    try {
      v = (await embedder.embed([text]))[0];
    } catch {
      // A failing provider degrades retrieval to the local rows (if any), not the whole answer.
      continue;
    }
    if (!v || !v.some((x) => x !== 0)) return null;
    return { model: embedder.model, vector: toSqlVector(v) };
  }
  return null;
}
