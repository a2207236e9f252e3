import { Queue, type JobsOptions } from 'bullmq';
import type { Queues } from '../../jobs/queues.ts';

export const HANDOFF_QUEUE = 'handoff';

/**
 * 'sync' opens the Slack thread if it is not open yet and relays customer
 * messages not yet shown there; 'sla' re-alerts a thread nobody answered;
 * 'resolved' posts the closing note.
 */
export type HandoffJob =
  | { kind: 'sync'; tenantId: string; conversationId: string }
  | { kind: 'sla'; tenantId: string; handoffId: string }
  | { kind: 'resolved'; tenantId: string; handoffId: string };

const OPTIONS: JobsOptions = { attempts: 5, backoff: { type: 'exponential', delay: 1_000 }, removeOnComplete: true, removeOnFail: { count: 1_000 } };

// One handoff queue per app's queue set; it shares their Redis connection options and prefix.
const queues = new WeakMap<Queues, Queue<HandoffJob>>();

export function handoffQueue(q: Queues): Queue<HandoffJob> {
  let queue = queues.get(q);
  if (!queue) {
    queue = new Queue<HandoffJob>(HANDOFF_QUEUE, { connection: q.turns.opts.connection, prefix: q.prefix });
    queues.set(q, queue);
  }
  return queue;
}

export async function closeHandoffQueue(q: Queues): Promise<void> {
  const queue = queues.get(q);
  queues.delete(q);
  await queue?.close();
}

/** `trigger` makes the id unique per cause (the inbound message, the opening), so a later sync is never swallowed by an earlier one. */
export async function enqueueHandoffSync(q: Queues, tenantId: string, conversationId: string, trigger: string): Promise<void> {
  await handoffQueue(q).add('sync', { kind: 'sync', tenantId, conversationId }, { ...OPTIONS, jobId: `handoff-sync-${conversationId}-${trigger}` });
}

/** One SLA check per handoff (a conversation's handoff row): re-adding it is harmless. */
export async function enqueueHandoffSla(q: Queues, tenantId: string, handoffId: string, delayMs: number): Promise<void> {
  await handoffQueue(q).add('sla', { kind: 'sla', tenantId, handoffId }, { ...OPTIONS, delay: Math.max(0, delayMs), jobId: `handoff-sla-${handoffId}` });
}

export async function enqueueHandoffResolved(q: Queues, tenantId: string, handoffId: string): Promise<void> {
  await handoffQueue(q).add('resolved', { kind: 'resolved', tenantId, handoffId }, { ...OPTIONS, jobId: `handoff-resolved-${handoffId}` });
}
