import type { Sql } from '../../db/database.ts';
import { clinicBudgetFit, realtyBudgetFit } from './budget.ts';
import { SIGNAL_KEYS, type SignalKey } from './config.ts';
import type { ScoringContext } from './context.ts';
import { present } from './factors.ts';
import { signalPattern } from './signals.ts';
import type { ScoreInput } from './types.ts';

interface LeadRow {
  id: string;
  stage_key: string;
  source: string | null;
  phone: string | null;
  email: string | null;
  budget: string | null;
  attributes: Record<string, unknown> | null;
  last_inbound_at: Date | null;
  has_chat: boolean;
  cities: string[] | null;
  districts: string[] | null;
  property_types: string[] | null;
  price_max: string | null;
  bedrooms_min: number | null;
}

interface ActivityRow {
  ord: number;
  lead_id: string;
  total: number;
  inbound_in_window: number;
  last_inbound_at: Date | null;
  out_messages: number;
  replied: number;
  in_signal_window: number;
  price: boolean | null;
  booking: boolean | null;
  payment: boolean | null;
  hesitation: boolean | null;
}

/**
 * Reads the scoring inputs of many leads in two set-based queries (lead rows,
 * then one pass over their activities), never one query per lead.
 *
 * `asOf` (aligned with `ids`; a lead may appear more than once) describes a
 * lead as it was at another time than `now`: the probability model learns
 * from closed leads as they were at each stage they passed. `lock` takes the
 * rows FOR NO KEY UPDATE first: a concurrent markScoreStale then waits for
 * this transaction and its "stale" mark lands after our fresh score instead
 * of being overwritten by it.
 */
export async function gatherScoreInputs(
  sql: Sql,
  ctx: ScoringContext,
  ids: string[],
  opts: { now: Date; asOf?: Date[]; lock?: boolean },
): Promise<Array<ScoreInput | undefined>> {
  if (ids.length === 0) return [];
  if (opts.asOf && opts.asOf.length !== ids.length) throw new RangeError('gatherScoreInputs: asOf must align with ids');
  const leads = await sql.query<LeadRow>(
    `SELECT l.id, l.stage_key, l.source, l.phone, l.email, l.budget, l.attributes, l.last_inbound_at,
            EXISTS (SELECT 1 FROM channel_identities ci WHERE ci.lead_id = l.id) AS has_chat,
            br.cities, br.districts, br.property_types, br.price_max, br.bedrooms_min
     FROM leads l
     LEFT JOIN LATERAL (
       SELECT b.cities, b.districts, b.property_types, b.price_max, b.bedrooms_min FROM buyer_requests b
       WHERE b.lead_id = l.id ORDER BY (b.status = 'active') DESC, b.updated_at DESC LIMIT 1
     ) br ON true
     WHERE l.id = ANY($1::uuid[])
     ${opts.lock ? 'FOR NO KEY UPDATE OF l' : ''}`,
    [[...new Set(ids)]],
  );
  const asOf = ids.map((_, i) => opts.asOf?.[i] ?? opts.now);
  const acts = await sql.query<ActivityRow>(
    `WITH ids AS (SELECT * FROM unnest($1::uuid[], $2::timestamptz[]) WITH ORDINALITY AS t(id, as_of, ord)),
     acts AS (
       SELECT ids.ord, a.lead_id, a.kind, a.occurred_at, a.body, ids.as_of,
              (a.kind = 'message_in' OR (a.kind = 'call' AND a.data->>'direction' = 'in')) AS inbound,
              -- The next message in the same thread (calls and notes in between do not count as replies).
              lead(a.kind) OVER (PARTITION BY ids.ord, a.kind IN ('message_in', 'message_out') ORDER BY a.occurred_at, a.id) AS next_kind
       FROM ids JOIN activities a ON a.tenant_id = $3 AND a.lead_id = ids.id AND a.occurred_at <= ids.as_of
     )
     SELECT ord::int AS ord, lead_id,
            count(*)::int AS total,
            count(*) FILTER (WHERE inbound AND occurred_at > as_of - make_interval(days => $4))::int AS inbound_in_window,
            max(occurred_at) FILTER (WHERE inbound) AS last_inbound_at,
            count(*) FILTER (WHERE kind = 'message_out')::int AS out_messages,
            count(*) FILTER (WHERE kind = 'message_out' AND next_kind = 'message_in')::int AS replied,
            count(*) FILTER (WHERE kind = 'message_in' AND occurred_at > as_of - make_interval(days => $5))::int AS in_signal_window,
            ${SIGNAL_KEYS.map((k, i) => `bool_or(kind = 'message_in' AND occurred_at > as_of - make_interval(days => $5) AND body ~* $${6 + i}) AS ${k}`).join(',\n            ')}
     FROM acts GROUP BY ord, lead_id`,
    [ids, asOf.map((d) => d.toISOString()), ctx.tenant.id, ctx.config.frequency_window_days, ctx.config.signal_window_days, ...SIGNAL_KEYS.map((k) => signalPattern(k, 'postgres'))],
  );
  const byOrd = new Map(acts.rows.map((r) => [r.ord, r]));
  const byId = new Map(leads.rows.map((l) => [l.id, l]));
  return ids.map((id, i) => {
    const l = byId.get(id);
    return l ? toInput(ctx, l, byOrd.get(i + 1), asOf[i]!) : undefined;
  });
}

function toInput(ctx: ScoringContext, l: LeadRow, a: ActivityRow | undefined, asOf: Date): ScoreInput {
  const stage = ctx.stages.get(l.stage_key);
  const attrs = l.attributes ?? {};
  const skin = obj(attrs.skin);
  const buyer = obj(attrs.buyer);
  const budget = l.budget === null ? null : Number(l.budget);
  let urgency: number | null = null;
  let urgencyBasis: ScoreInput['urgencyBasis'] = null;
  if (typeof skin?.urgency === 'number' && Number.isFinite(skin.urgency)) {
    urgency = skin.urgency;
    urgencyBasis = 'skin';
  } else if (typeof buyer?.timeline === 'string') {
    const known = ctx.config.timeline_urgency[buyer.timeline.normalize('NFKC').trim().toLowerCase()];
    if (known !== undefined) {
      urgency = known;
      urgencyBasis = 'timeline';
    }
  }
  const budgetFit =
    ctx.tenant.vertical === 'realty'
      ? realtyBudgetFit(
          budget,
          l.cities || l.property_types
            ? {
                cities: l.cities ?? [],
                districts: l.districts ?? [],
                propertyTypes: l.property_types ?? [],
                priceMax: l.price_max === null ? null : Number(l.price_max),
                bedroomsMin: l.bedrooms_min,
              }
            : null,
          ctx.listings,
        )
      : clinicBudgetFit(budget, strings(skin?.concerns), strings(attrs.interests), ctx.catalogue);
  // A message recorded after the cut-off (or a column ahead of the activities) must not count.
  const columnInbound = l.last_inbound_at && l.last_inbound_at.getTime() <= asOf.getTime() ? l.last_inbound_at : null;
  const actInbound = a?.last_inbound_at ?? null;
  const lastInboundAt = columnInbound && actInbound ? (columnInbound > actInbound ? columnInbound : actInbound) : (columnInbound ?? actInbound);
  return {
    leadId: l.id,
    stage: stage ? { key: stage.key, isWon: stage.isWon, isLost: stage.isLost, openIndex: stage.openIndex } : null,
    openStageCount: ctx.openStageCount,
    source: present(l.source),
    phone: l.phone,
    email: l.email,
    hasChatIdentity: l.has_chat,
    budgetFit,
    urgency,
    urgencyBasis,
    activity: {
      total: a?.total ?? 0,
      inboundInWindow: a?.inbound_in_window ?? 0,
      lastInboundAt,
      outMessages: a?.out_messages ?? 0,
      repliedMessages: a?.replied ?? 0,
      inboundMessagesInSignalWindow: a?.in_signal_window ?? 0,
      signals: SIGNAL_KEYS.filter((k) => a?.[k] === true) as SignalKey[],
    },
  };
}

function obj(v: unknown): Record<string, unknown> | undefined {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}
