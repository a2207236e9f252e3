import type { Queue } from 'bullmq';
import type { Database } from '../db/database.ts';
import { withSystem, withTenant } from '../db/tenant.ts';
import type { Logger } from '../log.ts';
import { listTenants } from '../core/tenants.ts';
import { scanQuietLeads } from '../core/followups/events.ts';
import type { FollowupJob } from './followups.ts';
import { reconcileFollowups } from './reconcile.ts';
import { alertsTick, type AlertDeps } from './alerts.ts';
import { digestsTick, type DigestDeps } from './digests.ts';
import { anomaliesTick } from './anomalies.ts';

export interface SchedulerDeps {
  db: Database;
  followups: Queue<FollowupJob>;
  log: Logger;
  alerts?: AlertDeps | undefined;
  /** Morning digests and daily anomaly checks (both need the delivery queue). */
  digests?: DigestDeps | undefined;
}

/**
 * One pass of the follow-up scheduler: fire time-based rules (no reply,
 * idle in a stage) for every tenant, then queue whatever is due soon and
 * repair what Redis or a dead worker lost. Idempotent: safe from any number
 * of processes at once.
 */
export async function schedulerTick(
  deps: SchedulerDeps,
  now: Date,
  since: Date = new Date(now.getTime() - 60_000),
): Promise<{
  started: number;
  queued: number;
  retried: number;
  failed: number;
  raised: number;
  escalated: number;
  reminded: number;
  digests: number;
  anomalyAlerts: number;
}> {
  // Read once per pass and shared by every part of it.
  const tenants = await withSystem(deps.db, listTenants);
  let started = 0;
  for (const tenant of tenants) started += (await withTenant(deps.db, tenant.id, (sql) => scanQuietLeads(sql, tenant, now))).length;
  const r = await reconcileFollowups(deps.db, deps.followups, now);
  const a = deps.alerts ? await alertsTick(deps.alerts, since, now, tenants) : { raised: 0, escalated: 0, reminded: 0 };
  const d = deps.digests ? await digestsTick(deps.digests, now, tenants) : { sent: 0 };
  const x = deps.digests ? await anomaliesTick(deps.digests, now, tenants) : { alerted: 0 };
  return { started, ...r, ...a, digests: d.sent, anomalyAlerts: x.alerted };
}

export function startScheduler(deps: SchedulerDeps, everyMs = 30_000): () => Promise<void> {
  let running: Promise<unknown> = Promise.resolve();
  // The hot-lead scan looks at what changed since the previous pass (a pass that failed is covered by the next).
  let since = new Date(Date.now() - 2 * everyMs);
  const tick = () => {
    const now = new Date();
    running = schedulerTick(deps, now, since).then(
      (r) => {
        since = now;
        if (r.started || r.retried || r.failed || r.raised || r.escalated || r.reminded || r.digests || r.anomalyAlerts) deps.log.info(r, 'scheduler pass');
      },
      (err: Error) => deps.log.warn({ err: err.message }, 'follow-up scheduler failed; will try again'),
    );
  };
  tick();
  const timer = setInterval(tick, everyMs);
  timer.unref();
  // Stopping waits for a pass in flight, so shutdown never cuts a transaction off mid-way.
  return async () => {
    clearInterval(timer);
    await running;
  };
}
