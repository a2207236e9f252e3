import { z } from 'zod';
import { requestCallback, type CallbackResult } from '../core/customer/booking.ts';
import { resolveLeadRef } from '../core/leads/resolve.ts';
import { formatDateTime } from '../core/format.ts';
import { outbound, type OutboundPart } from '../core/messages/types.ts';
import { defineTool } from './types.ts';

const blankToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

const Input = z.object({
  when: z.preprocess(blankToUndefined, z.string().trim().max(120).optional()).describe('When to call, in their words ("tomorrow 3pm", "พรุ่งนี้บ่ายสอง")'),
  phone: z.preprocess(blankToUndefined, z.string().trim().max(40).optional()).describe('A number to call, if they gave one'),
  lead_id: z.uuid().optional(),
});

export const requestCallbackTool = defineTool({
  name: 'request_callback',
  description: 'The customer asks to be called back. Creates a callback task for their owner (due when they asked, else within the response SLA) and stores the phone number they give when their record has none.',
  roles: ['customer'],
  input: Input,
  async run(ctx, args) {
    const leadId = await resolveLeadRef(ctx.sql, ctx.actor, { lead_id: args.lead_id }, ctx.focusLeadId);
    const r = await requestCallback(ctx.sql, ctx.tenant, leadId, { when: args.when, phone: args.phone, now: ctx.now });
    return { data: r, summary: `callback ${r.updated ? 'updated' : 'requested'}${r.phoneSaved ? '; phone stored' : ''}` };
  },
  present(result, ctx) {
    const { t, locale, tenant } = ctx;
    const r: CallbackResult = result.data;
    const parts: OutboundPart[] = [];
    parts.push({
      type: 'text',
      text: r.hasTime && r.at ? t('customer.callback_at', { tenant: tenant.name, when: formatDateTime(r.at, tenant.timezone, locale) }) : t('customer.callback', { tenant: tenant.name }),
    });
    // The customer's own number, echoed back so they can correct it; never anyone else's.
    if (r.phoneSaved && r.phone) parts.push({ type: 'text', text: t('customer.callback_phone_saved', { phone: r.phone }) });
    if (r.phoneInvalid) parts.push({ type: 'text', text: t('customer.callback_phone_invalid') });
    else if (!r.phone && !r.phoneUnverified) parts.push({ type: 'text', text: t('customer.callback_need_phone') });
    return outbound(parts);
  },
});
