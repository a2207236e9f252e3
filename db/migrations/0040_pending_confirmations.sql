-- Writes proposed to staff wait here until the person who asked presses Confirm.
-- The button carries only the row's id: the tool, its arguments and the asker
-- are on the server, so nobody else (a colleague in the same Slack thread, a
-- forged payload) can run them, and a press runs them once.
CREATE TABLE pending_confirmations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  staff_user_id uuid REFERENCES staff_users(id) ON DELETE CASCADE,
  lead_id uuid REFERENCES leads(id) ON DELETE CASCADE,
  conversation_id uuid REFERENCES conversations(id) ON DELETE SET NULL,
  tool text NOT NULL,
  args jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  outcome text CHECK (outcome IN ('confirmed', 'cancelled')),
  CHECK (staff_user_id IS NOT NULL OR lead_id IS NOT NULL)
);
CREATE INDEX pending_confirmations_open ON pending_confirmations (tenant_id, expires_at) WHERE used_at IS NULL;

ALTER TABLE pending_confirmations ENABLE ROW LEVEL SECURITY;
ALTER TABLE pending_confirmations FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON pending_confirmations USING (tenant_id = closer_current_tenant()) WITH CHECK (tenant_id = closer_current_tenant());
GRANT SELECT, INSERT, UPDATE, DELETE ON pending_confirmations TO closer_app;
