import type { Sql } from '../../db/database.ts';
import { translator } from '../../agents/i18n.ts';
import { actorForPerson } from '../actors.ts';
import { getLeadCard } from '../leads/card.ts';
import { outbound, type OutboundPart } from '../messages/types.ts';
import type { Tenant } from '../tenants.ts';
import { leadCardPart } from '../../tools/lookup_lead.ts';
import { queueToStaff, queueToTeam } from '../../jobs/outbox.ts';
import { onShift } from './shift.ts';

export type HotReason = 'grade_a' | 'asked_to_book' | 'listing_match';

export type RaiseResult =
  | { status: 'sent'; alertId: string; targetStaffId: string; messageId: string; escalateAt: Date; teamMessageId?: string }
  | { status: 'suppressed'; reason: 'cooldown' | 'no_target' | 'no_conversation' | 'closed_lead' };

interface Staff {
  id: string;
  role: string;
  timezone: string;
  working_hours: unknown;
  active: boolean;
}

/**
 * Who gets a hot-lead alert: the owner when there is an active one; else the
 * rep on shift who was alerted least recently (round-robin); else, with nobody
 * on shift, the same round-robin over every active rep.
 */
export async function pickAlertTarget(sql: Sql, leadId: string, now: Date): Promise<string | undefined> {
  const owner = (await sql.query<Staff>(`SELECT s.* FROM leads l JOIN staff_users s ON s.id = l.owner_id WHERE l.id = $1 AND s.active`, [leadId])).rows[0];
  if (owner) return owner.id;
  const reps = (
    await sql.query<Staff & { last_alert: Date | null }>(
      `SELECT s.*, (SELECT max(a.created_at) FROM alerts a WHERE a.target_staff_id = s.id) AS last_alert
       FROM staff_users s WHERE s.active AND s.role = 'rep' ORDER BY last_alert ASC NULLS FIRST, s.email`,
    )
  ).rows;
  const onDuty = reps.filter((r) => onShift(r.working_hours, r.timezone, now));
  return (onDuty[0] ?? reps[0])?.id;
}

export function alertButtons(alertId: string, t: (k: string) => string): OutboundPart {
  const b = (action: string, style: 'primary' | 'default' = 'default') => ({ label: t(`jobs.alert.button_${action}`), payload: { action: 'alert_action', args: { alert_id: alertId, action } }, style });
  return { type: 'buttons', buttons: [b('claim', 'primary'), b('snooze_1h'), b('snooze_1d'), b('contacted')] };
}

/** The alert card for a staff member: why, the lead card, and the action buttons. */
export async function alertMessage(sql: Sql, tenant: Tenant, staffId: string, leadId: string, alertId: string, reason: HotReason, now: Date, headKey = 'jobs.alert.hot'): Promise<{ text: string; parts: OutboundPart[] }> {
  const actor = await actorForPerson(sql, tenant, { kind: 'staff', id: staffId });
  const locale = actor.locale ?? tenant.defaultLocale;
  const t = translator(locale);
  const card = await getLeadCard(sql, leadId);
  const head = t(headKey, { lead: card.displayName, why: t(`jobs.alert.reason_${reason}`) });
  const msg = outbound([{ type: 'text', text: head }, leadCardPart(card, { tenant, actor, locale, t, now }), alertButtons(alertId, t)]);
  return { text: head, parts: msg.parts };
}

async function teamHotMessage(sql: Sql, tenant: Tenant, leadId: string, staffId: string, reason: HotReason): Promise<{ text: string; parts: OutboundPart[] }> {
  const t = translator(tenant.defaultLocale);
  const card = await getLeadCard(sql, leadId);
  const staff = (await sql.query<{ name: string }>('SELECT name FROM staff_users WHERE id = $1', [staffId])).rows[0]?.name ?? '';
  const text = t('jobs.alert.team_hot', { lead: card.displayName, why: t(`jobs.alert.reason_${reason}`), staff });
  return { text, parts: [{ type: 'text', text }] };
}

/**
 * Raises a hot-lead alert: at most one per lead per cooldown window (the
 * advisory lock makes the check-then-insert safe against a concurrent raise).
 * Runs in the caller's transaction; the caller enqueues the delivery and the
 * escalation job after commit.
 */
export async function raiseHotLeadAlert(sql: Sql, tenant: Tenant, leadId: string, reason: HotReason, now: Date, extra: Record<string, unknown> = {}): Promise<RaiseResult> {
  const dedupeKey = `hot:${leadId}`;
  await sql.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`${tenant.id}:${dedupeKey}`]);
  const lead = (await sql.query<{ closed: boolean }>(`SELECT COALESCE(p.is_won OR p.is_lost, false) AS closed FROM leads l LEFT JOIN pipeline_stages p ON p.key = l.stage_key WHERE l.id = $1`, [leadId])).rows[0];
  if (!lead || lead.closed) return { status: 'suppressed', reason: 'closed_lead' };
  const recent = await sql.query(
    `SELECT 1 FROM alerts WHERE dedupe_key = $1 AND status <> 'suppressed' AND created_at > $2::timestamptz - ($3::int * interval '1 minute') LIMIT 1`,
    [dedupeKey, now, tenant.settings.alert_cooldown_minutes],
  );
  if (recent.rows.length) return { status: 'suppressed', reason: 'cooldown' };
  const target = await pickAlertTarget(sql, leadId, now);
  if (!target) return { status: 'suppressed', reason: 'no_target' };
  const alertId = (
    await sql.query<{ id: string }>(
      `INSERT INTO alerts (tenant_id, kind, lead_id, target_staff_id, dedupe_key, status, payload, created_at)
       VALUES ($1, 'hot_lead', $2, $3, $4, 'pending', $5, $6) RETURNING id`,
      [tenant.id, leadId, target, dedupeKey, JSON.stringify({ reason, ...extra }), now],
    )
  ).rows[0]!.id;
  const msg = await alertMessage(sql, tenant, target, leadId, alertId, reason, now);
  const out = await queueToStaff(sql, target, msg);
  if (!out.ok) {
    await sql.query(`UPDATE alerts SET status = 'failed', payload = payload || '{"error":"no_conversation"}' WHERE id = $1`, [alertId]);
    return { status: 'suppressed', reason: 'no_conversation' };
  }
  const escalateAt = new Date(now.getTime() + tenant.settings.sla_response_minutes * 60_000);
  await sql.query(`UPDATE alerts SET status = 'sent', payload = payload || $2::jsonb WHERE id = $1`, [alertId, JSON.stringify({ message_id: out.messageId, escalate_at: escalateAt.toISOString() })]);
  await sql.query(`INSERT INTO activities (tenant_id, lead_id, staff_user_id, kind, body, data, occurred_at) VALUES ($1, $2, $3, 'alert', $4, $5, $6)`, [
    tenant.id,
    leadId,
    target,
    `Hot lead alert (${reason})`,
    JSON.stringify({ alert_id: alertId, reason }),
    now,
  ]);
  // The team channel (when the tenant set one) hears that a hot lead came in and who has it, without
  // the buttons or the lead card: those stay with the person the alert is for.
  const team = await queueToTeam(sql, tenant.settings.team_alert_channel, await teamHotMessage(sql, tenant, leadId, target, reason));
  return { status: 'sent', alertId, targetStaffId: target, messageId: out.messageId, escalateAt, ...(team?.ok ? { teamMessageId: team.messageId } : {}) };
}

/**
 * Escalation when the SLA passes: an alert nobody acted on goes to every
 * active manager. Conditional on status 'sent', so a claim that lands first
 * (or a second escalation job) makes this a no-op.
 */
export async function escalateAlert(sql: Sql, tenant: Tenant, alertId: string, now: Date): Promise<{ escalated: boolean; messageIds: string[] }> {
  const row = (
    await sql.query<{ lead_id: string; payload: { reason?: HotReason } }>(
      `UPDATE alerts SET status = 'escalated', acted_at = $2 WHERE id = $1 AND status = 'sent' RETURNING lead_id, payload`,
      [alertId, now],
    )
  ).rows[0];
  if (!row) return { escalated: false, messageIds: [] };
  const managers = (await sql.query<{ id: string }>(`SELECT id FROM staff_users WHERE active AND role = 'manager' ORDER BY email`)).rows;
  const messageIds: string[] = [];
  for (const m of managers) {
    const msg = await alertMessage(sql, tenant, m.id, row.lead_id, alertId, row.payload.reason ?? 'grade_a', now, 'jobs.alert.escalated');
    const out = await queueToStaff(sql, m.id, msg);
    if (out.ok) messageIds.push(out.messageId);
  }
  return { escalated: true, messageIds };
}

/**
 * Leads that just became hot, for the scheduler's scan: graded A since the
 * last pass with no hot alert in the past day, or an asked_to_book signal
 * logged since the last pass. The cooldown still applies in raiseHotLeadAlert.
 */
export async function findNewlyHotLeads(sql: Sql, since: Date, now: Date): Promise<{ leadId: string; reason: HotReason }[]> {
  const graded = await sql.query<{ id: string }>(
    `SELECT l.id FROM leads l WHERE l.grade = 'A' AND l.scored_at > $1 AND l.scored_at <= $2
       AND NOT EXISTS (SELECT 1 FROM alerts a WHERE a.lead_id = l.id AND a.kind = 'hot_lead' AND a.created_at > $2::timestamptz - interval '1 day')
     LIMIT 200`,
    [since, now],
  );
  const booked = await sql.query<{ lead_id: string }>(
    `SELECT DISTINCT lead_id FROM activities WHERE data->>'signal' = 'asked_to_book' AND occurred_at > $1 AND occurred_at <= $2 LIMIT 200`,
    [since, now],
  );
  return [...booked.rows.map((r) => ({ leadId: r.lead_id, reason: 'asked_to_book' as const })), ...graded.rows.map((r) => ({ leadId: r.id, reason: 'grade_a' as const }))];
}
