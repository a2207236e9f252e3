import type { Sql } from '../db/database.ts';
import { withSystem, withTenant } from '../db/tenant.ts';
import { getTenantById } from '../core/tenants.ts';
import { setConsent } from '../core/customer/consent.ts';
import type { Channel } from '../core/messages/types.ts';
import type { ChannelAccount } from './accounts.ts';
import type { ChannelContext } from './types.ts';

/**
 * Moves an identity stored under an older key to its current one, when the
 * current key has none yet (Teams identities keyed by `msteams:<29:… id>`
 * become `msteams:aad:<Entra object id>` on the person's next verified
 * activity). Their lead, history and consent come along; nothing is
 * orphaned. A no-op when there is nothing to move. Runs inside withTenant.
 */
export async function adoptIdentity(sql: Sql, accountId: string, previousKey: string, key: string): Promise<boolean> {
  const { rowCount } = await sql.query(
    `UPDATE channel_identities SET external_id = $3 WHERE channel_account_id = $1 AND external_id = $2
       AND NOT EXISTS (SELECT 1 FROM channel_identities WHERE channel_account_id = $1 AND external_id = $3)`,
    [accountId, previousKey, key],
  );
  return (rowCount ?? 0) > 0;
}

/**
 * The person removed the bot (LINE unfollow, Teams app uninstalled): nobody
 * can be answered there any more, and they said they want no messages.
 * Their identity and lead become unreachable and the lead opts out, which
 * cancels every follow-up still pending (setConsent). Idempotent; no turn
 * runs, since there is no one to answer.
 */
export async function markIdentityGone(ctx: ChannelContext, account: ChannelAccount, externalUserId: string, at: Date, channel: Channel): Promise<void> {
  const tenant = await withSystem(ctx.db, (sql) => getTenantById(sql, account.tenantId));
  await withTenant(ctx.db, tenant.id, async (sql) => {
    const { rows } = await sql.query<{ lead_id: string | null }>(
      'UPDATE channel_identities SET unreachable_at = COALESCE(unreachable_at, $3) WHERE channel_account_id = $1 AND external_id = $2 RETURNING lead_id',
      [account.id, externalUserId, at],
    );
    const leadId = rows[0]?.lead_id;
    if (!leadId) return;
    await setConsent(sql, tenant, leadId, 'opted_out', at, channel);
    await sql.query('UPDATE leads SET unreachable = true, updated_at = now() WHERE id = $1', [leadId]);
  });
}

/** They added the bot again: they can be reached again (consent stays as they last set it). */
export async function markIdentityBack(ctx: ChannelContext, account: ChannelAccount, externalUserId: string): Promise<void> {
  await withTenant(ctx.db, account.tenantId, async (sql) => {
    const { rows } = await sql.query<{ lead_id: string | null }>(
      'UPDATE channel_identities SET unreachable_at = NULL WHERE channel_account_id = $1 AND external_id = $2 AND unreachable_at IS NOT NULL RETURNING lead_id',
      [account.id, externalUserId],
    );
    const leadId = rows[0]?.lead_id;
    if (leadId) await sql.query('UPDATE leads SET unreachable = false, updated_at = now() WHERE id = $1', [leadId]);
  });
}
