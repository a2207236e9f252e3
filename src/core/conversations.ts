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
  /** The message has side effects for the inbound-effects job to apply (it is a lead's). */
  effects?: boolean;
  /** The sender's channel identity (what the flood limit counts by). */
  senderIdentityId?: string;
}

/**
 * Stores an inbound message, exactly once per (channel account, platform id),
 * with its identity and conversation: the minimum a webhook must commit
 * before it acknowledges (issue #11). What the message changes elsewhere (the
 * lead's activity and recency, follow-up rules) is recorded on the row as
 * `effects` and applied after commit by the inbound-effects job
 * (applyInboundEffects). Runs inside withTenant: the caller has already
 * resolved the tenant from the channel account.
 */
export async function ingestInbound(sql: Sql, tenant: Tenant, msg: InboundMessage, person?: Person): Promise<IngestResult> {
  // The common case in one statement (one round trip): a known sender's message. "Seen before?" is a plain read
  // in the statement's snapshot: a redelivery of a stored message takes no lock (the upsert would lock the
  // conversation row and then wait on the inbound row a worker is closing, the opposite order of recordTurn's,
  // which can deadlock). Otherwise the conversation row, then the message: recordTurn's lock order.
  const fast = (
    await sql.query<{
      seen_id: string | null;
      seen_conversation_id: string | null;
      seen_status: IngestResult['conversationStatus'] | null;
      seen_waiting: boolean | null;
      seen_effects: boolean | null;
      identity_id: string | null;
      conversation_id: string | null;
      status: IngestResult['conversationStatus'] | null;
      message_id: string | null;
      lead_id: string | null;
    }>(
      `WITH seen AS (
         SELECT m.id, m.conversation_id, c.status, m.status = 'received' AS waiting, m.effects IS NOT NULL AS effects
         FROM messages m JOIN conversations c ON c.id = m.conversation_id
         WHERE m.channel_account_id = $2 AND m.platform_message_id = $6 AND m.direction = 'in'
       ), who AS (
         SELECT id, lead_id, staff_user_id FROM channel_identities WHERE channel_account_id = $2 AND external_id = $10
       ), linked AS (
         SELECT * FROM who WHERE (lead_id IS NOT NULL OR staff_user_id IS NOT NULL) AND NOT EXISTS (SELECT 1 FROM seen)
       ), conv AS (
         INSERT INTO conversations (tenant_id, channel_account_id, channel_identity_id, channel, external_chat_id, lead_id, staff_user_id, last_message_at)
         SELECT $1::uuid, $2::uuid, linked.id, $3::text, $4::text, linked.lead_id, linked.staff_user_id, $5::timestamptz FROM linked
         ON CONFLICT (channel_account_id, external_chat_id)
         DO UPDATE SET last_message_at = GREATEST(conversations.last_message_at, EXCLUDED.last_message_at)
         RETURNING id, status
       ), ins AS (
         INSERT INTO messages (tenant_id, conversation_id, channel_account_id, direction, platform_message_id, author, text, payload, status, created_at,
                               sender_identity_id, sender_staff_user_id, sender_lead_id, effects)
         SELECT $1::uuid, conv.id, $2::uuid, 'in', $6::text, CASE WHEN linked.staff_user_id IS NOT NULL THEN 'staff' ELSE 'customer' END, $7::text, $8::jsonb,
                'received', $5::timestamptz, linked.id, linked.staff_user_id, linked.lead_id, CASE WHEN linked.lead_id IS NOT NULL THEN $9::jsonb END
         FROM conv, linked
         ON CONFLICT (channel_account_id, platform_message_id) WHERE direction = 'in' DO NOTHING
         RETURNING id
       )
       SELECT (SELECT id FROM seen) AS seen_id, (SELECT conversation_id FROM seen) AS seen_conversation_id, (SELECT status FROM seen) AS seen_status,
              (SELECT waiting FROM seen) AS seen_waiting, (SELECT effects FROM seen) AS seen_effects,
              (SELECT id FROM who) AS identity_id, (SELECT lead_id FROM linked) AS lead_id,
              (SELECT id FROM conv) AS conversation_id, (SELECT status FROM conv) AS status, (SELECT id FROM ins) AS message_id`,
      [
        tenant.id,
        msg.channelAccountId,
        msg.channel,
        msg.externalChatId,
        msg.receivedAt,
        msg.platformMessageId,
        msg.text ?? null,
        msg.payload ? JSON.stringify(msg.payload) : null,
        JSON.stringify({ channel: msg.channel } satisfies InboundEffects),
        msg.externalUserId,
      ],
    )
  ).rows[0]!;
  if (fast.seen_id) {
    return {
      tenantId: tenant.id,
      conversationId: fast.seen_conversation_id!,
      messageId: fast.seen_id,
      duplicate: true,
      conversationStatus: fast.seen_status!,
      waiting: fast.seen_waiting === true,
      effects: fast.seen_effects === true,
    };
  }
  if (fast.conversation_id) {
    if (!fast.message_id) return raced(sql, tenant, msg, fast.conversation_id, fast.status!);
    return { tenantId: tenant.id, conversationId: fast.conversation_id, messageId: fast.message_id, duplicate: false, conversationStatus: fast.status!, effects: fast.lead_id !== null, senderIdentityId: fast.identity_id! };
  }
  // A new contact (or an identity nobody was linked to yet): make the identity (and lead) first.
  const identity = await ensureIdentity(sql, tenant, msg, person, fast.identity_id ?? undefined);
  // What the inbound-effects job does after commit: only a lead's message has any.
  const effects: InboundEffects | null = identity.leadId ? { channel: msg.channel, ...(identity.createdLead ? { leadCreated: identity.createdLead } : {}) } : null;
  // The conversation row, then the message: the same lock order as recordTurn, in one statement (one round trip).
  const row = (
    await sql.query<{ id: string; status: IngestResult['conversationStatus']; message_id: string | null }>(
      `WITH conv AS (
         INSERT INTO conversations (tenant_id, channel_account_id, channel_identity_id, channel, external_chat_id, lead_id, staff_user_id, last_message_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (channel_account_id, external_chat_id)
         DO UPDATE SET last_message_at = GREATEST(conversations.last_message_at, EXCLUDED.last_message_at)
         RETURNING id, status
       ), ins AS (
         INSERT INTO messages (tenant_id, conversation_id, channel_account_id, direction, platform_message_id, author, text, payload, status, created_at,
                               sender_identity_id, sender_staff_user_id, sender_lead_id, effects)
         SELECT $1::uuid, conv.id, $2::uuid, 'in', $9::text, $10::text, $11::text, $12::jsonb, 'received', $8::timestamptz, $3::uuid, $7::uuid, $6::uuid, $13::jsonb FROM conv
         ON CONFLICT (channel_account_id, platform_message_id) WHERE direction = 'in' DO NOTHING
         RETURNING id
       )
       SELECT conv.id, conv.status, (SELECT id FROM ins) AS message_id FROM conv`,
      [
        tenant.id,
        msg.channelAccountId,
        identity.id,
        msg.channel,
        msg.externalChatId,
        identity.leadId,
        identity.staffUserId,
        msg.receivedAt,
        msg.platformMessageId,
        identity.staffUserId ? 'staff' : 'customer',
        msg.text ?? null,
        msg.payload ? JSON.stringify(msg.payload) : null,
        effects ? JSON.stringify(effects) : null,
      ],
    )
  ).rows[0]!;
  if (!row.message_id) return raced(sql, tenant, msg, row.id, row.status);
  return { tenantId: tenant.id, conversationId: row.id, messageId: row.message_id, duplicate: false, conversationStatus: row.status, effects: effects !== null, senderIdentityId: identity.id };
}

/** The same platform message was stored by a concurrent request (a redelivery racing the original): answer as a duplicate. */
async function raced(sql: Sql, tenant: Tenant, msg: InboundMessage, conversationId: string, status: IngestResult['conversationStatus']): Promise<IngestResult> {
  const existing = await sql.query<{ id: string }>(`SELECT id FROM messages WHERE channel_account_id = $1 AND platform_message_id = $2 AND direction = 'in'`, [
    msg.channelAccountId,
    msg.platformMessageId,
  ]);
  return { tenantId: tenant.id, conversationId, messageId: existing.rows[0]!.id, duplicate: true, conversationStatus: status };
}

/** An inbound message's pending side effects, as stored in messages.effects. */
export interface InboundEffects {
  channel: string;
  /** Set when this message created its lead: the 'lead_created' follow-up rules fire. */
  leadCreated?: { source: string };
}

/**
 * Applies an inbound message's side effects once: the 'message_in' activity,
 * the lead's recency (a scoring input) and the follow-up rules ('replied'
 * stops sequences, 'lead_created' starts them). Clearing `effects` and
 * applying them commit together, so a retried or duplicated job finds
 * nothing left to do. Runs inside withTenant, after the webhook's commit.
 */
export async function applyInboundEffects(sql: Sql, tenant: Tenant, messageId: string): Promise<'applied' | 'none'> {
  // Only the message row is locked here (then the lead's): never the conversation, so this cannot deadlock with a turn.
  const m = (
    await sql.query<{ effects: InboundEffects; sender_lead_id: string | null; lead_id: string | null; text: string | null; created_at: Date }>(
      `UPDATE messages m SET effects = NULL FROM messages old LEFT JOIN conversations c ON c.id = old.conversation_id
       WHERE m.id = $1 AND old.id = m.id AND m.effects IS NOT NULL
       RETURNING old.effects, old.sender_lead_id, c.lead_id, old.text, old.created_at`,
      [messageId],
    )
  ).rows[0];
  const leadId = m?.sender_lead_id ?? m?.lead_id;
  if (!m || !leadId) return 'none';
  await sql.query(
    `INSERT INTO activities (tenant_id, lead_id, kind, channel, body, data, occurred_at)
     VALUES ($1, $2, 'message_in', $3, $4, $5, $6)`,
    [tenant.id, leadId, m.effects.channel, (m.text ?? '').slice(0, 2000), JSON.stringify({ message_id: messageId }), m.created_at],
  );
  // A reply is a scoring input (engagement, reply behaviour): the score is recomputed when next read. The previous
  // value tells whether a later message of this lead was applied first (jobs may run out of order).
  // Locked first: two messages of one lead applied at once must each see the other's recency.
  const before = (await sql.query<{ previous: Date | null }>('SELECT last_inbound_at AS previous FROM leads WHERE id = $1 FOR UPDATE', [leadId])).rows[0];
  await sql.query('UPDATE leads SET last_inbound_at = GREATEST(last_inbound_at, $2), updated_at = now(), scored_at = NULL WHERE id = $1', [leadId, m.created_at]);
  await onLeadEvent(sql, tenant, { type: 'replied', leadId }, m.created_at);
  // After 'replied', which would otherwise cancel the sequence this starts: the first message is what created the
  // lead, not an answer to us. Skipped when a later message of the lead was applied already: that reply would
  // have stopped the sequence.
  const laterApplied = before?.previous != null && before.previous.getTime() > m.created_at.getTime();
  if (m.effects.leadCreated && !laterApplied) await onLeadEvent(sql, tenant, { type: 'lead_created', leadId, source: m.effects.leadCreated.source }, m.created_at);
  return 'applied';
}

interface IdentityRow {
  id: string;
  leadId: string | null;
  staffUserId: string | null;
  /** Set when this message created a new lead (not when it joined an existing one). */
  createdLead?: { source: string };
}

/** A new contact's identity (and lead), or a known identity nobody was linked to yet (`foundId`). */
async function ensureIdentity(sql: Sql, tenant: Tenant, msg: InboundMessage, person: Person | undefined, foundId: string | undefined): Promise<IdentityRow> {
  const found = foundId ? { id: foundId } : undefined;
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

/**
 * A short bot notice in a conversation (e.g. "slow down"), as a pending
 * outbound row for the delivery worker. Nothing is queued while a human has
 * the conversation. Returns the row id to deliver.
 */
export async function queueNotice(sql: Sql, conversationId: string, text: string): Promise<string | undefined> {
  const { rows } = await sql.query<{ id: string }>(
    `INSERT INTO messages (tenant_id, conversation_id, channel_account_id, direction, author, text, parts, status)
     SELECT c.tenant_id, c.id, c.channel_account_id, 'out', 'bot', $2, $3, 'pending' FROM conversations c WHERE c.id = $1 AND c.status = 'bot'
     RETURNING id`,
    [conversationId, text, JSON.stringify([{ type: 'text', text }])],
  );
  return rows[0]?.id;
}

export interface InboundRow {
  id: string;
  text: string | null;
  payload: unknown;
  created_at: Date;
  /** Who sent it (NULL on rows stored before senders were recorded: the conversation's own person). */
  sender_staff_user_id: string | null;
  sender_lead_id: string | null;
}

export interface ClaimedInbound {
  /** The oldest unhandled messages of the conversation that share one sender, oldest first. */
  messages: InboundRow[];
  /** The first unhandled message after them (another sender's), which needs a turn of its own. */
  nextId: string | null;
}

/**
 * Claims the conversation's oldest run of unhandled inbound messages from one
 * sender for one turn: a burst of one person becomes one turn, but messages
 * of different senders (a shared Slack thread) are never batched, so each
 * turn acts as exactly one person (issue #12 item 2). Messages a crashed
 * worker left in 'processing' are claimed again (the caller holds the lease,
 * so nobody else is working on them).
 */
export async function claimInbound(sql: Sql, conversationId: string, turnId: string): Promise<ClaimedInbound> {
  const { rows } = await sql.query<InboundRow & { next_id: string | null }>(
    `WITH p AS (
       SELECT id, sender_identity_id AS sender, row_number() OVER (ORDER BY created_at, id) AS n
       FROM messages WHERE conversation_id = $1 AND direction = 'in' AND status IN ('received', 'processing')
     ), cut AS (
       SELECT min(p.n) AS n FROM p, (SELECT sender FROM p WHERE n = 1) first WHERE p.sender IS DISTINCT FROM first.sender
     )
     UPDATE messages m SET status = 'processing', turn_id = $2, attempts = m.attempts + 1
     FROM p, cut WHERE m.id = p.id AND (cut.n IS NULL OR p.n < cut.n)
     RETURNING m.id, m.text, m.payload, m.created_at, m.sender_staff_user_id, m.sender_lead_id,
       (SELECT p2.id FROM p p2 WHERE p2.n = cut.n) AS next_id`,
    [conversationId, turnId],
  );
  const nextId = rows[0]?.next_id ?? null;
  const messages = rows
    .map(({ next_id: _, ...m }) => m)
    .sort((a, b) => a.created_at.getTime() - b.created_at.getTime() || a.id.localeCompare(b.id));
  return { messages, nextId };
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

/**
 * Persists a finished turn in one transaction: replies as pending outbound
 * rows, inbound rows closed, and (with `releaseOwner`) the turn lease let go
 * in the same conversation update. Returns the outbound ids to deliver and
 * the conversation's status after the turn (a tool may have handed it off).
 */
export async function recordTurn(sql: Sql, tenant: Tenant, conv: ConversationRow, outcome: TurnOutcome, opts: { releaseOwner?: string } = {}): Promise<{ outboundIds: string[]; status: ConversationRow['status'] }> {
  const replyTo = outcome.inboundIds[outcome.inboundIds.length - 1] ?? null;
  // The conversation row first, then messages: the same lock order as ingestInbound, so the two cannot deadlock.
  const updated = await sql.query<{ status: ConversationRow['status'] }>(
    `UPDATE conversations SET last_message_at = now(),
       focus_lead_id = CASE WHEN $2::boolean THEN $3::uuid ELSE focus_lead_id END,
       state = state || COALESCE($4::jsonb, '{}'::jsonb),
       turn_owner = CASE WHEN $5::text IS NOT NULL AND turn_owner = $5::text THEN NULL ELSE turn_owner END,
       turn_lease_until = CASE WHEN $5::text IS NOT NULL AND turn_owner = $5::text THEN NULL ELSE turn_lease_until END
     WHERE id = $1 RETURNING status`,
    [conv.id, outcome.focusLeadId !== undefined, outcome.focusLeadId ?? null, outcome.state ? JSON.stringify(outcome.state) : null, opts.releaseOwner ?? null],
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
  return { outboundIds: ids, status: updated.rows[0]?.status ?? conv.status };
}
