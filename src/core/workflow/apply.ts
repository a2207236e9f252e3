import type { Sql } from '../../db/database.ts';
import { PolicyRefusal } from '../../errors.ts';
import type { Actor } from '../actors.ts';
import { markScoreStale } from '../leads/stale.ts';
import { onLeadEvent } from '../followups/events.ts';
import type { Tenant } from '../tenants.ts';
import type { WorkflowPlan, WorkflowStep } from './plan.ts';

interface ApplyContext {
  tenant: Tenant;
  actor: Actor;
  now: Date;
  /** Ties the written rows to one confirmation, so a second press of the same button writes nothing. */
  confirmId: string;
}

/** True when this confirmation was already written (a double press, a retried delivery). */
export async function alreadyApplied(sql: Sql, leadId: string, confirmId: string): Promise<boolean> {
  const { rows } = await sql.query(`SELECT 1 FROM activities WHERE lead_id = $1 AND data->>'confirm_id' = $2 LIMIT 1`, [leadId, confirmId]);
  return rows.length > 0;
}

async function activity(sql: Sql, ctx: ApplyContext, leadId: string, kind: string, body: string | null, data: Record<string, unknown>): Promise<void> {
  await sql.query(
    `INSERT INTO activities (tenant_id, lead_id, staff_user_id, kind, body, data, occurred_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [ctx.tenant.id, leadId, ctx.actor.staffUserId ?? null, kind, body, JSON.stringify({ ...data, confirm_id: ctx.confirmId }), ctx.now],
  );
}

/** Stage keys that mean "the appointment took place"; a tenant may list its own in settings.appointment_completed_stages. */
const COMPLETED_STAGE_KEYS = ['consultation_done', 'viewing_done', 'visited', 'meeting_done'];

/**
 * What entering a stage means beyond the stage itself: an appointment-done
 * stage completes the lead's open appointment tasks and fires
 * appointment_completed; a won or lost stage closes the lead's open deals
 * the same way, so revenue and win-rate numbers agree with the pipeline.
 */
async function afterStageEntered(sql: Sql, ctx: ApplyContext, leadId: string, stageKey: string): Promise<void> {
  const configured = (ctx.tenant.settings as { appointment_completed_stages?: unknown }).appointment_completed_stages;
  const completedKeys = Array.isArray(configured) ? configured.filter((k): k is string => typeof k === 'string') : COMPLETED_STAGE_KEYS;
  if (completedKeys.includes(stageKey)) {
    await sql.query(
      `UPDATE tasks SET status = 'done', completed_at = $2 WHERE lead_id = $1 AND status = 'open' AND kind IN ('consultation', 'meeting')`,
      [leadId, ctx.now],
    );
    await onLeadEvent(sql, ctx.tenant, { type: 'appointment_completed', leadId }, ctx.now);
  }
  const stage = (await sql.query<{ is_won: boolean; is_lost: boolean }>('SELECT is_won, is_lost FROM pipeline_stages WHERE key = $1', [stageKey])).rows[0];
  if (stage?.is_won || stage?.is_lost) {
    const closed = await sql.query<{ id: string }>(
      `UPDATE deals SET status = $2, closed_at = $3 WHERE lead_id = $1 AND status = 'open' RETURNING id`,
      [leadId, stage.is_won ? 'won' : 'lost', ctx.now],
    );
    if (closed.rows.length) await activity(sql, ctx, leadId, 'system', null, { event: 'deals_closed', status: stage.is_won ? 'won' : 'lost', deal_ids: closed.rows.map((r) => r.id) });
  }
}

async function applyStep(sql: Sql, ctx: ApplyContext, leadId: string, step: WorkflowStep): Promise<void> {
  switch (step.type) {
    case 'stage': {
      // Conditional on the stage planned from: a concurrent move makes this one stale, not silently wrong.
      const r = await sql.query('UPDATE leads SET stage_key = $2, updated_at = $4 WHERE id = $1 AND stage_key = $3', [leadId, step.to.key, step.from.key, ctx.now]);
      if (r.rowCount !== 1) throw new PolicyRefusal('the lead changed stage in the meantime; ask again to see where it is now.');
      await activity(sql, ctx, leadId, 'stage_change', null, { from: step.from.key, to: step.to.key });
      await onLeadEvent(sql, ctx.tenant, { type: 'stage_entered', leadId, stage: step.to.key }, ctx.now);
      await afterStageEntered(sql, ctx, leadId, step.to.key);
      return;
    }
    case 'note':
      await activity(sql, ctx, leadId, 'note', step.body, {});
      return;
    case 'call':
    case 'meeting':
      await activity(sql, ctx, leadId, step.type, step.body, { outcome: step.body });
      await sql.query('UPDATE leads SET last_contact_at = GREATEST(COALESCE(last_contact_at, $2), $2), updated_at = $2 WHERE id = $1', [leadId, ctx.now]);
      return;
    case 'task': {
      const { rows } = await sql.query<{ id: string }>(
        `INSERT INTO tasks (tenant_id, lead_id, assignee_id, kind, title, due_at, status, created_at) VALUES ($1, $2, $3, $4, $5, $6, 'open', $7) RETURNING id`,
        [ctx.tenant.id, leadId, step.assignee.id, step.kind, step.title, step.dueAt, ctx.now],
      );
      await activity(sql, ctx, leadId, 'task', step.title, { task_id: rows[0]!.id, due_at: step.dueAt.toISOString(), assignee_id: step.assignee.id });
      return;
    }
    case 'assign': {
      const r = await sql.query('UPDATE leads SET owner_id = $2, updated_at = $4 WHERE id = $1 AND owner_id IS NOT DISTINCT FROM $3', [leadId, step.to.id, step.from?.id ?? null, ctx.now]);
      if (r.rowCount !== 1) throw new PolicyRefusal('the lead was reassigned in the meantime; ask again to see who owns it now.');
      await activity(sql, ctx, leadId, 'assignment', null, { from: step.from?.id ?? null, to: step.to.id });
      return;
    }
    case 'followup': {
      // rule_id NULL marks a follow-up a person scheduled; the sending worker (another issue) picks up pending rows when due.
      const { rows } = await sql.query<{ id: string }>(
        `INSERT INTO followup_executions (tenant_id, lead_id, step_index, due_at, status, created_by, created_at, updated_at)
         VALUES ($1, $2, 0, $3, 'pending', $4, $5, $5) RETURNING id`,
        [ctx.tenant.id, leadId, step.dueAt, ctx.actor.staffUserId ?? null, ctx.now],
      );
      await sql.query(
        `UPDATE leads SET updated_at = $2, next_followup_at = (
           SELECT min(due_at) FROM followup_executions WHERE lead_id = $1 AND status = 'pending' AND due_at > $2)
         WHERE id = $1`,
        [leadId, ctx.now],
      );
      await activity(sql, ctx, leadId, 'followup', step.body ?? null, { followup_execution_id: rows[0]!.id, due_at: step.dueAt.toISOString() });
      return;
    }
  }
}

/**
 * Writes a confirmed plan in the caller's transaction (the tool runner's, so
 * the audit-log entry commits with it): every step is an activity row, and
 * the lead's score is marked stale once.
 */
export async function applyPlan(sql: Sql, ctx: ApplyContext, plan: WorkflowPlan): Promise<void> {
  for (const step of plan.steps) await applyStep(sql, ctx, plan.lead.id, step);
  await markScoreStale(sql, plan.lead.id);
}
