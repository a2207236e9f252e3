import type { Sql } from '../../db/database.ts';
import { NotFoundError, PolicyRefusal, ToolInputError } from '../../errors.ts';
import type { Actor } from '../actors.ts';
import type { Tenant } from '../tenants.ts';
import type { WorkflowAction } from './actions.ts';
import { taskKindOf } from './actions.ts';
import { loadWorkflowLead, resolveStaff, type StaffRef, type WorkflowLead } from './people.ts';
import { checkTransition, loadStages, resolveStage, stageName, type Stage } from './stages.ts';
import { formatWhen, parseWhen } from './time.ts';

/** What a workflow request asks for, after the tool's schema: strings as people (or buttons) gave them. */
export interface WorkflowRequest {
  action: WorkflowAction;
  stage?: string | undefined;
  body?: string | undefined;
  when?: string | undefined;
  followup?: string | undefined;
  assignee?: string | undefined;
}

export type WorkflowStep =
  | { type: 'stage'; from: Stage; to: Stage }
  | { type: 'note'; body: string }
  | { type: 'task'; title: string; dueAt: Date; assignee: StaffRef; kind: 'call' | 'meeting' | 'followup' | 'todo' }
  | { type: 'call' | 'meeting'; body: string }
  | { type: 'assign'; from: { id: string; name: string } | null; to: StaffRef }
  | { type: 'followup'; dueAt: Date; body?: string | undefined };

/** A change resolved and checked but not written: what the confirmation shows and the confirm press writes. */
export interface WorkflowPlan {
  lead: WorkflowLead;
  steps: WorkflowStep[];
  /** Times are parsed and shown in the tenant's zone; the lead's own zone is shown too when it differs. */
  timeZone: string;
  leadTimeZone: string | null;
}

function need(value: string | undefined, what: string): string {
  const v = value?.trim();
  if (!v) throw new ToolInputError(what);
  return v;
}

function when(text: string, now: Date, timeZone: string): Date {
  const r = parseWhen(text, { now, timeZone });
  if (r.ok) return r.at;
  if (r.reason === 'past') throw new ToolInputError(`"${text}" (${formatWhen(r.at, timeZone, 'en')}) is in the past: give a later time.`);
  throw new ToolInputError(`I can't read "${text}" as a time. Try "friday", "tomorrow 10am", "in 3 days" or 2026-12-01 14:00.`);
}

function listStages(stages: Stage[]): string {
  return stages.map((s) => `${stageName(s, 'en')} (${s.key})`).join(', ');
}

/**
 * Resolves and checks a workflow request against the database without
 * writing anything: the stage exists and the move is allowed, times parse
 * and are in the future, the assignee exists and the actor may assign.
 * The same function runs again when the confirmation is pressed, so a
 * change that became invalid in between is refused then.
 */
export async function planWorkflow(sql: Sql, ctx: { tenant: Tenant; actor: Actor; now: Date }, leadId: string, req: WorkflowRequest): Promise<WorkflowPlan> {
  const { tenant, actor, now } = ctx;
  const lead = await loadWorkflowLead(sql, leadId);
  const tz = tenant.timezone;
  const steps: WorkflowStep[] = [];

  switch (req.action) {
    case 'stage': {
      const stages = await loadStages(sql);
      const target = resolveStage(stages, need(req.stage, `Which stage should ${lead.displayName} move to? Stages: ${listStages(stages)}.`));
      if (!target) throw new ToolInputError(`There is no stage "${req.stage}". Stages: ${listStages(stages)}.`);
      const from = stages.find((s) => s.key === lead.stageKey);
      if (!from) throw new ToolInputError(`${lead.displayName} is in an unknown stage "${lead.stageKey}".`);
      const check = checkTransition(stages, from.key, target.key, actor.role);
      if (!check.ok) {
        const fromName = stageName(from, 'en');
        const options = check.allowed.length ? ` From ${fromName} they can move to: ${listStages(check.allowed)}.` : '';
        if (check.reason === 'same') throw new ToolInputError(`${lead.displayName} is already in ${fromName}.`);
        if (check.reason === 'final_needs_manager') throw new PolicyRefusal(`${lead.displayName} is ${fromName}, a closed stage: only a manager can reopen the lead.`);
        throw new PolicyRefusal(`${lead.displayName} cannot move from ${fromName} to ${stageName(target, 'en')}.${options}`);
      }
      steps.push({ type: 'stage', from, to: target });
      break;
    }
    case 'note':
      steps.push({ type: 'note', body: need(req.body, `What should the note on ${lead.displayName} say?`) });
      break;
    case 'call':
    case 'meeting':
      steps.push({ type: req.action, body: need(req.body, `What was the outcome of the ${req.action} with ${lead.displayName}?`) });
      break;
    case 'task': {
      const title = need(req.body, `What is the task about ${lead.displayName}?`);
      const dueAt = when(need(req.when ?? req.followup, `When is "${title}" due? E.g. "tomorrow 4pm".`), now, tz);
      // Default: the lead's owner; the person asking when there is none (or the owner has left).
      const assignee = req.assignee
        ? await resolveStaff(sql, actor, req.assignee)
        : await resolveStaff(sql, actor, lead.ownerId ?? 'me').catch((err: unknown) => {
            if (err instanceof NotFoundError) return resolveStaff(sql, actor, 'me');
            throw err;
          });
      steps.push({ type: 'task', title, dueAt, assignee, kind: taskKindOf(title) });
      break;
    }
    case 'assign': {
      const to = await resolveStaff(sql, actor, req.assignee ?? 'me');
      if (lead.ownerId === to.id) throw new ToolInputError(`${lead.displayName} is already assigned to ${to.name}.`);
      if (actor.role === 'rep') {
        const own = lead.ownerId !== null && lead.ownerId === actor.staffUserId;
        const taking = lead.ownerId === null && to.id === actor.staffUserId;
        if (!own && !taking) {
          throw new PolicyRefusal(
            lead.ownerId === null
              ? `a rep can take an unassigned lead for themselves; ask a manager to assign ${lead.displayName} to ${to.name}.`
              : `${lead.displayName} belongs to ${lead.ownerName ?? 'another rep'}; only they or a manager can reassign the lead.`,
          );
        }
      }
      steps.push({ type: 'assign', from: lead.ownerId ? { id: lead.ownerId, name: lead.ownerName ?? '' } : null, to });
      break;
    }
    case 'followup': {
      const dueAt = when(need(req.when ?? req.followup, `When should we follow up with ${lead.displayName}? E.g. "friday" or "in 3 days".`), now, tz);
      steps.push({ type: 'followup', dueAt, body: req.body?.trim() || undefined });
      break;
    }
  }
  // "…and follow up on Friday": one confirmation covers both.
  if (req.action !== 'followup' && req.action !== 'task' && req.followup?.trim()) {
    steps.push({ type: 'followup', dueAt: when(req.followup, now, tz) });
  }
  return { lead, steps, timeZone: tz, leadTimeZone: lead.timezone && lead.timezone !== tz ? lead.timezone : null };
}

/** The flat string arguments that replay this plan exactly: resolved ids and instants, not the words that named them. */
export function planArgs(plan: WorkflowPlan, action: WorkflowAction): Record<string, string> {
  const args: Record<string, string> = { action, lead_id: plan.lead.id };
  for (const step of plan.steps) {
    switch (step.type) {
      case 'stage':
        args.stage = step.to.key;
        break;
      case 'note':
      case 'call':
      case 'meeting':
        args.body = step.body;
        break;
      case 'task':
        args.body = step.title;
        args.when = step.dueAt.toISOString();
        args.assignee = step.assignee.id;
        break;
      case 'assign':
        args.assignee = step.to.id;
        break;
      case 'followup':
        if (action === 'followup') {
          args.when = step.dueAt.toISOString();
          if (step.body) args.body = step.body;
        } else {
          args.followup = step.dueAt.toISOString();
        }
        break;
    }
  }
  return args;
}
