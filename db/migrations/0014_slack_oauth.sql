-- Slack OAuth install flow: the `state` handed to Slack's authorize page.
-- Kept server-side so a state is single-use (consumed by a DELETE on the
-- redirect) and bound to the tenant whose admin produced the install link:
-- what the callback installs into comes from this row, never from the
-- browser. Only a hash of the state is stored, so reading the table does not
-- let anyone finish someone else's install.
CREATE TABLE slack_oauth_states (
  state_hash text PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  install_options jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
CREATE INDEX slack_oauth_states_expiry ON slack_oauth_states (expires_at);

ALTER TABLE slack_oauth_states ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON slack_oauth_states USING (tenant_id = closer_current_tenant()) WITH CHECK (tenant_id = closer_current_tenant());
GRANT SELECT, INSERT, UPDATE, DELETE ON slack_oauth_states TO closer_app;
