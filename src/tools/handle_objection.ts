import { z } from 'zod';
import { translator } from '../agents/i18n.ts';
import { isPronoun, resolveLeadRef } from '../core/leads/resolve.ts';
import { handleObjection, type HandleObjectionResult } from '../core/objections/handle.ts';
import type { NextStep } from '../core/objections/next-step.ts';
import type { TailorLine } from '../core/objections/tailor.ts';
import { localized } from '../core/playbooks.ts';
import { concernList, itemName, itemWithPrice, labelContext, listJoin, money, percent, weekdayName, type LabelContext } from '../core/coach/labels.ts';
import { outbound, type OutboundPart } from '../core/messages/types.ts';
import { defineTool } from './types.ts';

const Input = z.object({
  text: z.string().trim().min(1).max(1000).describe("The objection in the rep's or the customer's words, in any of the tenant's languages"),
  lead_id: z.uuid().optional().describe('The lead who raised it, when known'),
  lead: z.string().trim().min(1).max(200).optional().describe('A name, phone, email or pronoun ("she") for the lead; defaults to the lead in focus'),
});

// Below this the phrase lists did not recognise the objection: say so rather than pretend.
const UNCLEAR = 0.3;

export const handleObjectionTool = defineTool({
  name: 'handle_objection',
  description:
    "Classify a customer's objection (price, time, trust, need, competitor, authority, other; possibly several), retrieve the best answers from the tenant's playbook by meaning, tailor them with the lead's budget, skin scan or buyer request, and propose a next step. Notes the objection on the lead's timeline.",
  roles: ['rep', 'manager', 'admin'],
  input: Input,
  async run(ctx, args) {
    // A lead is optional: "/objection too expensive" with nobody in focus is a general question,
    // and so is "she says…" before anyone was named (the reply says it is not linked to a lead).
    const unlinkedPronoun = !args.lead_id && !ctx.focusLeadId && args.lead !== undefined && isPronoun(args.lead);
    const wantsLead = !unlinkedPronoun && (args.lead_id || args.lead || ctx.focusLeadId);
    const leadId = wantsLead ? await resolveLeadRef(ctx.sql, ctx.actor, { lead_id: args.lead_id, lead: args.lead }, ctx.focusLeadId) : null;
    const data = { ...(await handleObjection(ctx.sql, ctx.tenant, { text: args.text, leadId, now: ctx.now, staffUserId: ctx.actor.staffUserId })), unlinkedPronoun };
    const c = data.classification;
    return {
      data,
      summary: `objection ${c.category}${c.secondary.length ? `+${c.secondary.join('+')}` : ''} (${c.confidence})${leadId ? ` for lead ${leadId}` : ''}`,
      focusLeadId: leadId ?? undefined,
    };
  },
  present(result, ctx) {
    const r = result.data;
    // One language per reply: the objection's own when the playbook has it, else the conversation's.
    const locale = r.byLocale[ctx.locale] ? ctx.locale : (r.anchorLocale ?? ctx.locale);
    const t = locale === ctx.locale ? ctx.t : translator(locale);
    const lc = labelContext(t, locale, ctx.tenant);
    return outbound(renderObjection(r, lc));
  },
});

function renderObjection(r: HandleObjectionResult & { unlinkedPronoun: boolean }, lc: LabelContext): OutboundPart[] {
  const { t } = lc;
  const c = r.classification;
  const name = r.lead?.displayName ?? '';
  const lines: string[] = [];
  lines.push(t('coaching.objection.heading', { category: t(`coaching.category.${c.category}`), confidence: percent(c.confidence) }));
  if (c.secondary.length) lines.push(t('coaching.objection.also', { categories: listJoin(c.secondary.map((s) => t(`coaching.category.${s}`)), lc.locale) }));
  if (c.confidence < UNCLEAR) lines.push(t('coaching.objection.unclear'));

  const answer = r.byLocale[lc.locale] ?? Object.values(r.byLocale)[0];
  if (answer?.general.length) {
    lines.push('', r.lead ? t('coaching.objection.for_lead', { name }) : t('coaching.objection.for_any'));
    for (const line of answer.general) lines.push(`• ${tailorText(line, name, lc)}`);
  }
  if (!answer || answer.responses.length === 0) {
    lines.push('', t('coaching.objection.no_playbook', { category: t(`coaching.category.${c.category}`) }));
  } else {
    answer.responses.forEach((resp, i) => {
      lines.push('', `${i + 1}. ${resp.title}`, resp.body);
      for (const line of resp.tailoring) lines.push(`→ ${tailorText(line, name, lc)}`);
      if (resp.followUpQuestion) lines.push(t('coaching.objection.ask', { question: resp.followUpQuestion }));
    });
    if (answer.alternatives.length) lines.push('', t('coaching.objection.alternatives', { titles: answer.alternatives.map((a) => a.title).join(' · ') }));
  }

  lines.push('', `${t('coaching.next.heading')}: ${nextStepText(r.nextStep, lc)}`);
  if (r.recorded) lines.push(t('coaching.objection.recorded', { name }));
  if (r.unlinkedPronoun) lines.push(t('coaching.objection.unlinked'));
  const parts: OutboundPart[] = [{ type: 'text', text: lines.join('\n') }];
  if (r.lead) {
    parts.push({
      type: 'buttons',
      buttons: [
        {
          label: t('coaching.next.button', { day: weekdayName(r.nextStep.followUp.date, lc.locale) }).slice(0, 80),
          // update_workflow belongs to the workflow tools: proposed here, done only if the rep presses it.
          payload: { action: 'update_workflow', args: { lead_id: r.lead.id, action: 'followup', when: r.nextStep.followUp.weekday } },
          style: 'primary',
        },
      ],
    });
  }
  return parts;
}

function tailorText(line: TailorLine, name: string, lc: LabelContext): string {
  const { t } = lc;
  switch (line.kind) {
    case 'scan':
      return t(name ? 'coaching.tailor.scan' : 'coaching.tailor.scan_anon', {
        name,
        concerns: concernList(line.concerns, lc),
        urgency: line.urgency === null ? '' : t('coaching.tailor.urgency', { value: line.urgency }),
      });
    case 'budget_gap':
      return t('coaching.tailor.budget_gap', { item: itemName(line.item, lc), price: money(line.item.price, lc), budget: money(line.budget, lc) });
    case 'instalments':
      return t('coaching.tailor.instalments', { item: itemName(line.item, lc), months: line.months, monthly: money(line.monthly, lc) });
    case 'starter': {
      const items = listJoin(
        line.items.map((i) => itemWithPrice(i, lc) + (i.creditDays ? ` ${t('coaching.tailor.credit', { days: i.creditDays })}` : '')),
        lc.locale,
      );
      return line.budget === null ? t('coaching.tailor.starter', { items }) : t('coaching.tailor.starter_budget', { items, budget: money(line.budget, lc) });
    }
    case 'listings':
      return t('coaching.tailor.listings', {
        cap: money(line.cap, lc),
        listings: line.listings.map((l) => `${localized(l.titles, lc.prefs, l.ref)} (${money(l.price, lc)})`).join('; '),
      });
    case 'no_listings':
      return t('coaching.tailor.no_listings', { cap: money(line.cap, lc) });
  }
}

function nextStepText(step: NextStep, lc: LabelContext): string {
  const { t } = lc;
  const day = weekdayName(step.followUp.date, lc.locale);
  switch (step.kind) {
    case 'offer_starter':
      return t('coaching.next.offer_starter', { item: itemName(step.item, lc), price: money(step.item.price, lc), day });
    case 'offer_instalments':
      return t('coaching.next.offer_instalments', { item: itemName(step.item, lc), months: step.months, monthly: money(step.monthly, lc), day });
    case 'send_listings':
      return t('coaching.next.send_listings', { count: step.count, cap: money(step.cap, lc), day });
    case 'invite_consultation':
      return step.item
        ? t('coaching.next.invite_consultation', { item: itemName(step.item, lc), price: money(step.item.price, lc), day })
        : t('coaching.next.invite_consultation_any', { day });
    default:
      return t(`coaching.next.${step.kind}`, { day });
  }
}
