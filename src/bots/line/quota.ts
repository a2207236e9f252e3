import { z } from 'zod';
import type { Sql } from '../../db/database.ts';
import { ChannelApiError } from '../../errors.ts';

/**
 * LINE charges for pushes (replies are free), and a plan has a monthly
 * allowance. We count our own pushes per tenant and calendar month (in the
 * tenant's time zone) on the outbound rows, raise one 'line_quota' alert at
 * 80 %, and refuse a push that would go past the quota: a refused message
 * fails with a reason an operator can act on, instead of LINE billing extra
 * or dropping it.
 */
export const DEFAULT_LINE_PUSH_QUOTA = 300; // LINE Thailand's free Communication plan (messages per month).
export const QUOTA_ALERT_SHARE = 0.8;

const QuotaSetting = z.coerce.number().int().nonnegative();

export interface PushUsage {
  quota: number;
  used: number;
  month: string;
}

export async function pushUsage(sql: Sql, tenantId: string): Promise<PushUsage> {
  const { rows } = await sql.query<{ quota: unknown; used: number; month: string }>(
    `WITH t AS (SELECT settings, timezone FROM tenants WHERE id = $1),
          m AS (SELECT (date_trunc('month', now() AT TIME ZONE t.timezone) AT TIME ZONE t.timezone) AS start,
                       to_char(now() AT TIME ZONE t.timezone, 'YYYY-MM') AS month FROM t)
     SELECT (SELECT settings->'line_push_quota' FROM t) AS quota, m.month,
            COALESCE((SELECT sum((payload->'line'->>'pushes')::int) FROM messages
                      WHERE tenant_id = $1 AND direction = 'out' AND payload->'line' ? 'pushes' AND created_at >= m.start), 0)::int AS used
     FROM m`,
    [tenantId],
  );
  const r = rows[0];
  if (!r) throw new ChannelApiError(`Tenant ${tenantId} not found while counting LINE pushes.`, 'line', true);
  const parsed = QuotaSetting.safeParse(r.quota ?? DEFAULT_LINE_PUSH_QUOTA);
  return { quota: parsed.success ? parsed.data : DEFAULT_LINE_PUSH_QUOTA, used: r.used, month: r.month };
}

/** Throws a permanent ChannelApiError when `calls` more pushes would pass the quota. */
export function assertPushAllowed(u: PushUsage, calls: number): void {
  if (u.used + calls > u.quota) {
    throw new ChannelApiError(
      `LINE monthly push quota used up (${u.used} of ${u.quota} pushes in ${u.month}); not sent. Raise the tenant setting line_push_quota after upgrading the LINE plan, or answer within a minute so the free reply token is used.`,
      'line',
      true,
      undefined,
      { quota: u.quota, used: u.used },
    );
  }
}

/** Records pushes on the outbound row and raises the month's 80 % alert once. */
export async function recordPushes(sql: Sql, tenantId: string, messageId: string, pushes: number, replied: boolean): Promise<PushUsage> {
  await sql.query(
    `UPDATE messages SET payload = COALESCE(payload, '{}'::jsonb) || jsonb_build_object('line', jsonb_build_object('pushes', $2::int, 'replied', $3::boolean)) WHERE id = $1`,
    [messageId, pushes, replied],
  );
  const u = await pushUsage(sql, tenantId);
  if (pushes > 0 && u.quota > 0 && u.used >= Math.ceil(u.quota * QUOTA_ALERT_SHARE)) {
    const key = `line_quota:${u.month}`;
    await sql.query(
      `INSERT INTO alerts (tenant_id, kind, dedupe_key, payload)
       SELECT $1, 'line_quota', $2, $3 WHERE NOT EXISTS (SELECT 1 FROM alerts WHERE tenant_id = $1 AND dedupe_key = $2)`,
      [tenantId, key, JSON.stringify({ used: u.used, quota: u.quota, month: u.month })],
    );
  }
  return u;
}
