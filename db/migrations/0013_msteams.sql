-- Microsoft Teams / Web Chat (Bot Framework Activity protocol): where a
-- conversation's replies must be posted. Every inbound activity names the
-- connector (serviceUrl) to answer through, and it can change (Teams moves a
-- tenant between regions), so the newest one is kept per conversation.
-- Its own table, not conversations.state: a turn rewrites the state with
-- what it read at its start, which would drop an update made meanwhile.
CREATE TABLE msteams_conversations (
  tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  channel_account_id uuid NOT NULL REFERENCES channel_accounts(id) ON DELETE CASCADE,
  -- Activity conversation.id (= conversations.external_chat_id).
  conversation_id text NOT NULL,
  service_url text NOT NULL,
  -- Activity channelId: 'msteams', 'webchat', 'directline'…
  activity_channel text NOT NULL,
  -- The bot's own account in this conversation (Activity recipient), the sender of replies.
  bot_id text NOT NULL,
  bot_name text,
  -- The person's account (Activity from), the recipient of replies.
  user_id text NOT NULL,
  -- The Entra tenant of the conversation (Teams), sent back on replies.
  entra_tenant_id text,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (channel_account_id, conversation_id)
);
CREATE INDEX msteams_conversations_tenant ON msteams_conversations (tenant_id);

ALTER TABLE msteams_conversations ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON msteams_conversations USING (tenant_id = closer_current_tenant()) WITH CHECK (tenant_id = closer_current_tenant());
GRANT SELECT, INSERT, UPDATE, DELETE ON msteams_conversations TO closer_app;
