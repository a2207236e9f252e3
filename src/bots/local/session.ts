import { randomUUID } from 'node:crypto';
import { withSystem, withTenant } from '../../db/tenant.ts';
import type { Database } from '../../db/database.ts';
import { actorForPerson, resolvePerson, type Actor, type Person } from '../../core/actors.ts';
import { ingestInbound } from '../../core/conversations.ts';
import { ButtonPayloadSchema, type ButtonPayload, type InboundMessage, type OutboundPart } from '../../core/messages/types.ts';
import { getTenantBySlug, type Tenant } from '../../core/tenants.ts';
import { NotFoundError, ToolInputError } from '../../errors.ts';
import type { EventBus } from '../../jobs/bus.ts';
import type { Queues } from '../../jobs/queues.ts';
import { queueInbound, takeInboundToken } from '../../jobs/inbound.ts';
import type { InboundLimiter } from '../../core/limits.ts';

/**
 * The inbound half of the local channel, shared by the web page, `closer chat`
 * and `closer ask`: it impersonates a person of a tenant (the local channel
 * is a development tool) and feeds their text into the same pipeline as any
 * platform webhook: persist → queue → agent → tools → delivery.
 */
export interface LocalDeps {
  db: Database;
  queues: Queues;
  bus: EventBus;
  turnDebounceMs: number;
  /** The per-identity flood bucket (issue #12 item 7), as on every channel. */
  inboundLimiter?: InboundLimiter | undefined;
}

export interface LocalSendInput {
  tenant: string;
  as: string;
  text?: string | undefined;
  payload?: ButtonPayload | undefined;
  /** A name for a separate chat with the same person (default: their main local chat). */
  chat?: string | undefined;
  /** The "platform" id of this message; sending the same id twice is a redelivery. */
  messageId?: string | undefined;
}

export interface LocalSendResult {
  tenant: Tenant;
  actor: Actor;
  person: Person;
  conversationId: string;
  inboundMessageId: string;
  duplicate: boolean;
}

const MAX_TEXT = 4_000;

export async function localSend(deps: LocalDeps, input: LocalSendInput): Promise<LocalSendResult> {
  const text = input.text?.slice(0, MAX_TEXT);
  if (!text?.trim() && !input.payload) throw new ToolInputError('Nothing to send: give some text or a button payload.');
  const payload = input.payload ? ButtonPayloadSchema.parse(input.payload) : undefined;
  const tenant = await withSystem(deps.db, (sql) => getTenantBySlug(sql, input.tenant));
  const result = await withTenant(deps.db, tenant.id, async (sql) => {
    const person = await resolvePerson(sql, tenant, input.as);
    const actor = await actorForPerson(sql, tenant, person);
    const account = (await sql.query<{ id: string }>(`SELECT id FROM channel_accounts WHERE channel = 'local' AND status = 'active' ORDER BY created_at LIMIT 1`)).rows[0];
    if (!account) throw new NotFoundError(`Tenant ${tenant.slug} has no local channel account; run \`npx closer seed --demo\` or add one.`);
    const userId = `${person.kind}:${person.id}`;
    const chat = input.chat ? `${userId}#${input.chat.slice(0, 60)}` : userId;
    const msg: InboundMessage = {
      tenantId: tenant.id,
      channel: 'local',
      channelAccountId: account.id,
      platformMessageId: input.messageId ?? randomUUID(),
      externalChatId: chat,
      externalUserId: userId,
      displayName: actor.name,
      text,
      payload,
      locale: actor.locale,
      receivedAt: new Date(),
    };
    const ingested = await ingestInbound(sql, tenant, msg, person);
    return { person, actor, ingested, msg };
  });
  await queueInbound(deps, result.ingested, deps.turnDebounceMs, result.actor.locale, takeInboundToken(deps.inboundLimiter, result.msg.channelAccountId, result.msg.externalUserId));
  return {
    tenant,
    actor: result.actor,
    person: result.person,
    conversationId: result.ingested.conversationId,
    inboundMessageId: result.ingested.messageId,
    duplicate: result.ingested.duplicate,
  };
}

export interface TurnView {
  inboundStatus: string;
  mode: 'rules' | 'llm' | null;
  toolCalls: { name: string; args: unknown }[];
  replies: { id: string; text: string; parts: OutboundPart[]; status: string }[];
  error: string | null;
}

/** Reads what the pipeline has done with one inbound message so far. */
export async function readTurn(db: Database, tenantId: string, inboundMessageId: string): Promise<TurnView> {
  return withTenant(db, tenantId, async (sql) => {
    const inbound = (
      await sql.query<{ status: string; turn_id: string | null; mode: 'rules' | 'llm' | null; tool_calls: { name: string; args: unknown }[] | null; error: string | null }>(
        'SELECT status, turn_id, mode, tool_calls, error FROM messages WHERE id = $1',
        [inboundMessageId],
      )
    ).rows[0];
    if (!inbound) throw new NotFoundError(`No message ${inboundMessageId}.`);
    const replies = inbound.turn_id
      ? (
          await sql.query<{ id: string; text: string | null; parts: OutboundPart[]; status: string }>(
            `SELECT id, text, parts, status FROM messages WHERE turn_id = $1 AND direction = 'out' ORDER BY created_at, id`,
            [inbound.turn_id],
          )
        ).rows.map((r) => ({ ...r, text: r.text ?? '' }))
      : [];
    return { inboundStatus: inbound.status, mode: inbound.mode, toolCalls: inbound.tool_calls ?? [], replies, error: inbound.error };
  });
}

const FINAL_IN = new Set(['handled', 'ignored', 'failed']);
const FINAL_OUT = new Set(['sent', 'failed', 'skipped']);

/**
 * Waits until the turn that took this message is finished and every reply
 * has reached a final delivery status. Bus events wake it early; a slow poll
 * covers a missed event (pub/sub is fire-and-forget).
 */
export async function waitForTurn(deps: LocalDeps, sent: LocalSendResult, timeoutMs: number): Promise<TurnView> {
  let wake: () => void = () => undefined;
  const unsubscribe = await deps.bus.subscribe(sent.conversationId, () => wake());
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      const view = await readTurn(deps.db, sent.tenant.id, sent.inboundMessageId);
      if (FINAL_IN.has(view.inboundStatus) && view.replies.every((r) => FINAL_OUT.has(r.status))) return view;
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new NotFoundError(
          `No reply within ${Math.round(timeoutMs / 1000)} s (message ${sent.inboundMessageId} is "${view.inboundStatus}"). Is a worker running? Start one with \`npx closer worker\` or \`npx closer start\`.`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 500));
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  } finally {
    unsubscribe();
  }
}

/** The stable JSON shape of `closer ask --json` (outside checks rely on it: extend, never rename). */
export interface AskResult {
  tenant: string;
  as: string;
  actor: { role: string; name: string };
  reply: string;
  replies: { id: string; text: string; parts: OutboundPart[]; status: string }[];
  toolCalls: { name: string; args: unknown }[];
  mode: 'rules' | 'llm';
  inboundMessageId: string;
  outboundMessageIds: string[];
  conversationId: string;
  duplicate: boolean;
  status: string;
  error: string | null;
}

export async function localAsk(deps: LocalDeps, input: LocalSendInput, timeoutMs: number): Promise<AskResult> {
  const sent = await localSend(deps, input);
  const view = await waitForTurn(deps, sent, timeoutMs);
  return {
    tenant: sent.tenant.slug,
    as: input.as,
    actor: { role: sent.actor.role, name: sent.actor.name },
    reply: view.replies.map((r) => r.text).join('\n\n'),
    replies: view.replies,
    toolCalls: view.toolCalls,
    mode: view.mode ?? 'rules',
    inboundMessageId: sent.inboundMessageId,
    outboundMessageIds: view.replies.map((r) => r.id),
    conversationId: sent.conversationId,
    duplicate: sent.duplicate,
    status: view.inboundStatus,
    error: view.error,
  };
}
