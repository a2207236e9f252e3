import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { RedisOptions } from 'ioredis';
import { withTenant } from '../db/tenant.ts';
import type { Database } from '../db/database.ts';
import { ChannelApiError, ConfigError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { ChannelAdapter } from '../bots/types.ts';
import type { Channel, OutboundPart } from '../core/messages/types.ts';
import type { EventBus } from './bus.ts';
import { DELIVERY_JOB_OPTIONS, bullConnection, QUEUE_NAMES, type DeliveryJob } from './queues.ts';

export interface DeliveryDeps {
  db: Database;
  log: Logger;
  bus: EventBus;
  adapters: Map<Channel, ChannelAdapter>;
}

interface Claimed {
  id: string;
  conversation_id: string;
  channel_account_id: string;
  channel: Channel;
  external_chat_id: string;
  text: string | null;
  parts: OutboundPart[];
  attempts: number;
}

/**
 * Sends one outbound message. The pending → sending update is conditional, so
 * two workers (or a re-added job) can never send the same row twice.
 */
export type DeliveryOutcome = { status: 'sent' | 'skipped' | 'failed' } | { status: 'retry'; retryAfterMs?: number | undefined };

export async function deliverMessage(deps: DeliveryDeps, job: DeliveryJob, attempt: { isFinal: boolean }): Promise<DeliveryOutcome> {
  const row = await withTenant(deps.db, job.tenantId, async (sql) => {
    const { rows } = await sql.query<Claimed>(
      `UPDATE messages m SET status = 'sending', attempts = m.attempts + 1
       FROM conversations c
       WHERE m.id = $1 AND m.status = 'pending' AND m.direction = 'out' AND c.id = m.conversation_id
       RETURNING m.id, m.conversation_id, m.channel_account_id, c.channel, c.external_chat_id, m.text, m.parts, m.attempts`,
      [job.messageId],
    );
    return rows[0];
  });
  if (!row) return { status: 'skipped' };
  const adapter = deps.adapters.get(row.channel);
  const finish = async (status: 'sent' | 'pending' | 'failed', extra: { platformId?: string | undefined; error?: string | undefined }) => {
    await withTenant(deps.db, job.tenantId, (sql) =>
      sql.query(
        `UPDATE messages SET status = $2, sent_at = CASE WHEN $2 = 'sent' THEN now() ELSE sent_at END,
           platform_sent_id = COALESCE($3, platform_sent_id), error = $4
         WHERE id = $1 AND status = 'sending'`,
        [row.id, status, extra.platformId ?? null, extra.error ?? null],
      ),
    );
  };
  try {
    if (!adapter) throw new ConfigError(`No adapter for channel ${row.channel} is running in this process.`);
    const res = await adapter.send(
      { tenantId: job.tenantId, channelAccountId: row.channel_account_id, conversationId: row.conversation_id, externalChatId: row.external_chat_id, messageId: row.id },
      { text: row.text ?? '', parts: row.parts },
    );
    await finish('sent', { platformId: res.platformMessageId });
    await deps.bus.publish({ type: 'delivered', conversationId: row.conversation_id, messageId: row.id });
    return { status: 'sent' };
  } catch (err) {
    const temporary = err instanceof ChannelApiError && !err.permanent;
    const message = (err as Error).message;
    if (temporary && !attempt.isFinal) {
      await finish('pending', { error: message });
      deps.log.warn({ messageId: row.id, err: message }, 'delivery failed, will retry');
      return { status: 'retry', retryAfterMs: err.retryAfterMs };
    }
    await finish('failed', { error: message });
    await deps.bus.publish({ type: 'failed', conversationId: row.conversation_id, messageId: row.id });
    deps.log.error({ messageId: row.id, err: message }, 'delivery failed for good');
    return { status: 'failed' };
  }
}

export function startDeliveryWorker(deps: DeliveryDeps, connection: RedisOptions, prefix: string, concurrency = 20): Worker<DeliveryJob> {
  const maxAttempts = DELIVERY_JOB_OPTIONS.attempts ?? 1;
  const worker = new Worker<DeliveryJob>(
    QUEUE_NAMES.delivery,
    async (job: Job<DeliveryJob>, token?: string) => {
      const outcome = await deliverMessage(deps, job.data, { isFinal: job.attemptsMade + 1 >= maxAttempts });
      if (outcome.status === 'retry') {
        // The platform said when to come back: wait exactly that long instead of the generic backoff.
        if (outcome.retryAfterMs && outcome.retryAfterMs > 0 && token) {
          await job.moveToDelayed(Date.now() + outcome.retryAfterMs, token);
          throw new DelayedError();
        }
        throw new Error('temporary delivery failure');
      }
      if (outcome.status === 'failed') throw new UnrecoverableError('delivery failed permanently');
      return outcome.status;
    },
    { connection: bullConnection(connection), prefix, concurrency },
  );
  worker.on('error', (err) => deps.log.error({ err: err.message }, 'delivery worker error'));
  return worker;
}
