import type { Sql } from '../../db/database.ts';
import { NotFoundError, PolicyRefusal } from '../../errors.ts';
import type { Actor } from '../actors.ts';
import type { Tenant } from '../tenants.ts';
import { markScoreStale } from '../leads/stale.ts';
import { queueToStaff } from '../../jobs/outbox.ts';
import { alertMessage, type HotReason } from './hot.ts';

export const ALERT_ACTIONS = ['claim', 'snooze_1h', 'snooze_1d', 'contacted'] as const;
export type AlertAction = (typeof ALERT_ACTIONS)[number];

export interface AlertActionResult {
  action: AlertAction;
  leadId: string;
  leadName: string;
  snoozedUntil?: string | undefined;
  alreadyHandled: boolean;
}

interface AlertRow {
  id: string;
  lead_id: string;
  target_staff_id: string | null;
  status: string;
  payload: { reason?: HotReason; snoozed_until?: string };
  owner_id: string | null;
  display_name: string;
}

/**
 * What a press of an alert button does. Claim takes an unowned lead (or
 * confirms your own); snooze re-sends the alert later unless someone reached
 * the lead meanwhile; contacted logs the touch. Each one stops escalation.
 */
export async function applyAlertAction(sql: Sql, tenant: Tenant, actor: Actor, alertId: string, action: AlertAction, now: Date): Promise<AlertActionResult> {
  const a = (
    await sql.query<AlertRow>(
      `SELECT a.id, a.lead_id, a.target_staff_id, a.status, a.payload, l.owner_id, l.display_name
       FROM alerts a JOIN leads l ON l.id = a.lead_id WHERE a.id = $1 FOR UPDATE OF a`,
      [alertId],
    )
  ).rows[0];
  if (!a) throw new NotFoundError('That alert does not exist.');
  const isManager = actor.role === 'manager' || actor.role === 'admin';
  if (!isManager && a.target_staff_id !== actor.staffUserId && !(action === 'claim' && a.owner_id === null)) {
    throw new PolicyRefusal('this alert was sent to someone else.');
  }
  const base = { action, leadId: a.lead_id, leadName: a.display_name };
  if (a.status === 'escalated' && !isManager && action !== 'claim') throw new PolicyRefusal('this alert has gone to a manager already.');
  const activity = (body: string, data: Record<string, unknown>, kind = 'alert') =>
    sql.query(`INSERT INTO activities (tenant_id, lead_id, staff_user_id, kind, body, data, occurred_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`, [
      tenant.id,
      a.lead_id,
      actor.staffUserId ?? null,
      kind,
      body,
      JSON.stringify({ alert_id: a.id, ...data }),
      now,
    ]);
  switch (action) {
    case 'claim': {
      if (a.owner_id && a.owner_id !== actor.staffUserId && !isManager) throw new PolicyRefusal('the lead already has an owner.');
      if (a.owner_id !== actor.staffUserId) {
        await sql.query('UPDATE leads SET owner_id = $2, updated_at = $3 WHERE id = $1', [a.lead_id, actor.staffUserId, now]);
        await activity('Claimed from a hot-lead alert', { from: a.owner_id, to: actor.staffUserId }, 'assignment');
      }
      await sql.query(`UPDATE alerts SET status = 'acknowledged', acted_at = $2, target_staff_id = $3 WHERE id = $1`, [a.id, now, actor.staffUserId]);
      return { ...base, alreadyHandled: a.owner_id === actor.staffUserId && a.status === 'acknowledged' };
    }
    case 'snooze_1h':
    case 'snooze_1d': {
      const until = new Date(now.getTime() + (action === 'snooze_1h' ? 60 : 24 * 60) * 60_000);
      await sql.query(`UPDATE alerts SET status = 'acknowledged', acted_at = $2, payload = payload || $3::jsonb WHERE id = $1`, [a.id, now, JSON.stringify({ snoozed_until: until.toISOString() })]);
      await activity(`Alert snoozed until ${until.toISOString()}`, { snoozed_until: until.toISOString() });
      return { ...base, snoozedUntil: until.toISOString(), alreadyHandled: false };
    }
    case 'contacted': {
      await sql.query(`UPDATE alerts SET status = 'acknowledged', acted_at = $2, payload = payload - 'snoozed_until' WHERE id = $1`, [a.id, now]);
      await sql.query('UPDATE leads SET last_contact_at = GREATEST(COALESCE(last_contact_at, $2), $2), updated_at = $2 WHERE id = $1', [a.lead_id, now]);
      await activity('Marked contacted from a hot-lead alert', {}, 'note');
      await markScoreStale(sql, a.lead_id);
      return { ...base, alreadyHandled: false };
    }
  }
}

/**
 * Snoozed alerts whose time has come, re-sent to their target unless the lead
 * was contacted after the snooze. Returns the messages queued (the caller
 * enqueues their delivery) and re-arms the escalation.
 */
export async function wakeSnoozedAlerts(sql: Sql, tenant: Tenant, now: Date): Promise<{ alertId: string; messageId: string; escalateAt: Date }[]> {
  const due = (
    await sql.query<{ id: string; lead_id: string; target_staff_id: string; payload: { reason?: HotReason }; contacted: boolean }>(
      `SELECT a.id, a.lead_id, a.target_staff_id, a.payload, COALESCE(l.last_contact_at > a.acted_at, false) AS contacted
       FROM alerts a JOIN leads l ON l.id = a.lead_id
       WHERE a.status = 'acknowledged' AND a.payload ? 'snoozed_until' AND (a.payload->>'snoozed_until')::timestamptz <= $1 AND a.target_staff_id IS NOT NULL
       FOR UPDATE OF a`,
      [now],
    )
  ).rows;
  const out: { alertId: string; messageId: string; escalateAt: Date }[] = [];
  for (const a of due) {
    if (a.contacted) {
      await sql.query(`UPDATE alerts SET payload = payload - 'snoozed_until' WHERE id = $1`, [a.id]);
      continue;
    }
    const msg = await alertMessage(sql, tenant, a.target_staff_id, a.lead_id, a.id, a.payload.reason ?? 'grade_a', now, 'jobs.alert.reminder');
    const sent = await queueToStaff(sql, a.target_staff_id, msg);
    const escalateAt = new Date(now.getTime() + tenant.settings.sla_response_minutes * 60_000);
    await sql.query(`UPDATE alerts SET status = 'sent', payload = (payload - 'snoozed_until') || $2::jsonb WHERE id = $1`, [a.id, JSON.stringify({ escalate_at: escalateAt.toISOString() })]);
    if (sent.ok) out.push({ alertId: a.id, messageId: sent.messageId, escalateAt });
  }
  return out;
}
