import { z } from 'zod';
import { parseConsent, setConsent, type ConsentResult } from '../core/customer/consent.ts';
import { resolveLeadRef } from '../core/leads/resolve.ts';
import { outbound } from '../core/messages/types.ts';
import { defineTool } from './types.ts';

const Input = z.object({
  consent: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .transform((v, c) => {
      const parsed = parseConsent(v);
      if (!parsed) {
        c.addIssue({ code: 'custom', message: 'expected opted_in or opted_out (or words such as STOP / subscribe)' });
        return z.NEVER;
      }
      return parsed;
    })
    .describe('opted_in or opted_out (the customer\'s own words such as "STOP" or "unsubscribe" are understood too)'),
  lead_id: z.uuid().optional(),
});

export const setConsentTool = defineTool({
  name: 'set_consent',
  description: 'The customer opts out of (STOP, unsubscribe) or back into (START, subscribe) messages from the business. Opting out cancels every pending follow-up at once.',
  roles: ['customer'],
  input: Input,
  async run(ctx, args) {
    const leadId = await resolveLeadRef(ctx.sql, ctx.actor, { lead_id: args.lead_id }, ctx.focusLeadId);
    const r = await setConsent(ctx.sql, ctx.tenant, leadId, args.consent, ctx.now);
    return { data: r, summary: `consent ${r.previous}→${r.consent}; ${r.cancelledFollowups} follow-ups cancelled` };
  },
  present(result, ctx) {
    const r: ConsentResult = result.data;
    const key = r.consent === 'opted_out' ? (r.changed ? 'consent_out' : 'consent_already_out') : r.changed ? 'consent_in' : 'consent_already_in';
    return outbound([{ type: 'text', text: ctx.t(`customer.${key}`, { tenant: ctx.tenant.name }) }]);
  },
});
