import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import { withTenant } from '../db/tenant.ts';
import type { Database } from '../db/database.ts';
import { ChannelApiError, ConfigError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { ChannelAdapter, ChannelLimits } from '../bots/types.ts';
import { CHANNEL_MODULES } from '../bots/registry.ts';
import type { Channel, OutboundPart } from '../core/messages/types.ts';
import type { EventBus } from './bus.ts';
import { DELIVERY_JOB_OPTIONS, bullConnection, QUEUE_NAMES, type DeliveryJob } from './queues.ts';
import { DeliveryRateLimiter } from './ratelimit.ts';
import { cancelPending } from '../core/followups/events.ts';

export interface DeliveryDeps {
  db: Database;
  log: Logger;
  bus: EventBus;
  adapters: Map<Channel, ChannelAdapter>;
  /**
   * Shared send budgets. startDeliveryWorker makes one on Redis when none is
   * given; `false` turns platform limits off (benchmarks of raw dispatch only).
   */
  limiter?: DeliveryRateLimiter | false | undefined;
  /** Each channel's limits (default: the registered channel modules'). */
  limits?: ReadonlyMap<Channel, ChannelLimits> | undefined;
}

interface Claimed {
  id: string;
  conversation_id: string;
  channel_account_id: string;
  channel: Channel;
  external_chat_id: string;
  channel_identity_id: string | null;
  lead_id: string | null;
  text: string | null;
  parts: OutboundPart[];
  attempts: number;
}

/**
 * How long a row may stay 'sending' before the reconciler takes it for a
 * worker that died mid-send and puts it back to 'pending'. Longer than any
 * send takes (the platform call with its timeout, a split message's pacing).
 * The platforms offer no way to ask whether a message arrived and Telegram
 * no idempotency key, so a worker killed after the platform accepted the
 * message but before the row was marked 'sent' makes that one message go
 * out twice: at-least-once for the sends in flight at a crash, exactly once
 * for everything else (docs/PRODUCTION.md).
 */
export const SENDING_LEASE_MS = 60_000;

/** How long a message waits before looking again when an older one of its chat is still on its way. */
const HOLD_MS = 150;

/**
 * Sends one outbound message. The pending → sending update is conditional, so
 * two workers (or a re-added job) can never send the same row twice.
 * 'wait' means "not now, come back in waitMs": an older message of the same
 * chat is not delivered yet (chats keep their order) or the platform's
 * budget for this chat or account is spent.
 */
export type DeliveryOutcome =
  | { status: 'sent' | 'skipped' | 'failed' }
  | { status: 'retry'; retryAfterMs?: number | undefined }
  | { status: 'wait'; waitMs: number; reason: 'order' | 'rate' };

interface Peek {
  conversation_id: string;
  channel_account_id: string;
  channel: Channel;
  external_chat_id: string;
  status: string;
  older: number;
}

export async function deliverMessage(deps: DeliveryDeps, job: DeliveryJob, attempt: { isFinal: boolean }): Promise<DeliveryOutcome> {
  const peek = await withTenant(deps.db, job.tenantId, async (sql) => {
    const { rows } = await sql.query<Peek>(
      `SELECT m.conversation_id, m.channel_account_id, c.channel, c.external_chat_id, m.status,
         (SELECT count(*)::int FROM messages o
          WHERE o.conversation_id = m.conversation_id AND o.direction = 'out'
            -- A row left 'sending' by a crashed worker must not hold its chat forever.
            -- (The reconciler puts such a row back to 'pending' after SENDING_LEASE_MS; this is the last resort.)
            AND (o.status = 'pending' OR (o.status = 'sending' AND COALESCE(o.claimed_at, o.created_at) > now() - interval '10 minutes'))
            AND (o.created_at, o.id) < (m.created_at, m.id)) AS older
       FROM messages m JOIN conversations c ON c.id = m.conversation_id
       WHERE m.id = $1 AND m.direction = 'out'`,
      [job.messageId],
    );
    return rows[0];
  });
  if (!peek || peek.status !== 'pending') return { status: 'skipped' };
  if (peek.older > 0) return { status: 'wait', waitMs: HOLD_MS, reason: 'order' };
  const limits = (deps.limits ?? DEFAULT_LIMITS).get(peek.channel);
  const limiter = deps.limiter && limits ? deps.limiter : undefined;
  if (limiter && limits) {
    // A look only: the budget is taken after the claim, as close to the platform call as we can get.
    const waitMs = await limiter.check(peek.channel, limits, peek.channel_account_id, peek.external_chat_id);
    if (waitMs > 0) return { status: 'wait', waitMs, reason: 'rate' };
  }

  const row = await withTenant(deps.db, job.tenantId, async (sql) => {
    const { rows } = await sql.query<Claimed>(
      `UPDATE messages m SET status = 'sending', attempts = m.attempts + 1, claimed_at = now()
       FROM conversations c
       WHERE m.id = $1 AND m.status = 'pending' AND m.direction = 'out' AND c.id = m.conversation_id
       RETURNING m.id, m.conversation_id, m.channel_account_id, c.channel, c.external_chat_id, c.channel_identity_id, c.lead_id, m.text, m.parts, m.attempts`,
      [job.messageId],
    );
    return rows[0];
  });
  if (!row) return { status: 'skipped' };
  if (limiter && limits) {
    // Taken between the claim and the send, not before the claim: the platform counts arrivals, and a claim queued
    // behind other database work would otherwise put a send that left the limiter on time late into the next window.
    const giveBack = () =>
      withTenant(deps.db, job.tenantId, (sql) =>
        sql.query(`UPDATE messages SET status = 'pending', attempts = attempts - 1 WHERE id = $1 AND status = 'sending'`, [row.id]),
      );
    let waitMs: number;
    try {
      waitMs = await limiter.take(row.channel, limits, row.channel_account_id, row.external_chat_id);
    } catch (err) {
      // Redis unreachable (restarting): nothing was sent, so the row goes back as it was and the job retries. Left
      // 'sending', its retry skipped it and the reply waited for the reconciler's lease (found by the soak's Redis restart).
      await giveBack();
      throw err;
    }
    if (waitMs > 0) {
      // Another process took the budget since the look: give the row back as it was.
      await giveBack();
      return { status: 'wait', waitMs, reason: 'rate' };
    }
  }
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
    const pace =
      limiter && limits
        ? async () => {
            // Waits inside the job (the job's lock is renewed meanwhile): the parts before this one are already on the platform.
            let waitMs: number;
            while ((waitMs = await limiter.take(row.channel, limits, row.channel_account_id, row.external_chat_id)) > 0) await new Promise((r) => setTimeout(r, waitMs));
          }
        : undefined;
    const res = await adapter.send(
      { tenantId: job.tenantId, channelAccountId: row.channel_account_id, conversationId: row.conversation_id, externalChatId: row.external_chat_id, messageId: row.id, pace },
      { text: row.text ?? '', parts: row.parts },
    );
    await finish('sent', { platformId: res.platformMessageId });
    await deps.bus.publish({ type: 'delivered', conversationId: row.conversation_id, messageId: row.id });
    return { status: 'sent' };
  } catch (err) {
    const apiError = err instanceof ChannelApiError ? err : undefined;
    const message = (err as Error).message;
    // A platform's "come back in N seconds" is not a failure: it does not use up an attempt.
    const rateLimited = apiError && !apiError.permanent && apiError.retryAfterMs !== undefined && apiError.retryAfterMs > 0;
    if (apiError && !apiError.permanent && (rateLimited || !attempt.isFinal)) {
      await finish('pending', { error: message });
      deps.log.warn({ messageId: row.id, err: message, retryAfterMs: apiError.retryAfterMs }, 'delivery failed, will retry');
      return { status: 'retry', retryAfterMs: apiError.retryAfterMs };
    }
    if (apiError?.context.unreachable === true) await markUnreachable(deps.db, job.tenantId, row);
    await finish('failed', { error: message });
    await deps.bus.publish({ type: 'failed', conversationId: row.conversation_id, messageId: row.id });
    deps.log.error({ messageId: row.id, err: message }, 'delivery failed for good');
    return { status: 'failed' };
  }
}

/**
 * The person blocked the bot or no longer exists on the platform: record it
 * on the identity and the lead, so follow-ups and reps stop writing to a
 * chat nobody reads, instead of retrying forever.
 */
async function markUnreachable(db: Database, tenantId: string, row: Claimed): Promise<void> {
  await withTenant(db, tenantId, async (sql) => {
    if (row.channel_identity_id) await sql.query('UPDATE channel_identities SET unreachable_at = COALESCE(unreachable_at, now()) WHERE id = $1', [row.channel_identity_id]);
    if (row.lead_id) {
      await sql.query('UPDATE leads SET unreachable = true, updated_at = now() WHERE id = $1', [row.lead_id]);
      await cancelPending(sql, row.lead_id, 'unreachable', new Date());
    }
  });
}

const DEFAULT_LIMITS: ReadonlyMap<Channel, ChannelLimits> = new Map(CHANNEL_MODULES.map((m) => [m.channel, m.limits]));

export function startDeliveryWorker(deps: DeliveryDeps, connection: RedisOptions, prefix: string, concurrency = 20): Worker<DeliveryJob> {
  const maxAttempts = DELIVERY_JOB_OPTIONS.attempts ?? 1;
  let limiterRedis: Redis | undefined;
  if (deps.limiter === undefined) {
    limiterRedis = new Redis({ ...connection, maxRetriesPerRequest: 1 });
    limiterRedis.on('error', (err: Error) => deps.log.warn({ err: err.message }, 'rate limiter redis error'));
    deps = { ...deps, limiter: new DeliveryRateLimiter(limiterRedis, prefix) };
  }
  const worker = new Worker<DeliveryJob>(
    QUEUE_NAMES.delivery,
    async (job: Job<DeliveryJob>, token?: string) => {
      const outcome = await deliverMessage(deps, job.data, { isFinal: job.attemptsMade + 1 >= maxAttempts });
      if (outcome.status === 'wait' && token) {
        await job.moveToDelayed(Date.now() + outcome.waitMs, token);
        throw new DelayedError();
      }
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
  if (limiterRedis) {
    const client = limiterRedis;
    worker.on('closed', () => client.disconnect());
  }
  return worker;
}
