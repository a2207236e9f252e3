import type { Database } from '../db/database.ts';
import { withSystem } from '../db/tenant.ts';
import type { Logger } from '../log.ts';
import type { Queue } from 'bullmq';
import { recoverExpiredLeases } from '../core/followups/execute.ts';
import { enqueueFollowup, type FollowupJob } from './followups.ts';
import { enqueueDelivery, enqueueEffects, enqueueTurn, type Queues } from './queues.ts';
import { SENDING_LEASE_MS } from './delivery.ts';

/**
 * Redis is transport, Postgres is the record: rows still waiting after
 * `graceMs` get their job re-added. Job ids derive from row ids, so a job
 * that still exists is not duplicated, and the workers' conditional updates
 * make a re-run of finished work a no-op.
 */
export async function reconcileMessages(db: Database, queues: Queues, graceMs = 30_000, sendingLeaseMs = SENDING_LEASE_MS): Promise<{ turns: number; deliveries: number; effects: number; reclaimed: number }> {
  const { inbound, outbound, effects, reclaimed } = await withSystem(db, async (sql) => ({
    // First: replies a dead worker left 'sending' go back to 'pending' (and so into the list below).
    reclaimed: (
      await sql.query<{ id: string; tenant_id: string }>(
        `UPDATE messages SET status = 'pending', error = 'the worker sending it stopped; sent again'
         WHERE direction = 'out' AND status = 'sending' AND claimed_at < now() - ($1::int * interval '1 millisecond')
         RETURNING id, tenant_id`,
        [sendingLeaseMs],
      )
    ).rows,
    inbound: (
      await sql.query<{ id: string; tenant_id: string; conversation_id: string }>(
        `SELECT id, tenant_id, conversation_id FROM messages
         WHERE direction = 'in' AND status IN ('received', 'processing') AND created_at < now() - ($1::int * interval '1 millisecond')
         ORDER BY created_at LIMIT 1000`,
        [graceMs],
      )
    ).rows,
    outbound: (
      await sql.query<{ id: string; tenant_id: string }>(
        `SELECT id, tenant_id FROM messages
         WHERE direction = 'out' AND status = 'pending' AND created_at < now() - ($1::int * interval '1 millisecond')
         ORDER BY created_at LIMIT 1000`,
        [graceMs],
      )
    ).rows,
    effects: (
      await sql.query<{ id: string; tenant_id: string }>(
        `SELECT id, tenant_id FROM messages
         WHERE effects IS NOT NULL AND created_at < now() - ($1::int * interval '1 millisecond')
         ORDER BY created_at LIMIT 1000`,
        [graceMs],
      )
    ).rows,
  }));
  for (const m of effects) await enqueueEffects(queues, { tenantId: m.tenant_id, messageId: m.id });
  for (const m of inbound) await enqueueTurn(queues, { tenantId: m.tenant_id, conversationId: m.conversation_id, messageId: m.id }, 0);
  for (const m of reclaimed) await enqueueDelivery(queues, { tenantId: m.tenant_id, messageId: m.id });
  for (const m of outbound) await enqueueDelivery(queues, { tenantId: m.tenant_id, messageId: m.id });
  return { turns: inbound.length, deliveries: outbound.length, effects: effects.length, reclaimed: reclaimed.length };
}

export function startReconciler(db: Database, queues: Queues, log: Logger, everyMs = 30_000): () => void {
  const tick = () =>
    reconcileMessages(db, queues).then(
      (r) => {
        if (r.reclaimed) log.warn({ reclaimed: r.reclaimed }, 'replies left sending by a stopped worker were put back to pending');
        if (r.turns || r.deliveries || r.effects) log.info(r, 'reconciler re-queued work that Redis had lost (or that waits behind an older reply)');
      },
      (err: Error) => log.warn({ err: err.message }, 'reconciler failed; will try again'),
    );
  void tick();
  const timer = setInterval(tick, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * Follow-ups: every pending row due within `horizonMs` gets its delayed job
 * (re-)added — the normal path for new rows and the repair path after Redis
 * lost jobs; 'sending' rows past their lease are put back once first.
 */
export async function reconcileFollowups(
  db: Database,
  followups: Queue<FollowupJob>,
  now: Date,
  opts: { horizonMs?: number; leaseMs?: number } = {},
): Promise<{ queued: number; retried: number; failed: number }> {
  const { rows, lease } = await withSystem(db, async (sql) => {
    const lease = await recoverExpiredLeases(sql, now, opts.leaseMs ?? 5 * 60_000);
    const { rows } = await sql.query<{ id: string; tenant_id: string; due_at: Date }>(
      `SELECT id, tenant_id, due_at FROM followup_executions
       WHERE status = 'pending' AND due_at < $1::timestamptz + ($2::bigint * interval '1 millisecond')
       ORDER BY due_at LIMIT 5000`,
      [now, opts.horizonMs ?? 60 * 60_000],
    );
    return { rows, lease };
  });
  for (const r of rows) await enqueueFollowup(followups, { tenantId: r.tenant_id, executionId: r.id }, r.due_at, now);
  return { queued: rows.length, ...lease };
}
