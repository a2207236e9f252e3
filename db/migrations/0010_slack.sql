-- Human handoff: a customer conversation handed to staff, with the Slack
-- thread where staff answer. Its own table (not conversations.state) because
-- a turn rewrites the conversation's state with what it read at the start,
-- which would drop a handoff opened during that very turn.
CREATE TABLE handoffs (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  conversation_id uuid NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
  status text NOT NULL CHECK (status IN ('open', 'resolved')),
  started_at timestamptz NOT NULL,
  reason text,
  slack_account_id uuid REFERENCES channel_accounts(id) ON DELETE SET NULL,
  slack_channel text,
  thread_ts text,
  -- created_at of the last customer message shown in the thread.
  relayed_until timestamptz,
  last_staff_at timestamptz,
  claimed_by uuid REFERENCES staff_users(id) ON DELETE SET NULL,
  resolved_at timestamptz,
  resolved_by uuid REFERENCES staff_users(id) ON DELETE SET NULL,
  resolved_why text CHECK (resolved_why IN ('resolved', 'idle'))
);
CREATE UNIQUE INDEX handoffs_one_open ON handoffs (conversation_id) WHERE status = 'open';
CREATE UNIQUE INDEX handoffs_thread ON handoffs (slack_account_id, slack_channel, thread_ts) WHERE thread_ts IS NOT NULL;
CREATE INDEX handoffs_conversation ON handoffs (tenant_id, conversation_id, started_at DESC);

ALTER TABLE handoffs ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON handoffs USING (tenant_id = closer_current_tenant()) WITH CHECK (tenant_id = closer_current_tenant());
GRANT SELECT, INSERT, UPDATE, DELETE ON handoffs TO closer_app;
