import type { Database } from '../../db/database.ts';
import { withSystem, withTenant } from '../../db/tenant.ts';
import { toSqlVector } from './local.ts';
import type { Embedder } from './provider.ts';

/** What is embedded for a playbook entry or knowledge chunk (the seed writes the same). */
export function embeddingText(title: string, body: string): string {
  return `${title}\n${body}`;
}

const TABLES = ['playbook_entries', 'knowledge_chunks'] as const;
type Table = (typeof TABLES)[number];

export interface ReembedOptions {
  /** Tenant slugs; every tenant when empty. */
  tenants?: readonly string[];
  /** Rebuild every vector, also those already of the embedder's model. */
  all?: boolean;
  batchSize?: number;
  onProgress?: (p: { tenant: string; table: Table; done: number; total: number }) => void;
}

export interface ReembedSummary {
  model: string;
  tenants: { slug: string; playbook_entries: number; knowledge_chunks: number }[];
  total: number;
}

/**
 * Rebuilds the stored vectors whose embedding_model differs from
 * `embedder.model` (or all of them). The provider is called between
 * transactions, never inside one: the embedded database has a single
 * connection, and a slow provider must not hold it. Each batch is written in
 * its own transaction, so an interrupted run resumes where it stopped.
 */
export async function reembed(db: Database, embedder: Embedder, opts: ReembedOptions = {}): Promise<ReembedSummary> {
  const batchSize = Math.max(1, opts.batchSize ?? 64);
  const tenants = await withSystem(db, async (sql) => (await sql.query<{ id: string; slug: string }>('SELECT id, slug FROM tenants ORDER BY slug')).rows);
  const wanted = opts.tenants?.length ? new Set(opts.tenants) : undefined;
  if (wanted) {
    const missing = [...wanted].filter((s) => !tenants.some((t) => t.slug === s));
    if (missing.length) throw new Error(`unknown tenant: ${missing.join(', ')}`);
  }
  const summary: ReembedSummary = { model: embedder.model, tenants: [], total: 0 };
  for (const tenant of tenants.filter((t) => !wanted || wanted.has(t.slug))) {
    const counts = { slug: tenant.slug, playbook_entries: 0, knowledge_chunks: 0 };
    for (const table of TABLES) {
      const rows = await withTenant(db, tenant.id, async (sql) =>
        (
          await sql.query<{ id: string; title: string; body: string }>(
            `SELECT id, title, body FROM ${table} WHERE $1 OR embedding IS NULL OR embedding_model IS DISTINCT FROM $2 ORDER BY id`,
            [opts.all ?? false, embedder.model],
          )
        ).rows,
      );
      for (let i = 0; i < rows.length; i += batchSize) {
        const batch = rows.slice(i, i + batchSize);
        const vectors = await embedder.embed(batch.map((r) => embeddingText(r.title, r.body)));
        await withTenant(db, tenant.id, async (sql) => {
          for (const [j, r] of batch.entries()) {
            await sql.query(`UPDATE ${table} SET embedding = $2::vector, embedding_model = $3 WHERE id = $1`, [r.id, toSqlVector(vectors[j]!), embedder.model]);
          }
        });
        counts[table] += batch.length;
        opts.onProgress?.({ tenant: tenant.slug, table, done: Math.min(i + batchSize, rows.length), total: rows.length });
      }
    }
    summary.tenants.push(counts);
    summary.total += counts.playbook_entries + counts.knowledge_chunks;
  }
  return summary;
}
