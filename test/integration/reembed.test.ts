import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/database.ts';
import { withTenant } from '../../src/db/tenant.ts';
import { loadConfig } from '../../src/config.ts';
import { createEmbedder, localEmbedder, type Embedder } from '../../src/core/embeddings/provider.ts';
import { reembed } from '../../src/core/embeddings/reembed.ts';
import { queryVectorFor, setQueryEmbedder } from '../../src/core/embeddings/query.ts';
import { LOCAL_EMBEDDING_MODEL } from '../../src/core/embeddings/local.ts';
import { searchPlaybook } from '../../src/core/playbooks.ts';
import { searchKnowledge } from '../../src/core/knowledge.ts';
import { createTestDatabase } from '../helpers/db.ts';
import { startFakeGemini, startFakeOpenAI, type FakeServer } from '../fakes/llm-servers.ts';

let db: Database;
let gemini: FakeServer;
let openai: FakeServer;
let openaiEmbedder: Embedder;
let geminiEmbedder: Embedder;
const tenantIds: Record<string, string> = {};

beforeAll(async () => {
  [db, gemini, openai] = await Promise.all([createTestDatabase({ seeded: true }), startFakeGemini(), startFakeOpenAI()]);
  for (const r of (await db.pool.query<{ id: string; slug: string }>('SELECT id, slug FROM tenants')).rows) tenantIds[r.slug] = r.id;
  openaiEmbedder = await createEmbedder(loadConfig({ LLM_PROVIDER: 'none', EMBEDDINGS_PROVIDER: 'openai', OPENAI_BASE_URL: `${openai.url}/v1`, OPENAI_API_KEY: 'k' }).embeddings);
  geminiEmbedder = await createEmbedder(loadConfig({ LLM_PROVIDER: 'none', EMBEDDINGS_PROVIDER: 'gemini', GOOGLE_API_KEY: 'k', GEMINI_BASE_URL: gemini.url }).embeddings);
});
afterAll(async () => {
  setQueryEmbedder(undefined);
  await Promise.all([db.close(), gemini.close(), openai.close()]);
});
afterEach(() => setQueryEmbedder(localEmbedder));

async function models(slug: string): Promise<Record<string, number>> {
  return withTenant(db, tenantIds[slug]!, async (sql) => {
    const { rows } = await sql.query<{ m: string; n: number }>(
      `SELECT embedding_model AS m, count(*)::int AS n FROM (SELECT embedding_model FROM playbook_entries UNION ALL SELECT embedding_model FROM knowledge_chunks) x GROUP BY 1`,
    );
    return Object.fromEntries(rows.map((r) => [r.m, r.n]));
  });
}

describe('embedding providers and closer reembed (fake endpoints)', () => {
  it('names remote models by provider and size', () => {
    expect(localEmbedder.model).toBe(LOCAL_EMBEDDING_MODEL);
    expect(openaiEmbedder.model).toBe('openai:text-embedding-3-small@256');
    expect(geminiEmbedder.model).toBe('gemini:gemini-embedding-001@256');
  });

  it('queries with local vectors while the stored ones are local, even when a remote embedder is configured', async () => {
    setQueryEmbedder(openaiEmbedder);
    const before = openai.requests.length;
    const q = await withTenant(db, tenantIds['demo-clinic']!, (sql) => queryVectorFor(sql, 'playbook_entries', 'too expensive'));
    expect(q?.model).toBe(LOCAL_EMBEDDING_MODEL);
    // Nothing stored is comparable with an OpenAI vector yet, so the provider is not even called.
    expect(openai.requests.length).toBe(before);
  });

  it('re-embeds one tenant with Gemini in batches of the asked size, at 256 dimensions', async () => {
    const clinicBefore = await models('demo-clinic');
    const realtyBefore = await models('demo-realty');
    const total = Object.values(clinicBefore).reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(0);
    const progress: number[] = [];
    const summary = await reembed(db, geminiEmbedder, { tenants: ['demo-clinic'], batchSize: 7, onProgress: (p) => progress.push(p.done) });
    expect(summary.total).toBe(total);
    expect(summary.tenants.map((t) => t.slug)).toEqual(['demo-clinic']);
    expect(await models('demo-clinic')).toEqual({ [geminiEmbedder.model]: total });
    expect(await models('demo-realty')).toEqual(realtyBefore);
    const batches = gemini.requests.filter((r) => r.path.includes(':batchEmbedContents'));
    expect(batches.length).toBe(progress.length);
    for (const b of batches) {
      const reqs = b.body.requests as { outputDimensionality?: number }[];
      expect(reqs.length).toBeLessThanOrEqual(7);
      expect(reqs.every((r) => r.outputDimensionality === 256)).toBe(true);
    }
  });

  it('rebuilds only what differs from the configured model, and everything with --all', async () => {
    const first = await reembed(db, openaiEmbedder, { batchSize: 50 });
    const realtyTotal = first.tenants.find((t) => t.slug === 'demo-realty')!;
    expect(realtyTotal.playbook_entries + realtyTotal.knowledge_chunks).toBeGreaterThan(0);
    const embedCalls = openai.requests.filter((r) => r.path.endsWith('/embeddings'));
    expect(embedCalls.every((r) => r.body.dimensions === 256)).toBe(true);
    expect((await reembed(db, openaiEmbedder)).total).toBe(0);
    expect((await reembed(db, openaiEmbedder, { all: true, tenants: ['demo-realty'] })).total).toBe(realtyTotal.playbook_entries + realtyTotal.knowledge_chunks);
    await expect(reembed(db, openaiEmbedder, { tenants: ['nope'] })).rejects.toThrow(/unknown tenant: nope/);
  });

  it('compares a query only with vectors of its own model', async () => {
    const clinic = tenantIds['demo-clinic']!;
    // The configured (local) model matches no stored row now: no similarity, no wrong-space comparison.
    setQueryEmbedder(localEmbedder);
    const local = await withTenant(db, clinic, (sql) => searchPlaybook(sql, { kind: 'objection', categories: ['price'], text: 'too expensive' }));
    expect(local.length).toBeGreaterThan(0);
    expect(local.every((e) => e.distance === null)).toBe(true);
    setQueryEmbedder(openaiEmbedder);
    const remote = await withTenant(db, clinic, (sql) => searchPlaybook(sql, { kind: 'objection', categories: ['price'], text: 'too expensive' }));
    expect(remote.every((e) => e.distance !== null)).toBe(true);
    const hits = await withTenant(db, clinic, (sql) => searchKnowledge(sql, 'what time do you open?'));
    expect(hits.some((h) => h.similarity > 0)).toBe(true);
  });

  it('rejects a provider answer of the wrong size instead of storing it', async () => {
    const bad = await createEmbedder({ provider: 'gemini', model: 'm', apiKey: 'k', baseUrl: 'http://127.0.0.1:9' });
    await expect(bad.embed(['hello'])).rejects.toThrow(/expected 256-dimensional|got 0/);
  });
});
