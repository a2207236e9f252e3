import type { Sql } from '../../db/database.ts';
import { normaliseLocale } from '../../agents/i18n.ts';
import { queueToStaff } from '../../jobs/outbox.ts';
import type { Tenant } from '../tenants.ts';
import { composeDigest, digestSummary, type Digest } from './compose.ts';
import { renderDigest } from './render.ts';
import type { DigestStaff } from './schedule.ts';

export type DigestOutcome =
  | { status: 'sent'; digestId: string; messageId: string; digest: Digest }
  | { status: 'skipped'; digestId: string; reason: 'nothing_to_say' | 'day_off' }
  | { status: 'failed'; digestId: string; reason: 'no_conversation' }
  /** Another worker (or an earlier pass) already handled this person's day. */
  | { status: 'duplicate'; digestId: string | null; existing: string };

export async function staffForDigest(sql: Sql, staffId: string): Promise<DigestStaff> {
  const row = (await sql.query<DigestStaff>(`SELECT id, email, name, role, locale, timezone, working_hours FROM staff_users WHERE id = $1`, [staffId])).rows[0];
  if (!row) throw new Error(`no staff user ${staffId}`);
  return row;
}

export function digestLocale(tenant: Tenant, staff: DigestStaff): string {
  return normaliseLocale(staff.locale || tenant.defaultLocale);
}

/**
 * Sends (or skips) one person's digest for one local day, in the caller's
 * transaction. The row is claimed first with INSERT … ON CONFLICT DO NOTHING
 * on (staff, local date): a second worker blocks on the first one's row and
 * then finds it, so a digest goes out at most once however many passes run.
 * The outbound message and the `sent` mark commit together; the caller
 * enqueues the delivery after commit (and the reconciler re-enqueues it if
 * Redis loses it).
 */
export async function deliverDigest(
  sql: Sql,
  tenant: Tenant,
  staff: DigestStaff,
  localDate: string,
  now: Date,
  opts: { dayOff?: boolean; retryFailed?: boolean } = {},
): Promise<DigestOutcome> {
  const kind = staff.role === 'manager' ? 'manager' : 'rep';
  // The scheduler never retries a failed digest (no conversation yet); someone sending it by hand may,
  // once they have opened a chat — still a conditional move, so only one of two concurrent sends wins.
  const onConflict = opts.retryFailed
    ? `DO UPDATE SET status = 'pending', reason = NULL, updated_at = EXCLUDED.updated_at WHERE digests.status = 'failed'`
    : 'DO NOTHING';
  const claimed = (
    await sql.query<{ id: string }>(
      `INSERT INTO digests (tenant_id, staff_user_id, kind, local_date, status, created_at, updated_at) VALUES (closer_current_tenant(), $1, $2, $3, 'pending', $4, $4)
       ON CONFLICT (tenant_id, staff_user_id, local_date) ${onConflict} RETURNING id`,
      [staff.id, kind, localDate, now],
    )
  ).rows[0];
  if (!claimed) {
    const existing = (await sql.query<{ id: string; status: string }>(`SELECT id, status FROM digests WHERE staff_user_id = $1 AND local_date = $2`, [staff.id, localDate])).rows[0];
    return { status: 'duplicate', digestId: existing?.id ?? null, existing: existing?.status ?? 'unknown' };
  }
  const finish = async (status: 'sent' | 'skipped' | 'failed', reason: string | null, extra: { messageId?: string; summary?: Record<string, unknown> } = {}) => {
    await sql.query(
      `UPDATE digests SET status = $2, reason = $3, message_id = $4, summary = $5, updated_at = $6 WHERE id = $1 AND status = 'pending' RETURNING id`,
      [claimed.id, status, reason, extra.messageId ?? null, JSON.stringify(extra.summary ?? {}), now],
    );
  };
  if (opts.dayOff) {
    await finish('skipped', 'day_off');
    return { status: 'skipped', digestId: claimed.id, reason: 'day_off' };
  }
  const locale = digestLocale(tenant, staff);
  const digest = await composeDigest(sql, tenant, staff, localDate, locale, now);
  if (!digest) {
    await finish('skipped', 'nothing_to_say');
    return { status: 'skipped', digestId: claimed.id, reason: 'nothing_to_say' };
  }
  const out = await queueToStaff(sql, staff.id, renderDigest(digest, tenant, staff.name, locale));
  if (!out.ok) {
    await finish('failed', 'no_conversation', { summary: digestSummary(digest) });
    return { status: 'failed', digestId: claimed.id, reason: 'no_conversation' };
  }
  await finish('sent', null, { messageId: out.messageId, summary: digestSummary(digest) });
  return { status: 'sent', digestId: claimed.id, messageId: out.messageId, digest };
}
