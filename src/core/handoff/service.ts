import type { Sql } from '../../db/database.ts';
import type { Tenant } from '../tenants.ts';
import { getConversation, type ConversationRow } from '../conversations.ts';
import { markScoreStale } from '../leads/stale.ts';
import { handoffSettings, type Handoff } from './state.ts';
import { cancelPending } from '../followups/events.ts';

const COLUMNS = `id, tenant_id, conversation_id, status, started_at, reason, slack_account_id, slack_channel, thread_ts,
  relayed_until, last_staff_at, claimed_by, resolved_at, resolved_by, resolved_why`;

/** Where handoff threads open: the tenant's setting, else the channel configured on its Slack account. */
export async function handoffTarget(sql: Sql, tenant: Tenant): Promise<{ accountId: string; channel: string } | undefined> {
  const account = (
    await sql.query<{ id: string; config: Record<string, unknown> }>(
      `SELECT id, config FROM channel_accounts WHERE channel = 'slack' AND status = 'active' AND secrets_enc IS NOT NULL ORDER BY created_at LIMIT 1`,
    )
  ).rows[0];
  if (!account) return undefined;
  const fromAccount = typeof account.config.handoff_channel === 'string' ? account.config.handoff_channel : undefined;
  const channel = handoffSettings(tenant.settings).slackChannel ?? fromAccount;
  return channel ? { accountId: account.id, channel } : undefined;
}

export async function getHandoff(sql: Sql, id: string): Promise<Handoff | undefined> {
  return (await sql.query<Handoff>(`SELECT ${COLUMNS} FROM handoffs WHERE id = $1`, [id])).rows[0];
}

export async function openHandoff(sql: Sql, conversationId: string): Promise<Handoff | undefined> {
  return (await sql.query<Handoff>(`SELECT ${COLUMNS} FROM handoffs WHERE conversation_id = $1 AND status = 'open'`, [conversationId])).rows[0];
}

/** The latest handoff of a conversation, open or not. */
export async function latestHandoff(sql: Sql, conversationId: string): Promise<Handoff | undefined> {
  return (await sql.query<Handoff>(`SELECT ${COLUMNS} FROM handoffs WHERE conversation_id = $1 ORDER BY started_at DESC LIMIT 1`, [conversationId])).rows[0];
}

export type StartResult = { started: true; already: boolean; handoff: Handoff } | { started: false; why: 'no_target' | 'no_conversation' | 'staff_conversation' };

/**
 * Hands a customer's conversation to the team: the bot goes quiet in it and
 * the Slack side (thread, relays, SLA) follows from the handoff worker. With
 * nowhere to open a thread the conversation stays with the bot: going silent
 * with nobody watching would be worse than an alert.
 */
export async function startHandoff(sql: Sql, tenant: Tenant, conversationId: string | undefined, opts: { reason?: string | undefined; now: Date }): Promise<StartResult> {
  if (!conversationId) return { started: false, why: 'no_conversation' };
  const conv = await getConversation(sql, conversationId);
  if (!conv) return { started: false, why: 'no_conversation' };
  if (!conv.lead_id) return { started: false, why: 'staff_conversation' };
  const existing = await openHandoff(sql, conv.id);
  if (existing) return { started: true, already: true, handoff: existing };
  const target = await handoffTarget(sql, tenant);
  if (!target) return { started: false, why: 'no_target' };
  const handoff = (
    await sql.query<Handoff>(
      `INSERT INTO handoffs (tenant_id, conversation_id, status, started_at, reason, slack_account_id, slack_channel)
       VALUES ($1, $2, 'open', $3, $4, $5, $6) RETURNING ${COLUMNS}`,
      [tenant.id, conv.id, opts.now, opts.reason ?? null, target.accountId, target.channel],
    )
  ).rows[0]!;
  await sql.query(`UPDATE conversations SET status = 'handoff' WHERE id = $1`, [conv.id]);
  // A person has the conversation now: automatic sequences stop (a rep's own scheduled follow-ups stay).
  await cancelPending(sql, conv.lead_id, 'handoff', opts.now, true);
  return { started: true, already: false, handoff };
}

/** Gives the conversation back to the bot. Returns the closed handoff, or undefined when none was open. */
export async function resolveHandoff(sql: Sql, conversationId: string, opts: { by: string | null; why: 'resolved' | 'idle'; now: Date }): Promise<Handoff | undefined> {
  const closed = (
    await sql.query<Handoff>(
      `UPDATE handoffs SET status = 'resolved', resolved_at = $2, resolved_by = $3, resolved_why = $4
       WHERE conversation_id = $1 AND status = 'open' RETURNING ${COLUMNS}`,
      [conversationId, opts.now, opts.by, opts.why],
    )
  ).rows[0];
  await sql.query(`UPDATE conversations SET status = 'bot' WHERE id = $1 AND status = 'handoff'`, [conversationId]);
  return closed;
}

/** The handoff a Slack thread belongs to (open or not). */
export async function handoffForThread(sql: Sql, slackAccountId: string, channel: string, threadTs: string): Promise<Handoff | undefined> {
  return (
    await sql.query<Handoff>(`SELECT ${COLUMNS} FROM handoffs WHERE slack_account_id = $1 AND slack_channel = $2 AND thread_ts = $3`, [slackAccountId, channel, threadTs])
  ).rows[0];
}

/**
 * A rep's reply in the thread becomes an outbound message to the customer
 * (author 'staff'), delivered like any bot reply. The Slack event id makes a
 * redelivered event a no-op. Returns the message id to deliver.
 */
export async function recordStaffReply(
  sql: Sql,
  tenant: Tenant,
  handoff: Handoff,
  reply: { staffId: string; text: string; platformId: string; now: Date },
): Promise<string | undefined> {
  const conv = await getConversation(sql, handoff.conversation_id);
  if (!conv) return undefined;
  const seen = await sql.query(`SELECT 1 FROM messages WHERE conversation_id = $1 AND direction = 'out' AND platform_message_id = $2`, [conv.id, reply.platformId]);
  if (seen.rows.length) return undefined;
  const parts = [{ type: 'text', text: reply.text }];
  const id = (
    await sql.query<{ id: string }>(
      `INSERT INTO messages (tenant_id, conversation_id, channel_account_id, direction, platform_message_id, author, text, parts, status)
       VALUES ($1, $2, $3, 'out', $4, 'staff', $5, $6, 'pending') RETURNING id`,
      [tenant.id, conv.id, conv.channel_account_id, reply.platformId, reply.text, JSON.stringify(parts)],
    )
  ).rows[0]!.id;
  if (conv.lead_id) await recordContact(sql, tenant, conv, reply.staffId, reply.text, id, reply.now);
  // A reply in an already resolved thread still reaches the customer, but does not reopen the handoff.
  await sql.query(`UPDATE handoffs SET last_staff_at = $2, claimed_by = COALESCE(claimed_by, $3) WHERE id = $1 AND status = 'open'`, [handoff.id, reply.now, reply.staffId]);
  return id;
}

async function recordContact(sql: Sql, tenant: Tenant, conv: ConversationRow, staffId: string, text: string, messageId: string, now: Date): Promise<void> {
  await sql.query(`INSERT INTO activities (tenant_id, lead_id, staff_user_id, kind, channel, body, data, occurred_at) VALUES ($1, $2, $3, 'message_out', $4, $5, $6, $7)`, [
    tenant.id,
    conv.lead_id,
    staffId,
    conv.channel,
    text.slice(0, 2000),
    JSON.stringify({ message_id: messageId, handoff: true }),
    now,
  ]);
  await sql.query('UPDATE leads SET last_contact_at = GREATEST(last_contact_at, $2), updated_at = now() WHERE id = $1', [conv.lead_id, now]);
  await markScoreStale(sql, conv.lead_id!);
}

export interface RelayRow {
  id: string;
  text: string | null;
  payload: { action?: string } | null;
  author: string;
  created_at: Date;
}

/** Customer messages not yet shown in the thread, oldest first. */
export async function pendingRelays(sql: Sql, h: Handoff): Promise<RelayRow[]> {
  const { rows } = await sql.query<RelayRow>(
    `SELECT id, text, payload, author, created_at FROM messages
     WHERE conversation_id = $1 AND direction = 'in' AND created_at > $2 ORDER BY created_at, id LIMIT 50`,
    [h.conversation_id, h.relayed_until ?? h.started_at],
  );
  return rows;
}

/** The last messages up to the handoff, for the thread's opening post. */
export async function recentMessages(sql: Sql, conversationId: string, until: Date, limit = 10): Promise<RelayRow[]> {
  const { rows } = await sql.query<RelayRow>(
    `SELECT id, text, payload, author, created_at FROM messages WHERE conversation_id = $1 AND created_at <= $2 ORDER BY created_at DESC, id DESC LIMIT $3`,
    [conversationId, until, limit],
  );
  return rows.reverse();
}

/** Stores where the thread is; `channelId` is Slack's id for the channel (the setting may name it "#handoff", events carry the id). */
export async function setThread(sql: Sql, handoffId: string, threadTs: string, channelId: string, relayedUntil: Date): Promise<void> {
  await sql.query('UPDATE handoffs SET thread_ts = $2, slack_channel = $3, relayed_until = GREATEST(relayed_until, $4) WHERE id = $1', [handoffId, threadTs, channelId, relayedUntil]);
}

export async function setRelayedUntil(sql: Sql, handoffId: string, at: Date): Promise<void> {
  await sql.query('UPDATE handoffs SET relayed_until = GREATEST(COALESCE(relayed_until, $2), $2) WHERE id = $1', [handoffId, at]);
}
