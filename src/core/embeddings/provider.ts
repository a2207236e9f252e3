import type { EmbeddingsConfig } from '../../config.ts';
import { LOCAL_EMBEDDING_DIMENSIONS, LOCAL_EMBEDDING_MODEL, embedLocal } from './local.ts';

/**
 * Turns texts into vectors. `model` is stored next to every vector
 * (`embedding_model`), because vectors from different models live in
 * different spaces and must never be compared with each other.
 */
export interface Embedder {
  model: string;
  embed(texts: string[]): Promise<number[][]>;
}

/** The columns are vector(256): every provider is asked for that size. */
export const EMBEDDING_DIMENSIONS = LOCAL_EMBEDDING_DIMENSIONS;

export const localEmbedder: Embedder = {
  model: LOCAL_EMBEDDING_MODEL,
  embed: (texts) => Promise.resolve(texts.map((t) => embedLocal(t))),
};

/**
 * Remote model ids are namespaced by provider and size, so the same model
 * name served by another provider (or at another size) is re-embedded
 * rather than compared.
 */
export function remoteModelId(provider: 'gemini' | 'openai', model: string): string {
  return `${provider}:${model}@${EMBEDDING_DIMENSIONS}`;
}

/**
 * A provider that silently returns an empty or wrongly sized vector (the
 * Gemini client turns a failed batch into empty arrays) would store garbage;
 * fail the batch instead.
 */
function checked(model: string, texts: readonly string[], vectors: number[][]): number[][] {
  if (vectors.length !== texts.length) throw new Error(`${model}: asked for ${texts.length} embeddings, got ${vectors.length}`);
  for (const v of vectors) {
    if (v.length !== EMBEDDING_DIMENSIONS) throw new Error(`${model}: expected ${EMBEDDING_DIMENSIONS}-dimensional vectors, got ${v.length}`);
    if (!v.every(Number.isFinite)) throw new Error(`${model}: vector with non-finite components`);
  }
  return vectors;
}

/** The embedder the configuration asks for; the local one needs no network. */
export async function createEmbedder(cfg: EmbeddingsConfig): Promise<Embedder> {
  if (cfg.provider === 'gemini') {
    const { GoogleGenerativeAIEmbeddings } = await import('@langchain/google-genai');
    const client = new GoogleGenerativeAIEmbeddings({
      model: cfg.model,
      apiKey: cfg.apiKey,
      outputDimensionality: EMBEDDING_DIMENSIONS,
      maxRetries: 1,
      ...(cfg.baseUrl ? { baseUrl: cfg.baseUrl } : {}),
    });
    const model = remoteModelId('gemini', cfg.model);
    return { model, embed: async (texts) => (texts.length ? checked(model, texts, await client.embedDocuments(texts)) : []) };
  }
  if (cfg.provider === 'openai') {
    const { OpenAIEmbeddings } = await import('@langchain/openai');
    const client = new OpenAIEmbeddings({
      model: cfg.model,
      apiKey: cfg.apiKey,
      dimensions: EMBEDDING_DIMENSIONS,
      maxRetries: 1,
      configuration: cfg.baseUrl ? { baseURL: cfg.baseUrl } : {},
    });
    const model = remoteModelId('openai', cfg.model);
    return { model, embed: async (texts) => (texts.length ? checked(model, texts, await client.embedDocuments(texts)) : []) };
  }
  return localEmbedder;
}
