import type { Database } from '../db/database.ts';
import { withTenant } from '../db/tenant.ts';
import { queueNotice, type IngestResult } from '../core/conversations.ts';
import type { InboundLimiter, InboundVerdict } from '../core/limits.ts';
import { translator } from '../agents/i18n.ts';
import type { Logger } from '../log.ts';
import { enqueueDelivery, enqueueEffects, enqueueTurn, TURN_JOB_OPTIONS, type Queues } from './queues.ts';

export interface InboundQueueDeps {
  db: Database;
  queues: Queues;
  log?: Logger | undefined;
}

/**
 * Takes the sender's token (per channel account and platform user, i.e. per
 * channel identity), to start before the message's transaction: the Redis
 * round trip then overlaps the database's instead of following it. A
 * redelivery takes a token too; platforms redeliver rarely.
 */
export function takeInboundToken(limiter: InboundLimiter | undefined, channelAccountId: string, externalUserId: string): Promise<InboundVerdict> | undefined {
  return limiter?.take(`${channelAccountId}:${externalUserId}`);
}

/**
 * What follows a committed inbound message: its side effects (when it has
 * any) and its turn, unless the sender is over the flood limit (issue #12
 * item 7). Then the message stays stored and gets no turn of its own: one
 * delayed turn per conversation, when the bucket refills, answers everything
 * that piled up (a turn claims all of one sender's waiting messages), and the
 * first excess message of the window gets one polite "slow down". A job lost
 * here is re-added by the reconciler from the row (status 'received', effects
 * not yet cleared).
 */
export async function queueInbound(deps: InboundQueueDeps, result: IngestResult, turnDelayMs: number, locale: string, token?: Promise<InboundVerdict>): Promise<void> {
  const job = { tenantId: result.tenantId, conversationId: result.conversationId, messageId: result.messageId };
  if (result.duplicate) {
    // A redelivery of a message still waiting for its turn is queued again: the first attempt may have stored it and
    // then failed to queue it (Redis down, a timeout → 500 → the platform retried). The job ids make this harmless.
    if (result.waiting) {
      await Promise.all([
        result.effects ? enqueueEffects(deps.queues, { tenantId: result.tenantId, messageId: result.messageId }) : undefined,
        enqueueTurn(deps.queues, job, turnDelayMs),
      ]);
    }
    return;
  }
  const verdict: InboundVerdict = (await token) ?? { allowed: true };
  const effects = result.effects ? enqueueEffects(deps.queues, { tenantId: result.tenantId, messageId: result.messageId }) : undefined;
  if (verdict.allowed) {
    // The effects job and the turn go out together: one round trip.
    await Promise.all([effects, enqueueTurn(deps.queues, job, turnDelayMs)]);
    return;
  }
  await effects;
  // One coalescing turn per conversation and window: while it waits, re-adding it is a no-op.
  await deps.queues.turns.add('turn', job, { ...TURN_JOB_OPTIONS, jobId: `coalesce-${result.conversationId}`, delay: Math.max(verdict.retryInMs, turnDelayMs) });
  if (verdict.first) {
    const noticeId = await withTenant(deps.db, result.tenantId, (sql) => queueNotice(sql, result.conversationId, translator(locale)('errors.slow_down')));
    if (noticeId) await enqueueDelivery(deps.queues, { tenantId: result.tenantId, messageId: noticeId });
    deps.log?.info({ conversationId: result.conversationId, retryInMs: verdict.retryInMs }, 'inbound flood limit: turns coalesced');
  }
}
