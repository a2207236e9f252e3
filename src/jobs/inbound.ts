import type { IngestResult } from '../core/conversations.ts';
import { enqueueEffects, enqueueTurn, type Queues } from './queues.ts';

/**
 * What follows a committed inbound message: its turn, and its side effects
 * (when it has any). Both adds go out together, so the webhook waits one
 * Redis round trip, not two. A job lost here is re-added by the reconciler
 * from the row (status 'received', effects not yet cleared).
 */
export async function queueInbound(queues: Queues, result: IngestResult, turnDelayMs: number): Promise<void> {
  if (result.duplicate) return;
  const turn = enqueueTurn(queues, { tenantId: result.tenantId, conversationId: result.conversationId, messageId: result.messageId }, turnDelayMs);
  if (result.effects) await Promise.all([turn, enqueueEffects(queues, { tenantId: result.tenantId, messageId: result.messageId })]);
  else await turn;
}
