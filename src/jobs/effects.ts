import { Worker, type Job } from 'bullmq';
import type { RedisOptions } from 'ioredis';
import type { Database } from '../db/database.ts';
import { withTenant } from '../db/tenant.ts';
import { applyInboundEffects } from '../core/conversations.ts';
import { cachedTenant } from '../core/tenants.ts';
import type { Logger } from '../log.ts';
import { bullConnection, QUEUE_NAMES, type EffectsJob } from './queues.ts';

/**
 * The inbound-effects job: what an inbound message changes besides its own
 * rows (activity, lead recency, follow-up rules), moved off the webhook's
 * transaction so the platform gets its acknowledgement sooner (issue #11).
 * Idempotent per message: the row's `effects` column is cleared in the same
 * transaction that applies them.
 */
export async function runEffectsJob(db: Database, job: EffectsJob): Promise<'applied' | 'none'> {
  const tenant = await cachedTenant(db, job.tenantId);
  return withTenant(db, job.tenantId, (sql) => applyInboundEffects(sql, tenant, job.messageId));
}

export function startEffectsWorker(deps: { db: Database; log: Logger }, connection: RedisOptions, prefix: string, concurrency = 10): Worker<EffectsJob> {
  const worker = new Worker<EffectsJob>(QUEUE_NAMES.effects, async (job: Job<EffectsJob>) => runEffectsJob(deps.db, job.data), {
    connection: bullConnection(connection),
    prefix,
    concurrency,
  });
  worker.on('error', (err) => deps.log.error({ err: err.message }, 'inbound-effects worker error'));
  worker.on('failed', (job, err) => deps.log.warn({ jobId: job?.id, err: err.message }, 'inbound-effects job failed'));
  return worker;
}
