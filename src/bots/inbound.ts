import { withTenant } from '../db/tenant.ts';
import { ingestInbound, type IngestResult } from '../core/conversations.ts';
import type { InboundMessage } from '../core/messages/types.ts';
import { cachedTenant } from '../core/tenants.ts';
import { queueInbound, takeInboundToken } from '../jobs/inbound.ts';
import type { ChannelContext } from './types.ts';

/**
 * The shared inbound path every webhook takes after verifying and
 * normalising: persist (a redelivered platform id is stored once) and queue
 * the conversation's turn and the message's side effects. It never waits for the agent, so the webhook can
 * acknowledge at once.
 */
export async function acceptInbound(ctx: ChannelContext, msg: InboundMessage): Promise<IngestResult> {
  // The sender's flood token is taken while the message is stored (two round trips at once, not one after the other).
  const token = takeInboundToken(ctx.flood?.inbound, msg.channelAccountId, msg.externalUserId);
  const tenant = await cachedTenant(ctx.db, msg.tenantId);
  const result = await withTenant(ctx.db, tenant.id, (sql) => ingestInbound(sql, tenant, msg));
  await queueInbound({ db: ctx.db, queues: ctx.queues, log: ctx.log }, result, ctx.config.turnDebounceMs, msg.locale ?? tenant.defaultLocale, token);
  return result;
}
