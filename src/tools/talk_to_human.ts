import { z } from 'zod';
import { requestHuman, type HandoffResult } from '../core/customer/handoff.ts';
import { startHandoff } from '../core/handoff/service.ts';
import { resolveLeadRef } from '../core/leads/resolve.ts';
import { outbound } from '../core/messages/types.ts';
import { defineTool } from './types.ts';

const blankToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

const Input = z.object({
  reason: z.preprocess(blankToUndefined, z.string().trim().max(500).optional()).describe('Why they want a person, if they said'),
  lead_id: z.uuid().optional(),
});

export interface TalkToHumanResult extends HandoffResult {
  /** The conversation was handed to staff in the tenant's Slack handoff channel: the bot stays quiet in it until Resolve or the idle time. */
  live: boolean;
}

export const talkToHuman = defineTool({
  name: 'talk_to_human',
  description:
    "The customer wants to talk to a person. Raises a handoff_requested alert and a callback task for their owner and, when the tenant has a Slack handoff channel, hands this conversation to staff there (the bot stays quiet until a rep resolves it). Tells the customer someone will reply in this chat.",
  roles: ['customer'],
  input: Input,
  async run(ctx, args) {
    const leadId = await resolveLeadRef(ctx.sql, ctx.actor, { lead_id: args.lead_id }, ctx.focusLeadId);
    const r = await requestHuman(ctx.sql, ctx.tenant, leadId, { reason: args.reason, conversationId: ctx.conversationId, now: ctx.now });
    const handoff = await startHandoff(ctx.sql, ctx.tenant, ctx.conversationId, { reason: args.reason, now: ctx.now });
    const data: TalkToHumanResult = { ...r, live: handoff.started };
    const summary = handoff.started ? `handed off (alert ${r.alertId})` : r.repeated ? 'handoff already requested' : `handoff requested (alert ${r.alertId}; no live handoff: ${handoff.why})`;
    return { data, summary };
  },
  present(result, ctx) {
    const r: TalkToHumanResult = result.data;
    const { t, tenant } = ctx;
    const hours = tenant.settings.business_hours;
    const key = r.repeated ? 'handoff_again' : r.openNow ? 'handoff' : 'handoff_closed';
    return outbound([{ type: 'text', text: t(`customer.${key}`, { tenant: tenant.name, start: hours.start, end: hours.end }) }]);
  },
});
