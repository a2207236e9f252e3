import type { Database } from '../db/database.ts';
import { withTenant } from '../db/tenant.ts';
import type { Actor } from '../core/actors.ts';
import type { Tenant } from '../core/tenants.ts';
import { NotFoundError, PolicyRefusal, ToolInputError } from '../errors.ts';
import type { AnyTool, ToolResult } from './types.ts';
import { TOOLS } from './registry.ts';
import { AmbiguousLeadError } from '../core/leads/resolve.ts';
import { proposalFor, writeProposal } from './confirm.ts';

export type ToolOutcome =
  | { ok: true; tool: AnyTool; args: unknown; result: ToolResult }
  | { ok: false; tool: AnyTool | undefined; args: unknown; error: ToolInputError | PolicyRefusal | NotFoundError | AmbiguousLeadError };

/** Tools this actor may call: decided by role before any model or router sees them. */
export function toolsFor(actor: Actor): AnyTool[] {
  return TOOLS.filter((t) => t.roles.includes(actor.role));
}

/** What a model is offered: the actor's tools less those only a person's button press may call. */
export function modelToolsFor(actor: Actor): AnyTool[] {
  return toolsFor(actor).filter((t) => !t.personOnly);
}

/**
 * Calls a tool on behalf of an actor: role check, schema validation, then the
 * tool in one tenant-scoped transaction together with its audit-log entry.
 * Expected failures (refusal, bad input, unknown lead) come back as values so
 * the agent can tell the user (or the model) what went wrong; anything else
 * is a bug or an outage and is thrown.
 */
export async function invokeTool(
  db: Database,
  tenant: Tenant,
  actor: Actor,
  name: string,
  rawArgs: unknown,
  opts: {
    now: Date;
    conversationId?: string | undefined;
    focusLeadId?: string | null | undefined;
    /** Who chose this call: a person (typed request, button) or a model. A model's writes become proposals. */
    origin?: 'person' | 'model' | undefined;
  },
): Promise<ToolOutcome> {
  const tool = TOOLS.find((t) => t.name === name);
  const audit = (outcome: 'refused' | 'error', summary: string) =>
    withTenant(db, tenant.id, (sql) => writeAudit(sql, tenant, actor, name, rawArgs, summary, outcome, opts.conversationId));
  if (!tool) {
    const error = new ToolInputError(`There is no tool called "${name}".`);
    await audit('error', error.message);
    return { ok: false, tool, args: rawArgs, error };
  }
  if (!tool.roles.includes(actor.role)) {
    const error = new PolicyRefusal(`the ${name} tool is not available to a ${actor.role}.`, { tool: name, role: actor.role });
    await audit('refused', error.message);
    return { ok: false, tool, args: rawArgs, error };
  }
  if (tool.personOnly && opts.origin === 'model') {
    const error = new PolicyRefusal(`only a person's button press may call ${name}.`, { tool: name });
    await audit('refused', error.message);
    return { ok: false, tool, args: rawArgs, error };
  }
  const parsed = tool.input.safeParse(rawArgs ?? {});
  if (!parsed.success) {
    const reason = parsed.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ');
    const error = new ToolInputError(`invalid arguments for ${name}: ${reason}`);
    await audit('error', error.message);
    return { ok: false, tool, args: rawArgs, error };
  }
  try {
    const proposing = tool.writes === true && opts.origin === 'model';
    const result = await withTenant(db, tenant.id, async (sql) => {
      const ctx = { sql, tenant, actor, now: opts.now, conversationId: opts.conversationId, focusLeadId: opts.focusLeadId, confirmed: false };
      // A model never writes: its call is stored for the person to confirm, with the arguments as they were validated.
      const r = proposing ? await proposalFor(ctx, tool, (rawArgs ?? {}) as Record<string, unknown>) : await tool.run(ctx, parsed.data);
      await writeAudit(sql, tenant, actor, name, parsed.data, r.summary, 'ok', opts.conversationId);
      return r;
    });
    return { ok: true, tool: proposing ? writeProposal : tool, args: parsed.data, result };
  } catch (err) {
    if (err instanceof ToolInputError || err instanceof PolicyRefusal || err instanceof NotFoundError || err instanceof AmbiguousLeadError) {
      await audit(err instanceof PolicyRefusal ? 'refused' : 'error', err.message);
      return { ok: false, tool, args: parsed.data, error: err };
    }
    throw err;
  }
}

async function writeAudit(
  sql: import('../db/database.ts').Sql,
  tenant: Tenant,
  actor: Actor,
  tool: string,
  args: unknown,
  summary: string,
  outcome: 'ok' | 'refused' | 'error',
  conversationId: string | undefined,
): Promise<void> {
  await sql.query(
    `INSERT INTO audit_log (tenant_id, actor_type, actor_id, action, tool, args, result_summary, outcome, conversation_id)
     VALUES ($1, $2, $3, 'tool_call', $4, $5, $6, $7, $8)`,
    [tenant.id, actor.role, actor.staffUserId ?? actor.leadId ?? null, tool, JSON.stringify(args ?? null), summary.slice(0, 500), outcome, conversationId ?? null],
  );
}
