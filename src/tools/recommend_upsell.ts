import { z } from 'zod';
import { resolveLeadRef } from '../core/leads/resolve.ts';
import { recommendUpsell, type UpsellResult } from '../core/upsell/recommend.ts';
import type { UpsellReason } from '../core/upsell/rank.ts';
import { concernList, itemName, labelContext, listJoin, money, type LabelContext } from '../core/coach/labels.ts';
import { outbound, type OutboundPart } from '../core/messages/types.ts';
import { defineTool } from './types.ts';

const Input = z.object({
  lead_id: z.uuid().optional().describe('The lead, when its id is known'),
  lead: z.string().trim().min(1).max(200).optional().describe('A name, phone, email or pronoun ("her"); defaults to the lead in focus'),
});

export const recommendUpsellTool = defineTool({
  name: 'recommend_upsell',
  description:
    "Next best offers for a catalogue business's customer: catalogue items that target the concerns in their skin analysis, never one already bought, ranked with the reason, the timing (now, after the first treatment, at the next follow-up) and a priority; items over budget are flagged with their price.",
  roles: ['rep', 'manager', 'admin'],
  input: Input,
  async run(ctx, args) {
    const leadId = await resolveLeadRef(ctx.sql, ctx.actor, args, ctx.focusLeadId);
    const data = await recommendUpsell(ctx.sql, ctx.tenant, leadId);
    const n = data.kind === 'ranked' ? data.recommendations.length : 0;
    return { data, summary: `upsell for lead ${leadId}: ${data.kind}${n ? ` (${n} items)` : ''}`, focusLeadId: leadId };
  },
  present(result, ctx) {
    const lc = labelContext(ctx.t, ctx.locale, ctx.tenant);
    return outbound(renderUpsell(result.data, lc, ctx.tenant.name));
  },
});

function reasonText(reason: UpsellReason, lc: LabelContext): string {
  const { t } = lc;
  switch (reason.kind) {
    case 'targets':
      return t('coaching.upsell.reason.targets', { concerns: concernList(reason.concerns, lc) });
    case 'follows':
      return t('coaching.upsell.reason.follows', { item: itemName(reason.item, lc) });
    case 'starter_credit':
      return t('coaching.upsell.reason.starter_credit', { days: reason.days });
    case 'no_downtime':
      return t('coaching.upsell.reason.no_downtime');
    case 'downtime':
      return t('coaching.upsell.reason.downtime', { days: reason.days });
  }
}

function renderUpsell(r: UpsellResult, lc: LabelContext, tenantName: string): OutboundPart[] {
  const { t } = lc;
  const name = r.lead.displayName;
  switch (r.kind) {
    case 'not_catalogue':
      return [
        { type: 'text', text: t('coaching.upsell.not_catalogue', { name, tenant: tenantName }) },
        { type: 'buttons', buttons: [{ label: t('coaching.upsell.match_button').slice(0, 80), payload: { action: 'match_listings', args: { lead_id: r.lead.id } }, style: 'primary' }] },
      ];
    case 'no_catalogue':
      return [{ type: 'text', text: t('coaching.upsell.no_catalogue') }];
    case 'no_needs':
      return [{ type: 'text', text: r.consultation ? t('coaching.upsell.no_needs', { name, item: itemName(r.consultation, lc) }) : t('coaching.upsell.no_needs_any', { name }) }];
    case 'nothing_new':
      return [{ type: 'text', text: t('coaching.upsell.nothing_new', { name, concerns: concernList(r.concerns, lc) }) }];
    case 'ranked': {
      const head = [t('coaching.upsell.heading', { name })];
      head.push(
        t('coaching.upsell.basis', {
          concerns: concernList(r.concerns, lc),
          urgency: r.urgency === null ? '' : t('coaching.tailor.urgency', { value: r.urgency }),
          budget: r.budget === null ? t('coaching.upsell.no_budget') : money(r.budget, lc),
        }),
      );
      const rows = r.recommendations.map((rec, i) => {
        const price = money(rec.item.price, lc);
        const why = rec.reasons.map((x) => reasonText(x, lc));
        if (rec.overBudget && r.budget !== null) why.unshift(t('coaching.upsell.over_budget', { price, budget: money(r.budget, lc) }));
        return [String(i + 1), itemName(rec.item, lc), price, why.join('; '), t(`coaching.upsell.timing.${rec.timing}`), t(`coaching.upsell.priority.${rec.priority}`)];
      });
      const parts: OutboundPart[] = [
        { type: 'text', text: head.join('\n') },
        { type: 'table', columns: ['#', t('coaching.upsell.col.item'), t('coaching.upsell.col.price'), t('coaching.upsell.col.why'), t('coaching.upsell.col.when'), t('coaching.upsell.col.priority')], rows },
      ];
      if (r.purchased.length) parts.push({ type: 'text', text: t('coaching.upsell.already_bought', { items: listJoin(r.purchased.map((p) => itemName(p, lc)), lc.locale) }) });
      return parts;
    }
  }
}
