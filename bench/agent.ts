/**
 * `node bin/run-ts.js bench/agent.ts`: what the LLM agent's plumbing costs per
 * turn, on the eval set (eval/cases/*.jsonl), printed as JSON.
 *
 * 1. Model calls and prompt tokens per turn: the real ChatOpenAI client
 *    against the fake OpenAI-compatible server (test/fakes/llm-servers.ts),
 *    which answers deterministically: it calls the tool the rules router chose
 *    for the same turn, with the same arguments (or, when the router chose
 *    none, answers in text), then answers "Done." once a tool result is in.
 *    Accuracy is not the point; the counts come from the usage the agent
 *    records (llm_usage), and the fake counts a prompt token as 4 characters
 *    of request JSON.
 * 2. Agent-layer latency excluding the model: the same turns, doing the same
 *    tool work, through the RulesAgent and through the LLM agent with an
 *    in-process model answering instantly (replaying the same choice).
 */
import fs from 'node:fs';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { AIMessage, type BaseMessage } from '@langchain/core/messages';
import { fakeModel } from 'langchain';
import { loadConfig } from '../src/config.ts';
import { openEmbeddedDatabase, type Database } from '../src/db/database.ts';
import { migrate } from '../src/db/migrate.ts';
import { seedDemo } from '../src/db/seed/index.ts';
import { withSystem, withTenant } from '../src/db/tenant.ts';
import { getTenantBySlug } from '../src/core/tenants.ts';
import { actorForPerson, resolvePerson } from '../src/core/actors.ts';
import { claimInbound, getConversation, ingestInbound, recordTurn } from '../src/core/conversations.ts';
import { createConfiguredAgent } from '../src/agents/select.ts';
import { RulesAgent } from '../src/agents/rules/agent.ts';
import type { Agent, TurnInput } from '../src/agents/types.ts';
import { createLogger } from '../src/log.ts';
import { startFakeOpenAI, type Scripted } from '../test/fakes/llm-servers.ts';
import { summarise } from './stats.ts';

const Case = z.object({ id: z.string(), tenant: z.string(), role: z.enum(['customer', 'rep', 'manager']), locale: z.string(), text: z.string().min(1) });
type Case = z.infer<typeof Case>;
const DIR = fileURLToPath(new URL('../eval/cases/', import.meta.url));
const cases: Case[] = fs
  .readdirSync(DIR)
  .filter((f) => f.endsWith('.jsonl'))
  .sort()
  .flatMap((f) => fs.readFileSync(DIR + f, 'utf8').split('\n').filter((l) => l.trim()).map((l) => Case.parse(JSON.parse(l))));
const ANCHOR = new Date('2026-11-20T00:00:00Z');
const NOW = new Date(ANCHOR.getTime() + 10 * 3600_000);

/** What the stand-in model does on the current turn: the rules router's tool call for the same text, if any. */
let planned: { name: string; args: Record<string, unknown> } | undefined;

function plannedReply(lastIsTool: boolean): { tool: string; args: Record<string, unknown> } | undefined {
  return lastIsTool || !planned ? undefined : { tool: planned.name, args: planned.args };
}

function httpResponder(body: Record<string, unknown>): Scripted {
  const messages = (body.messages as { role: string }[] | undefined) ?? [];
  return plannedReply(messages[messages.length - 1]?.role === 'tool') ?? { text: 'Done.' };
}

async function prepare(db: Database, c: Case, tag: string): Promise<{ input: TurnInput; turnId: string }> {
  const tenant = await withSystem(db, (sql) => getTenantBySlug(sql, c.tenant));
  return withTenant(db, tenant.id, async (sql) => {
    const person = await resolvePerson(sql, tenant, c.role);
    const actor = await actorForPerson(sql, tenant, person);
    const account = (await sql.query<{ id: string }>(`SELECT id FROM channel_accounts WHERE channel = 'local' ORDER BY created_at LIMIT 1`)).rows[0]!;
    const userId = `${person.kind}:${person.id}`;
    const ing = await ingestInbound(
      sql,
      tenant,
      { tenantId: tenant.id, channel: 'local', channelAccountId: account.id, platformMessageId: randomUUID(), externalChatId: `${userId}#bench-${tag}-${c.id}`, externalUserId: userId, text: c.text, receivedAt: NOW },
      person,
    );
    const conv = (await getConversation(sql, ing.conversationId))!;
    const turnId = randomUUID();
    const { messages } = await claimInbound(sql, conv.id, turnId);
    return { input: { tenant, actor, conversation: conv, messages, now: NOW, signal: new AbortController().signal }, turnId };
  });
}

async function runTurn(db: Database, agent: Agent, c: Case, tag: string) {
  const { input, turnId } = await prepare(db, c, tag);
  const t0 = performance.now();
  const out = await agent.run(input);
  const ms = performance.now() - t0;
  await withTenant(db, input.tenant.id, (sql) =>
    recordTurn(sql, input.tenant, input.conversation, { turnId, inboundIds: input.messages.map((m) => m.id), replies: out.replies, mode: out.mode, toolCalls: out.toolCalls, inboundStatus: 'handled', focusLeadId: out.focusLeadId }),
  );
  return { input, out, ms };
}

async function freshDb(): Promise<Database> {
  const db = await openEmbeddedDatabase('memory://');
  await migrate(db);
  await seedDemo(db, { anchor: ANCHOR });
  return db;
}

const log = createLogger('silent');

async function timed(make: (db: Database) => Promise<Agent>, tag: string, plans?: readonly (typeof planned)[]) {
  const db = await freshDb();
  try {
    const agent = await make(db);
    // A short untimed pass warms module caches, query plans and the i18n files.
    for (const [i, c] of cases.slice(0, 10).entries()) {
      planned = plans?.[i];
      await runTurn(db, agent, c, `${tag}-warm`);
    }
    const turns: { ms: number; calls: { name: string; args: unknown }[]; input: TurnInput; mode: string }[] = [];
    for (const [i, c] of cases.entries()) {
      planned = plans?.[i];
      const r = await runTurn(db, agent, c, tag);
      turns.push({ ms: r.ms, calls: r.out.toolCalls, input: r.input, mode: r.out.mode });
    }
    return { db, turns };
  } catch (err) {
    await db.close();
    throw err;
  }
}

// The rules router's choice per turn (and its timing): the plan the stand-in model replays.
const rulesCold = await timed(async (db) => new RulesAgent(db), 'rules-cold');
await rulesCold.db.close();
// Timed again in a warm process: the first pass pays every tool's first-use costs (phrase books, caches), which the LLM runs below would not.
const rules = await timed(async (db) => new RulesAgent(db), 'rules');
await rules.db.close();
const plans = rules.turns.map((t) => {
  const first = t.calls[0];
  return first ? { name: first.name, args: Object.fromEntries(Object.entries((first.args ?? {}) as Record<string, unknown>).filter(([k]) => k !== 'confirm')) } : undefined;
});

// 1. Calls and prompt tokens through the real OpenAI client and the fake server.
const fake = await startFakeOpenAI();
fake.responder = httpResponder;
const cfg = loadConfig({ OPENAI_BASE_URL: `${fake.url}/v1`, OPENAI_API_KEY: 'bench', OPENAI_MODEL: 'bench-model', TURN_TIMEOUT_MS: '60000', LLM_TIMEOUT_MS: '30000' }).llm;
const http = await timed((db) => createConfiguredAgent(db, cfg, log), 'http', plans);
const perTurn: { role: string; calls: number; promptTokens: number; mode: string }[] = [];
for (const [i, t] of http.turns.entries()) {
  const u = await withTenant(http.db, t.input.tenant.id, async (sql) =>
    (await sql.query<{ calls: number; pt: number }>(`SELECT count(*)::int AS calls, coalesce(sum(prompt_tokens), 0)::int AS pt FROM llm_usage WHERE conversation_id = $1`, [t.input.conversation.id])).rows[0]!,
  );
  perTurn.push({ role: cases[i]!.role, calls: u.calls, promptTokens: u.pt, mode: t.mode });
}
await http.db.close();
await fake.close();

// 2. Agent-layer latency: an in-process model answering instantly, replaying the same plan.
const instant = fakeModel();
const factory = (messages: BaseMessage[]) => {
  const choice = plannedReply(messages[messages.length - 1]?.type === 'tool');
  return choice ? new AIMessage({ content: '', tool_calls: [{ id: `call_${randomUUID().slice(0, 8)}`, name: choice.tool, args: choice.args, type: 'tool_call' }] }) : new AIMessage('Done.');
};
for (let i = 0; i < cases.length * 4; i++) instant.respond(factory);
const llm = await timed((db) => createConfiguredAgent(db, loadConfig({}).llm, log, { provider: { model: instant, provider: 'fake', modelName: 'instant' } }), 'llm', plans);
await llm.db.close();

const rulesMs = rules.turns.map((t) => t.ms);
const llmMs = llm.turns.map((t) => t.ms);
const byRole = Object.fromEntries(
  [...new Set(perTurn.map((r) => r.role))].sort().map((role) => {
    const rs = perTurn.filter((r) => r.role === role);
    return [role, { turns: rs.length, callsPerTurn: summarise(rs.map((r) => r.calls)), promptTokensPerTurn: summarise(rs.map((r) => r.promptTokens)) }];
  }),
);
const calls = perTurn.reduce((a, r) => a + r.calls, 0);
const round = (x: number) => Math.round(x * 100) / 100;
const report = {
  bench: 'agent',
  at: new Date().toISOString(),
  cases: cases.length,
  fakeModel: "replays the rules router's tool call for the turn, then \"Done.\" (OpenAI wire format, real ChatOpenAI client); prompt token = 4 chars of request JSON",
  turnsWithAToolCall: plans.filter(Boolean).length,
  modelCallsPerTurn: summarise(perTurn.map((r) => r.calls)),
  promptTokensPerTurn: summarise(perTurn.map((r) => r.promptTokens)),
  promptTokensPerCall: calls ? Math.round(perTurn.reduce((a, r) => a + r.promptTokens, 0) / calls) : 0,
  turnsWithoutModelCall: perTurn.filter((r) => r.calls === 0).length,
  turnsFellBackToRules: perTurn.filter((r) => r.mode === 'rules').length,
  byRole,
  agentLayerMs: {
    rules: summarise(rulesMs),
    llmInstantModel: summarise(llmMs),
    addedP50: round(summarise(llmMs).p50 - summarise(rulesMs).p50),
    addedMean: round(summarise(llmMs).mean - summarise(rulesMs).mean),
    addedPerTurnP50: summarise(llmMs.map((ms, i) => ms - rulesMs[i]!)).p50,
  },
};
// The same result shape as every other bench (bench/lib/cli.ts), so `npm run bench -- --all` can table it.
const out = {
  name: 'agent',
  backend: 'embedded',
  database: 'embedded PGlite',
  at: report.at,
  node: process.version,
  cpus: (await import('node:os')).cpus().length,
  figures: [
    { key: 'llm_calls_per_turn', label: 'model calls per turn (eval set, fake model replaying the rules choice)', value: report.modelCallsPerTurn.mean, unit: 'calls' },
    { key: 'llm_prompt_tokens_per_turn', label: 'prompt tokens per turn, mean', value: report.promptTokensPerTurn.mean, unit: 'tokens' },
    {
      key: 'agent_layer_added_p50_ms',
      label: 'agent layer cost over rules mode per turn, p50 (instant model)',
      value: report.agentLayerMs.addedPerTurnP50,
      unit: 'ms',
      baseline: { label: 'rules-mode turn p50', value: report.agentLayerMs.rules.p50 },
    },
  ],
  detail: report,
};
process.stdout.write(JSON.stringify(out, null, 2) + '\n');
process.exit(0);
