import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { resolveLeadRef } from '../core/leads/resolve.ts';
import { outbound, type OutboundPart } from '../core/messages/types.ts';
import { actionFromVerb, WORKFLOW_ACTIONS, type WorkflowAction } from '../core/workflow/actions.ts';
import { alreadyApplied, applyPlan } from '../core/workflow/apply.ts';
import { planArgs, planWorkflow, type WorkflowPlan, type WorkflowStep } from '../core/workflow/plan.ts';
import { loadWorkflowLead } from '../core/workflow/people.ts';
import { stageName } from '../core/workflow/stages.ts';
import { formatWhen } from '../core/workflow/time.ts';
import { defineTool, type PresentContext } from './types.ts';
import { confirmButtons, proposeWrite } from './confirm.ts';

const Text = (max: number) => z.string().trim().min(1).max(max);

const Input = z.object({
  action: z
    .preprocess((v) => (typeof v === 'string' ? (actionFromVerb(v) ?? v) : v), z.enum(WORKFLOW_ACTIONS))
    .describe('stage: move through the pipeline; note; task (with a due time); call / meeting (log one with its outcome); assign (to a rep); followup (schedule one)'),
  lead_id: z.uuid().optional().describe('The exact lead id, when known'),
  lead: Text(200).optional().describe('A name, phone, email, or a pronoun ("her") for the lead in focus'),
  stage: Text(80).optional().describe('action=stage: the target stage, by key or by its name in any language'),
  body: Text(500).optional().describe('The note text, task title, or call/meeting outcome'),
  when: Text(100).optional().describe('action=task/followup: when, e.g. "friday", "tomorrow 4pm", "in 3 days", an ISO time; parsed in the tenant time zone'),
  followup: Text(100).optional().describe('With another action: also schedule a follow-up at this time ("move her to negotiation and follow up on Friday")'),
  assignee: Text(200).optional().describe('action=assign/task: the staff member ("me", a name or email); tasks default to the lead owner'),
  confirm_id: z.uuid().optional().describe('Stored with the proposal; makes a second apply of the same confirmation harmless'),
});

type Result =
  | { kind: 'confirm'; action: WorkflowAction; plan: WorkflowPlan; confirmationId: string }
  | { kind: 'done'; action: WorkflowAction; plan: WorkflowPlan }
  | { kind: 'already_done'; leadName: string };

// The audit log keeps ids, never the note text or names.
function summarise(plan: WorkflowPlan): string {
  return `${plan.steps.map((s) => s.type).join('+')} for lead ${plan.lead.id}`;
}

export const updateWorkflow = defineTool({
  name: 'update_workflow',
  description:
    'Change a lead: move its pipeline stage (optionally with a follow-up), add a note, create a task, log a call or meeting, assign it to a rep, or schedule a follow-up. Nothing is written until the person who asked presses Confirm: the call returns a summary with Confirm/Cancel buttons.',
  roles: ['rep', 'manager', 'admin'],
  input: Input,
  async run(ctx, args) {
    const leadId = await resolveLeadRef(ctx.sql, ctx.actor, { lead_id: args.lead_id, lead: args.lead }, ctx.focusLeadId, { write: true });
    if (ctx.confirmed && args.confirm_id && (await alreadyApplied(ctx.sql, leadId, args.confirm_id))) {
      const lead = await loadWorkflowLead(ctx.sql, leadId);
      return { data: { kind: 'already_done', leadName: lead.displayName } as Result, summary: `already applied ${args.confirm_id}`, focusLeadId: leadId };
    }
    const plan = await planWorkflow(ctx.sql, ctx, leadId, args);
    if (!ctx.confirmed) {
      // The plan (resolved lead, stage, times) is stored on the server for the person who asked; the button carries its id only.
      const confirmationId = await proposeWrite(ctx, 'update_workflow', { ...planArgs(plan, args.action), confirm_id: randomUUID() }, leadId);
      return { data: { kind: 'confirm', action: args.action, plan, confirmationId } as Result, summary: `proposed ${summarise(plan)} (${confirmationId})`, focusLeadId: leadId };
    }
    const confirmId = args.confirm_id ?? randomUUID();
    await applyPlan(ctx.sql, { tenant: ctx.tenant, actor: ctx.actor, now: ctx.now, confirmId }, plan);
    return { data: { kind: 'done', action: args.action, plan } as Result, summary: `applied ${summarise(plan)} (${confirmId})`, focusLeadId: leadId };
  },
  present(result, ctx) {
    const r = result.data;
    const { t } = ctx;
    if (r.kind === 'already_done') return outbound([{ type: 'text', text: t('workflow.already_done', { lead: r.leadName }) }]);
    const { kind, plan } = r;
    const mode = kind === 'confirm' ? 'confirm' : 'done';
    const summary = plan.steps.map((s, i) => stepText(s, plan, ctx, mode, i > 0)).join(t('workflow.and'));
    const parts: OutboundPart[] = [{ type: 'text', text: t(kind === 'confirm' ? 'workflow.question' : 'workflow.done', { summary }) }];
    const warning = warningText(plan, ctx);
    if (warning) parts.push({ type: 'text', text: warning });
    if (r.kind === 'confirm') parts.push(confirmButtons(r.confirmationId, t));
    return outbound(parts);
  },
});

/** "Fri 27 Nov, 10:00 (Asia/Bangkok)", plus the lead's local time when they live elsewhere. */
function whenText(at: Date, plan: WorkflowPlan, ctx: PresentContext): string {
  const here = ctx.t('workflow.when', { when: formatWhen(at, plan.timeZone, ctx.locale), zone: plan.timeZone });
  if (!plan.leadTimeZone) return here;
  return ctx.t('workflow.when_lead', { here, when: formatWhen(at, plan.leadTimeZone, ctx.locale), zone: plan.leadTimeZone, lead: plan.lead.displayName });
}

function stepText(step: WorkflowStep, plan: WorkflowPlan, ctx: PresentContext, mode: 'confirm' | 'done', also: boolean): string {
  const { t, locale } = ctx;
  const lead = plan.lead.displayName;
  const key = (name: string) => `workflow.${mode}_${name}`;
  switch (step.type) {
    case 'stage':
      return t(key('stage'), { lead, from: stageName(step.from, locale), to: stageName(step.to, locale) });
    case 'note':
      return t(key('note'), { lead, body: step.body });
    case 'call':
    case 'meeting':
      return t(key(step.type), { lead, body: step.body });
    case 'task':
      return t(key('task'), { lead, title: step.title, assignee: step.assignee.name, when: whenText(step.dueAt, plan, ctx) });
    case 'assign':
      return t(key('assign'), { lead, to: step.to.name, from: step.from?.name ?? t('workflow.nobody') });
    case 'followup':
      return t(key(also ? 'followup_also' : 'followup'), { lead, when: whenText(step.dueAt, plan, ctx) });
  }
}

function warningText(plan: WorkflowPlan, ctx: PresentContext): string | undefined {
  if (!plan.steps.some((s) => s.type === 'followup')) return undefined;
  if (plan.lead.consent === 'opted_out') return ctx.t('workflow.warn_opted_out', { lead: plan.lead.displayName });
  if (plan.lead.unreachable) return ctx.t('workflow.warn_unreachable', { lead: plan.lead.displayName });
  return undefined;
}

export const updateWorkflowCancel = defineTool({
  name: 'update_workflow_cancel',
  description: 'The Cancel button of an update_workflow confirmation: writes nothing.',
  roles: ['rep', 'manager', 'admin'],
  input: z.object({}).loose(),
  async run() {
    return { data: null, summary: 'cancelled a proposed workflow change' };
  },
  present(_result, ctx) {
    return outbound([{ type: 'text', text: ctx.t('workflow.cancelled') }]);
  },
});
