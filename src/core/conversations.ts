import type { Sql } from '../db/database.ts';
import type { InboundMessage, OutboundMessage } from './messages/types.ts';
import type { Tenant } from './tenants.ts';
import { createLeadForNewContact } from './leads/intake.ts';
import type { Person } from './actors.ts';
import { onLeadEvent } from './followups/events.ts';

export interface IngestResult {
  tenantId: string;
  conversationId: string;
  messageId: string;
  /** True when this platform message id was seen before: nothing new was stored. */
  duplicate: boolean;
  /**
   * A duplicate whose message no turn has taken yet: its first delivery was stored but may not have been
   * queued (the webhook answered 500 and the platform retried), so the caller queues it again (same job id).
   */
  waiting?: boolean | undefined;
  /** The conversation is with a human (handoff): the bot must not answer. */
  conversationStatus: 'bot' | 'handoff' | 'closed';
}

/**
 * Stores an inbound message, exactly once per (channel account, platform id),
 * with its identity and conversation. Runs inside withTenant: the caller
 * has already resolved the tenant from the channel account.
 */
export async function ingestInbound(sql: Sql, tenant: Tenant, msg: InboundMessage, person?: Person): Promise<IngestResult> {
  // A redelivery of a message already stored is answered from this read alone, taking no lock: the upsert below
  // would lock the conversation row and then wait on the inbound row a worker is closing, the opposite order
  // of recordTurn's, which can deadlock.
  const seen = (
    await sql.query<{ id: string; conversation_id: string; status: IngestResult['conversationStatus']; waiting: boolean }>(
      `SELECT m.id, m.conversation_id, c.status, m.status = 'received' AS waiting FROM messages m JOIN conversations c ON c.id = m.conversation_id
       WHERE m.channel_account_id = $1 AND m.platform_message_id = $2 AND m.direction = 'in'`,
      [msg.channelAccountId, msg.platformMessageId],
    )
  ).rows[0];
  if (seen) return { tenantId: tenant.id, conversationId: seen.conversation_id, messageId: seen.id, duplicate: true, conversationStatus: seen.status, waiting: seen.waiting };
  const identity = await ensureIdentity(sql, tenant, msg, person);
  const conv = (
    await sql.query<{ id: string; status: IngestResult['conversationStatus'] }>(
      `INSERT INTO conversations (tenant_id, channel_account_id, channel_identity_id, channel, external_chat_id, lead_id, staff_user_id, last_message_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (channel_account_id, external_chat_id)
       DO UPDATE SET last_message_at = GREATEST(conversations.last_message_at, EXCLUDED.last_message_at)
       RETURNING id, status`,
      [tenant.id, msg.channelAccountId, identity.id, msg.channel, msg.externalChatId, identity.leadId, identity.staffUserId, msg.receivedAt],
    )
  ).rows[0]!;
  const inserted = await sql.query<{ id: string }>(
    `INSERT INTO messages (tenant_id, conversation_id, channel_account_id, direction, platform_message_id, author, text, payload, status, created_at)
     VALUES ($1, $2, $3, 'in', $4, $5, $6, $7, 'received', $8)
     ON CONFLICT (channel_account_id, platform_message_id) WHERE direction = 'in' DO NOTHING
     RETURNING id`,
    [
      tenant.id,
      conv.id,
      msg.channelAccountId,
      msg.platformMessageId,
      identity.staffUserId ? 'staff' : 'customer',
      msg.text ?? null,
      msg.payload ? JSON.stringify(msg.payload) : null,
      msg.receivedAt,
    ],
  );
  if (!inserted.rows[0]) {
    const existing = await sql.query<{ id: string }>(
      `SELECT id FROM messages WHERE channel_account_id = $1 AND platform_message_id = $2 AND direction = 'in'`,
      [msg.channelAccountId, msg.platformMessageId],
    );
    return { tenantId: tenant.id, conversationId: conv.id, messageId: existing.rows[0]!.id, duplicate: true, conversationStatus: conv.status };
  }
  if (identity.leadId) {
    // Every touch is an activity; the lead's recency feeds scoring and SLAs.
    await sql.query(
      `INSERT INTO activities (tenant_id, lead_id, kind, channel, body, data, occurred_at)
       VALUES ($1, $2, 'message_in', $3, $4, $5, $6)`,
      [tenant.id, identity.leadId, msg.channel, (msg.text ?? '').slice(0, 2000), JSON.stringify({ message_id: inserted.rows[0].id }), msg.receivedAt],
    );
    // A reply is a scoring input (engagement, reply behaviour): the score is recomputed when next read.
    await sql.query(
      'UPDATE leads SET last_inbound_at = GREATEST(last_inbound_at, $2), updated_at = now(), scored_at = NULL WHERE id = $1',
      [identity.leadId, msg.receivedAt],
    );
    await onLeadEvent(sql, tenant, { type: 'replied', leadId: identity.leadId }, msg.receivedAt);
    // After 'replied', which would otherwise cancel the sequence this starts: the first message is what created the lead, not an answer to us.
    if (identity.createdLead) await onLeadEvent(sql, tenant, { type: 'lead_created', leadId: identity.leadId, source: identity.createdLead.source }, msg.receivedAt);
  }
  return { tenantId: tenant.id, conversationId: conv.id, messageId: inserted.rows[0].id, duplicate: false, conversationStatus: conv.status };
}

interface IdentityRow {
  id: string;
  leadId: string | null;
  staffUserId: string | null;
  /** Set when this message created a new lead (not when it joined an existing one). */
  createdLead?: { source: string };
}

async function ensureIdentity(sql: Sql, tenant: Tenant, msg: InboundMessage, person?: Person): Promise<IdentityRow> {
  const found = (
    await sql.query<{ id: string; lead_id: string | null; staff_user_id: string | null }>(
      'SELECT id, lead_id, staff_user_id FROM channel_identities WHERE channel_account_id = $1 AND external_id = $2',
      [msg.channelAccountId, msg.externalUserId],
    )
  ).rows[0];
  if (found && (found.lead_id || found.staff_user_id)) return { id: found.id, leadId: found.lead_id, staffUserId: found.staff_user_id };
  let leadId: string | null = null;
  let staffUserId: string | null = null;
  let createdLead: IdentityRow['createdLead'];
  if (person?.kind === 'staff') staffUserId = person.id;
  else if (person?.kind === 'lead') leadId = person.id;
  else {
    const source = typeof msg.meta?.source === 'string' ? msg.meta.source : msg.channel;
    const made = await createLeadForNewContact(sql, tenant, {
      channel: msg.channel,
      displayName: msg.displayName ?? `${msg.channel} ${msg.externalUserId}`,
      source,
      locale: msg.locale,
    });
    leadId = made.leadId;
    if (made.created) createdLead = { source: source.slice(0, 60) };
  }
  if (found) {
    await sql.query('UPDATE channel_identities SET lead_id = $2, staff_user_id = $3 WHERE id = $1', [found.id, leadId, staffUserId]);
    return { id: found.id, leadId, staffUserId, ...(createdLead ? { createdLead } : {}) };
  }
  const row = (
    await sql.query<{ id: string }>(
      `INSERT INTO channel_identities (tenant_id, channel_account_id, channel, external_id, staff_user_id, lead_id, display_name, locale)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (channel_account_id, external_id) DO NOTHING RETURNING id`,
      [tenant.id, msg.channelAccountId, msg.channel, msg.externalUserId, staffUserId, leadId, msg.displayName ?? null, msg.locale ?? null],
    )
  ).rows[0];
  if (row) return { id: row.id, leadId, staffUserId, ...(createdLead ? { createdLead } : {}) };
  // Two first messages of one new contact raced (a platform redelivery, a double send): the other request made the
  // identity first. Use its record, and drop the lead this one made, instead of failing the webhook with a 500.
  if (createdLead && leadId) await sql.query('DELETE FROM leads WHERE id = $1', [leadId]);
  const winner = (
    await sql.query<{ id: string; lead_id: string | null; staff_user_id: string | null }>(
      'SELECT id, lead_id, staff_user_id FROM channel_identities WHERE channel_account_id = $1 AND external_id = $2',
      [msg.channelAccountId, msg.externalUserId],
    )
  ).rows[0]!;
  return { id: winner.id, leadId: winner.lead_id, staffUserId: winner.staff_user_id };
}

export interface ConversationRow {
  id: string;
  tenant_id: string;
  channel_account_id: string;
  channel_identity_id: string | null;
  channel: string;
  external_chat_id: string;
  lead_id: string | null;
  staff_user_id: string | null;
  status: 'bot' | 'handoff' | 'closed';
  focus_lead_id: string | null;
  state: Record<string, unknown>;
}

export async function getConversation(sql: Sql, id: string): Promise<ConversationRow | undefined> {
  return (
    await sql.query<ConversationRow>(
      `SELECT id, tenant_id, channel_account_id, channel_identity_id, channel, external_chat_id, lead_id, staff_user_id, status, focus_lead_id, state
       FROM conversations WHERE id = $1`,
      [id],
    )
  ).rows[0];
}

/**
 * Takes the conversation's turn lease: one turn at a time per conversation,
 * across every worker process. The lease expires so a crashed worker cannot
 * block a conversation forever.
 */
export async function acquireTurnLease(sql: Sql, conversationId: string, owner: string, leaseMs: number): Promise<boolean> {
  const { rows } = await sql.query(
    `UPDATE conversations SET turn_owner = $2, turn_lease_until = now() + ($3::int * interval '1 millisecond')
     WHERE id = $1 AND (turn_lease_until IS NULL OR turn_lease_until < now() OR turn_owner = $2)
     RETURNING id`,
    [conversationId, owner, leaseMs],
  );
  return rows.length === 1;
}

export async function releaseTurnLease(sql: Sql, conversationId: string, owner: string): Promise<void> {
  await sql.query('UPDATE conversations SET turn_owner = NULL, turn_lease_until = NULL WHERE id = $1 AND turn_owner = $2', [conversationId, owner]);
}

export interface InboundRow {
  id: string;
  text: string | null;
  payload: unknown;
  created_at: Date;
}

/**
 * Claims every unhandled inbound message of the conversation for one turn: a
 * burst of messages becomes one turn. Messages a crashed worker left in
 * 'processing' are claimed again (the caller holds the lease, so nobody else
 * is working on them).
 */
export async function claimInbound(sql: Sql, conversationId: string, turnId: string): Promise<InboundRow[]> {
  const { rows } = await sql.query<InboundRow>(
    `UPDATE messages SET status = 'processing', turn_id = $2, attempts = attempts + 1
     WHERE conversation_id = $1 AND direction = 'in' AND status IN ('received', 'processing')
     RETURNING id, text, payload, created_at`,
    [conversationId, turnId],
  );
  return rows.sort((a, b) => a.created_at.getTime() - b.created_at.getTime() || a.id.localeCompare(b.id));
}

export interface TurnOutcome {
  turnId: string;
  inboundIds: string[];
  replies: OutboundMessage[];
  mode: 'rules' | 'llm';
  toolCalls: { name: string; args: unknown }[];
  /** 'ignored': stored but deliberately not answered (e.g. a human has the conversation). */
  inboundStatus: 'handled' | 'ignored' | 'failed';
  error?: string | undefined;
  focusLeadId?: string | null | undefined;
  /** Keys to set in conversations.state (merged: what tools wrote during the turn is kept). */
  state?: Record<string, unknown> | undefined;
}

/** Persists a finished turn in one transaction: replies as pending outbound rows, inbound rows closed. Returns the outbound ids to deliver. */
export async function recordTurn(sql: Sql, tenant: Tenant, conv: ConversationRow, outcome: TurnOutcome): Promise<string[]> {
  const replyTo = outcome.inboundIds[outcome.inboundIds.length - 1] ?? null;
  // The conversation row first, then messages: the same lock order as ingestInbound, so the two cannot deadlock.
  await sql.query(
    `UPDATE conversations SET last_message_at = now(),
       focus_lead_id = CASE WHEN $2::boolean THEN $3::uuid ELSE focus_lead_id END,
       state = state || COALESCE($4::jsonb, '{}'::jsonb)
     WHERE id = $1`,
    [conv.id, outcome.focusLeadId !== undefined, outcome.focusLeadId ?? null, outcome.state ? JSON.stringify(outcome.state) : null],
  );
  const ids: string[] = [];
  for (const reply of outcome.replies) {
    const { rows } = await sql.query<{ id: string }>(
      // clock_timestamp(), not now(): replies of one turn must keep their order for delivery.
      `INSERT INTO messages (tenant_id, conversation_id, channel_account_id, direction, author, text, parts, status, reply_to_id, turn_id, mode, tool_calls, created_at)
       VALUES ($1, $2, $3, 'out', 'bot', $4, $5, 'pending', $6, $7, $8, $9, clock_timestamp()) RETURNING id`,
      [tenant.id, conv.id, conv.channel_account_id, reply.text, JSON.stringify(reply.parts), replyTo, outcome.turnId, outcome.mode, JSON.stringify(outcome.toolCalls)],
    );
    ids.push(rows[0]!.id);
  }
  await sql.query(
    `UPDATE messages SET status = $2, processed_at = now(), mode = $3, tool_calls = $4, error = $5 WHERE id = ANY($1::uuid[])`,
    [outcome.inboundIds, outcome.inboundStatus, outcome.mode, JSON.stringify(outcome.toolCalls), outcome.error ?? null],
  );
  if (conv.lead_id && outcome.replies.length > 0) {
    await sql.query(
      `INSERT INTO activities (tenant_id, lead_id, kind, channel, body, data) VALUES ($1, $2, 'message_out', $3, $4, $5)`,
      [tenant.id, conv.lead_id, conv.channel, outcome.replies.map((r) => r.text).join('\n').slice(0, 2000), JSON.stringify({ turn_id: outcome.turnId })],
    );
  }
  return ids;
}
