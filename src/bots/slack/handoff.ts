import { Worker, type Job } from 'bullmq';
import type { RedisOptions } from 'ioredis';
import type { Database, Sql } from '../../db/database.ts';
import { withSystem, withTenant } from '../../db/tenant.ts';
import type { Logger } from '../../log.ts';
import type { SecretBox } from '../../core/secrets.ts';
import { getTenantById, type Tenant } from '../../core/tenants.ts';
import { getConversation } from '../../core/conversations.ts';
import { getLeadCard } from '../../core/leads/card.ts';
import { outbound, type OutboundPart } from '../../core/messages/types.ts';
import { getHandoff, openHandoff, pendingRelays, recentMessages, setRelayedUntil, setThread, type RelayRow } from '../../core/handoff/service.ts';
import { handoffSettings, handoffSlaBreached, type Handoff } from '../../core/handoff/state.ts';
import { enqueueHandoffSla, HANDOFF_QUEUE, type HandoffJob } from '../../core/handoff/queue.ts';
import { bullConnection, type Queues } from '../../jobs/queues.ts';
import { translator } from '../../agents/i18n.ts';
import { leadCardPart } from '../../tools/lookup_lead.ts';
import { AccountDirectory } from '../accounts.ts';
import { renderSlack, escapeMrkdwn } from './blocks.ts';
import { slackClient, toChannelError } from './client.ts';

export interface HandoffWorkerDeps {
  db: Database;
  log: Logger;
  secrets: SecretBox;
  queues: Queues;
  clock?: () => Date;
}

const RESOLVE_ACTION = 'handoff_resolve';

/** The Resolve button's payload: Slack sends it back to our interactivity route. */
export function resolvePayload(handoffId: string): { action: string; args: Record<string, string> } {
  return { action: RESOLVE_ACTION, args: { handoff_id: handoffId } };
}
export const HANDOFF_RESOLVE_ACTION = RESOLVE_ACTION;

function relayText(row: RelayRow): string {
  if (row.text) return row.text;
  if (row.payload?.action) return `[${row.payload.action}]`;
  return '…';
}

/** Posts into the handoff channel (a new thread when `threadTs` is null); returns the first message's ts and the channel's id. */
async function post(deps: HandoffWorkerDeps, accounts: AccountDirectory, h: Handoff, parts: OutboundPart[], threadTs: string | null): Promise<{ ts: string; channel: string } | undefined> {
  if (!h.slack_account_id || !h.slack_channel) return undefined;
  const account = await accounts.require(h.slack_account_id);
  const client = slackClient(account);
  let first: { ts: string; channel: string } | undefined;
  for (const chunk of renderSlack(outbound(parts))) {
    const thread = threadTs ?? first?.ts;
    try {
      const res = await client.chat.postMessage({ channel: first?.channel ?? h.slack_channel, text: chunk.text, blocks: chunk.blocks as never, ...(thread ? { thread_ts: thread } : {}), unfurl_links: false });
      if (!first && res.ts) first = { ts: res.ts, channel: res.channel ?? h.slack_channel };
    } catch (err) {
      throw toChannelError(err);
    }
  }
  return first;
}

async function leadName(sql: Sql, leadId: string | null): Promise<string> {
  if (!leadId) return '?';
  return (await sql.query<{ display_name: string }>('SELECT display_name FROM leads WHERE id = $1', [leadId])).rows[0]?.display_name ?? '?';
}

/**
 * Opens the thread (lead card, recent conversation, Resolve button) if it is
 * not open yet, then shows the customer's messages that are not in it yet.
 * The thread ts is stored before relaying, so a retried job never opens a
 * second thread for the same handoff.
 */
export async function syncHandoff(deps: HandoffWorkerDeps, accounts: AccountDirectory, tenant: Tenant, conversationId: string): Promise<void> {
  const now = (deps.clock ?? (() => new Date()))();
  const loaded = await withTenant(deps.db, tenant.id, async (sql) => {
    const h = await openHandoff(sql, conversationId);
    const conv = h ? await getConversation(sql, conversationId) : undefined;
    if (!h || !conv) return undefined;
    const name = await leadName(sql, conv.lead_id);
    const card = conv.lead_id ? await getLeadCard(sql, conv.lead_id) : undefined;
    const recent = h.thread_ts ? [] : await recentMessages(sql, conv.id, h.started_at);
    return { h, conv, name, card, recent };
  });
  if (!loaded) return;
  const { conv, name, card, recent } = loaded;
  let h = loaded.h;
  const locale = tenant.defaultLocale;
  const t = translator(locale);
  if (!h.thread_ts) {
    const parts: OutboundPart[] = [{ type: 'text', text: t('handoff.opened', { lead: name, channel: conv.channel, reason: h.reason ? ` (${h.reason})` : '' }) }];
    if (card) parts.push(leadCardPart(card, { tenant, locale, t, now, actor: { role: 'manager', name: 'Closer', locale, timezone: tenant.timezone } }));
    if (recent.length) {
      parts.push({ type: 'text', text: `${t('handoff.recent')}:\n${recent.map((r) => `${r.author === 'customer' ? name : r.author}: ${relayText(r)}`).join('\n')}` });
    }
    parts.push({ type: 'buttons', buttons: [{ label: t('handoff.resolve'), payload: resolvePayload(h.id), style: 'primary' }] });
    const opened = await post(deps, accounts, h, parts, null);
    if (!opened) return;
    const until = recent.length ? recent[recent.length - 1]!.created_at : h.started_at;
    await withTenant(deps.db, tenant.id, (sql) => setThread(sql, h.id, opened.ts, opened.channel, until));
    h = { ...h, thread_ts: opened.ts, slack_channel: opened.channel, relayed_until: until };
    const slaMs = handoffSettings(tenant.settings).slaMinutes * 60_000;
    await enqueueHandoffSla(deps.queues, tenant.id, h.id, h.started_at.getTime() + slaMs - now.getTime());
  }
  const pending = await withTenant(deps.db, tenant.id, (sql) => pendingRelays(sql, h));
  for (const row of pending) {
    await post(deps, accounts, h, [{ type: 'text', text: `${name}: ${relayText(row)}` }], h.thread_ts);
    await withTenant(deps.db, tenant.id, (sql) => setRelayedUntil(sql, h.id, row.created_at));
  }
}

async function ownerMention(sql: Sql, h: Handoff, leadId: string | null): Promise<string> {
  if (!leadId || !h.slack_account_id) return '';
  const row = (
    await sql.query<{ external_id: string | null; name: string | null }>(
      `SELECT ci.external_id, s.name FROM leads l LEFT JOIN staff_users s ON s.id = l.owner_id
       LEFT JOIN channel_identities ci ON ci.staff_user_id = l.owner_id AND ci.channel_account_id = $2
       WHERE l.id = $1 LIMIT 1`,
      [leadId, h.slack_account_id],
    )
  ).rows[0];
  if (row?.external_id) return `<@${row.external_id}>`;
  return row?.name ? escapeMrkdwn(row.name) : '';
}

export async function runHandoffJob(deps: HandoffWorkerDeps, accounts: AccountDirectory, job: HandoffJob): Promise<string> {
  const tenant = await withSystem(deps.db, (sql) => getTenantById(sql, job.tenantId));
  if (job.kind === 'sync') {
    await syncHandoff(deps, accounts, tenant, job.conversationId);
    return 'synced';
  }
  const t = translator(tenant.defaultLocale);
  const found = await withTenant(deps.db, tenant.id, async (sql) => {
    const h = await getHandoff(sql, job.handoffId);
    const conv = h ? await getConversation(sql, h.conversation_id) : undefined;
    if (!h || !conv || !h.thread_ts) return undefined;
    return { h, name: await leadName(sql, conv.lead_id), owner: job.kind === 'sla' ? await ownerMention(sql, h, conv.lead_id) : '', who: h.resolved_by ? (await sql.query<{ name: string }>('SELECT name FROM staff_users WHERE id = $1', [h.resolved_by])).rows[0]?.name : undefined };
  });
  if (!found) return 'no thread';
  const { h, name } = found;
  if (job.kind === 'sla') {
    // Somebody answered, or it was resolved: nothing to chase.
    if (!handoffSlaBreached(h)) return 'answered';
    const text = `${t('handoff.sla', { lead: name, minutes: handoffSettings(tenant.settings).slaMinutes, owner: '' }).trim()} ${found.owner}`.trim();
    // Posted to the thread AND the channel, so it is seen by people not following the thread.
    const account = await accounts.require(h.slack_account_id!);
    try {
      await slackClient(account).chat.postMessage({ channel: h.slack_channel!, thread_ts: h.thread_ts!, reply_broadcast: true, text });
    } catch (err) {
      throw toChannelError(err);
    }
    return 're-alerted';
  }
  if (h.status !== 'resolved') return 'still open';
  const key = h.resolved_why === 'idle' ? 'handoff.idle_resumed' : 'handoff.resolved';
  await post(deps, accounts, h, [{ type: 'text', text: t(key, { lead: name, who: found.who ?? '?', minutes: handoffSettings(tenant.settings).idleMinutes }) }], h.thread_ts);
  return 'noted';
}

/**
 * The handoff worker: opens threads, relays customer messages, re-alerts
 * unanswered handoffs and posts closing notes. Concurrency 1 keeps a
 * thread's posts in order within a process.
 */
export function startHandoffWorker(deps: HandoffWorkerDeps, connection: RedisOptions, prefix: string): Worker<HandoffJob> {
  const accounts = new AccountDirectory(deps.db, deps.secrets, 5_000);
  const worker = new Worker<HandoffJob>(HANDOFF_QUEUE, async (job: Job<HandoffJob>) => runHandoffJob(deps, accounts, job.data), { connection: bullConnection(connection), prefix, concurrency: 1 });
  worker.on('error', (err) => deps.log.error({ err: err.message }, 'handoff worker error'));
  worker.on('failed', (job, err) => deps.log.warn({ job: job?.id, err: err.message }, 'handoff job failed'));
  return worker;
}
