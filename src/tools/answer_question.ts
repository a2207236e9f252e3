import { z } from 'zod';
import { answerQuestion, type AnswerResult } from '../core/customer/answer.ts';
import { concernList, localName, money, nextStepButtons } from '../core/customer/format.ts';
import { chunkFor } from '../core/knowledge.ts';
import { resolveLeadRef } from '../core/leads/resolve.ts';
import { outbound, type OutboundPart } from '../core/messages/types.ts';
import { defineTool, type PresentContext } from './types.ts';

const Input = z.object({
  question: z.string().trim().min(1).max(1000).describe('What the customer asked, in their words'),
  lead_id: z.uuid().optional().describe('Ignored for customers except to refuse another lead'),
});

export const answerQuestionTool = defineTool({
  name: 'answer_question',
  description:
    "Answer the customer's own question (treatments, prices, sessions, listings, opening hours, location, parking, payment) from the tenant's catalogue, available listings and knowledge base. Says it does not know, and asks the team, when nothing relevant is found. Notes skin concerns mentioned on the customer's record.",
  roles: ['customer'],
  input: Input,
  async run(ctx, args) {
    const leadId = await resolveLeadRef(ctx.sql, ctx.actor, { lead_id: args.lead_id }, ctx.focusLeadId);
    const answer = await answerQuestion(ctx.sql, ctx.tenant, leadId, args.question, ctx.now);
    return { data: answer, summary: `answer: ${answer.kind}${answer.concernsNoted.length ? `; noted ${answer.concernsNoted.join(',')}` : ''}` };
  },
  present(result, ctx) {
    return outbound(render(result.data, ctx));
  },
});

function render(a: AnswerResult, ctx: PresentContext): OutboundPart[] {
  const { t, locale, tenant } = ctx;
  const parts: OutboundPart[] = [];
  const noted = a.concernsNoted.length ? ` ${t('customer.concerns_noted', { concerns: concernList(a.concernsNoted, t) })}` : '';
  switch (a.kind) {
    case 'items':
    case 'recommend': {
      const intro = a.kind === 'recommend' ? t('customer.recommend', { concerns: concernList(a.concerns, t) }) : a.items.length > 1 ? t('customer.several_items') : t('customer.item_intro');
      parts.push({ type: 'text', text: intro + noted });
      for (const item of a.items) {
        const fields = [{ label: t('customer.price'), value: item.price === 0 ? t('customer.free') : money(item.price, item.currency, locale) }];
        if (item.sessions) fields.push({ label: t('customer.sessions'), value: String(item.sessions) });
        if (item.durationMinutes) fields.push({ label: t('customer.duration'), value: t('customer.minutes', { count: item.durationMinutes }) });
        parts.push({ type: 'card', title: localName(item.names, locale, tenant.defaultLocale), subtitle: localName(item.descriptions, locale, tenant.defaultLocale) || undefined, fields });
      }
      parts.push({ type: 'text', text: t(a.followUp === 'budget' ? 'customer.ask_budget' : `customer.ask_date.${tenant.vertical}`) });
      parts.push(nextStepButtons(tenant, t, a.items[0]?.sku));
      return parts;
    }
    case 'listings': {
      if (!a.listings.length) {
        parts.push({ type: 'text', text: t('customer.listings_none') });
        parts.push(nextStepButtons(tenant, t));
        return parts;
      }
      parts.push({ type: 'text', text: t('customer.listings_intro') });
      for (const l of a.listings) {
        const fields = [{ label: t('customer.price'), value: money(l.price, l.currency, locale) }];
        if (l.bedrooms !== null) fields.push({ label: t('customer.bedrooms'), value: String(l.bedrooms) });
        if (l.areaSqm !== null) fields.push({ label: t('customer.area'), value: `${l.areaSqm} m²` });
        parts.push({ type: 'card', title: localName(l.titles, locale, tenant.defaultLocale), subtitle: l.ref, fields });
      }
      parts.push({ type: 'text', text: t(a.followUp === 'budget' ? 'customer.ask_budget' : `customer.ask_date.${tenant.vertical}`) });
      parts.push(nextStepButtons(tenant, t, a.listings[0]?.ref));
      return parts;
    }
    case 'knowledge': {
      for (const s of a.sources) {
        const chunk = chunkFor(s, locale, tenant.defaultLocale);
        if (chunk) parts.push({ type: 'text', text: `${chunk.title}\n${chunk.body}` });
      }
      if (noted) parts.push({ type: 'text', text: noted.trim() });
      return parts;
    }
    case 'unknown':
      parts.push({ type: 'text', text: t('customer.unknown') + noted });
      parts.push({ type: 'buttons', buttons: [{ label: t('customer.button_staff'), payload: { action: 'talk_to_human', args: {} }, style: 'default' }] });
      return parts;
  }
}
