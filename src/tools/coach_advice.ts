import { z } from 'zod';
import { resolveLeadRef } from '../core/leads/resolve.ts';
import { coachAdvice, type CoachResult } from '../core/coach/advice.ts';
import { concernList, itemName, labelContext, listJoin, money, percent, type LabelContext } from '../core/coach/labels.ts';
import { localized } from '../core/playbooks.ts';
import { outbound, type OutboundPart } from '../core/messages/types.ts';
import { defineTool } from './types.ts';

const Input = z.object({
  lead_id: z.uuid().optional().describe('The lead, when its id is known'),
  lead: z.string().trim().min(1).max(200).optional().describe('A name, phone, email or pronoun ("her"); defaults to the lead in focus'),
});

// Days without contact after which the advice opens with re-engaging the lead.
const STALE_DAYS = 7;

export const coachAdviceTool = defineTool({
  name: 'coach_advice',
  description:
    "Sales coaching for one lead: a suggestion, talking points, a closing technique and a confidence, from the stage playbook and the lead's data (concerns, budget, grade, last objection, days since contact, whether they are waiting for a reply).",
  roles: ['rep', 'manager', 'admin'],
  input: Input,
  async run(ctx, args) {
    const leadId = await resolveLeadRef(ctx.sql, ctx.actor, args, ctx.focusLeadId);
    const data = await coachAdvice(ctx.sql, ctx.tenant, leadId, ctx.now);
    return { data, summary: `coaching for lead ${leadId} at stage ${data.lead.stageKey} (confidence ${data.confidence})`, focusLeadId: leadId };
  },
  present(result, ctx) {
    const lc = labelContext(ctx.t, ctx.locale, ctx.tenant);
    return outbound(renderCoach(result.data, lc, ctx.tenant.vertical));
  },
});

function renderCoach(r: CoachResult, lc: LabelContext, vertical: string): OutboundPart[] {
  const { t } = lc;
  const name = r.lead.displayName;
  const stageName = localized(r.lead.stageNames, lc.prefs, r.lead.stageKey);
  const stage = r.stage[lc.prefs.find((l) => r.stage[l]) ?? ''] ?? Object.values(r.stage)[0];

  // What to do first: an unanswered message beats an open objection beats the stage routine.
  const suggestion: string[] = [];
  if (r.signals.awaitingReply) suggestion.push(t('coaching.coach.reply_first', { name, hours: r.signals.hoursWaiting ?? 0 }));
  if (r.lastObjection) {
    const tip = r.objectionTips[lc.prefs.find((l) => r.objectionTips[l]) ?? ''];
    suggestion.push(
      t(tip ? 'coaching.coach.objection_first' : 'coaching.coach.objection_first_no_tip', {
        category: t(`coaching.category.${r.lastObjection.category}`),
        text: r.lastObjection.text.slice(0, 120),
        tip: tip?.title ?? '',
      }) + (tip?.followUpQuestion ? ` ${t('coaching.objection.ask', { question: tip.followUpQuestion })}` : ''),
    );
  }
  if (!r.signals.awaitingReply && r.signals.daysSinceContact !== null && r.signals.daysSinceContact >= STALE_DAYS) {
    suggestion.push(t('coaching.coach.reengage', { days: r.signals.daysSinceContact }));
  }
  suggestion.push(stage ? stage.suggestion : t('coaching.coach.no_playbook', { stage: stageName }));

  const points: string[] = [];
  if (r.lead.concerns.length) {
    points.push(t('coaching.coach.point_scan', { concerns: concernList(r.lead.concerns, lc), urgency: r.lead.urgency === null ? '' : t('coaching.tailor.urgency', { value: r.lead.urgency }) }));
  }
  if (r.fit?.kind === 'item') {
    const f = r.fit;
    const item = itemName(f.item, lc);
    const price = money(f.item.price, lc);
    if (f.budget === null) points.push(t('coaching.coach.point_item_no_budget', { item, price }));
    else if (f.withinBudget) points.push(t('coaching.coach.point_item_fits', { item, price, budget: money(f.budget, lc) }));
    else if (f.starter) points.push(t('coaching.coach.point_item_over_starter', { item, price, budget: money(f.budget, lc), starter: itemName(f.starter, lc), starter_price: money(f.starter.price, lc) }));
    else points.push(t('coaching.coach.point_item_over', { item, price, budget: money(f.budget, lc) }));
  } else if (r.fit?.kind === 'listings') {
    points.push(t('coaching.coach.point_listings', { count: r.fit.count, cap: money(r.fit.cap, lc) }));
  }
  if (r.lead.grade) points.push(t(`coaching.coach.grade_${r.lead.grade === 'A' ? 'a' : r.lead.grade === 'B' ? 'b' : 'cd'}`, { grade: r.lead.grade }));
  if (stage) points.push(...stage.talking_points);

  const basis = (Object.entries(r.basis) as [keyof CoachResult['basis'], boolean][]).filter(([, v]) => v).map(([k]) => t(`coaching.coach.basis.${k}`));
  const fields = [
    { label: t('coaching.coach.suggestion'), value: suggestion.join('\n') },
    { label: t('coaching.coach.talking_points'), value: points.map((p) => `• ${p}`).join('\n') || '—' },
    { label: t('coaching.coach.closing'), value: stage?.closing_technique ?? '—' },
    { label: t('coaching.coach.confidence'), value: t('coaching.coach.confidence_value', { value: percent(r.confidence), basis: listJoin(basis, lc.locale) }) },
  ];
  const buttons = [{ label: t('coaching.coach.button_card').slice(0, 80), payload: { action: 'lookup_lead', args: { lead_id: r.lead.id } }, style: 'default' as const }];
  if (vertical !== 'realty') {
    buttons.push({ label: t('coaching.coach.button_upsell').slice(0, 80), payload: { action: 'recommend_upsell', args: { lead_id: r.lead.id } }, style: 'default' as const });
  }
  return [
    { type: 'card', title: t('coaching.coach.heading', { name }), subtitle: [stageName, r.lead.grade ? t('coaching.coach.grade', { grade: r.lead.grade }) : ''].filter(Boolean).join(' · '), fields },
    { type: 'buttons', buttons },
  ];
}
