import { DateTime } from 'luxon';
import type { Database } from '../db/database.ts';
import { withSystem, withTenant } from '../db/tenant.ts';
import type { Logger } from '../log.ts';
import { listTenants, type Tenant } from '../core/tenants.ts';
import { anomalySettings } from '../core/anomalies/check.ts';
import { runDailyCheck } from '../core/anomalies/record.ts';
import { enqueueDelivery, type Queues } from './queues.ts';

/**
 * Daily anomaly checks, from the scheduler's pass: once the tenant's
 * `anomaly_check_time` (default 08:00, tenant time zone) has come, the
 * check of yesterday runs once per tenant (the `anomaly_checks` row is the
 * claim). A server that was down at 08:00 runs it when it comes back that day.
 */
export interface AnomalyDeps {
  db: Database;
  queues: Queues;
  log: Logger;
}

/** The day a check at `now` covers (the tenant's yesterday), or null before the check time or when checks are off. */
export function dueCheckDate(tenant: Tenant, now: Date): string | null {
  const s = anomalySettings(tenant);
  if (s.anomaly_checks === 'off') return null;
  const local = DateTime.fromJSDate(now, { zone: tenant.timezone });
  if (!local.isValid || local.toFormat('HH:mm') < s.anomaly_check_time) return null;
  return local.minus({ days: 1 }).toISODate();
}

export async function anomaliesTick(deps: AnomalyDeps, now: Date, tenants?: Tenant[]): Promise<{ checked: number; alerted: number }> {
  let checked = 0;
  let alerted = 0;
  for (const tenant of tenants ?? (await withSystem(deps.db, listTenants))) {
    const tenantId = tenant.id;
    // Before the check time nothing is read at all; after it, one small lookup per pass until the day's check has run.
    const date = dueCheckDate(tenant, now);
    if (!date) continue;
    const done = await withTenant(deps.db, tenantId, async (sql) => (await sql.query('SELECT 1 FROM anomaly_checks WHERE check_date = $1', [date])).rows.length > 0);
    if (done) continue;
    try {
      const r = await withTenant(deps.db, tenantId, (sql) => runDailyCheck(sql, tenant, date, now));
      if (!r.ran) continue;
      checked++;
      for (const a of r.alerted) {
        for (const id of a.messageIds) await enqueueDelivery(deps.queues, { tenantId, messageId: id });
        if (a.status === 'sent') alerted++;
      }
      if (r.alerted.length) deps.log.info({ tenant: tenant.slug, date, alerts: r.alerted.map((a) => `${a.metric}/${a.dimension}`) }, 'anomaly alerts raised');
    } catch (err) {
      // Rolled back: no claim row, so the next pass tries again.
      deps.log.warn({ err: (err as Error).message, tenant: tenant.slug }, 'anomaly check failed; will try again');
    }
  }
  return { checked, alerted };
}
