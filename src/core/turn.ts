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
      /** The conversation's status after the turn ('handoff' when a tool handed it to a person, or it already was). */
      conversationStatus: ConversationRow['status'];
      outcome: TurnOutcome;
      /** Another sender's message waits behind this turn's: it needs its own turn. */
      nextInboundId: string | null;
    };

export async function runTurn(deps: TurnServiceDeps, req: TurnRequest): Promise<TurnResult> {
  const tenant = await cachedTenant(deps.db, req.tenantId);
  const turnId = randomUUID();
  // Lease and claim in one transaction: the conversation row (the lease) first, then its messages, the order
  // recordTurn and ingestInbound lock in. The lease is visible to other workers once this commits.
  const claimed = await withTenant(deps.db, req.tenantId, async (sql) => {
    if (!(await acquireTurnLease(sql, req.conversationId, req.owner, req.leaseMs))) return 'busy' as const;
    const conv = await getConversation(sql, req.conversationId);
    const { messages, nextId } = conv ? await claimInbound(sql, conv.id, turnId) : { messages: [], nextId: null };
    if (!conv || messages.length === 0) {
      await releaseTurnLease(sql, req.conversationId, req.owner);
      return 'nothing-to-do' as const;
    }
    const actor = await senderActor(sql, tenant, conv, messages[0]!);
    return { conv, messages, nextId, actor };
  });
  if (claimed === 'busy' || claimed === 'nothing-to-do') return { status: claimed };
  let released = false;
  try {
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
    // Recording the turn also lets the lease go (one transaction, not two).
    const recorded = await withTenant(deps.db, req.tenantId, (sql) => recordTurn(sql, tenant, conversation, outcome, { releaseOwner: req.owner }));
    released = true;
    return {
      status: 'done',
      conversationId: conversation.id,
      turnId,
      inboundIds,
      outboundIds: recorded.outboundIds,
      conversationStatus: recorded.status,
      outcome,
      nextInboundId: nextId,
    };
  } finally {
    if (!released) await withTenant(deps.db, req.tenantId, (sql) => releaseTurnLease(sql, req.conversationId, req.owner)).catch(() => undefined);
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
