import { randomUUID } from 'node:crypto';
import { DelayedError, Worker, type Job } from 'bullmq';
import type { RedisOptions } from 'ioredis';
import type { Database } from '../db/database.ts';
import { withSystem, withTenant } from '../db/tenant.ts';
import { actorForPerson } from '../core/actors.ts';
import { acquireTurnLease, claimInbound, getConversation, recordTurn, releaseTurnLease, type TurnOutcome } from '../core/conversations.ts';
import { outbound } from '../core/messages/types.ts';
import { cachedTenant, type Tenant } from '../core/tenants.ts';
import { translator } from '../agents/i18n.ts';
import type { Agent } from '../agents/types.ts';
import { afterHandoffTurn, handoffGate } from '../core/handoff/turn.ts';
import { autoHandoffAfter, nextStreak, UNANSWERED_STREAK_KEY } from '../core/handoff/auto.ts';
import { invokeTool } from '../tools/run.ts';
import type { Logger } from '../log.ts';
import type { EventBus } from './bus.ts';
import { enqueueDelivery, bullConnection, QUEUE_NAMES, type Queues, type TurnJob } from './queues.ts';

export interface TurnDeps {
  db: Database;
  log: Logger;
  bus: EventBus;
  queues: Queues;
  agent: Agent;
  turnTimeoutMs: number;
  clock?: () => Date;
}

const WORKER_ID = `${process.pid}-${randomUUID().slice(0, 8)}`;

export type TurnJobResult = 'done' | 'nothing-to-do' | 'busy';

/**
 * One conversation turn: take the conversation's lease (one turn at a time
 * per conversation, in order), claim every unhandled inbound message (a burst
 * becomes one turn), run the agent outside any transaction, then persist the
 * replies and queue their delivery.
 */
export async function runTurnJob(deps: TurnDeps, job: TurnJob): Promise<TurnJobResult> {
  const owner = `${WORKER_ID}:${job.messageId}`;
  const leaseMs = deps.turnTimeoutMs * 2 + 5_000;
  const got = await withTenant(deps.db, job.tenantId, (sql) => acquireTurnLease(sql, job.conversationId, owner, leaseMs));
  if (!got) return 'busy';
  try {
    const tenant = await cachedTenant(deps.db, job.tenantId);
    const turnId = randomUUID();
    const claimed = await withTenant(deps.db, job.tenantId, async (sql) => {
      const conv = await getConversation(sql, job.conversationId);
      if (!conv) return undefined;
      const messages = await claimInbound(sql, conv.id, turnId);
      if (messages.length === 0) return undefined;
      const person = conv.staff_user_id ? ({ kind: 'staff', id: conv.staff_user_id } as const) : conv.lead_id ? ({ kind: 'lead', id: conv.lead_id } as const) : undefined;
      const actor = person ? await actorForPerson(sql, tenant, person) : undefined;
      return { conv, messages, actor };
    });
    if (!claimed) return 'nothing-to-do';
    const { conv, messages, actor } = claimed;
    const inboundIds = messages.map((m) => m.id);
    let outcome: TurnOutcome;
    // A handed-off conversation stays silent (its messages go to the Slack thread) unless the handoff went idle.
    if (conv.status === 'handoff') await handoffGate(deps, tenant, conv, (deps.clock ?? (() => new Date()))());
    if (conv.status === 'handoff' || !actor) {
      // A human has this conversation (or nobody is behind it): store, do not answer.
      outcome = { turnId, inboundIds, replies: [], mode: 'rules', toolCalls: [], inboundStatus: 'ignored' };
    } else {
      outcome = await runAgent(deps, tenant, { turnId, inboundIds, conv, messages, actor });
    }
    const outIds = await withTenant(deps.db, job.tenantId, (sql) => recordTurn(sql, tenant, conv, outcome));
    for (const id of outIds) await enqueueDelivery(deps.queues, { tenantId: job.tenantId, messageId: id });
    await afterHandoffTurn(deps, job.tenantId, conv.id, inboundIds[inboundIds.length - 1]!);
    await deps.bus.publish({ type: 'handled', conversationId: conv.id, messageId: inboundIds[inboundIds.length - 1]! });
    return 'done';
  } finally {
    await withTenant(deps.db, job.tenantId, (sql) => releaseTurnLease(sql, job.conversationId, owner)).catch(() => undefined);
  }
}

async function runAgent(
  deps: TurnDeps,
  tenant: Tenant,
  t: { turnId: string; inboundIds: string[]; conv: NonNullable<Awaited<ReturnType<typeof getConversation>>>; messages: Awaited<ReturnType<typeof claimInbound>>; actor: Awaited<ReturnType<typeof actorForPerson>> },
): Promise<TurnOutcome> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error('turn timeout')), deps.turnTimeoutMs);
  try {
    const now = (deps.clock ?? (() => new Date()))();
    const out = await Promise.race([
      deps.agent.run({ tenant, actor: t.actor, conversation: t.conv, messages: t.messages, now, signal: controller.signal }),
      new Promise<never>((_, reject) => controller.signal.addEventListener('abort', () => reject(controller.signal.reason as Error))),
    ]);
    const state: Record<string, unknown> = { locale: out.locale };
    let { replies, toolCalls } = out;
    if (t.actor.role === 'customer') {
      const streak = nextStreak(t.conv.state, out.unhandled === true);
      state[UNANSWERED_STREAK_KEY] = streak;
      const after = autoHandoffAfter(tenant.settings);
      if (after > 0 && streak >= after && !toolCalls.some((c) => c.name === 'talk_to_human')) {
        // The same tool a customer's "I want a person" runs: alert, callback task, live handoff, audit entry.
        const handed = await invokeTool(deps.db, tenant, t.actor, 'talk_to_human', { reason: `auto: ${streak} questions in a row the assistant could not answer` }, {
          now,
          conversationId: t.conv.id,
          focusLeadId: out.focusLeadId ?? t.conv.focus_lead_id,
        });
        if (handed.ok) {
          replies = [handed.tool.present(handed.result, { tenant, actor: t.actor, locale: out.locale, t: translator(out.locale), now })];
          toolCalls = [...toolCalls, { name: 'talk_to_human', args: handed.args }];
          state[UNANSWERED_STREAK_KEY] = 0;
        } else {
          deps.log.warn({ conversationId: t.conv.id, err: handed.error.message }, 'automatic handoff failed');
        }
      }
    }
    return {
      turnId: t.turnId,
      inboundIds: t.inboundIds,
      replies,
      mode: out.mode,
      toolCalls,
      inboundStatus: 'handled',
      focusLeadId: out.focusLeadId,
      state,
    };
  } catch (err) {
    // The person still gets an answer; the failure is recorded on their message for operators.
    deps.log.error({ conversationId: t.conv.id, err: (err as Error).message }, 'turn failed');
    const text = translator(t.actor.locale)('errors.failed');
    return { turnId: t.turnId, inboundIds: t.inboundIds, replies: [outbound([{ type: 'text', text }])], mode: 'rules', toolCalls: [], inboundStatus: 'failed', error: (err as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

export function startTurnWorker(deps: TurnDeps, connection: RedisOptions, prefix: string, concurrency = 10): Worker<TurnJob> {
  const worker = new Worker<TurnJob>(
    QUEUE_NAMES.turns,
    async (job: Job<TurnJob>, token?: string) => {
      const result = await runTurnJob(deps, job.data);
      if (result === 'busy' && token) {
        // Another turn of this conversation is running: come back shortly, keeping order.
        await job.moveToDelayed(Date.now() + 200, token);
        throw new DelayedError();
      }
      return result;
    },
    { connection: bullConnection(connection), prefix, concurrency },
  );
  worker.on('error', (err) => deps.log.error({ err: err.message }, 'turn worker error'));
  return worker;
}
