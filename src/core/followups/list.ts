import type { Sql } from '../../db/database.ts';

export interface FollowupItem {
  id: string;
  leadId: string;
  dueAt: Date;
  status: string;
  reason: string | null;
  ruleName: string | null;
  stepIndex: number;
  channel: string | null;
  createdBy: string | null;
}

/** A lead's upcoming follow-ups (pending or being sent), soonest first, plus the last few finished ones for context. */
export async function listFollowups(sql: Sql, leadId: string, recent = 5): Promise<{ upcoming: FollowupItem[]; recent: FollowupItem[] }> {
  const q = (where: string, order: string, limit: number) =>
    sql.query<{ id: string; lead_id: string; due_at: Date; status: string; reason: string | null; rule_name: string | null; step_index: number; channel: string | null; created_by: string | null }>(
      `SELECT f.id, f.lead_id, f.due_at, f.status, f.reason, r.name AS rule_name, f.step_index, f.channel, s.name AS created_by
       FROM followup_executions f LEFT JOIN followup_rules r ON r.id = f.rule_id LEFT JOIN staff_users s ON s.id = f.created_by
       WHERE f.lead_id = $1 AND ${where} ORDER BY ${order} LIMIT ${limit}`,
      [leadId],
    );
  const map = (r: Awaited<ReturnType<typeof q>>['rows'][number]): FollowupItem => ({
    id: r.id,
    leadId: r.lead_id,
    dueAt: r.due_at,
    status: r.status,
    reason: r.reason,
    ruleName: r.rule_name,
    stepIndex: r.step_index,
    channel: r.channel,
    createdBy: r.created_by,
  });
  const upcoming = (await q(`f.status IN ('pending', 'sending')`, 'f.due_at', 50)).rows.map(map);
  const done = (await q(`f.status NOT IN ('pending', 'sending')`, 'f.updated_at DESC', recent)).rows.map(map);
  return { upcoming, recent: done };
}

/** Cancels pending follow-ups: one by id, or all of a lead's. Returns how many were cancelled. */
export async function cancelFollowups(sql: Sql, leadId: string, now: Date, followupId?: string): Promise<number> {
  const r = await sql.query(
    `UPDATE followup_executions SET status = 'cancelled', reason = 'cancelled by staff', updated_at = $2
     WHERE lead_id = $1 AND status = 'pending' AND ($3::uuid IS NULL OR id = $3)`,
    [leadId, now, followupId ?? null],
  );
  await sql.query(
    `UPDATE leads SET next_followup_at = (SELECT min(due_at) FROM followup_executions WHERE lead_id = $1 AND status = 'pending' AND due_at > $2) WHERE id = $1`,
    [leadId, now],
  );
  return r.rowCount ?? 0;
}
