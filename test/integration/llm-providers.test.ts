import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTenant } from '../../src/db/tenant.ts';
import { localAsk } from '../../src/bots/local/session.ts';
import { loadConfig } from '../../src/config.ts';
import { createConfiguredAgent } from '../../src/agents/select.ts';
import { createTestDatabase } from '../helpers/db.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { startFakeGemini, startFakeOpenAI, type FakeServer } from '../fakes/llm-servers.ts';

// The real ChatGoogleGenerativeAI / ChatOpenAI classes, chosen by configuration exactly as in production, against local fakes.
const cases = [
  { name: 'Gemini', start: startFakeGemini, env: (url: string) => ({ GOOGLE_API_KEY: 'test-key', GEMINI_BASE_URL: url, GEMINI_MODEL: 'gemini-2.5-flash' }), provider: 'gemini' },
  { name: 'OpenAI-compatible', start: startFakeOpenAI, env: (url: string) => ({ OPENAI_BASE_URL: `${url}/v1`, OPENAI_API_KEY: 'test-key', OPENAI_MODEL: 'gpt-4o-mini' }), provider: 'openai' },
] as const;

for (const c of cases) {
  describe(`${c.name} provider through the real client class`, () => {
    let fake: FakeServer;
    let app: TestApp;
    let tenantId: string;
    beforeAll(async () => {
      fake = await c.start();
      const db = await createTestDatabase({ seeded: true });
      // Generous: other test files share the two cores, and a slow successful turn must not be taken for a timeout.
      const cfg = loadConfig({ ...c.env(fake.url), TURN_TIMEOUT_MS: '15000', LLM_TIMEOUT_MS: '8000' }).llm;
      expect(cfg.provider).toBe(c.provider);
      const agent = await createConfiguredAgent(db, cfg);
      app = await startTestApp({ db, agent });
      tenantId = (await app.db.pool.query<{ id: string }>(`SELECT id FROM tenants WHERE slug = 'demo-realty'`)).rows[0]!.id;
    });
    afterAll(async () => {
      const db = app.db;
      await app.close();
      await db.close();
      await fake.close();
    });
    const ask = (text: string) => localAsk(app.local, { tenant: 'demo-realty', as: 'rep', text, chat: randomUUID().slice(0, 8) }, 20_000);
    const usage = (conversationId: string) =>
      withTenant(app.db, tenantId, async (sql) => (await sql.query<{ outcome: string; prompt_tokens: number; provider: string }>('SELECT outcome, prompt_tokens, provider FROM llm_usage WHERE conversation_id = $1 ORDER BY id', [conversationId])).rows);
    const convOf = async (inboundId: string) => (await app.db.pool.query<{ conversation_id: string }>('SELECT conversation_id FROM messages WHERE id = $1', [inboundId])).rows[0]!.conversation_id;

    it('round-trips a tool call and records usage per model call', async () => {
      fake.script.push({ tool: 'lookup_lead', args: { query: 'فيصل' } }, { text: 'Faisal wants a villa in north Riyadh.' });
      const r = await ask('tell me about Faisal');
      expect(r.mode).toBe('llm');
      expect(r.toolCalls).toEqual([{ name: 'lookup_lead', args: { query: 'فيصل' } }]);
      expect(r.replies[0]!.parts[0]).toEqual({ type: 'text', text: 'Faisal wants a villa in north Riyadh.' });
      expect(r.replies[0]!.parts.some((p) => p.type === 'card' && p.title === 'فيصل العتيبي')).toBe(true);
      // The tools were offered to the provider in its own wire format.
      expect(JSON.stringify(fake.requests[0]!.body)).toContain('lookup_lead');
      const rows = await usage(await convOf(r.inboundMessageId));
      expect(rows.map((x) => [x.provider, x.outcome])).toEqual([[c.provider, 'ok'], [c.provider, 'ok']]);
      expect(rows[0]!.prompt_tokens).toBeGreaterThan(100);
    });

    it('falls back to rules mode on a 429, counting it as rate_limited', async () => {
      fake.script.push({ status: 429 }, { status: 429 }, { status: 429 });
      const r = await ask('tell me about Faisal');
      expect(r.mode).toBe('rules');
      expect(r.toolCalls.map((t) => t.name)).toEqual(['lookup_lead']);
      expect(r.reply).toMatch(/simpler than usual/);
      const rows = await usage(await convOf(r.inboundMessageId));
      expect(rows.map((x) => x.outcome)).toEqual(['rate_limited']);
      fake.script.length = 0;
    });

    it('falls back to rules mode when the provider does not answer in time', async () => {
      fake.script.push({ hang: true }, { hang: true }, { hang: true });
      const r = await ask('tell me about Faisal');
      expect(r.mode).toBe('rules');
      expect(r.toolCalls.map((t) => t.name)).toEqual(['lookup_lead']);
      const rows = await usage(await convOf(r.inboundMessageId));
      expect(rows.map((x) => x.outcome)).toEqual(['timeout']);
      fake.script.length = 0;
    });
  });
}
