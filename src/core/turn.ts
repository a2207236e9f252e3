import { randomUUID } from 'node:crypto';
import type { Database } from '../db/database.ts';
import { withTenant } from '../db/tenant.ts';
import type { Queues } from '../jobs/queues.ts';
import { NotFoundError } from '../errors.ts';
import { actorForPerson, type Actor, type Person } from './actors.ts';
import { acquireTurnLease, claimInbound, getConversation, recordTurn, releaseTurnLease, type ConversationRow, type InboundRow, type TurnOutcome } from './conversations.ts';
import { handoffGate } from './handoff/turn.ts';
import { cachedTenant, type Tenant } from './tenants.ts';

/**
 * One conversation turn, as a service the turn job calls: lease → claim one
 * sender's messages → resolve that sender as the actor → handoff gate →
 * answer (the agent, injected: core does not import agents) → record. It
 * returns what happened as a value; queueing deliveries and events is the
 * caller's (the job's) business.
 */
export interface TurnRequest {
  tenantId: string;
  conversationId: string;
  /** Who holds the lease while this runs (unique per worker and job). */
  owner: string;
  leaseMs: number;
}

/** A claimed turn, ready for the agent. */
export interface ClaimedTurn {
  turnId: string;
  tenant: Tenant;
  conversation: ConversationRow;
  messages: InboundRow[];
  inboundIds: string[];
  actor: Actor;
}

export interface TurnServiceDeps {
  db: Database;
  queues: Queues;
  now: () => Date;
  /** Runs the agent on a claimed turn. Must not throw: a failure is an outcome (a polite reply, inboundStatus 'failed'). */
  answer: (turn: ClaimedTurn) => Promise<TurnOutcome>;
}

export type TurnResult =
  | { status: 'busy' }
  | { status: 'nothing-to-do' }
  | {
      status: 'done';
      conversationId: string;
      turnId: string;
      inboundIds: string[];
      /** Outbound rows the turn wrote, to deliver. */
      outboundIds: string[];
      outcome: TurnOutcome;
      /** Another sender's message waits behind this turn's: it needs its own turn. */
      nextInboundId: string | null;
    };

export async function runTurn(deps: TurnServiceDeps, req: TurnRequest): Promise<TurnResult> {
  const got = await withTenant(deps.db, req.tenantId, (sql) => acquireTurnLease(sql, req.conversationId, req.owner, req.leaseMs));
  if (!got) return { status: 'busy' };
  try {
    const tenant = await cachedTenant(deps.db, req.tenantId);
    const turnId = randomUUID();
    const claimed = await withTenant(deps.db, req.tenantId, async (sql) => {
      const conv = await getConversation(sql, req.conversationId);
      if (!conv) return undefined;
      const { messages, nextId } = await claimInbound(sql, conv.id, turnId);
      if (messages.length === 0) return undefined;
      const actor = await senderActor(sql, tenant, conv, messages[0]!);
      return { conv, messages, nextId, actor };
    });
    if (!claimed) return { status: 'nothing-to-do' };
    const { messages, nextId, actor } = claimed;
    const inboundIds = messages.map((m) => m.id);
    let conversation = claimed.conv;
    // A handed-off conversation stays silent (its messages go to the Slack thread) unless the handoff went idle.
    if (conversation.status === 'handoff') conversation = (await handoffGate(deps, tenant, conversation, deps.now())).conversation;
    const outcome: TurnOutcome =
      conversation.status === 'handoff' || !actor
        ? // A human has this conversation (or nobody is behind it): store, do not answer.
          { turnId, inboundIds, replies: [], mode: 'rules', toolCalls: [], inboundStatus: 'ignored' }
        : await deps.answer({ turnId, tenant, conversation, messages, inboundIds, actor });
    const outboundIds = await withTenant(deps.db, req.tenantId, (sql) => recordTurn(sql, tenant, conversation, outcome));
    return { status: 'done', conversationId: conversation.id, turnId, inboundIds, outboundIds, outcome, nextInboundId: nextId };
  } finally {
    await withTenant(deps.db, req.tenantId, (sql) => releaseTurnLease(sql, req.conversationId, req.owner)).catch(() => undefined);
  }
}

/**
 * The person behind the turn's messages: their own sender, never whoever
 * opened the conversation (in a shared Slack thread those differ). Rows
 * stored before senders were recorded fall back to the conversation's person.
 * A sender removed since is nobody: the message is stored, not answered.
 */
async function senderActor(sql: Parameters<typeof actorForPerson>[0], tenant: Tenant, conv: ConversationRow, first: InboundRow): Promise<Actor | undefined> {
  const person: Person | undefined = first.sender_staff_user_id
    ? { kind: 'staff', id: first.sender_staff_user_id }
    : first.sender_lead_id
      ? { kind: 'lead', id: first.sender_lead_id }
      : conv.staff_user_id
        ? { kind: 'staff', id: conv.staff_user_id }
        : conv.lead_id
          ? { kind: 'lead', id: conv.lead_id }
          : undefined;
  if (!person) return undefined;
  try {
    return await actorForPerson(sql, tenant, person);
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
}
