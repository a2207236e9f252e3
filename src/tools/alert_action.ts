import { z } from 'zod';
import { ALERT_ACTIONS, applyAlertAction, type AlertActionResult } from '../core/alerts/actions.ts';
import { formatDateTime } from '../core/format.ts';
import { outbound } from '../core/messages/types.ts';
import { defineTool } from './types.ts';

const Input = z.object({
  alert_id: z.uuid(),
  action: z.enum(ALERT_ACTIONS).describe('claim the lead, snooze the alert for 1 hour or 1 day, or mark the lead contacted'),
});

export const alertActionTool = defineTool({
  name: 'alert_action',
  description: 'Acts on a hot-lead alert (its buttons): claim the lead, snooze the alert 1h/1d, or mark the lead contacted. Any of these stops the escalation to the manager.',
  roles: ['rep', 'manager', 'admin'],
  input: Input,
  writes: true,
  describeWrite(args, ctx) {
    return ctx.t(args.action === 'claim' ? 'confirm.alert_claim' : args.action === 'contacted' ? 'confirm.alert_contacted' : 'confirm.alert_snooze');
  },
  async run(ctx, args) {
    const r = await applyAlertAction(ctx.sql, ctx.tenant, ctx.actor, args.alert_id, args.action, ctx.now);
    return { data: r, summary: `alert ${args.action}`, focusLeadId: r.leadId };
  },
  present(result, ctx) {
    const r: AlertActionResult = result.data;
    const until = r.snoozedUntil ? formatDateTime(r.snoozedUntil, ctx.actor.timezone ?? ctx.tenant.timezone, ctx.locale) : '';
    return outbound([{ type: 'text', text: ctx.t(`jobs.alert.done_${r.action}`, { lead: r.leadName, until }) }]);
  },
});
