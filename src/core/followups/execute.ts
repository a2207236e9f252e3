import type { Database, Sql } from '../../db/database.ts';
import { withTenant } from '../../db/tenant.ts';
import { translator } from '../../agents/i18n.ts';
import { getTenantById, type Tenant } from '../tenants.ts';
import { pickTemplate, renderTemplate, type TemplateVars } from '../templates.ts';
import { queueToLead } from '../../jobs/outbox.ts';
import { holdToDaytime } from './quiet-hours.ts';
import { refreshNextFollowup } from './events.ts';

export type FollowupOutcome =
  | { status: 'sent'; messageId: string }
  | { status: 'deferred'; dueAt: Date; reason: string }
  | { status: 'not_due'; dueAt: Date }
  | { status: 'skipped' | 'cancelled' | 'failed'; reason: string }
  | { status: 'not_claimed' };

interface ExecRow {
  id: string;
  rule_id: string | null;
  lead_id: string;
  step_index: number;
  due_at: Date;
  status: string;
  channel: string | null;
  template: { templates?: Record<string, string>; vars?: Record<string, string> } | null;
  created_by: string | null;
  created_at: Date;
  reason: string | null;
}

interface LeadRow {
  id: string;
  first_name: string;
  consent: string;
  unreachable: boolean;
  locale: string | null;
  timezone: string | null;
  stage_key: string;
  last_inbound_at: Date | null;
  attributes: { interests?: string[] };
  owner_name: string | null;
  is_won: boolean;
  is_lost: boolean;
}

/** Claims a due row: the conditional pending → sending update is what keeps two workers from both sending it. */
async function claim(sql: Sql, id: string, now: Date): Promise<ExecRow | { notDue: Date } | undefined> {
  const { rows } = await sql.query<ExecRow>(
    `UPDATE followup_executions SET status = 'sending', updated_at = $2
     WHERE id = $1 AND status = 'pending' AND due_at <= $2 RETURNING *`,
    [id, now],
  );
  if (rows[0]) return rows[0];
  const pending = (await sql.query<{ due_at: Date }>(`SELECT due_at FROM followup_executions WHERE id = $1 AND status = 'pending'`, [id])).rows[0];
  return pending ? { notDue: pending.due_at } : undefined;
}

async function finish(sql: Sql, id: string, status: 'sent' | 'skipped' | 'cancelled' | 'failed' | 'pending', fields: { reason?: string | null; messageId?: string; channel?: string; dueAt?: Date }, now: Date): Promise<void> {
  await sql.query(
    `UPDATE followup_executions SET status = $2, reason = $3, message_id = COALESCE($4, message_id), channel = COALESCE($5, channel),
       due_at = COALESCE($6, due_at), updated_at = $7
     WHERE id = $1 AND status = 'sending'`,
    [id, status, fields.reason ?? null, fields.messageId ?? null, fields.channel ?? null, fields.dueAt ?? null, now],
  );
}

async function templateVars(sql: Sql, tenant: Tenant, lead: LeadRow, locale: string, extra: Record<string, string>): Promise<TemplateVars> {
  let treatment: string | undefined;
  const interests = lead.attributes.interests ?? [];
  if (tenant.vertical === 'clinic' && interests.length) {
    const item = (
      await sql.query<{ names: Record<string, string> }>(
        `SELECT names FROM catalogue_items WHERE active AND (sku = ANY($1) OR category = ANY($1)) ORDER BY array_position($1, category), price LIMIT 1`,
        [interests],
      )
    ).rows[0];
    treatment = item ? (item.names[locale] ?? Object.values(item.names)[0]) : undefined;
  }
  return {
    first_name: lead.first_name,
    rep_name: lead.owner_name ?? undefined,
    clinic_name: tenant.vertical === 'clinic' ? tenant.name : undefined,
    agency_name: tenant.vertical === 'realty' ? tenant.name : undefined,
    tenant_name: tenant.name,
    treatment,
    ...extra,
  };
}

/**
 * Why this follow-up must not go out any more, checked at send time (the
 * world may have changed since it was scheduled).
 */
function stopReason(exec: ExecRow, lead: LeadRow, ruleStage: string | undefined): { status: 'cancelled'; reason: string } | undefined {
  if (lead.consent === 'opted_out') return { status: 'cancelled', reason: 'opted_out' };
  if (lead.consent !== 'opted_in') return { status: 'cancelled', reason: 'no_consent' };
  if (lead.unreachable) return { status: 'cancelled', reason: 'unreachable' };
  if (lead.is_won) return { status: 'cancelled', reason: 'won' };
  if (lead.is_lost) return { status: 'cancelled', reason: 'lost' };
  if (exec.rule_id && lead.last_inbound_at && lead.last_inbound_at > exec.created_at) return { status: 'cancelled', reason: 'replied' };
  if (exec.rule_id && ruleStage && lead.stage_key !== ruleStage) return { status: 'cancelled', reason: 'stage_changed' };
  return undefined;
}

/**
 * Runs one follow-up step. Two transactions: the claim, then compose + queue
 * the outbound message + mark sent atomically. A worker that dies between them
 * leaves a 'sending' row with no message, which the lease recovery puts back
 * once — so a retried step is sent exactly once. (Moving due_at gives the
 * retry a fresh job id, so a dead job left in Redis cannot shadow it.)
 */
export async function runFollowup(db: Database, tenantId: string, executionId: string, now: Date, hooks: { afterClaim?: () => Promise<void> } = {}): Promise<FollowupOutcome> {
  const claimed = await withTenant(db, tenantId, (sql) => claim(sql, executionId, now));
  if (!claimed) return { status: 'not_claimed' };
  if ('notDue' in claimed) return { status: 'not_due', dueAt: claimed.notDue };
  await hooks.afterClaim?.();
  return withTenant(db, tenantId, async (sql): Promise<FollowupOutcome> => {
    const exec = (await sql.query<ExecRow>(`SELECT * FROM followup_executions WHERE id = $1 AND status = 'sending' FOR UPDATE`, [executionId])).rows[0];
    if (!exec) return { status: 'not_claimed' };
    const tenant = await getTenantById(sql, tenantId);
    const lead = (
      await sql.query<LeadRow>(
        `SELECT l.id, l.first_name, l.consent, l.unreachable, l.locale, l.timezone, l.stage_key, l.last_inbound_at, l.attributes,
                s.name AS owner_name, COALESCE(p.is_won, false) AS is_won, COALESCE(p.is_lost, false) AS is_lost
         FROM leads l LEFT JOIN staff_users s ON s.id = l.owner_id LEFT JOIN pipeline_stages p ON p.key = l.stage_key
         WHERE l.id = $1`,
        [exec.lead_id],
      )
    ).rows[0];
    const end = async (o: { status: 'skipped' | 'cancelled' | 'failed'; reason: string }): Promise<FollowupOutcome> => {
      await finish(sql, exec.id, o.status, { reason: o.reason }, now);
      await refreshNextFollowup(sql, exec.lead_id, now);
      return o;
    };
    if (!lead) return end({ status: 'cancelled', reason: 'lead_missing' });
    const rule = exec.rule_id
      ? (await sql.query<{ trigger: { stage?: string }; active: boolean }>('SELECT trigger, active FROM followup_rules WHERE id = $1', [exec.rule_id])).rows[0]
      : undefined;
    if (exec.rule_id && rule && !rule.active) return end({ status: 'cancelled', reason: 'rule_inactive' });
    // A sequence belongs to its stage: a lead that moved on no longer gets it.
    const ruleStage = rule?.trigger.stage;
    const stop = stopReason(exec, lead, ruleStage);
    if (stop) return end(stop);

    const tz = lead.timezone ?? tenant.timezone;
    const morning = holdToDaytime(now, tz, tenant.settings.quiet_hours);
    if (morning.getTime() !== now.getTime()) {
      await finish(sql, exec.id, 'pending', { reason: 'quiet_hours', dueAt: morning }, now);
      return { status: 'deferred', dueAt: morning, reason: 'quiet_hours' };
    }

    const locale = lead.locale ?? tenant.defaultLocale;
    const vars = await templateVars(sql, tenant, lead, locale, exec.template?.vars ?? {});
    let text: string;
    if (exec.rule_id) {
      const picked = pickTemplate(exec.template?.templates ?? {}, [locale, tenant.defaultLocale, 'en']);
      if (!picked) return end({ status: 'skipped', reason: 'no template' });
      const r = renderTemplate(picked.template, vars);
      if (!r.ok) return end({ status: 'skipped', reason: `missing variable: ${r.missing.join(', ')}` });
      text = r.text;
    } else {
      // A follow-up a rep scheduled by hand carries no text of its own.
      const r = renderTemplate(translator(locale)('jobs.followup.generic', { skipInterpolation: true }), vars);
      if (!r.ok) return end({ status: 'skipped', reason: `missing variable: ${r.missing.join(', ')}` });
      text = r.text;
    }
    const out = await queueToLead(sql, lead.id, { text, parts: [{ type: 'text', text }] }, exec.channel);
    if (!out.ok) return end(out.reason === 'handoff' ? { status: 'cancelled', reason: 'handoff' } : { status: 'failed', reason: 'no active conversation with the lead' });
    await finish(sql, exec.id, 'sent', { messageId: out.messageId, channel: out.channel }, now);
    await sql.query('UPDATE leads SET last_contact_at = GREATEST(COALESCE(last_contact_at, $2), $2), updated_at = $2 WHERE id = $1', [lead.id, now]);
    await sql.query(
      `INSERT INTO activities (tenant_id, lead_id, kind, channel, body, data, occurred_at) VALUES ($1, $2, 'followup', $3, $4, $5, $6)`,
      [tenantId, lead.id, out.channel, text.slice(0, 2000), JSON.stringify({ followup_execution_id: exec.id, message_id: out.messageId, step_index: exec.step_index }), now],
    );
    await refreshNextFollowup(sql, lead.id, now);
    return { status: 'sent', messageId: out.messageId };
  });
}

export const LEASE_REASON = 'lease expired; retrying once';

/**
 * 'sending' rows older than the lease belong to a worker that died. The
 * message and the 'sent' mark commit together, so such a row has sent
 * nothing: put it back once; a second expiry fails it for a person to look at.
 */
export async function recoverExpiredLeases(sql: Sql, now: Date, leaseMs: number): Promise<{ retried: number; failed: number }> {
  const failed = await sql.query(
    `UPDATE followup_executions SET status = 'failed', reason = 'worker died twice while sending', updated_at = $1
     WHERE status = 'sending' AND updated_at < $1::timestamptz - ($2::int * interval '1 millisecond') AND reason = $3`,
    [now, leaseMs, LEASE_REASON],
  );
  const retried = await sql.query(
    `UPDATE followup_executions SET status = 'pending', reason = $3, updated_at = $1, due_at = GREATEST(due_at, $1)
     WHERE status = 'sending' AND updated_at < $1::timestamptz - ($2::int * interval '1 millisecond') AND reason IS DISTINCT FROM $3`,
    [now, leaseMs, LEASE_REASON],
  );
  return { retried: retried.rowCount ?? 0, failed: failed.rowCount ?? 0 };
}
