import type { Sql } from '../db/database.ts';
import { queryVectorFor } from './embeddings/query.ts';
import { findKeys } from './customer/match.ts';
import { TOPIC_TERMS } from './customer/vocabulary.ts';

/**
 * Retrieval over the tenant's knowledge base (knowledge_chunks): vector
 * similarity with pgvector (cosine, HNSW) mixed with a keyword layer. The
 * local embedder only sees spelling overlap, so "what time do you open?"
 * and "Opening hours … open every day from 10:00" are only loosely similar;
 * topic words (open, เปิด, تفتحون…) lift the chunks of the matching source.
 */

export interface KnowledgeChunk {
  source: string;
  locale: string;
  title: string;
  body: string;
}

export interface KnowledgeHit {
  source: string;
  /** Cosine similarity of the best chunk of this source (0 when found by keyword only). */
  similarity: number;
  /** True when a topic keyword of the question names this source. */
  keyword: boolean;
  score: number;
  /** The source's chunks in every locale the tenant wrote it in. */
  chunks: KnowledgeChunk[];
}

/**
 * A keyword hit ranks above any similarity-only hit and answers on its own.
 * Measured on the demo knowledge bases with the local embedder: on-topic
 * questions score 0.05-0.46 cosine (short Thai/Arabic questions are the
 * lowest), unrelated ones ("what is the weather today", "كيف الطقس اليوم",
 * "what is the capital of france") 0.30-0.35. So similarity alone answers
 * only from 0.45 up, and the keyword layer carries the short questions.
 */
export const KEYWORD_BOOST = 1;
export const ANSWER_THRESHOLD = 0.45;

export async function searchKnowledge(sql: Sql, question: string, limit = 3): Promise<KnowledgeHit[]> {
  const query = await queryVectorFor(sql, 'knowledge_chunks', question);
  const topics = findKeys(question, TOPIC_TERMS);
  const bySource = new Map<string, { similarity: number; keyword: boolean }>();
  if (query) {
    const { rows } = await sql.query<{ source: string; sim: number }>(
      `SELECT source, 1 - (embedding <=> $1::vector) AS sim FROM knowledge_chunks
       WHERE embedding IS NOT NULL AND embedding_model = $2 ORDER BY embedding <=> $1::vector LIMIT 12`,
      [query.vector, query.model],
    );
    for (const r of rows) {
      const prev = bySource.get(r.source);
      if (!prev || Number(r.sim) > prev.similarity) bySource.set(r.source, { similarity: Number(r.sim), keyword: false });
    }
  }
  if (topics.length) {
    const { rows } = await sql.query<{ source: string }>(
      `SELECT DISTINCT source FROM knowledge_chunks WHERE ${topics.map((_, i) => `source LIKE $${i + 1} || '%'`).join(' OR ')}`,
      topics,
    );
    for (const r of rows) bySource.set(r.source, { similarity: bySource.get(r.source)?.similarity ?? 0, keyword: true });
  }
  const ranked = [...bySource.entries()]
    .map(([source, v]) => ({ source, ...v, score: v.similarity + (v.keyword ? KEYWORD_BOOST : 0) }))
    .sort((a, b) => b.score - a.score || a.source.localeCompare(b.source))
    .slice(0, limit);
  if (!ranked.length) return [];
  const { rows } = await sql.query<KnowledgeChunk>(
    `SELECT source, locale, title, body FROM knowledge_chunks WHERE source = ANY($1) ORDER BY source, locale`,
    [ranked.map((r) => r.source)],
  );
  return ranked.map((r) => ({ ...r, chunks: rows.filter((c) => c.source === r.source) }));
}

/** The chunk in the reader's locale, else the first one there is. */
export function chunkFor(hit: Pick<KnowledgeHit, 'chunks'>, locale: string, fallback: string): KnowledgeChunk | undefined {
  return hit.chunks.find((c) => c.locale === locale) ?? hit.chunks.find((c) => c.locale === fallback) ?? hit.chunks[0];
}
