import type { Database, Sql } from '../db/database.ts';
import { withTenant } from '../db/tenant.ts';
import type { OutboundPart } from '../core/messages/types.ts';
import { enqueueDelivery, type Queues } from './queues.ts';

/**
 * The one way a background job talks to a person: an ordinary pending
 * outbound message in that person's conversation, delivered by the delivery
 * worker (retries, rate limits, dead letters all come from there). The
 * `queue*` functions write the row inside the caller's transaction; the
 * `send*` wrappers also enqueue the delivery after commit.
 */
export interface OutboxMessage {
  text: string;
  parts: OutboundPart[];
}

export type OutboxResult = { ok: true; messageId: string; conversationId: string; channel: string } | { ok: false; reason: 'no_conversation' | 'handoff' };

interface ConvRow {
  id: string;
  channel_account_id: string;
  channel: string;
  status: string;
}

async function insertOut(sql: Sql, conv: ConvRow, msg: OutboxMessage, author: 'bot' | 'system'): Promise<OutboxResult> {
  const { rows } = await sql.query<{ id: string }>(
    `INSERT INTO messages (tenant_id, conversation_id, channel_account_id, direction, author, text, parts, status)
     VALUES (closer_current_tenant(), $1, $2, 'out', $3, $4, $5, 'pending') RETURNING id`,
    [conv.id, conv.channel_account_id, author, msg.text, JSON.stringify(msg.parts)],
  );
  await sql.query('UPDATE conversations SET last_message_at = GREATEST(last_message_at, now()) WHERE id = $1', [conv.id]);
  return { ok: true, messageId: rows[0]!.id, conversationId: conv.id, channel: conv.channel };
}

/**
 * A lead's conversation: on `channel` when given, else the one they used
 * last. A conversation a human has taken over gets no automated messages.
 */
export async function queueToLead(sql: Sql, leadId: string, msg: OutboxMessage, channel?: string | null): Promise<OutboxResult> {
  const conv = (
    await sql.query<ConvRow>(
      `SELECT c.id, c.channel_account_id, c.channel, c.status FROM conversations c JOIN channel_accounts a ON a.id = c.channel_account_id
       WHERE c.lead_id = $1 AND ($2::text IS NULL OR c.channel = $2) AND a.status = 'active'
       ORDER BY c.last_message_at DESC NULLS LAST, c.created_at DESC LIMIT 1`,
      [leadId, channel && channel !== 'auto' ? channel : null],
    )
  ).rows[0];
  if (!conv) return { ok: false, reason: 'no_conversation' };
  if (conv.status === 'handoff') return { ok: false, reason: 'handoff' };
  return insertOut(sql, conv, msg, 'bot');
}

/**
 * A staff member's private conversation: their Slack DM with the app (a D…
 * channel, or their user id, which Slack delivers to that DM) when one
 * exists, else their own local chat (local chats belong to one person). Never a channel or a channel thread:
 * digests, alerts and reports are for one person, and a thread the person
 * once spoke in may be read by anyone in the channel.
 */
export async function queueToStaff(sql: Sql, staffUserId: string, msg: OutboxMessage): Promise<OutboxResult> {
  const conv = (
    await sql.query<ConvRow>(
      `SELECT c.id, c.channel_account_id, c.channel, c.status FROM conversations c JOIN channel_accounts a ON a.id = c.channel_account_id
       WHERE c.staff_user_id = $1 AND a.status = 'active'
         AND ((c.channel = 'slack' AND c.external_chat_id ~ '^[DUW][A-Z0-9]+$') OR c.channel = 'local')
       ORDER BY (c.channel = 'slack') DESC, c.last_message_at DESC NULLS LAST, c.created_at DESC LIMIT 1`,
      [staffUserId],
    )
  ).rows[0];
  if (!conv) return { ok: false, reason: 'no_conversation' };
  return insertOut(sql, conv, msg, 'system');
}

/** Where a tenant's team alerts go (tenant setting `team_alert_channel`). */
export interface TeamAlertChannel {
  account_id: string;
  channel_id: string;
}

/**
 * The tenant's team-alert channel, when one was configured explicitly
 * (`closer slack alerts-channel`): a Slack channel everyone on the team may
 * read, so only alerts meant for the team go here, never a person's digest
 * or reminder. Its conversation belongs to nobody (no staff member, no lead).
 * Returns undefined when no channel is set, or its workspace is not an
 * active Slack account of this tenant (RLS hides other tenants' accounts).
 */
export async function queueToTeam(sql: Sql, channel: TeamAlertChannel | null | undefined, msg: OutboxMessage): Promise<OutboxResult | undefined> {
  if (!channel) return undefined;
  const conv = (
    await sql.query<ConvRow>(
      `INSERT INTO conversations (tenant_id, channel_account_id, channel, external_chat_id)
       SELECT closer_current_tenant(), a.id, 'slack', $2 FROM channel_accounts a WHERE a.id = $1 AND a.channel = 'slack' AND a.status = 'active'
       ON CONFLICT (channel_account_id, external_chat_id) DO UPDATE SET last_message_at = conversations.last_message_at
       RETURNING id, channel_account_id, channel, status`,
      [channel.account_id, channel.channel_id],
    )
  ).rows[0];
  if (!conv) return undefined;
  return insertOut(sql, conv, msg, 'system');
}

export async function sendToLead(db: Database, queues: Queues, tenantId: string, leadId: string, msg: OutboxMessage, channel?: string | null): Promise<OutboxResult> {
  const r = await withTenant(db, tenantId, (sql) => queueToLead(sql, leadId, msg, channel));
  if (r.ok) await enqueueDelivery(queues, { tenantId, messageId: r.messageId });
  return r;
}

export async function sendToStaff(db: Database, queues: Queues, tenantId: string, staffUserId: string, msg: OutboxMessage): Promise<OutboxResult> {
  const r = await withTenant(db, tenantId, (sql) => queueToStaff(sql, staffUserId, msg));
  if (r.ok) await enqueueDelivery(queues, { tenantId, messageId: r.messageId });
  return r;
}
