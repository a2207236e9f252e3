import { z } from 'zod';
import { outbound } from '../core/messages/types.ts';
import { resolveLeadRef } from '../core/leads/resolve.ts';
import { SCORE_MODEL, type FactorKey } from '../core/scoring/config.ts';
import { loadStages } from '../core/scoring/context.ts';
import { reasonText, signedPoints } from '../core/scoring/present.ts';
import { recomputeLeadScore } from '../core/scoring/recompute.ts';
import { StoredFactorsSchema, type ScoreFactor } from '../core/scoring/types.ts';
import { defineTool } from './types.ts';

const Input = z.object({
  lead_id: z.uuid().optional().describe('The exact lead id, when known (e.g. from a button)'),
  lead: z.string().trim().min(1).max(200).optional().describe('A name, phone, email, or "her"/"him" for the lead being discussed'),
});

interface Result {
  leadId: string;
  name: string;
  score: number;
  grade: string;
  factors: ScoreFactor[];
  missing: FactorKey[];
  recomputed: boolean;
  stageNames: [string, Record<string, string>][];
}

export const explainScore = defineTool({
  name: 'explain_score',
  description:
    "Explain a lead's score (0-100) and grade (A-D): every factor with its points and the reason (stage, recency, engagement, replies, budget fit, urgency, intent signals, source, contact data), and which inputs are missing.",
  roles: ['rep', 'manager', 'admin'],
  input: Input,
  async run(ctx, args) {
    const leadId = await resolveLeadRef(ctx.sql, ctx.actor, args, ctx.focusLeadId);
    const row = (
      await ctx.sql.query<{ display_name: string; score: number | null; grade: string | null; score_factors: unknown; scored_at: Date | null }>(
        'SELECT display_name, score, grade, score_factors, scored_at FROM leads WHERE id = $1',
        [leadId],
      )
    ).rows[0]!;
    const stored = StoredFactorsSchema.safeParse(row.score_factors);
    let data: Pick<Result, 'score' | 'grade' | 'factors' | 'missing' | 'recomputed'>;
    if (row.scored_at && row.score !== null && row.grade && stored.success && stored.data.model === SCORE_MODEL) {
      data = { score: row.score, grade: row.grade, factors: stored.data.factors, missing: stored.data.missing, recomputed: false };
    } else {
      // Stale (an input changed) or scored by another model: score it now, so the explanation matches the number.
      const r = await recomputeLeadScore(ctx.sql, ctx.tenant, leadId, ctx.now);
      data = { score: r.score, grade: r.grade, factors: r.factors, missing: r.missing, recomputed: true };
    }
    const stages = await loadStages(ctx.sql);
    return {
      data: { leadId, name: row.display_name, ...data, stageNames: stages.map((s) => [s.key, s.names]) } satisfies Result,
      summary: `score ${data.score} (${data.grade}) for lead ${leadId}${data.recomputed ? ', recomputed' : ''}`,
      focusLeadId: leadId,
    };
  },
  present(result, ctx) {
    const r = result.data;
    const { t, locale, tenant } = ctx;
    const rc = { t, locale, currency: tenant.currency, stageNames: new Map(r.stageNames) };
    const th = tenant.settings.grade_thresholds;
    const next = r.grade === 'A' ? undefined : r.grade === 'B' ? { grade: 'A', at: th.A } : r.grade === 'C' ? { grade: 'B', at: th.B } : { grade: 'C', at: th.C };
    const known = r.factors.filter((f) => f.known);
    const lines = [t('scoring.explain_title', { name: r.name, score: r.score, grade: r.grade })];
    if (next) lines.push(t('scoring.to_next_grade', { points: next.at - r.score, grade: next.grade }));
    if (r.missing.length) lines.push(t('scoring.missing', { factors: r.missing.map((k) => t(`scoring.factor.${k}`)).join(', ') }));
    return outbound([
      { type: 'text', text: lines.join('\n') },
      {
        type: 'card',
        title: t('scoring.factors_title', { name: r.name }),
        subtitle: `${r.score}/100 · ${r.grade}`,
        fields: known.map((f) => ({ label: `${t(`scoring.factor.${f.key}`)} (${signedPoints(f.points)}/${f.max})`, value: reasonText(f.reason, f.params, rc) })),
      },
      {
        type: 'buttons',
        buttons: [
          { label: t('scoring.button_probability'), payload: { action: 'deal_probability', args: { lead_id: r.leadId } }, style: 'primary' },
          { label: t('scoring.button_card'), payload: { action: 'lookup_lead', args: { lead_id: r.leadId } }, style: 'default' },
        ],
      },
    ]);
  },
});
