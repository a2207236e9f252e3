import type { z } from 'zod';
import type { Sql } from '../db/database.ts';
import type { Actor, Role } from '../core/actors.ts';
import type { Tenant } from '../core/tenants.ts';
import type { OutboundMessage } from '../core/messages/types.ts';
import type { Translate } from '../agents/i18n.ts';

/** What a tool sees: a transaction already scoped to the tenant (RLS), the actor, and the clock. */
export interface ToolContext {
  sql: Sql;
  tenant: Tenant;
  actor: Actor;
  now: Date;
  conversationId?: string | undefined;
  /** The lead the conversation is about ("she", "that lead"); see resolveLeadRef. */
  focusLeadId?: string | null | undefined;
  /**
   * True only when the person who asked pressed this write's Confirm button
   * (confirm_action ran it from its server-side pending row). Nothing a model
   * or a button payload sends can set it.
   */
  confirmed?: boolean | undefined;
}

export interface ToolResult<R = unknown> {
  data: R;
  /** One line for the audit log: what happened, never personal data beyond ids. */
  summary: string;
  /** The lead this result is about, so "she" in the next turn resolves to it. */
  focusLeadId?: string | undefined;
}

export interface PresentContext {
  tenant: Tenant;
  actor: Actor;
  locale: string;
  t: Translate;
  now: Date;
}

/**
 * A typed tool: the only door to data for the agent. `roles` is checked
 * before `input` is parsed, so a customer never even learns a rep tool's
 * argument errors.
 */
export interface ToolDefinition<S extends z.ZodType = z.ZodType, R = unknown> {
  name: string;
  description: string;
  roles: readonly Role[];
  input: S;
  /**
   * A write that a model may only propose: called by the LLM agent it stores a
   * pending confirmation and shows Confirm/Cancel to the person instead of running.
   */
  writes?: boolean;
  /** Only a person's button press may call it (confirm_action, cancel_action): never offered to a model. */
  personOnly?: boolean;
  /** For a proposed write: one line saying what Confirm will do, in the reader's language. */
  describeWrite?(args: z.output<S>, ctx: PresentContext): string;
  run(ctx: ToolContext, args: z.output<S>): Promise<ToolResult<R>>;
  /** Renders the result for people (rules mode replies, and cards attached to LLM answers). */
  present(result: ToolResult<R>, ctx: PresentContext): OutboundMessage;
}

// The registry stores tools of many shapes; `defineTool` keeps each one typed at its definition.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyTool = ToolDefinition<z.ZodType, any>;

export function defineTool<S extends z.ZodType, R>(def: ToolDefinition<S, R>): ToolDefinition<S, R> {
  return def;
}
