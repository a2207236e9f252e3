import { z } from 'zod';
import { resolveLeadRef } from '../core/leads/resolve.ts';
import { listFollowups, type FollowupItem } from '../core/followups/list.ts';
import { formatDateTime } from '../core/format.ts';
import { outbound, type OutboundPart } from '../core/messages/types.ts';
import { defineTool } from './types.ts';

const Input = z.object({
  lead_id: z.uuid().optional(),
  lead: z.string().trim().min(1).max(200).optional().describe('name, phone, email or "her"/"him" for the lead in focus'),
});

interface Result {
  leadId: string;
  leadName: string;
  upcoming: FollowupItem[];
  recent: FollowupItem[];
}

export const listFollowupsTool = defineTool({
  name: 'list_followups',
  description: "A lead's upcoming follow-up messages (automatic sequences and ones a rep scheduled), with buttons to cancel them, and the last few that were sent, skipped or cancelled with the reason.",
  roles: ['rep', 'manager', 'admin'],
  input: Input,
  async run(ctx, args) {
    const leadId = await resolveLeadRef(ctx.sql, ctx.actor, { lead_id: args.lead_id, lead: args.lead }, ctx.focusLeadId);
    const name = (await ctx.sql.query<{ display_name: string }>('SELECT display_name FROM leads WHERE id = $1', [leadId])).rows[0]?.display_name ?? '';
    const r = await listFollowups(ctx.sql, leadId);
    return { data: { leadId, leadName: name, ...r } satisfies Result, summary: `${r.upcoming.length} upcoming follow-ups`, focusLeadId: leadId };
  },
  present(result, ctx) {
    const r: Result = result.data;
    const tz = ctx.tenant.timezone;
    const what = (f: FollowupItem) => (f.ruleName ? ctx.t('jobs.followup.step', { rule: f.ruleName, step: f.stepIndex + 1 }) : ctx.t('jobs.followup.manual', { by: f.createdBy ?? '—' }));
    const parts: OutboundPart[] = [];
    if (!r.upcoming.length) parts.push({ type: 'text', text: ctx.t('jobs.followup.none', { lead: r.leadName }) });
    else {
      parts.push({ type: 'text', text: ctx.t('jobs.followup.upcoming', { lead: r.leadName, count: r.upcoming.length }) });
      parts.push({
        type: 'table',
        columns: [ctx.t('jobs.followup.col_when'), ctx.t('jobs.followup.col_what'), ctx.t('jobs.followup.col_status')],
        rows: r.upcoming.map((f) => [formatDateTime(f.dueAt, tz, ctx.locale), what(f), ctx.t(`jobs.status.${f.status}`)]),
      });
      for (const f of r.upcoming.filter((x) => x.status === 'pending').slice(0, 5)) {
        parts.push({
          type: 'buttons',
          buttons: [{ label: ctx.t('jobs.followup.cancel_button', { when: formatDateTime(f.dueAt, tz, ctx.locale) }), payload: { action: 'cancel_followup', args: { followup_id: f.id } }, style: 'danger' }],
        });
      }
    }
    if (r.recent.length) {
      parts.push({ type: 'text', text: ctx.t('jobs.followup.recent') });
      parts.push({
        type: 'table',
        columns: [ctx.t('jobs.followup.col_when'), ctx.t('jobs.followup.col_what'), ctx.t('jobs.followup.col_status')],
        rows: r.recent.map((f) => [formatDateTime(f.dueAt, tz, ctx.locale), what(f), ctx.t(`jobs.status.${f.status}`) + (f.reason ? ` (${f.reason})` : '')]),
      });
    }
    return outbound(parts);
  },
});
