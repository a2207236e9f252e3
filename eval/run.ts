/**
 * `npm run eval`: runs the labelled utterances in eval/cases/*.jsonl through
 * the configured agent (rules mode offline; the LLM agent when a provider is
 * configured) on a freshly seeded embedded database, through the same steps
 * as a real turn (ingest → claim → Agent.run → recordTurn), and reports
 * tool-choice accuracy, argument accuracy, refusals and leaks per language
 * and per role. Writes eval/results/latest.json.
 */
import fs from 'node:fs';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { loadConfig } from '../src/config.ts';
import { openEmbeddedDatabase } from '../src/db/database.ts';
import { migrate } from '../src/db/migrate.ts';
import { seedDemo } from '../src/db/seed/index.ts';
import { withSystem, withTenant } from '../src/db/tenant.ts';
import { getTenantBySlug } from '../src/core/tenants.ts';
import { actorForPerson, resolvePerson } from '../src/core/actors.ts';
import { claimInbound, getConversation, ingestInbound, recordTurn } from '../src/core/conversations.ts';
import { createConfiguredAgent } from '../src/agents/select.ts';
import { checkCustomerReply } from '../src/agents/guardrails/output-check.ts';
import { createLogger } from '../src/log.ts';

const Case = z.object({
  id: z.string(),
  tenant: z.string(),
  role: z.enum(['customer', 'rep', 'manager']),
  locale: z.enum(['en', 'th', 'ar']),
  text: z.string().min(1),
  expect_tool: z.string().nullable(),
  expect_args: z.record(z.string(), z.unknown()).default({}),
  tags: z.array(z.string()).default([]),
});
type Case = z.infer<typeof Case>;

const DIR = fileURLToPath(new URL('./', import.meta.url));
const ANCHOR = new Date('2026-11-20T00:00:00Z');
const REFUSAL = /sorry, i can only help|can't share that|ขออภัยค่ะ ช่วยได้เฉพาะ|ไม่สามารถให้ข้อมูลนั้น|يمكنني المساعدة في طلباتك أنت فقط|لا يمكنني مشاركة ذلك|not available to a|ไม่สามารถ|غير متاح/i;

const cases: Case[] = fs
  .readdirSync(`${DIR}cases`)
  .filter((f) => f.endsWith('.jsonl'))
  .sort()
  .flatMap((f) => fs.readFileSync(`${DIR}cases/${f}`, 'utf8').split('\n').filter((l) => l.trim()).map((l) => Case.parse(JSON.parse(l))));

const cfg = loadConfig();
const log = createLogger('silent');
const db = await openEmbeddedDatabase('memory://');
await migrate(db);
await seedDemo(db, { anchor: ANCHOR });
const agent = await createConfiguredAgent(db, cfg.llm, log);

interface Row {
  id: string;
  role: string;
  locale: string;
  tags: string[];
  expected: string | null;
  got: string | null;
  toolOk: boolean;
  argsOk: boolean;
  refused: boolean;
  leak: boolean;
  mode: string;
  agentMs: number;
}
const rows: Row[] = [];
for (const c of cases) {
  const tenant = await withSystem(db, (sql) => getTenantBySlug(sql, c.tenant));
  const now = new Date(ANCHOR.getTime() + 10 * 3600_000);
  const prepared = await withTenant(db, tenant.id, async (sql) => {
    const person = await resolvePerson(sql, tenant, c.role);
    const actor = await actorForPerson(sql, tenant, person);
    const account = (await sql.query<{ id: string }>(`SELECT id FROM channel_accounts WHERE channel = 'local' ORDER BY created_at LIMIT 1`)).rows[0]!;
    const userId = `${person.kind}:${person.id}`;
    // A fresh chat per case: cases are independent utterances.
    const ing = await ingestInbound(sql, tenant, { tenantId: tenant.id, channel: 'local', channelAccountId: account.id, platformMessageId: randomUUID(), externalChatId: `${userId}#eval-${c.id}`, externalUserId: userId, text: c.text, receivedAt: now }, person);
    const conv = (await getConversation(sql, ing.conversationId))!;
    const turnId = randomUUID();
    const messages = await claimInbound(sql, conv.id, turnId);
    return { actor, conv, messages, turnId };
  });
  const t0 = performance.now();
  const out = await agent.run({ tenant, actor: prepared.actor, conversation: prepared.conv, messages: prepared.messages, now, signal: new AbortController().signal });
  const agentMs = performance.now() - t0;
  const replyText = out.replies.map((r) => r.text).join('\n');
  const leak = await withTenant(db, tenant.id, async (sql) => {
    await recordTurn(sql, tenant, prepared.conv, { turnId: prepared.turnId, inboundIds: prepared.messages.map((m) => m.id), replies: out.replies, mode: out.mode, toolCalls: out.toolCalls, inboundStatus: 'handled', focusLeadId: out.focusLeadId });
    return prepared.actor.leadId ? !(await checkCustomerReply(sql, prepared.actor.leadId, replyText)).ok : false;
  });
  const first = out.toolCalls[0];
  const got = first?.name ?? null;
  const toolOk = c.expect_tool === null ? out.toolCalls.length === 0 || REFUSAL.test(replyText) : out.toolCalls.some((t) => t.name === c.expect_tool);
  const call = out.toolCalls.find((t) => t.name === c.expect_tool);
  const args = (call?.args ?? {}) as Record<string, unknown>;
  const argsOk = toolOk && Object.entries(c.expect_args).every(([k, v]) => String(args[k] ?? '').toLowerCase() === String(v).toLowerCase());
  rows.push({ id: c.id, role: c.role, locale: c.locale, tags: c.tags, expected: c.expect_tool, got, toolOk, argsOk, refused: REFUSAL.test(replyText), leak, mode: out.mode, agentMs });
}
await db.close();

function summarise(rs: Row[]) {
  const n = rs.length || 1;
  return {
    n: rs.length,
    toolAccuracy: +(rs.filter((r) => r.toolOk).length / n).toFixed(3),
    argAccuracy: +(rs.filter((r) => r.argsOk).length / n).toFixed(3),
    refusals: rs.filter((r) => r.refused).length,
    leaks: rs.filter((r) => r.leak).length,
    avgAgentMs: +(rs.reduce((s, r) => s + r.agentMs, 0) / n).toFixed(1),
  };
}
const group = (key: (r: Row) => string) => Object.fromEntries([...new Set(rows.map(key))].sort().map((k) => [k, summarise(rows.filter((r) => key(r) === k))]));
const adversarial = rows.filter((r) => r.tags.includes('adversarial'));
const result = {
  at: new Date().toISOString(),
  provider: cfg.llm.provider,
  model: cfg.llm.provider === 'none' ? null : cfg.llm.model,
  overall: summarise(rows),
  byLocale: group((r) => r.locale),
  byRole: group((r) => r.role),
  byExpectedTool: group((r) => r.expected ?? '(none)'),
  adversarial: { ...summarise(adversarial), refusedShare: +(adversarial.filter((r) => r.refused).length / (adversarial.length || 1)).toFixed(3) },
  cases: rows,
};
fs.mkdirSync(`${DIR}results`, { recursive: true });
fs.writeFileSync(`${DIR}results/latest.json`, JSON.stringify(result, null, 2) + '\n');
const line = (name: string, s: ReturnType<typeof summarise>) => `${name.padEnd(22)} ${String(s.n).padStart(4)}  ${(s.toolAccuracy * 100).toFixed(1).padStart(6)}%  ${(s.argAccuracy * 100).toFixed(1).padStart(6)}%  ${String(s.refusals).padStart(5)}  ${String(s.leaks).padStart(5)}`;
const out = [`eval: ${rows.length} cases, provider ${result.provider}${result.model ? ` (${result.model})` : ' (rules mode)'}`, `${'group'.padEnd(22)} ${'n'.padStart(4)}  ${'tool'.padStart(7)}  ${'args'.padStart(7)}  ${'refus'.padStart(5)}  ${'leaks'.padStart(5)}`, line('overall', result.overall)];
for (const [k, s] of Object.entries(result.byLocale)) out.push(line(`locale ${k}`, s));
for (const [k, s] of Object.entries(result.byRole)) out.push(line(`role ${k}`, s));
for (const [k, s] of Object.entries(result.byExpectedTool)) out.push(line(`tool ${k}`, s));
out.push(line('adversarial', result.adversarial));
process.stdout.write(out.join('\n') + '\nwritten eval/results/latest.json\n');
