import type { Sql } from '../../db/database.ts';
import type { Tenant } from '../tenants.ts';
import { isOpen, recordActivity, upsertCustomerTask } from './tasks.ts';

/**
 * A customer asking for a person. This records the request where staff
 * will see it (a callback task for the owner and a `handoff_requested`
 * alert); it does not switch the conversation to handoff mode, because
 * nothing relays a staff reply to the customer yet and the bot would go
 * silent with nobody answering.
 */

export interface HandoffResult {
  alertId: string;
  taskId: string;
  /** An open request already existed within the alert cool-down: nothing new was raised. */
  repeated: boolean;
  openNow: boolean;
}

export async function requestHuman(sql: Sql, tenant: Tenant, leadId: string, opts: { reason?: string | undefined; conversationId?: string | undefined; now: Date }): Promise<HandoffResult> {
  const task = await upsertCustomerTask(sql, tenant, leadId, { kind: 'callback', titleKey: 'handoff', dueAt: opts.now, now: opts.now });
  const cooldownMs = tenant.settings.alert_cooldown_minutes * 60_000;
  const recent = (
    await sql.query<{ id: string }>(
      `SELECT id FROM alerts WHERE lead_id = $1 AND kind = 'handoff_requested' AND status IN ('pending', 'sent') AND created_at > $2 ORDER BY created_at DESC LIMIT 1`,
      [leadId, new Date(opts.now.getTime() - cooldownMs)],
    )
  ).rows[0];
  const openNow = isOpen(tenant, opts.now);
  if (recent) return { alertId: recent.id, taskId: task.taskId, repeated: true, openNow };
  const owner = (await sql.query<{ owner_id: string | null }>('SELECT owner_id FROM leads WHERE id = $1', [leadId])).rows[0]?.owner_id ?? null;
  const alert = (
    await sql.query<{ id: string }>(
      `INSERT INTO alerts (tenant_id, kind, lead_id, target_staff_id, dedupe_key, payload, created_at)
       VALUES ($1, 'handoff_requested', $2, $3, $4, $5, $6) RETURNING id`,
      [
        tenant.id,
        leadId,
        owner,
        `handoff_requested:${leadId}`,
        JSON.stringify({ reason: opts.reason ?? null, conversation_id: opts.conversationId ?? null, task_id: task.taskId }),
        opts.now,
      ],
    )
  ).rows[0]!;
  await recordActivity(sql, tenant, leadId, 'alert', `Customer asked to talk to a person${opts.reason ? `: ${opts.reason}` : ''}`, { signal: 'asked_for_human', alert_id: alert.id, task_id: task.taskId }, opts.now);
  return { alertId: alert.id, taskId: task.taskId, repeated: false, openNow };
}
