import type { Sql } from '../../db/database.ts';
import type { ConversationRef } from './inbound.ts';

/**
 * Conversation references: where a conversation's replies are posted. The
 * newest inbound activity wins (Teams may move a tenant to another regional
 * serviceUrl). Both run inside withTenant.
 */
export async function saveRef(sql: Sql, tenantId: string, accountId: string, ref: ConversationRef): Promise<void> {
  await sql.query(
    `INSERT INTO msteams_conversations (tenant_id, channel_account_id, conversation_id, service_url, activity_channel, bot_id, bot_name, user_id, entra_tenant_id, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now())
     ON CONFLICT (channel_account_id, conversation_id) DO UPDATE SET service_url = EXCLUDED.service_url, activity_channel = EXCLUDED.activity_channel,
       bot_id = EXCLUDED.bot_id, bot_name = EXCLUDED.bot_name, user_id = EXCLUDED.user_id, entra_tenant_id = COALESCE(EXCLUDED.entra_tenant_id, msteams_conversations.entra_tenant_id), updated_at = now()`,
    [tenantId, accountId, ref.conversationId, ref.serviceUrl, ref.activityChannel, ref.botId, ref.botName ?? null, ref.userId, ref.entraTenantId ?? null],
  );
}

export async function loadRef(sql: Sql, accountId: string, conversationId: string): Promise<ConversationRef | undefined> {
  const { rows } = await sql.query<{ service_url: string; activity_channel: string; bot_id: string; bot_name: string | null; user_id: string; entra_tenant_id: string | null }>(
    'SELECT service_url, activity_channel, bot_id, bot_name, user_id, entra_tenant_id FROM msteams_conversations WHERE channel_account_id = $1 AND conversation_id = $2',
    [accountId, conversationId],
  );
  const r = rows[0];
  if (!r) return undefined;
  return { conversationId, serviceUrl: r.service_url, activityChannel: r.activity_channel, botId: r.bot_id, botName: r.bot_name ?? undefined, userId: r.user_id, entraTenantId: r.entra_tenant_id ?? undefined };
}
