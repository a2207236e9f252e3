import type { Database } from '../db/database.ts';
import { withTenant } from '../db/tenant.ts';
import type { LlmConfig } from '../config.ts';
import type { Logger } from '../log.ts';
import { outbound, type OutboundMessage } from '../core/messages/types.ts';
import { monthlyBudgetUsd, overBudget, recordFallback, recordUsage } from '../core/usage.ts';
import type { ModelCallCap } from '../core/limits.ts';
import { RulesAgent } from './rules/agent.ts';
import { LlmAgent, LlmTurnError, classifyFailure, type FailureKind } from './llm/agent.ts';
import { createChatProvider, type ChatProvider } from './llm/provider.ts';
import { note, type NoteKey } from './llm/prompt.ts';
import type { Agent, TurnInput, TurnOutput } from './types.ts';

export interface FallbackAgentOptions {
  llm: LlmAgent;
  rules: Agent;
  /** The model's share of the turn; the rest is left for a rules-mode answer. */
  timeoutMs: number;
  monthlyBudgetUsd: number | undefined;
  /** Per-conversation model calls per hour (LLM_CALLS_PER_CONVERSATION_HOUR); absent when off. */
  modelCalls?: ModelCallCap | undefined;
  log?: Logger | undefined;
}

function withNote(reply: OutboundMessage | undefined, text: string): OutboundMessage[] {
  return [outbound([{ type: 'text', text }, ...(reply?.parts ?? [])])];
}

/**
 * The LLM agent with a safety net: over budget, on a provider error, a 429
 * or a timeout, the same turn is answered by the rules agent with a short
 * note, and the failure is counted (llm_usage rows for the failed calls, an
 * audit_log 'llm_fallback' row for the turn). Button presses always go
 * straight to their tool: only a person confirms a write.
 */
export class FallbackAgent implements Agent {
  constructor(
    private readonly db: Database,
    private readonly opts: FallbackAgentOptions,
  ) {}

  async run(input: TurnInput): Promise<TurnOutput> {
    if (input.messages.some((m) => m.payload)) return this.opts.rules.run(input);
    const { tenant } = input;
    const over = await withTenant(this.db, tenant.id, async (sql) => {
      // Read fresh: the turn runner caches tenants, and a budget change should apply on the next message.
      const settings = (await sql.query<{ settings: Record<string, unknown> }>('SELECT settings FROM tenants WHERE id = $1', [tenant.id])).rows[0]?.settings ?? {};
      const budget = monthlyBudgetUsd({ ...tenant, settings: { ...tenant.settings, ...settings } }, this.opts.monthlyBudgetUsd);
      return overBudget(sql, tenant, budget, input.now);
    });
    if (over) {
      return this.fallback(input, 'budget', 'budget');
    }
    // One conversation cannot run up the bill (a flood, a loop with another bot): past its hourly cap it is answered in rules mode.
    const cap = this.opts.modelCalls;
    if (cap && !(await cap.allows(input.conversation.id))) return this.fallback(input, 'conversation_cap', 'conversation_cap');
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error('llm budget time elapsed')), this.opts.timeoutMs);
    const signal = AbortSignal.any([input.signal, controller.signal]);
    try {
      const out = await this.opts.llm.run({ ...input, signal });
      await cap?.charge(input.conversation.id, Math.max(1, out.usage.length));
      if (out.usage.length) await withTenant(this.db, tenant.id, (sql) => recordUsage(sql, tenant, out.usage));
      const { usage: _u, stepLimitHit: _s, blocked: _b, ...turn } = out;
      return turn;
    } catch (err) {
      const kind: FailureKind = err instanceof LlmTurnError ? err.kind : classifyFailure(err, signal);
      this.opts.log?.warn({ conversationId: input.conversation.id, kind, err: (err as Error).message }, 'LLM turn failed; answering in rules mode');
      await cap?.charge(input.conversation.id, err instanceof LlmTurnError ? Math.max(1, err.usage.length) : 1);
      if (err instanceof LlmTurnError && err.usage.length) await withTenant(this.db, tenant.id, (sql) => recordUsage(sql, tenant, err.usage));
      return this.fallback(input, kind, 'fallback');
    } finally {
      clearTimeout(timer);
    }
  }

  private async fallback(input: TurnInput, reason: FailureKind | 'budget' | 'conversation_cap', noteKey: NoteKey): Promise<TurnOutput> {
    await withTenant(this.db, input.tenant.id, (sql) => recordFallback(sql, input.tenant, reason, input.conversation.id, input.now));
    const out = await this.opts.rules.run(input);
    const [first, ...rest] = out.replies;
    return { ...out, mode: 'rules', replies: [...withNote(first, note(out.locale, noteKey)), ...rest] };
  }
}

/**
 * The agent for this deployment: rules mode when no model is configured,
 * otherwise the LLM agent with the rules fallback. Tests pass `provider`
 * (a scripted model, or a real client pointed at a fake server).
 */
export async function createConfiguredAgent(
  db: Database,
  cfg: LlmConfig,
  log?: Logger,
  overrides: { provider?: ChatProvider; detectInjection?: boolean; modelCalls?: ModelCallCap | undefined } = {},
): Promise<Agent> {
  const rules = new RulesAgent(db);
  const provider = overrides.provider ?? (await createChatProvider(cfg));
  if (!provider) return rules;
  const llm = new LlmAgent(db, { provider, maxSteps: cfg.maxSteps, memoryTokens: cfg.memoryTokens, detectInjection: overrides.detectInjection });
  log?.info({ provider: provider.provider, model: provider.modelName }, 'LLM agent enabled');
  return new FallbackAgent(db, { llm, rules, timeoutMs: cfg.timeoutMs, monthlyBudgetUsd: cfg.monthlyBudgetUsd, modelCalls: overrides.modelCalls, log });
}
