import { tool } from 'langchain';
import type { StructuredToolInterface } from '@langchain/core/tools';
import { z } from 'zod';
import type { Database } from '../../db/database.ts';
import type { Actor } from '../../core/actors.ts';
import type { Tenant } from '../../core/tenants.ts';
import { invokeTool, modelToolsFor, type ToolOutcome } from '../../tools/run.ts';
import type { AnyTool } from '../../tools/types.ts';
import { AmbiguousLeadError } from '../../core/leads/resolve.ts';
import { sanitiseForCustomer, type CustomerSelf } from '../guardrails/sanitise.ts';
import { markUntrusted } from '../guardrails/untrusted.ts';

/** Arguments a model has no business setting (idempotency keys of confirmed writes). */
const PERSON_ONLY_ARGS = ['confirm', 'confirm_id'];
const MAX_TOOL_TEXT = 6000;

/** Everything the tools did during one turn: what to show, what to log, where the focus moved. */
export interface TurnToolLog {
  calls: { name: string; args: unknown }[];
  outcomes: ToolOutcome[];
  focusLeadId: string | null | undefined;
  focusChanged: boolean;
}

export interface ToolContextForTurn {
  db: Database;
  tenant: Tenant;
  actor: Actor;
  now: Date;
  conversationId: string;
  focusLeadId: string | null;
  /** Set for customers: what the model may read of tool output is filtered for this person. */
  customer?: CustomerSelf | undefined;
}

/** The tool's input as JSON Schema for the model, without person-only arguments. */
export function modelSchema(t: AnyTool): Record<string, unknown> {
  // A plain copy: zod's result keeps a link to the schema it came from, and LangChain's converter regenerates the
  // JSON Schema from that link (person-only arguments included) when it is handed the object itself.
  const schema = JSON.parse(JSON.stringify(z.toJSONSchema(t.input, { io: 'input', unrepresentable: 'any' }))) as Record<string, unknown>;
  delete schema.$schema;
  const props = schema.properties as Record<string, unknown> | undefined;
  if (props) for (const k of PERSON_ONLY_ARGS) delete props[k];
  if (Array.isArray(schema.required)) schema.required = (schema.required as string[]).filter((k) => !PERSON_ONLY_ARGS.includes(k));
  if (schema.type === undefined) schema.type = 'object';
  return schema;
}

function describeFailure(outcome: Extract<ToolOutcome, { ok: false }>, actor: Actor): string {
  const e = outcome.error;
  if (e instanceof AmbiguousLeadError) {
    // Staff may see the candidates' names; the buttons shown to the rep carry the ids.
    const names = actor.role === 'customer' ? '' : ` Candidates: ${e.candidates.map((c) => c.displayName).join('; ')}.`;
    return `AMBIGUOUS: "${e.reference}" matches several leads.${names} The user will pick one from buttons; ask them to choose.`;
  }
  return `${e.code === 'POLICY' ? 'REFUSED' : 'ERROR'}: ${e.message}`;
}

/**
 * Runs one model-requested tool call through invokeTool, so the role check,
 * argument validation and audit log are the same as in rules mode. The
 * result is what the model reads: data (filtered for customers) or the
 * failure as text — never an exception.
 */
export async function executeToolCall(ctx: ToolContextForTurn, log: TurnToolLog, name: string, raw: unknown): Promise<string> {
  const args = { ...((raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>) };
  for (const k of PERSON_ONLY_ARGS) delete args[k];
  const outcome = await invokeTool(ctx.db, ctx.tenant, ctx.actor, name, args, {
    now: ctx.now,
    conversationId: ctx.conversationId,
    focusLeadId: log.focusLeadId ?? ctx.focusLeadId,
    origin: 'model',
  });
  log.calls.push({ name, args: outcome.args });
  log.outcomes.push(outcome);
  if (!outcome.ok) return describeFailure(outcome, ctx.actor);
  if (outcome.result.focusLeadId) {
    log.focusLeadId = outcome.result.focusLeadId;
    log.focusChanged = true;
  }
  const data = ctx.customer ? sanitiseForCustomer(outcome.result.data, ctx.customer) : markUntrusted(outcome.result.data);
  const text = JSON.stringify(data ?? null);
  return text.length > MAX_TOOL_TEXT ? `${text.slice(0, MAX_TOOL_TEXT)}…(truncated)` : text;
}

/**
 * The actor's tools as LangChain tools: `toolsFor(actor)`, so the role
 * decides what the model is even shown. Their schemas are what the model
 * sees; execution goes through executeToolCall (the agent's tool middleware
 * calls it directly, so arguments are validated once, by the tool's own zod
 * schema with its coercions, and invalid ones are audited).
 */
export function buildLangChainTools(ctx: ToolContextForTurn, log: TurnToolLog): StructuredToolInterface[] {
  return modelToolsFor(ctx.actor).map(
    (t) => tool(async (raw: unknown) => executeToolCall(ctx, log, t.name, raw), { name: t.name, description: t.description, schema: modelSchema(t) }) as StructuredToolInterface,
  );
}
