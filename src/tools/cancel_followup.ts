import { z } from 'zod';
import { resolveLeadRef } from '../core/leads/resolve.ts';
import { cancelFollowups } from '../core/followups/list.ts';
import { NotFoundError } from '../errors.ts';
import { outbound } from '../core/messages/types.ts';
import { defineTool } from './types.ts';

const Input = z.object({
  followup_id: z.uuid().optional().describe('one follow-up (from list_followups); without it every pending follow-up of the lead is cancelled'),
  lead_id: z.uuid().optional(),
  lead: z.string().trim().min(1).max(200).optional().describe('name, phone, email or "her"/"him" for the lead in focus'),
});

interface Result {
  leadId: string;
  leadName: string;
  cancelled: number;
  one: boolean;
}

export const cancelFollowupTool = defineTool({
  name: 'cancel_followup',
  description: "Cancels a lead's pending follow-up messages: one by followup_id, or all of them for the lead.",
  roles: ['rep', 'manager', 'admin'],
  input: Input,
  writes: true,
  describeWrite(args, ctx) {
    return ctx.t(args.followup_id ? 'confirm.cancel_followup_one' : 'confirm.cancel_followup_all', { lead: args.lead ?? ctx.t('workflow.nobody') });
  },
  async run(ctx, args) {
    let leadRef: { lead_id?: string | undefined; lead?: string | undefined } = { lead_id: args.lead_id, lead: args.lead };
    if (args.followup_id) {
      const row = (await ctx.sql.query<{ lead_id: string }>('SELECT lead_id FROM followup_executions WHERE id = $1', [args.followup_id])).rows[0];
      if (!row) throw new NotFoundError('That follow-up does not exist.');
      leadRef = { lead_id: row.lead_id };
    }
    // The same access check as any lead tool: a rep cannot cancel another rep's lead's follow-ups by id.
    const leadId = await resolveLeadRef(ctx.sql, ctx.actor, leadRef, ctx.focusLeadId, { write: true });
    const name = (await ctx.sql.query<{ display_name: string }>('SELECT display_name FROM leads WHERE id = $1', [leadId])).rows[0]?.display_name ?? '';
    const cancelled = await cancelFollowups(ctx.sql, leadId, ctx.now, args.followup_id);
    return { data: { leadId, leadName: name, cancelled, one: Boolean(args.followup_id) } satisfies Result, summary: `${cancelled} follow-ups cancelled`, focusLeadId: leadId };
  },
  present(result, ctx) {
    const r: Result = result.data;
    const key = r.cancelled === 0 ? 'jobs.followup.cancel_none' : r.one ? 'jobs.followup.cancelled_one' : 'jobs.followup.cancelled_all';
    return outbound([{ type: 'text', text: ctx.t(key, { lead: r.leadName, count: r.cancelled }) }]);
  },
});
