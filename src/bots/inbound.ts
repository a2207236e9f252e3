import { withTenant } from '../db/tenant.ts';
import { ingestInbound, type IngestResult } from '../core/conversations.ts';
import type { InboundMessage } from '../core/messages/types.ts';
import { cachedTenant } from '../core/tenants.ts';
import { queueInbound } from '../jobs/inbound.ts';
import type { ChannelContext } from './types.ts';

/**
 * The shared inbound path every webhook takes after verifying and
 * normalising: persist (a redelivered platform id is stored once) and queue
 * the conversation's turn and the message's side effects. It never waits for the agent, so the webhook can
 * acknowledge at once.
 */
export async function acceptInbound(ctx: ChannelContext, msg: InboundMessage): Promise<IngestResult> {
  const tenant = await cachedTenant(ctx.db, msg.tenantId);
  const result = await withTenant(ctx.db, tenant.id, (sql) => ingestInbound(sql, tenant, msg));
  await queueInbound({ db: ctx.db, queues: ctx.queues, log: ctx.log, inboundLimiter: ctx.flood?.inbound }, result, ctx.config.turnDebounceMs, msg.locale ?? tenant.defaultLocale);
  return result;
}
