import { withTenant } from '../db/tenant.ts';
import { ingestInbound, type IngestResult } from '../core/conversations.ts';
import type { InboundMessage } from '../core/messages/types.ts';
import { cachedTenant } from '../core/tenants.ts';
import { enqueueTurn } from '../jobs/queues.ts';
import type { ChannelContext } from './types.ts';

/**
 * The shared inbound path every webhook takes after verifying and
 * normalising: persist (a redelivered platform id is stored once) and queue
 * the conversation's turn. It never waits for the agent, so the webhook can
 * acknowledge at once.
 */
export async function acceptInbound(ctx: ChannelContext, msg: InboundMessage): Promise<IngestResult> {
  const tenant = await cachedTenant(ctx.db, msg.tenantId);
  const result = await withTenant(ctx.db, tenant.id, (sql) => ingestInbound(sql, tenant, msg));
  // A redelivery of a message still waiting for its turn is queued again: the first attempt may have stored it and
  // then failed to queue it (Redis down, a timeout → 500 → the platform retried). The job id makes this harmless.
  if (!result.duplicate || result.waiting) {
    await enqueueTurn(ctx.queues, { tenantId: tenant.id, conversationId: result.conversationId, messageId: result.messageId }, ctx.config.turnDebounceMs);
  }
  return result;
}
