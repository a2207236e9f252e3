import { randomUUID } from 'node:crypto';
import { DelayedError, Worker, type Job } from 'bullmq';
import type { RedisOptions } from 'ioredis';
import type { Database } from '../db/database.ts';
import type { TurnOutcome } from '../core/conversations.ts';
import { runTurn, type ClaimedTurn } from '../core/turn.ts';
import { outbound } from '../core/messages/types.ts';
import { translator } from '../agents/i18n.ts';
import type { Agent } from '../agents/types.ts';
import { afterHandoffTurn } from '../core/handoff/turn.ts';
import { autoHandoffAfter, nextStreak, UNANSWERED_STREAK_KEY } from '../core/handoff/auto.ts';
import { invokeTool } from '../tools/run.ts';
import type { Logger } from '../log.ts';
import type { EventBus } from './bus.ts';
import { enqueueDelivery, bullConnection, QUEUE_NAMES, TURN_JOB_OPTIONS, type Queues, type TurnJob } from './queues.ts';

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
 * One conversation turn (the service in core/turn.ts: lease, claim one
 * sender's messages, actor, handoff gate, agent, record), then what follows
 * it: deliveries, the handoff relay, the 'handled' event, and a turn for
 * another sender's message left waiting behind this one.
 */
export async function runTurnJob(deps: TurnDeps, job: TurnJob): Promise<TurnJobResult> {
  const now = deps.clock ?? (() => new Date());
  const result = await runTurn(
    { db: deps.db, queues: deps.queues, now, answer: (turn) => runAgent(deps, turn) },
    { tenantId: job.tenantId, conversationId: job.conversationId, owner: `${WORKER_ID}:${job.messageId}`, leaseMs: deps.turnTimeoutMs * 2 + 5_000 },
  );
  if (result.status !== 'done') return result.status;
  const last = result.inboundIds[result.inboundIds.length - 1]!;
  await Promise.all([
    ...result.outboundIds.map((id) => enqueueDelivery(deps.queues, { tenantId: job.tenantId, messageId: id })),
    afterHandoffTurn(deps, job.tenantId, result.conversationId, last, result.conversationStatus),
    deps.bus.publish({ type: 'handled', conversationId: result.conversationId, messageId: last }),
  ]);
  if (result.nextInboundId) {
    // Its own job may be the one running now (it claimed an older message first): a job id of this turn's makes a new one.
    await deps.queues.turns.add('turn', { tenantId: job.tenantId, conversationId: result.conversationId, messageId: result.nextInboundId }, { ...TURN_JOB_OPTIONS, jobId: `turn-${result.nextInboundId}-after-${result.turnId}` });
  }
  return 'done';
}

/** The agent on a claimed turn, with the automatic handoff; never throws (a failure is a polite reply). */
async function runAgent(deps: TurnDeps, t: ClaimedTurn): Promise<TurnOutcome> {
  const { tenant } = t;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error('turn timeout')), deps.turnTimeoutMs);
  try {
    const now = (deps.clock ?? (() => new Date()))();
    const out = await Promise.race([
      deps.agent.run({ tenant, actor: t.actor, conversation: t.conversation, messages: t.messages, now, signal: controller.signal }),
      new Promise<never>((_, reject) => controller.signal.addEventListener('abort', () => reject(controller.signal.reason as Error))),
    ]);
    const state: Record<string, unknown> = { locale: out.locale };
    let { replies, toolCalls } = out;
    if (t.actor.role === 'customer') {
      const streak = nextStreak(t.conversation.state, out.unhandled === true);
      state[UNANSWERED_STREAK_KEY] = streak;
      const after = autoHandoffAfter(tenant.settings);
      if (after > 0 && streak >= after && !toolCalls.some((c) => c.name === 'talk_to_human')) {
        // The same tool a customer's "I want a person" runs: alert, callback task, live handoff, audit entry.
        const handed = await invokeTool(deps.db, tenant, t.actor, 'talk_to_human', { reason: `auto: ${streak} questions in a row the assistant could not answer` }, {
          now,
          conversationId: t.conversation.id,
          focusLeadId: out.focusLeadId ?? t.conversation.focus_lead_id,
        });
        if (handed.ok) {
          replies = [handed.tool.present(handed.result, { tenant, actor: t.actor, locale: out.locale, t: translator(out.locale), now })];
          toolCalls = [...toolCalls, { name: 'talk_to_human', args: handed.args }];
          state[UNANSWERED_STREAK_KEY] = 0;
        } else {
          deps.log.warn({ conversationId: t.conversation.id, err: handed.error.message }, 'automatic handoff failed');
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
    deps.log.error({ conversationId: t.conversation.id, err: (err as Error).message }, 'turn failed');
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
