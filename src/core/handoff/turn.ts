import type { Database } from '../../db/database.ts';
import { withTenant } from '../../db/tenant.ts';
import type { ConversationRow } from '../conversations.ts';
import type { Tenant } from '../tenants.ts';
import type { Queues } from '../../jobs/queues.ts';
import { enqueueHandoffResolved, enqueueHandoffSync } from './queue.ts';
import { openHandoff, resolveHandoff } from './service.ts';
import { handoffIdleExpired, handoffSettings } from './state.ts';

/**
 * The turn path's view of a handed-off conversation: 'relay' keeps the bot
 * silent and shows the customer's words in the Slack thread; 'resume' means
 * the handoff went idle, was closed here, and the bot answers this turn.
 * Returns the conversation as it now is (status 'bot' after a resume); the
 * argument is left as it was.
 */
export async function handoffGate(
  deps: { db: Database; queues: Queues },
  tenant: Tenant,
  conv: ConversationRow,
  now: Date,
): Promise<{ gate: 'relay' | 'resume'; conversation: ConversationRow }> {
  const closed = await withTenant(deps.db, tenant.id, async (sql) => {
    const h = await openHandoff(sql, conv.id);
    // A handoff status without an open handoff row (set by hand, or an older build) must not silence the bot forever.
    if (!h) return resolveHandoff(sql, conv.id, { by: null, why: 'idle', now }).then(() => 'none' as const);
    if (!handoffIdleExpired(h, handoffSettings(tenant.settings).idleMinutes, now)) return undefined;
    return resolveHandoff(sql, conv.id, { by: null, why: 'idle', now });
  });
  if (!closed) return { gate: 'relay', conversation: conv };
  if (closed !== 'none') await enqueueHandoffResolved(deps.queues, tenant.id, closed.id);
  return { gate: 'resume', conversation: { ...conv, status: 'bot' } };
}

/**
 * After a turn: a conversation that is (now) handed off gets its thread opened or its new messages relayed.
 * `status` is the conversation's status as the turn recorded it; without it, it is read.
 */
export async function afterHandoffTurn(deps: { db: Database; queues: Queues }, tenantId: string, conversationId: string, trigger: string, status?: string): Promise<void> {
  const now = status ?? (await withTenant(deps.db, tenantId, async (sql) => (await sql.query<{ status: string }>('SELECT status FROM conversations WHERE id = $1', [conversationId])).rows[0]?.status));
  if (now === 'handoff') await enqueueHandoffSync(deps.queues, tenantId, conversationId, trigger);
}
