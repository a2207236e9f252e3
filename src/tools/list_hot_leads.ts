import { z } from 'zod';
import type { Sql } from '../db/database.ts';
import { NotFoundError, PolicyRefusal, ToolInputError } from '../errors.ts';
import { formatDateTime, formatMoney, normaliseText } from '../core/format.ts';
import { outbound, type OutboundPart } from '../core/messages/types.ts';
import { listHotLeads, type HotLead, type HotLeadList } from '../core/prioritiser/hot.ts';
import { loadStages } from '../core/scoring/context.ts';
import { defineTool, type PresentContext } from './types.ts';

const Input = z.object({
  limit: z.coerce.number().int().min(1).max(50).default(10).describe('How many leads (1-50, default 10)'),
  owner: z.string().trim().min(1).max(200).optional().describe("Managers: a rep's name or email, to see that rep's list"),
  stage: z.string().trim().min(1).max(100).optional().describe('Only leads in this pipeline stage (key or name in any language)'),
});

interface Result {
  scope: 'mine' | 'team' | 'owner';
  ownerName: string | null;
  stageName: Record<string, string> | null;
  list: HotLeadList;
}

async function resolveOwner(sql: Sql, ref: string): Promise<{ id: string; name: string }> {
  const q = normaliseText(ref);
  const { rows } = await sql.query<{ id: string; name: string; email: string }>(
    `SELECT id, name, email FROM staff_users WHERE active AND (lower(email) = $1 OR lower(name) = $1 OR lower(name) LIKE $2 OR lower(split_part(email, '@', 1)) = $1)
     ORDER BY (lower(email) = $1 OR lower(name) = $1) DESC, name`,
    [q, `%${q.replace(/[%_\\]/g, '\\$&')}%`],
  );
  const exact = rows.filter((r) => r.email.toLowerCase() === q || r.name.toLowerCase() === q);
  const hits = exact.length ? exact : rows;
  if (hits.length === 0) throw new NotFoundError(`No active staff member matches "${ref}".`);
  if (hits.length > 1) throw new ToolInputError(`"${ref}" matches ${hits.map((h) => h.name).join(', ')}: give the email or the full name.`);
  return hits[0]!;
}

export const listHotLeadsTool = defineTool({
  name: 'list_hot_leads',
  description:
    "Who to contact next: open leads ranked by score, recency, unanswered messages past the response SLA and open deal value, each with the reason and the best time to contact. Reps see their own leads; managers the team's (or one rep's with `owner`).",
  roles: ['rep', 'manager', 'admin'],
  input: Input,
  async run(ctx, args) {
    let ownerId: string | undefined;
    let ownerName: string | null = null;
    let scope: Result['scope'] = 'team';
    if (ctx.actor.role === 'rep') {
      if (!ctx.actor.staffUserId) throw new PolicyRefusal('this conversation is not linked to a staff member.');
      if (args.owner) {
        const o = await resolveOwner(ctx.sql, args.owner);
        if (o.id !== ctx.actor.staffUserId) throw new PolicyRefusal("reps see their own hot leads; ask a manager for another rep's list.");
      }
      ownerId = ctx.actor.staffUserId;
      scope = 'mine';
    } else if (args.owner) {
      const o = await resolveOwner(ctx.sql, args.owner);
      ownerId = o.id;
      ownerName = o.name;
      scope = 'owner';
    }
    let stageKey: string | undefined;
    let stageName: Record<string, string> | null = null;
    if (args.stage) {
      const wanted = normaliseText(args.stage);
      const stages = await loadStages(ctx.sql);
      const s = stages.find((x) => x.key === wanted || Object.values(x.names).some((n) => normaliseText(n) === wanted));
      if (!s) throw new ToolInputError(`No stage "${args.stage}". Stages: ${stages.filter((x) => x.openIndex !== null).map((x) => x.names.en ?? x.key).join(', ')}.`);
      if (s.openIndex === null) throw new ToolInputError(`"${args.stage}" is a closed stage; hot leads are open leads.`);
      stageKey = s.key;
      stageName = s.names;
    }
    const list = await listHotLeads(ctx.sql, ctx.tenant, { now: ctx.now, limit: args.limit, ownerId, stageKey });
    return {
      data: { scope, ownerName, stageName, list } satisfies Result,
      summary: `${list.leads.length} hot leads (${scope})`,
      focusLeadId: list.leads[0]?.leadId,
    };
  },
  present(result, ctx) {
    const r = result.data;
    const { t, locale } = ctx;
    const stage = r.stageName ? (r.stageName[locale] ?? r.stageName.en ?? '') : '';
    const title = t(`scoring.hot_title_${r.scope}`, { owner: r.ownerName ?? '', count: r.list.leads.length }) + (stage ? ` · ${stage}` : '');
    if (r.list.leads.length === 0) return outbound([{ type: 'text', text: `${title}\n${t('scoring.hot_empty')}` }]);
    const team = r.scope === 'team';
    const columns = ['#', t('scoring.col_lead'), t('scoring.col_score'), ...(team ? [t('scoring.col_owner')] : []), t('scoring.col_why'), t('scoring.col_when')];
    const rows = r.list.leads.map((l, i) => [
      String(i + 1),
      l.name,
      l.score === null ? '—' : `${l.score} ${l.grade ?? ''}`.trim(),
      ...(team ? [l.ownerName ?? t('lookup.unassigned')] : []),
      l.reasons.map((x) => reasonText(x, l, ctx)).join('; '),
      bestTimeText(l, ctx),
    ]);
    const parts: OutboundPart[] = [{ type: 'text', text: title }, { type: 'table', columns, rows }];
    if (r.list.staleRemaining) parts.push({ type: 'text', text: t('scoring.hot_stale') });
    // Buttons parts hold at most 10 buttons each.
    for (let i = 0; i < r.list.leads.length; i += 10) {
      parts.push({
        type: 'buttons',
        buttons: r.list.leads.slice(i, i + 10).map((l, j) => ({
          label: `${i + j + 1}. ${l.name}`.slice(0, 80),
          payload: { action: 'lookup_lead', args: { lead_id: l.leadId } },
          style: 'default' as const,
        })),
      });
    }
    return outbound(parts);
  },
});

function reasonText(x: HotLead['reasons'][number], l: HotLead, ctx: PresentContext): string {
  const params: Record<string, string | number> = { ...x.params };
  if (x.key === 'value') params.amount = formatMoney(l.dealAmount, ctx.tenant.currency, ctx.locale);
  if (typeof x.params.minutes === 'number') params.waited = duration(x.params.minutes, ctx);
  return ctx.t(`scoring.hot_reason.${x.key}`, params);
}

function duration(minutes: number, ctx: PresentContext): string {
  if (minutes < 120) return ctx.t('scoring.duration_minutes', { n: minutes });
  if (minutes < 48 * 60) return ctx.t('scoring.duration_hours', { n: Math.round(minutes / 60) });
  return ctx.t('scoring.duration_days', { n: Math.round(minutes / 1440) });
}

function bestTimeText(l: HotLead, ctx: PresentContext): string {
  const when = formatDateTime(l.best.at, ctx.tenant.timezone, ctx.locale);
  return ctx.t(l.best.basis === 'history' ? 'scoring.best_history' : 'scoring.best_hours', { when, hour: `${String(l.best.hour).padStart(2, '0')}:00` });
}
