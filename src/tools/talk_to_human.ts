import { z } from 'zod';
import { requestHuman, type HandoffResult } from '../core/customer/handoff.ts';
import { resolveLeadRef } from '../core/leads/resolve.ts';
import { outbound } from '../core/messages/types.ts';
import { defineTool } from './types.ts';

const blankToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

const Input = z.object({
  reason: z.preprocess(blankToUndefined, z.string().trim().max(500).optional()).describe('Why they want a person, if they said'),
  lead_id: z.uuid().optional(),
});

export const talkToHuman = defineTool({
  name: 'talk_to_human',
  description:
    'The customer wants to talk to a person. Raises a handoff_requested alert and a task for their owner, and tells the customer someone will reply in this chat. (The live Slack handoff thread is not built yet: the bot keeps answering meanwhile.)',
  roles: ['customer'],
  input: Input,
  async run(ctx, args) {
    const leadId = await resolveLeadRef(ctx.sql, ctx.actor, { lead_id: args.lead_id }, ctx.focusLeadId);
    const r = await requestHuman(ctx.sql, ctx.tenant, leadId, { reason: args.reason, conversationId: ctx.conversationId, now: ctx.now });
    return { data: r, summary: r.repeated ? 'handoff already requested' : `handoff requested (alert ${r.alertId})` };
  },
  present(result, ctx) {
    const r: HandoffResult = result.data;
    const { t, tenant } = ctx;
    const hours = tenant.settings.business_hours;
    const key = r.repeated ? 'handoff_again' : r.openNow ? 'handoff' : 'handoff_closed';
    return outbound([{ type: 'text', text: t(`customer.${key}`, { tenant: tenant.name, start: hours.start, end: hours.end }) }]);
  },
});
