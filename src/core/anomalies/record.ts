import { DateTime } from 'luxon';
import type { Sql } from '../../db/database.ts';
import { normaliseLocale } from '../../agents/i18n.ts';
import { queueToStaff, queueToTeam } from '../../jobs/outbox.ts';
import type { Tenant } from '../tenants.ts';
import { runAnomalyChecks, type CheckResult } from './check.ts';
import type { Finding } from './detect.ts';
import { anomalyMessage } from './render.ts';

export type AnomalyFinding = CheckResult & { finding: Extract<Finding, { status: 'anomaly' }> };

export interface DailyCheckOutcome {
  /** False when another worker (or an earlier pass) already ran this day's check. */
  ran: boolean;
  results: CheckResult[];
  alerted: { anomalyId: string; metric: string; dimension: string; status: 'sent' | 'skipped' | 'failed'; messageIds: string[] }[];
  ongoing: string[];
  resolved: string[];
}

/**
 * How long an episode stays open without being seen: a check that could
 * not run for a day or two (server down) must not make an ongoing anomaly
 * look new.
 */
const EPISODE_GAP_DAYS = 3;

const isAnomaly = (r: CheckResult): r is AnomalyFinding => r.finding.status === 'anomaly';

/**
 * The daily check of one tenant, in the caller's transaction: claims the
 * (tenant, day) row first — a second worker blocks on it and then finds it
 * — runs the checks, and keeps one `anomalies` row per episode. An anomaly
 * that is still there the next day extends its episode (no new alert); one
 * that is back inside its band closes it; a new episode alerts every active
 * manager. The caller enqueues the deliveries after commit.
 */
export async function runDailyCheck(sql: Sql, tenant: Tenant, checkDate: string, now: Date): Promise<DailyCheckOutcome> {
  const claimed = (
    await sql.query(`INSERT INTO anomaly_checks (tenant_id, check_date, created_at) VALUES (closer_current_tenant(), $1, $2) ON CONFLICT (tenant_id, check_date) DO NOTHING RETURNING id`, [checkDate, now])
  ).rows[0];
  if (!claimed) return { ran: false, results: [], alerted: [], ongoing: [], resolved: [] };
  const results = await runAnomalyChecks(sql, tenant, checkDate, now);
  await sql.query(`UPDATE anomaly_checks SET findings = $2 WHERE check_date = $1`, [checkDate, JSON.stringify(results)]);
  const out: DailyCheckOutcome = { ran: true, results, alerted: [], ongoing: [], resolved: [] };
  const gapStart = DateTime.fromISO(checkDate).minus({ days: EPISODE_GAP_DAYS }).toISODate()!;
  for (const r of results) {
    const key = `${r.metric}/${r.dimension}`;
    const open = (
      await sql.query<{ id: string; direction: string; last_seen: string }>(
        `SELECT id, direction, to_char(last_seen, 'YYYY-MM-DD') AS last_seen FROM anomalies WHERE metric = $1 AND dimension = $2 AND resolved_on IS NULL ORDER BY since DESC LIMIT 1`,
        [r.metric, r.dimension],
      )
    ).rows[0];
    if (!isAnomaly(r)) {
      // Back inside its band closes the episode; "too few leads to tell" leaves it as it was.
      if (open && r.finding.status === 'normal') {
        await sql.query(`UPDATE anomalies SET resolved_on = $2, updated_at = $3 WHERE id = $1 AND resolved_on IS NULL`, [open.id, checkDate, now]);
        out.resolved.push(key);
      }
      continue;
    }
    if (open && open.direction === r.finding.direction && open.last_seen >= gapStart) {
      await sql.query(`UPDATE anomalies SET last_seen = GREATEST(last_seen, $2::date), updated_at = $3 WHERE id = $1`, [open.id, checkDate, now]);
      out.ongoing.push(key);
      continue;
    }
    if (open) await sql.query(`UPDATE anomalies SET resolved_on = $2, updated_at = $3 WHERE id = $1 AND resolved_on IS NULL`, [open.id, checkDate, now]);
    const f = r.finding;
    // An episode with the same start already exists when a noisy day closed it in between: that is the
    // same episode, so it is reopened (and was alerted then), not alerted again.
    const row = (
      await sql.query<{ id: string; inserted: boolean }>(
        `INSERT INTO anomalies (tenant_id, metric, dimension, direction, since, last_seen, expected, expected_low, expected_high, actual, details, status, created_at, updated_at)
         VALUES (closer_current_tenant(), $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'pending', $11, $11)
         ON CONFLICT (tenant_id, metric, dimension, since) DO UPDATE SET resolved_on = NULL, last_seen = GREATEST(anomalies.last_seen, EXCLUDED.last_seen), updated_at = EXCLUDED.updated_at
         RETURNING id, (xmax = 0) AS inserted`,
        [r.metric, r.dimension, f.direction, f.since, checkDate, f.expected, f.low, f.high, f.actual, JSON.stringify({ days: f.days, change: f.change, z: f.z, through: r.through }), now],
      )
    ).rows[0]!;
    if (!row.inserted) {
      out.ongoing.push(key);
      continue;
    }
    out.alerted.push({ anomalyId: row.id, metric: r.metric, dimension: r.dimension, ...(await alertManagers(sql, tenant, row.id, r, now)) });
  }
  return out;
}

async function alertManagers(sql: Sql, tenant: Tenant, anomalyId: string, r: AnomalyFinding, now: Date): Promise<{ status: 'sent' | 'skipped' | 'failed'; messageIds: string[] }> {
  const managers = (await sql.query<{ id: string; locale: string }>(`SELECT id, locale FROM staff_users WHERE active AND role = 'manager' ORDER BY email`)).rows;
  const messageIds: string[] = [];
  for (const m of managers) {
    const res = await queueToStaff(sql, m.id, anomalyMessage(tenant, r, normaliseLocale(m.locale || tenant.defaultLocale)));
    if (res.ok) messageIds.push(res.messageId);
  }
  // Team numbers are a team alert: also posted to the tenant's team channel when one is set.
  const team = await queueToTeam(sql, tenant.settings.team_alert_channel, anomalyMessage(tenant, r, normaliseLocale(tenant.defaultLocale)));
  if (team?.ok) messageIds.push(team.messageId);
  const status = !managers.length && !team?.ok ? 'skipped' : messageIds.length ? 'sent' : 'failed';
  const reason = status === 'skipped' ? 'no_manager' : status === 'failed' ? 'no_conversation' : null;
  await sql.query(`UPDATE anomalies SET status = $2, reason = $3, message_ids = $4::uuid[], updated_at = $5 WHERE id = $1 AND status = 'pending'`, [anomalyId, status, reason, messageIds, now]);
  return { status, messageIds };
}
