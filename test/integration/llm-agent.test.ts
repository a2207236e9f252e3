import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AIMessage } from '@langchain/core/messages';
import { fakeModel } from 'langchain';
import { withTenant } from '../../src/db/tenant.ts';
import { localAsk } from '../../src/bots/local/session.ts';
import { loadConfig } from '../../src/config.ts';
import { createConfiguredAgent } from '../../src/agents/select.ts';
import type { ChatProvider } from '../../src/agents/llm/provider.ts';
import { createTestDatabase } from '../helpers/db.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

// One provider object for the file; each test scripts a fresh fake model into it.
const provider: ChatProvider = { model: fakeModel(), provider: 'fake', modelName: 'fake-model' };
let app: TestApp;
let clinicId: string;

beforeAll(async () => {
  const db = await createTestDatabase({ seeded: true });
  const cfg = loadConfig({ LLM_MAX_STEPS: '3', TURN_TIMEOUT_MS: '20000', LLM_TIMEOUT_MS: '8000' }).llm;
  const agent = await createConfiguredAgent(db, cfg, undefined, { provider });
  app = await startTestApp({ db, agent });
  clinicId = (await app.db.pool.query<{ id: string }>(`SELECT id FROM tenants WHERE slug = 'demo-clinic'`)).rows[0]!.id;
});
afterAll(async () => {
  const db = app.db;
  await app.close();
  await db.close();
});

const ask = (as: string, text: string) => localAsk(app.local, { tenant: 'demo-clinic', as, text, chat: randomUUID().slice(0, 8) }, 20_000);

async function usageRows(conversationId?: string) {
  return withTenant(app.db, clinicId, async (sql) =>
    (await sql.query<{ outcome: string; prompt_tokens: number; model: string }>(`SELECT outcome, prompt_tokens, model FROM llm_usage ${conversationId ? 'WHERE conversation_id = $1' : ''} ORDER BY id`, conversationId ? [conversationId] : [])).rows,
  );
}

describe('LLM agent loop (scripted model through the real pipeline)', () => {
  it('lets a rep turn call two tools and attaches their cards to the model text', async () => {
    provider.model = fakeModel()
      .respondWithTools([{ name: 'lookup_lead', args: { query: 'นก' } }])
      .respondWithTools([{ name: 'explain_score', args: { lead: 'her' } }])
      .respond(new AIMessage({ content: 'Nok is warm; call her today.', usage_metadata: { input_tokens: 900, output_tokens: 12, total_tokens: 912 } }));
    const r = await ask('rep', 'who is Nok and why is her score what it is?');
    expect(r.mode).toBe('llm');
    expect(r.toolCalls.map((c) => c.name)).toEqual(['lookup_lead', 'explain_score']);
    expect(r.replies[0]!.parts[0]).toEqual({ type: 'text', text: 'Nok is warm; call her today.' });
    expect(r.replies[0]!.parts.some((p) => p.type === 'card' && p.title === 'นก')).toBe(true);
    const rows = await usageRows();
    expect(rows.filter((u) => u.outcome === 'ok').length).toBeGreaterThanOrEqual(3);
    expect(rows.some((u) => u.prompt_tokens === 900)).toBe(true);
  });

  it('gives a customer model no rep tools: a forced rep tool call is refused and audited, and nothing of the other lead appears', async () => {
    const fake = fakeModel()
      .respondWithTools([{ name: 'lookup_lead', args: { query: 'Somjai' } }])
      .respond((messages) => new AIMessage(String(messages[messages.length - 1]!.content)));
    let names: string[] = [];
    const bind = fake.bindTools.bind(fake);
    fake.bindTools = (tools) => {
      names = tools.map((t) => String((t as { name?: string }).name));
      return bind(tools);
    };
    provider.model = fake;
    const r = await ask('customer', 'what time do you open?');
    expect(r.mode).toBe('llm');
    // The tool was never offered to the model.
    expect(names).not.toContain('lookup_lead');
    expect(names).toContain('answer_question');
    expect(r.reply).not.toMatch(/Somjai|สมใจ/i);
    const audit = await withTenant(app.db, clinicId, async (sql) =>
      (await sql.query<{ outcome: string }>(`SELECT outcome FROM audit_log WHERE tool = 'lookup_lead' AND actor_type = 'customer' ORDER BY id DESC LIMIT 1`)).rows,
    );
    expect(audit[0]?.outcome).toBe('refused');
  });

  it('stops a model that loops at the step limit and still answers', async () => {
    const fake = fakeModel();
    for (let i = 0; i < 10; i++) fake.respondWithTools([{ name: 'list_hot_leads', args: {} }]);
    provider.model = fake;
    const r = await ask('manager', 'hot leads?');
    expect(r.mode).toBe('llm');
    expect(fake.callCount).toBe(3);
    expect(r.toolCalls).toHaveLength(3);
    expect(r.reply).toMatch(/could not finish/);
  });

  it('answers in rules mode with a note when the model throws, and counts the failure', async () => {
    provider.model = fakeModel().alwaysThrow(new Error('provider exploded'));
    const r = await ask('rep', 'ข้อมูล นก');
    expect(r.mode).toBe('rules');
    expect(r.toolCalls).toEqual([{ name: 'lookup_lead', args: { query: 'นก' } }]);
    expect(r.reply).toMatch(/ผู้ช่วย AI ไม่พร้อมใช้งาน/);
    expect(r.replies[0]!.parts.some((p) => p.type === 'card')).toBe(true);
    const conv = (await app.db.pool.query<{ conversation_id: string }>('SELECT conversation_id FROM messages WHERE id = $1', [r.inboundMessageId])).rows[0]!;
    expect((await usageRows(conv.conversation_id)).map((u) => u.outcome)).toEqual(['error']);
    const fb = await withTenant(app.db, clinicId, async (sql) =>
      (await sql.query<{ result_summary: string }>(`SELECT result_summary FROM audit_log WHERE action = 'llm_fallback' AND conversation_id = $1`, [conv.conversation_id])).rows,
    );
    expect(fb.map((x) => x.result_summary)).toEqual(['error']);
  });

  it('never lets the model confirm a write: confirm is stripped, the reply carries Confirm/Cancel buttons', async () => {
    provider.model = fakeModel()
      .respondWithTools([{ name: 'update_workflow', args: { action: 'note', lead: 'นก', body: 'Prefers evenings', confirm: 'true' } }])
      .respond(new AIMessage('Press Confirm to save the note.'));
    const r = await ask('rep', 'note on Nok: prefers evenings, save it');
    expect(r.toolCalls[0]!.name).toBe('update_workflow');
    expect((r.toolCalls[0]!.args as Record<string, unknown>).confirm).toBeUndefined();
    const buttons = r.replies[0]!.parts.find((p) => p.type === 'buttons');
    expect(buttons?.type).toBe('buttons');
    const notes = await withTenant(app.db, clinicId, async (sql) =>
      (await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM activities WHERE kind = 'note' AND body LIKE '%Prefers evenings%'`)).rows[0]!.n,
    );
    expect(notes).toBe(0);
  });

  it('switches to rules mode over the monthly budget and alerts the admins once', async () => {
    await withTenant(app.db, clinicId, (sql) =>
      sql.query(`UPDATE tenants SET settings = settings || '{"llm_monthly_budget_usd": 0.000001}'::jsonb WHERE id = $1`, [clinicId]),
    );
    await withTenant(app.db, clinicId, (sql) =>
      sql.query(`INSERT INTO llm_usage (tenant_id, provider, model, prompt_tokens, completion_tokens, cost_usd, outcome) VALUES ($1, 'fake', 'fake-model', 1, 1, 0.01, 'ok')`, [clinicId]),
    );
    try {
      const fake = fakeModel().respond(new AIMessage('should not be called'));
      provider.model = fake;
      const r1 = await ask('rep', 'ข้อมูล นก');
      const r2 = await ask('rep', 'ข้อมูล นก');
      expect(fake.callCount).toBe(0);
      expect([r1.mode, r2.mode]).toEqual(['rules', 'rules']);
      expect(r1.reply).toMatch(/งบประมาณ/);
      const alerts = await withTenant(app.db, clinicId, async (sql) => (await sql.query<{ n: number }>(`SELECT count(DISTINCT dedupe_key)::int AS n FROM alerts WHERE kind = 'llm_budget'`)).rows[0]!.n);
      expect(alerts).toBe(1);
    } finally {
      await withTenant(app.db, clinicId, (sql) => sql.query(`UPDATE tenants SET settings = settings - 'llm_monthly_budget_usd' WHERE id = $1`, [clinicId]));
      await withTenant(app.db, clinicId, (sql) => sql.query(`DELETE FROM llm_usage WHERE provider = 'fake' AND cost_usd = 0.01`));
    }
  });
});
