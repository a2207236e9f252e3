import { z } from 'zod';
import { outbound } from '../core/messages/types.ts';
import { resolveLeadRef } from '../core/leads/resolve.ts';
import { loadStages } from '../core/scoring/context.ts';
import { reasonText, signedPoints } from '../core/scoring/present.ts';
import { dealProbability, type DealProbability } from '../core/probability/model.ts';
import { defineTool } from './types.ts';

const Input = z.object({
  lead_id: z.uuid().optional().describe('The exact lead id, when known (e.g. from a button)'),
  lead: z.string().trim().min(1).max(200).optional().describe('A name, phone, email, or "her"/"him" for the lead being discussed'),
});

type Result = DealProbability & { stageNames: [string, Record<string, string>][] };

const pct = (p: number) => `${Math.round(p * 100)}%`;

export const dealProbabilityTool = defineTool({
  name: 'deal_probability',
  description:
    "The probability that a lead's deal closes (won), with the factors that raise or lower it. Learned from this tenant's own won/lost history (logistic regression) when there is enough of it, otherwise the stage's win rate; the answer says which.",
  roles: ['rep', 'manager', 'admin'],
  input: Input,
  async run(ctx, args) {
    const leadId = await resolveLeadRef(ctx.sql, ctx.actor, args, ctx.focusLeadId);
    const p = await dealProbability(ctx.sql, ctx.tenant, leadId, ctx.now);
    const stages = await loadStages(ctx.sql);
    return {
      data: { ...p, stageNames: stages.map((s) => [s.key, s.names]) } satisfies Result,
      summary: `deal probability ${pct(p.probability)} (${p.method}) for lead ${leadId}`,
      focusLeadId: leadId,
    };
  },
  present(result, ctx) {
    const r = result.data;
    const { t, locale, tenant } = ctx;
    const rc = { t, locale, currency: tenant.currency, stageNames: new Map(r.stageNames) };
    const stageName = r.stage ? (r.stage.names[locale] ?? r.stage.names.en ?? r.stage.key) : '—';
    if (r.status !== 'open') return outbound([{ type: 'text', text: t(`scoring.prob_closed_${r.status}`, { name: r.name, stage: stageName }) }]);
    const lines = [t('scoring.prob_title', { name: r.name, percent: pct(r.probability), stage: stageName })];
    const h = r.model.holdout;
    if (r.method === 'model') {
      lines.push(t('scoring.prob_method_model', { closed: r.model.closed, won: r.model.won, lost: r.model.lost }));
      if (h) lines.push(t('scoring.prob_holdout', { auc: h.auc.toFixed(2), brier: h.brier.toFixed(3), n: h.nTest }));
    } else {
      lines.push(t(`scoring.prob_method_${r.method}`, { closed: r.model.closed, won: r.model.won, lost: r.model.lost, min: 50 }));
    }
    if (r.stageRate) lines.push(t(r.stageRate.empirical ? 'scoring.prob_stage_rate' : 'scoring.prob_stage_default', { stage: stageName, percent: pct(r.stageRate.rate), n: r.stageRate.n }));
    const parts: Parameters<typeof outbound>[0] = [{ type: 'text', text: lines.join('\n') }];
    if (r.drivers.length) {
      parts.push({
        type: 'card',
        title: t('scoring.prob_drivers'),
        fields: r.drivers.slice(0, 6).map((d) => ({
          label: `${t(`scoring.factor.${d.feature}`)} (${signedPoints(d.points)} ${t('scoring.pp')})`,
          value: reasonText(d.reason, d.params, rc),
        })),
      });
    }
    parts.push({
      type: 'buttons',
      buttons: [
        { label: t('scoring.button_explain'), payload: { action: 'explain_score', args: { lead_id: r.leadId } }, style: 'default' },
        { label: t('scoring.button_card'), payload: { action: 'lookup_lead', args: { lead_id: r.leadId } }, style: 'default' },
      ],
    });
    return outbound(parts);
  },
});
