import { Queue, type ConnectionOptions, type JobsOptions } from 'bullmq';
import type { RedisOptions } from 'ioredis';

/**
 * Queue names and job shapes. Jobs carry ids, never payloads: Postgres holds
 * the truth, so a job lost by Redis is re-created from its row by the
 * reconciler, and a job id derived from the row id makes re-adding harmless.
 */
export const QUEUE_NAMES = { turns: 'turns', delivery: 'delivery', effects: 'inbound-effects' } as const;

export interface TurnJob {
  tenantId: string;
  conversationId: string;
  messageId: string;
}

export interface DeliveryJob {
  tenantId: string;
  messageId: string;
}

/** An inbound message's side effects (activity, lead recency, follow-up rules), applied after the webhook's commit. */
export interface EffectsJob {
  tenantId: string;
  messageId: string;
}

export interface Queues {
  turns: Queue<TurnJob>;
  delivery: Queue<DeliveryJob>;
  effects: Queue<EffectsJob>;
  prefix: string;
  close(): Promise<void>;
}

export const TURN_JOB_OPTIONS: JobsOptions = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 1_000 },
  removeOnComplete: true,
  removeOnFail: { count: 1_000 },
};

export const EFFECTS_JOB_OPTIONS: JobsOptions = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 1_000 },
  removeOnComplete: true,
  removeOnFail: { count: 1_000 },
};

export const DELIVERY_JOB_OPTIONS: JobsOptions = {
  attempts: 6,
  backoff: { type: 'exponential', delay: 1_000 },
  removeOnComplete: true,
  removeOnFail: { count: 5_000 },
};

/** ioredis options as BullMQ's connection type (BullMQ 6 accepts several client libraries, so its type is looser than ioredis's). */
export function bullConnection(options: RedisOptions): ConnectionOptions {
  return options as ConnectionOptions;
}

export function createQueues(connection: RedisOptions, prefix: string): Queues {
  const turns: Queue<TurnJob> = new Queue(QUEUE_NAMES.turns, { connection: bullConnection(connection), prefix });
  const delivery: Queue<DeliveryJob> = new Queue(QUEUE_NAMES.delivery, { connection: bullConnection(connection), prefix });
  const effects: Queue<EffectsJob> = new Queue(QUEUE_NAMES.effects, { connection: bullConnection(connection), prefix });
  return {
    turns,
    delivery,
    effects,
    prefix,
    async close() {
      await Promise.all([turns.close(), delivery.close(), effects.close()]);
    },
  };
}

export function turnJobId(messageId: string): string {
  return `turn-${messageId}`;
}

export function deliveryJobId(messageId: string): string {
  return `send-${messageId}`;
}

export async function enqueueTurn(queues: Queues, job: TurnJob, delayMs: number): Promise<void> {
  await queues.turns.add('turn', job, { ...TURN_JOB_OPTIONS, jobId: turnJobId(job.messageId), delay: delayMs });
}

export function effectsJobId(messageId: string): string {
  return `fx-${messageId}`;
}

export async function enqueueEffects(queues: Queues, job: EffectsJob): Promise<void> {
  await queues.effects.add('effects', job, { ...EFFECTS_JOB_OPTIONS, jobId: effectsJobId(job.messageId) });
}

export async function enqueueDelivery(queues: Queues, job: DeliveryJob): Promise<void> {
  await queues.delivery.add('deliver', job, { ...DELIVERY_JOB_OPTIONS, jobId: deliveryJobId(job.messageId) });
}
