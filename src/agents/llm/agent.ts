import { createAgent, createMiddleware } from 'langchain';
import { AIMessage, HumanMessage, ToolMessage, type BaseMessage } from '@langchain/core/messages';
import type { Database } from '../../db/database.ts';
import { withTenant } from '../../db/tenant.ts';
import { outbound, partToText, type OutboundMessage, type OutboundPart } from '../../core/messages/types.ts';
import { AmbiguousLeadError } from '../../core/leads/resolve.ts';
import type { UsageRecord } from '../../core/usage.ts';
import { detectLocale, normaliseLocale, translator } from '../i18n.ts';
import type { Agent, TurnInput, TurnOutput } from '../types.ts';
import { loadMemory, saveSummary, type Memory } from '../memory.ts';
import { refuseInjection } from '../guardrails/refuse.ts';
import { checkCustomerReply } from '../guardrails/output-check.ts';
import type { CustomerSelf } from '../guardrails/sanitise.ts';
import { buildLangChainTools, executeToolCall, type ToolContextForTurn, type TurnToolLog } from './tools.ts';
import { note, systemPrompt } from './prompt.ts';
import type { ChatProvider } from './provider.ts';
import { couldNotHelp } from '../unhandled.ts';

export interface LlmAgentOptions {
  provider: ChatProvider;
  /** Model calls per turn; the turn ends with what it has when reached. */
  maxSteps: number;
  /** Token budget of remembered conversation (approximate, see memory.ts). */
  memoryTokens: number;
  /** Phrase-list injection detection for customers (the structural guards stay on regardless). */
  detectInjection?: boolean;
}

export type FailureKind = 'error' | 'timeout' | 'rate_limited';

/** The model (or the provider) failed this turn; `usage` holds the calls made, the failing one included. */
export class LlmTurnError extends Error {
  constructor(
    message: string,
    readonly kind: FailureKind,
    readonly usage: UsageRecord[],
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'LlmTurnError';
  }
}

export function classifyFailure(err: unknown, signal?: AbortSignal): FailureKind {
  if (signal?.aborted) return 'timeout';
  const e = err as { status?: number; response?: { status?: number }; name?: string; message?: string; code?: string };
  const status = e?.status ?? e?.response?.status;
  const text = `${e?.name ?? ''} ${e?.message ?? String(err)}`;
  if (status === 429 || /\b429\b|too many requests|rate.?limit|resource.?exhausted|quota/i.test(text)) return 'rate_limited';
  if (e?.name === 'AbortError' || e?.name === 'TimeoutError' || /abort|timed? ?out|timeout|ETIMEDOUT/i.test(text)) return 'timeout';
  return 'error';
}

export interface LlmTurnOutput extends TurnOutput {
  usage: UsageRecord[];
  stepLimitHit: boolean;
  blocked: string[];
}

function textOf(m: BaseMessage | undefined): string {
  if (!m) return '';
  if (typeof m.content === 'string') return m.content;
  return m.content.map((c) => (typeof c === 'string' ? c : c.type === 'text' && typeof c.text === 'string' ? c.text : '')).join('');
}

/**
 * The LLM agent: a LangChain agent loop whose tools are the actor's tools
 * (chosen by role before the model sees anything), with the conversation's
 * memory, a step limit, per-call usage records, and guardrails for
 * customers. It throws LlmTurnError when the model fails, so the caller
 * (select.ts) can answer the same turn in rules mode.
 */
export class LlmAgent implements Agent {
  constructor(
    private readonly db: Database,
    private readonly opts: LlmAgentOptions,
  ) {}

  async run(input: TurnInput): Promise<LlmTurnOutput> {
    const { tenant, actor } = input;
    const text = input.messages.map((m) => m.text ?? '').filter(Boolean).join('\n');
    const written = detectLocale(text);
    const locale = normaliseLocale(written && (tenant.locales.includes(written) || written === 'en') ? written : actor.locale);
    const usage: UsageRecord[] = [];
    const base = { mode: 'llm' as const, locale, usage, stepLimitHit: false, blocked: [] as string[] };

    if (this.opts.detectInjection ?? true) {
      const refusal = await refuseInjection(this.db, input, text, locale);
      if (refusal) return { ...base, replies: [refusal], toolCalls: [] };
    }

    const { memory, self } = await withTenant(this.db, tenant.id, async (sql) => {
      const memory = await loadMemory(sql, input.conversation.id, input.messages.map((m) => m.id), this.opts.memoryTokens);
      let self: CustomerSelf | undefined;
      if (actor.role === 'customer' && actor.leadId) {
        const r = (await sql.query<{ phone: string | null; email: string | null }>('SELECT phone, email FROM leads WHERE id = $1', [actor.leadId])).rows[0];
        self = { leadId: actor.leadId, phone: r?.phone, email: r?.email };
      }
      return { memory, self };
    });

    const log: TurnToolLog = { calls: [], outcomes: [], focusLeadId: undefined, focusChanged: false };
    const ctx: ToolContextForTurn = {
      db: this.db,
      tenant,
      actor,
      now: input.now,
      conversationId: input.conversation.id,
      focusLeadId: input.conversation.focus_lead_id,
      customer: self,
    };
    const { provider, modelName } = this.opts.provider;
    let steps = 0;
    let stepLimitHit = false;
    let inflight: { start: number } | undefined;
    const guard = createMiddleware({
      name: 'closer',
      wrapModelCall: async (request, handler) => {
        if (steps >= this.opts.maxSteps) {
          stepLimitHit = true;
          return new AIMessage({ content: '' });
        }
        steps++;
        const start = performance.now();
        inflight = { start };
        try {
          const res = await handler(request);
          inflight = undefined;
          const u = res.usage_metadata;
          usage.push({ provider, model: modelName, promptTokens: u?.input_tokens ?? 0, completionTokens: u?.output_tokens ?? 0, latencyMs: performance.now() - start, outcome: 'ok', conversationId: input.conversation.id, at: input.now });
          return res;
        } catch (err) {
          if (inflight) {
            inflight = undefined;
            usage.push({ provider, model: modelName, promptTokens: 0, completionTokens: 0, latencyMs: performance.now() - start, outcome: classifyFailure(err, signal), conversationId: input.conversation.id, at: input.now });
          }
          throw err;
        }
      },
      wrapToolCall: async (request) => {
        const content = await executeToolCall(ctx, log, request.toolCall.name, request.toolCall.args);
        return new ToolMessage({ content, tool_call_id: request.toolCall.id ?? `${request.toolCall.name}-${log.calls.length}`, name: request.toolCall.name });
      },
    });

    const agent = createAgent({
      model: this.opts.provider.model,
      tools: buildLangChainTools(ctx, log),
      systemPrompt: systemPrompt({ tenant, role: actor.role, locale, name: actor.name, now: input.now, focusLead: memory.focusLead, summary: memory.summary }),
      middleware: [guard],
    });
    const history: BaseMessage[] = memory.recent.map((m) => (m.role === 'user' ? new HumanMessage(m.text) : new AIMessage(m.text)));
    const signal = input.signal;
    let finalText: string;
    try {
      const result = await raceAbort(
        agent.invoke({ messages: [...history, new HumanMessage(text || '(no text)')] }, { signal, recursionLimit: this.opts.maxSteps * 2 + 4 }),
        signal,
      );
      const messages = result.messages as BaseMessage[];
      finalText = textOf([...messages].reverse().find((m) => m.type === 'ai' && textOf(m).trim() !== '')).trim();
      // Text written before the last tool round is stale when the loop was cut short.
      if (stepLimitHit) finalText = '';
    } catch (err) {
      if (inflight) {
        usage.push({ provider, model: modelName, promptTokens: 0, completionTokens: 0, latencyMs: performance.now() - inflight.start, outcome: classifyFailure(err, signal), conversationId: input.conversation.id, at: input.now });
        inflight = undefined;
      }
      const kind = classifyFailure(err, signal);
      throw new LlmTurnError(`LLM turn failed (${kind}): ${(err as Error)?.message ?? String(err)}`, kind, usage, err);
    }

    const reply = this.compose(input, locale, finalText, log, stepLimitHit);
    let blocked: string[] = [];
    if (actor.role === 'customer' && actor.leadId) {
      const checked = await this.checkForCustomer(input, actor.leadId, locale, reply);
      blocked = checked.blocked;
      reply.parts = checked.parts;
    }
    await withTenant(this.db, tenant.id, (sql) => saveSummary(sql, input.conversation.id, memory));
    const message = outbound(reply.parts);
    return {
      ...base,
      replies: [message],
      toolCalls: log.calls,
      focusLeadId: log.focusChanged ? log.focusLeadId : undefined,
      // Unhandled when the loop was cut short, or every tool it used found nothing to answer with.
      unhandled: stepLimitHit || (log.outcomes.length > 0 && log.outcomes.every(couldNotHelp)),
      stepLimitHit,
      blocked,
    };
  }

  /** The model's text plus the cards and buttons of the tools it used: the same parts rules mode shows. */
  private compose(input: TurnInput, locale: string, finalText: string, log: TurnToolLog, stepLimitHit: boolean): { parts: OutboundPart[] } {
    const t = translator(locale);
    const pctx = { tenant: input.tenant, actor: input.actor, locale, t, now: input.now };
    const parts: OutboundPart[] = [];
    if (stepLimitHit) parts.push({ type: 'text', text: note(locale, 'step_limit') });
    if (finalText) parts.push({ type: 'text', text: finalText });
    const seen = new Set<string>();
    for (const o of log.outcomes) {
      let extra: OutboundPart[] = [];
      if (o.ok && o.tool) extra = o.tool.present(o.result, pctx).parts.filter((p) => p.type !== 'text' || !finalText);
      else if (!o.ok && o.error instanceof AmbiguousLeadError && o.tool) {
        const name = o.tool.name;
        const { lead: _lead, ...rest } = (o.args ?? {}) as Record<string, unknown>;
        const args = Object.fromEntries(Object.entries(rest).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
        extra = [{ type: 'buttons', buttons: o.error.candidates.slice(0, 10).map((c) => ({ label: c.displayName.slice(0, 80), payload: { action: name, args: { ...args, lead_id: c.id } }, style: 'default' as const })) }];
      }
      for (const p of extra) {
        const key = JSON.stringify(p);
        if (!seen.has(key)) {
          seen.add(key);
          parts.push(p);
        }
      }
    }
    if (parts.length === 0) parts.push({ type: 'text', text: note(locale, 'empty') });
    return { parts };
  }

  /** Every part a customer would see is checked against the tenant's data; a failing text is replaced, a failing card dropped. */
  private async checkForCustomer(input: TurnInput, leadId: string, locale: string, reply: { parts: OutboundPart[] }): Promise<{ parts: OutboundPart[]; blocked: string[] }> {
    return withTenant(this.db, input.tenant.id, async (sql) => {
      const kept: OutboundPart[] = [];
      const reasons: string[] = [];
      let replaced = false;
      for (const p of reply.parts) {
        const verdict = await checkCustomerReply(sql, leadId, partToText(p));
        if (verdict.ok) kept.push(p);
        else {
          reasons.push(...verdict.reasons);
          if (p.type === 'text' && !replaced) {
            kept.unshift({ type: 'text', text: note(locale, 'blocked') });
            replaced = true;
          }
        }
      }
      if (reasons.length) {
        await sql.query(
          `INSERT INTO audit_log (tenant_id, actor_type, actor_id, action, args, result_summary, outcome, conversation_id)
           VALUES ($1, 'customer', $2, 'policy_refusal', $3, $4, 'refused', $5)`,
          [input.tenant.id, leadId, JSON.stringify({ reasons: [...new Set(reasons)] }), `reply blocked: ${[...new Set(reasons)].join(', ')}`, input.conversation.id],
        );
        if (kept.length === 0) kept.push({ type: 'text', text: note(locale, 'blocked') });
      }
      return { parts: kept, blocked: [...new Set(reasons)] };
    });
  }
}

/** Rejects as soon as `signal` aborts, even if the provider client ignores the signal. */
function raceAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(Object.assign(new Error('timed out'), { name: 'TimeoutError' }));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

export type { OutboundMessage };
