import { Queue, Worker, type Job } from 'bullmq';
import type { RedisOptions } from 'ioredis';
import type { Database } from '../db/database.ts';
import { withSystem, withTenant } from '../db/tenant.ts';
import type { Logger } from '../log.ts';
import { getTenantById, listTenants, type Tenant } from '../core/tenants.ts';
import { escalateAlert, findNewlyHotLeads, raiseHotLeadAlert, type HotReason, type RaiseResult } from '../core/alerts/hot.ts';
import { wakeSnoozedAlerts } from '../core/alerts/actions.ts';
import { notifyBuyersOfListing, type ListingNotifyResult } from '../core/alerts/listing.ts';
import { bullConnection, enqueueDelivery, type Queues } from './queues.ts';

/**
 * Hot-lead alerts: raised from the scheduler's scan (or directly by code that
 * sees a strong signal), escalated by a delayed job at the SLA. The scan also
 * escalates overdue alerts whose job Redis lost, so the job is a fast path,
 * not the only one.
 */
export const ALERTS_QUEUE = 'alerts';

export interface EscalateJob {
  tenantId: string;
  alertId: string;
}

export interface AlertDeps {
  db: Database;
  queues: Queues;
  alerts: Queue<EscalateJob>;
  log: Logger;
  now?: () => Date;
}

export function createAlertQueue(connection: RedisOptions, prefix: string): Queue<EscalateJob> {
  return new Queue<EscalateJob>(ALERTS_QUEUE, { connection: bullConnection(connection), prefix });
}

async function scheduleEscalation(deps: AlertDeps, job: EscalateJob, at: Date, now: Date): Promise<void> {
  await deps.alerts.add('escalate', job, {
    jobId: `esc-${job.alertId}-${at.getTime()}`,
    delay: Math.max(0, at.getTime() - now.getTime()),
    attempts: 5,
    backoff: { type: 'exponential', delay: 2_000 },
    removeOnComplete: true,
    removeOnFail: { count: 1_000 },
  });
}

export async function raiseAlert(deps: AlertDeps, tenantId: string, leadId: string, reason: HotReason, now: Date, extra: Record<string, unknown> = {}): Promise<RaiseResult> {
  const r = await withTenant(deps.db, tenantId, async (sql) => raiseHotLeadAlert(sql, await getTenantById(sql, tenantId), leadId, reason, now, extra));
  if (r.status === 'sent') {
    await enqueueDelivery(deps.queues, { tenantId, messageId: r.messageId });
    if (r.teamMessageId) await enqueueDelivery(deps.queues, { tenantId, messageId: r.teamMessageId });
    await scheduleEscalation(deps, { tenantId, alertId: r.alertId }, r.escalateAt, now);
  }
  return r;
}

export async function runEscalation(deps: AlertDeps, job: EscalateJob, now: Date): Promise<boolean> {
  const r = await withTenant(deps.db, job.tenantId, async (sql) => escalateAlert(sql, await getTenantById(sql, job.tenantId), job.alertId, now));
  for (const id of r.messageIds) await enqueueDelivery(deps.queues, { tenantId: job.tenantId, messageId: id });
  return r.escalated;
}

/** One scan: newly hot leads, overdue escalations, snoozes that are up. */
export async function alertsTick(deps: AlertDeps, since: Date, now: Date, tenants?: Tenant[]): Promise<{ raised: number; escalated: number; reminded: number }> {
  let raised = 0;
  let escalated = 0;
  let reminded = 0;
  for (const tenant of tenants ?? (await withSystem(deps.db, listTenants))) {
    const tenantId = tenant.id;
    const hot = await withTenant(deps.db, tenantId, (sql) => findNewlyHotLeads(sql, since, now));
    for (const h of hot) if ((await raiseAlert(deps, tenantId, h.leadId, h.reason, now)).status === 'sent') raised++;
    const overdue = await withTenant(deps.db, tenantId, async (sql) =>
      (await sql.query<{ id: string }>(`SELECT id FROM alerts WHERE status = 'sent' AND payload ? 'escalate_at' AND (payload->>'escalate_at')::timestamptz <= $1`, [now])).rows,
    );
    for (const a of overdue) if (await runEscalation(deps, { tenantId, alertId: a.id }, now)) escalated++;
    const woken = await withTenant(deps.db, tenantId, (sql) => wakeSnoozedAlerts(sql, tenant, now));
    for (const w of woken) {
      await enqueueDelivery(deps.queues, { tenantId, messageId: w.messageId });
      await scheduleEscalation(deps, { tenantId, alertId: w.alertId }, w.escalateAt, now);
      reminded++;
    }
  }
  return { raised, escalated, reminded };
}

export function startAlertWorker(deps: AlertDeps, connection: RedisOptions, prefix: string): Worker<EscalateJob> {
  const worker = new Worker<EscalateJob>(ALERTS_QUEUE, async (job: Job<EscalateJob>) => runEscalation(deps, job.data, deps.now?.() ?? new Date()), {
    connection: bullConnection(connection),
    prefix,
    concurrency: 5,
  });
  worker.on('error', (err) => deps.log.error({ err: err.message }, 'alert worker error'));
  return worker;
}

/** A new listing: tell matched buyers and their agents, then deliver and arm escalations for any hot alerts it raised. */
export async function notifyListing(deps: AlertDeps, tenantId: string, listingId: string, now: Date): Promise<ListingNotifyResult> {
  const r = await withTenant(deps.db, tenantId, async (sql) => notifyBuyersOfListing(sql, await getTenantById(sql, tenantId), listingId, now));
  for (const id of [...r.notified.map((n) => n.messageId), ...r.ownerMessages, ...r.hotAlerts.flatMap((h) => (h.teamMessageId ? [h.messageId, h.teamMessageId] : [h.messageId]))]) await enqueueDelivery(deps.queues, { tenantId, messageId: id });
  for (const h of r.hotAlerts) await scheduleEscalation(deps, { tenantId, alertId: h.alertId }, h.escalateAt, now);
  return r;
}
