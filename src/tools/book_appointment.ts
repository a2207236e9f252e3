import { z } from 'zod';
import { bookAppointment, type BookingResult } from '../core/customer/booking.ts';
import { resolveLeadRef } from '../core/leads/resolve.ts';
import { formatDate, formatDateTime } from '../core/format.ts';
import { outbound, type OutboundPart } from '../core/messages/types.ts';
import { defineTool } from './types.ts';

const blankToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

const Input = z.object({
  when: z.preprocess(blankToUndefined, z.string().trim().max(120).optional()).describe('The day/time the customer wants, in their words: "Saturday", "วันเสาร์ บ่ายสอง", "السبت"'),
  note: z.preprocess(blankToUndefined, z.string().trim().max(300).optional()).describe('What it is about (a treatment or listing)'),
  lead_id: z.uuid().optional(),
});

export const bookAppointmentTool = defineTool({
  name: 'book_appointment',
  description:
    "The customer asks to book a consultation (clinic) or a viewing (real estate) for themselves. Records the request as a task for their owner on the day they named (read in the tenant's time zone) and moves an early-stage lead to the booked stage; staff confirm the exact slot.",
  roles: ['customer'],
  input: Input,
  async run(ctx, args) {
    const leadId = await resolveLeadRef(ctx.sql, ctx.actor, { lead_id: args.lead_id }, ctx.focusLeadId);
    const r = await bookAppointment(ctx.sql, ctx.tenant, leadId, { when: args.when, note: args.note, now: ctx.now });
    return { data: r, summary: `booking request ${r.updated ? 'updated' : 'created'}${r.at ? ` for ${r.at.toISOString()}` : ''}${r.stageChanged ? `; stage ${r.stageChanged.from}→${r.stageChanged.to}` : ''}` };
  },
  present(result, ctx) {
    const { t, locale, tenant } = ctx;
    const r: BookingResult = result.data;
    const what = t(`customer.visit.${tenant.vertical}`);
    const parts: OutboundPart[] = [];
    if (r.at) {
      const when = r.hasTime ? formatDateTime(r.at, tenant.timezone, locale) : formatDate(r.at, tenant.timezone, locale);
      parts.push({ type: 'text', text: t(r.updated ? 'customer.booked_updated' : 'customer.booked', { what, when }) });
      if (r.closedThatDay) parts.push({ type: 'text', text: t('customer.booked_closed_day') });
    } else {
      parts.push({ type: 'text', text: t('customer.booked_no_date', { what }) });
    }
    return outbound(parts);
  },
});
