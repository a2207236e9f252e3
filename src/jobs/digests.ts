import type { Database } from '../db/database.ts';
import { withSystem, withTenant } from '../db/tenant.ts';
import type { Logger } from '../log.ts';
import { listTenants, type Tenant } from '../core/tenants.ts';
import { digestTiming, type DigestStaff } from '../core/digests/schedule.ts';
import { deliverDigest, type DigestOutcome } from '../core/digests/run.ts';
import { enqueueDelivery, type Queues } from './queues.ts';

/**
 * Morning digests, from the scheduler's 30-second pass (in every worker
 * process): each active rep and manager whose local digest time has come and
 * who has no digest row for their local day gets one. The unique row per
 * (staff, local date) is what stops a second process; the pass only looks
 * for missing rows so that a quiet pass costs two small queries per tenant.
 */
export interface DigestDeps {
  db: Database;
  queues: Queues;
  log: Logger;
}

export async function digestsTick(deps: DigestDeps, now: Date, tenants?: Tenant[]): Promise<{ sent: number; skipped: number; failed: number }> {
  const totals = { sent: 0, skipped: 0, failed: 0 };
  for (const tenant of tenants ?? (await withSystem(deps.db, listTenants))) {
    const tenantId = tenant.id;
    const { staff, done } = await withTenant(deps.db, tenantId, async (sql) => ({
      staff: (
        await sql.query<DigestStaff>(`SELECT id, email, name, role, locale, timezone, working_hours FROM staff_users WHERE active AND role IN ('rep', 'manager') ORDER BY email`)
      ).rows,
      // Local dates differ by at most a day from UTC either way.
      done: new Set(
        (await sql.query<{ k: string }>(`SELECT staff_user_id::text || '/' || to_char(local_date, 'YYYY-MM-DD') AS k FROM digests WHERE local_date >= ($1::timestamptz AT TIME ZONE 'UTC')::date - 1`, [now])).rows.map(
          (r) => r.k,
        ),
      ),
    }));
    for (const s of staff) {
      const timing = digestTiming(tenant, s, now);
      if (!(timing.due || timing.reason === 'day_off') || done.has(`${s.id}/${timing.localDate}`)) continue;
      let out: DigestOutcome;
      try {
        out = await withTenant(deps.db, tenantId, (sql) => deliverDigest(sql, tenant, s, timing.localDate, now, { dayOff: !timing.due }));
      } catch (err) {
        // One person's broken digest must not stop everyone else's; the row rolled back, so the next pass tries again.
        deps.log.warn({ err: (err as Error).message, tenant: tenant.slug, staff: s.id }, 'digest failed; will try again');
        continue;
      }
      if (out.status === 'sent') {
        await enqueueDelivery(deps.queues, { tenantId, messageId: out.messageId });
        totals.sent++;
      } else if (out.status === 'skipped') totals.skipped++;
      else if (out.status === 'failed') totals.failed++;
    }
  }
  return totals;
}
