import { Queue, Worker, type Job } from 'bullmq';
import type { RedisOptions } from 'ioredis';
import type { Database } from '../db/database.ts';
import type { Logger } from '../log.ts';
import { runFollowup, type FollowupOutcome } from '../core/followups/execute.ts';
import { bullConnection, enqueueDelivery, type Queues } from './queues.ts';

/**
 * Follow-up steps as delayed jobs. The job carries only the row id; the job id
 * is derived from the row id and its due time, so the reconciler can re-add a
 * lost job without ever making a second one for the same schedule.
 */
export const FOLLOWUPS_QUEUE = 'followups';

export interface FollowupJob {
  tenantId: string;
  executionId: string;
}

export function createFollowupQueue(connection: RedisOptions, prefix: string): Queue<FollowupJob> {
  return new Queue<FollowupJob>(FOLLOWUPS_QUEUE, { connection: bullConnection(connection), prefix });
}

export function followupJobId(executionId: string, dueAt: Date): string {
  return `fu-${executionId}-${dueAt.getTime()}`;
}

export async function enqueueFollowup(queue: Queue<FollowupJob>, job: FollowupJob, dueAt: Date, now = new Date()): Promise<void> {
  await queue.add('followup', job, {
    jobId: followupJobId(job.executionId, dueAt),
    delay: Math.max(0, dueAt.getTime() - now.getTime()),
    attempts: 5,
    backoff: { type: 'exponential', delay: 2_000 },
    removeOnComplete: true,
    removeOnFail: { count: 5_000 },
  });
}

export interface FollowupWorkerDeps {
  db: Database;
  queues: Queues;
  followups: Queue<FollowupJob>;
  log: Logger;
  now?: () => Date;
}

/** Runs one job: the step, then the delivery (sent) or the next wake-up (deferred, not yet due). */
export async function processFollowup(deps: FollowupWorkerDeps, job: FollowupJob): Promise<FollowupOutcome> {
  const now = deps.now?.() ?? new Date();
  const outcome = await runFollowup(deps.db, job.tenantId, job.executionId, now);
  if (outcome.status === 'sent') await enqueueDelivery(deps.queues, { tenantId: job.tenantId, messageId: outcome.messageId });
  else if (outcome.status === 'deferred' || outcome.status === 'not_due') await enqueueFollowup(deps.followups, job, outcome.dueAt, now);
  else if (outcome.status !== 'not_claimed') deps.log.info({ executionId: job.executionId, ...outcome }, 'follow-up not sent');
  return outcome;
}

export function startFollowupWorker(deps: FollowupWorkerDeps, connection: RedisOptions, prefix: string, concurrency = 10): Worker<FollowupJob> {
  const worker = new Worker<FollowupJob>(FOLLOWUPS_QUEUE, async (job: Job<FollowupJob>) => (await processFollowup(deps, job.data)).status, {
    connection: bullConnection(connection),
    prefix,
    concurrency,
  });
  worker.on('error', (err) => deps.log.error({ err: err.message }, 'follow-up worker error'));
  worker.on('failed', (job, err) => deps.log.warn({ jobId: job?.id, err: err.message }, 'follow-up job failed'));
  return worker;
}
