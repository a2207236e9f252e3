import { z } from 'zod';
import { createPendingConfirmation, readPendingConfirmation, takePendingConfirmation } from '../data/confirmations.ts';
import { NotFoundError, PolicyRefusal } from '../errors.ts';
import { outbound, type OutboundMessage } from '../core/messages/types.ts';
import type { AnyTool, PresentContext, ToolContext, ToolDefinition, ToolResult } from './types.ts';
import { defineTool } from './types.ts';

/** The tool registry, handed in by registry.ts (importing it here would be a cycle). */
let TOOLS: readonly AnyTool[] = [];
export function useToolCatalog(tools: readonly AnyTool[]): void {
  TOOLS = tools;
}

/**
 * Writes wait for a person. A proposed write is a row in
 * pending_confirmations (tool, arguments, who asked); its Confirm and Cancel
 * buttons carry only the row's id. confirm_action runs it once, and only for
 * the person who asked: a colleague pressing the same button in a shared
 * Slack thread is told it is not theirs.
 */

/** The buttons of a proposed write: only the confirmation id travels. */
export function confirmButtons(id: string, t: PresentContext['t']) {
  return {
    type: 'buttons' as const,
    buttons: [
      { label: t('workflow.confirm_button'), payload: { action: 'confirm_action', args: { id } }, style: 'primary' as const },
      { label: t('workflow.cancel_button'), payload: { action: 'cancel_action', args: { id } }, style: 'default' as const },
    ],
  };
}

/** Stores a proposed write for the actor of `ctx`; returns the confirmation id. */
export function proposeWrite(ctx: ToolContext, tool: string, args: Record<string, unknown>, leadId?: string): Promise<string> {
  return createPendingConfirmation(ctx.sql, {
    staffUserId: ctx.actor.staffUserId ?? null,
    leadId: ctx.actor.role === 'customer' ? (ctx.actor.leadId ?? null) : (leadId ?? null),
    conversationId: ctx.conversationId,
    tool,
    args,
    now: ctx.now,
  });
}

interface Proposal {
  kind: 'proposed';
  id: string;
  tool: string;
  args: Record<string, unknown>;
  note: string;
}

/**
 * What a model's call of a `writes` tool turns into (see invokeTool): not a
 * tool anyone can call, only the presenter of the proposal.
 */
export const writeProposal: ToolDefinition<z.ZodObject, Proposal> = {
  name: 'write_proposal',
  description: 'A proposed write waiting for the Confirm button.',
  roles: [],
  input: z.object({}),
  personOnly: true,
  async run() {
    throw new PolicyRefusal('a proposal is not a tool.');
  },
  present(result, ctx): OutboundMessage {
    const tool = TOOLS.find((t) => t.name === result.data.tool);
    const parsed = tool?.input.safeParse(result.data.args);
    const what = tool?.describeWrite && parsed?.success ? tool.describeWrite(parsed.data, ctx) : ctx.t('confirm.generic', { tool: result.data.tool });
    return outbound([{ type: 'text', text: ctx.t('confirm.question', { what }) }, confirmButtons(result.data.id, ctx.t)]);
  },
};

/** Turns a model's call of a write tool into a stored proposal (run by invokeTool inside the tool's transaction). */
export async function proposalFor(ctx: ToolContext, tool: AnyTool, args: Record<string, unknown>): Promise<ToolResult<Proposal>> {
  const id = await proposeWrite(ctx, tool.name, args);
  return {
    data: { kind: 'proposed', id, tool: tool.name, args, note: 'Nothing was written. The person sees Confirm/Cancel buttons; only their press runs it.' },
    summary: `proposed ${tool.name} (${id})`,
  };
}

const Input = z.object({ id: z.uuid() });

type Taken = { kind: 'ran'; tool: string; inner: ToolResult } | { kind: 'cancelled' } | { kind: 'already_used' } | { kind: 'expired' };

async function take(ctx: ToolContext, id: string, outcome: 'confirmed' | 'cancelled') {
  const asker = { staffUserId: ctx.actor.staffUserId ?? null, leadId: ctx.actor.role === 'customer' ? (ctx.actor.leadId ?? null) : null };
  const row = await takePendingConfirmation(ctx.sql, id, asker, outcome, ctx.now);
  if (row) return { row };
  const existing = await readPendingConfirmation(ctx.sql, id);
  if (!existing) throw new NotFoundError('That confirmation does not exist.');
  const mine = existing.staffUserId !== null ? existing.staffUserId === asker.staffUserId : asker.staffUserId === null && existing.leadId === asker.leadId;
  if (!mine) throw new PolicyRefusal('this is not your confirmation.', { i18n: 'confirm.not_yours' });
  if (existing.usedAt) return { failed: 'already_used' as const };
  return { failed: 'expired' as const };
}

export const confirmAction = defineTool({
  name: 'confirm_action',
  description: 'The Confirm button of a proposed write: runs it once, for the person who asked.',
  roles: ['rep', 'manager', 'admin'],
  personOnly: true,
  input: Input,
  async run(ctx, args): Promise<ToolResult<Taken>> {
    const taken = await take(ctx, args.id, 'confirmed');
    if ('failed' in taken) return { data: { kind: taken.failed! }, summary: `confirmation ${args.id} ${taken.failed}` };
    const { row } = taken;
    const tool = TOOLS.find((t) => t.name === row.tool);
    if (!tool || tool.personOnly || !tool.roles.includes(ctx.actor.role)) throw new PolicyRefusal(`the ${row.tool} tool is not available to a ${ctx.actor.role}.`);
    // The stored arguments were validated when proposed; they are parsed again by the tool's own schema.
    const parsed = tool.input.parse(row.args);
    const inner = await tool.run({ ...ctx, confirmed: true }, parsed);
    return { data: { kind: 'ran', tool: tool.name, inner }, summary: `confirmed ${row.id}: ${inner.summary}`, focusLeadId: inner.focusLeadId };
  },
  present(result, ctx) {
    const r = result.data;
    if (r.kind === 'ran') return TOOLS.find((t) => t.name === r.tool)!.present(r.inner, ctx);
    return outbound([{ type: 'text', text: ctx.t(r.kind === 'already_used' ? 'confirm.already_used' : r.kind === 'expired' ? 'confirm.expired' : 'workflow.cancelled') }]);
  },
});

export const cancelAction = defineTool({
  name: 'cancel_action',
  description: 'The Cancel button of a proposed write: writes nothing, and the Confirm button stops working.',
  roles: ['rep', 'manager', 'admin'],
  personOnly: true,
  input: Input,
  async run(ctx, args): Promise<ToolResult<Taken>> {
    const taken = await take(ctx, args.id, 'cancelled');
    if ('failed' in taken) return { data: { kind: taken.failed! }, summary: `confirmation ${args.id} ${taken.failed}` };
    return { data: { kind: 'cancelled' }, summary: `cancelled ${args.id}` };
  },
  present(result, ctx) {
    const r = result.data;
    return outbound([{ type: 'text', text: ctx.t(r.kind === 'already_used' ? 'confirm.already_used' : r.kind === 'expired' ? 'confirm.expired' : 'workflow.cancelled') }]);
  },
});
