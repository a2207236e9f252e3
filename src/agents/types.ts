import type { Actor } from '../core/actors.ts';
import type { ConversationRow, InboundRow } from '../core/conversations.ts';
import type { OutboundMessage } from '../core/messages/types.ts';
import type { Tenant } from '../core/tenants.ts';

export interface TurnInput {
  tenant: Tenant;
  actor: Actor;
  conversation: ConversationRow;
  /** The inbound messages of this turn, oldest first (a burst is one turn). */
  messages: InboundRow[];
  now: Date;
  signal: AbortSignal;
}

export interface TurnOutput {
  replies: OutboundMessage[];
  toolCalls: { name: string; args: unknown }[];
  mode: 'rules' | 'llm';
  locale: string;
  focusLeadId?: string | null | undefined;
  /** The assistant could not help with this turn (see src/agents/unhandled.ts); counted toward an automatic handoff. */
  unhandled?: boolean | undefined;
}

/** Turns a user's messages into replies. Rules mode and the LLM agent both implement it. */
export interface Agent {
  run(input: TurnInput): Promise<TurnOutput>;
}
