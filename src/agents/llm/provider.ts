import type { BaseChatModel } from '@langchain/core/language_models/chat_models';
import type { LlmConfig } from '../../config.ts';

/** A chat model plus the names the usage ledger records it under. */
export interface ChatProvider {
  model: BaseChatModel;
  provider: string;
  modelName: string;
}

/**
 * Builds the configured chat model, or undefined in rules mode. Retries are
 * kept low on purpose: a 429 should fall back to rules mode within the turn,
 * not sit in a back-off loop while the customer waits.
 */
export async function createChatProvider(cfg: LlmConfig): Promise<ChatProvider | undefined> {
  if (cfg.provider === 'gemini') {
    const { ChatGoogleGenerativeAI } = await import('@langchain/google-genai');
    const model = new ChatGoogleGenerativeAI({ model: cfg.model, apiKey: cfg.apiKey, maxRetries: 1, temperature: 0.2, ...(cfg.baseUrl ? { baseUrl: cfg.baseUrl } : {}) });
    return { model, provider: 'gemini', modelName: cfg.model };
  }
  if (cfg.provider === 'openai') {
    const { ChatOpenAI } = await import('@langchain/openai');
    // Never `streaming: true` with invoke(): offline it blocks fetching tokenizer data.
    const model = new ChatOpenAI({ model: cfg.model, apiKey: cfg.apiKey, maxRetries: 1, temperature: 0.2, configuration: cfg.baseUrl ? { baseURL: cfg.baseUrl } : {} });
    return { model, provider: 'openai', modelName: cfg.model };
  }
  return undefined;
}
