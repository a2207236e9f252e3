-- Slack install links are single-use (issue #12): the link's random id is
-- recorded here, in the same transaction that stores the installed workspace,
-- so a second install through the same link (a leaked or forwarded link, or a
-- second browser) is refused. Only a hash of the id is kept.
CREATE TABLE slack_install_links (
  link_hash text PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  team_id text NOT NULL,
  used_at timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE slack_install_links ENABLE ROW LEVEL SECURITY;
ALTER TABLE slack_install_links FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON slack_install_links USING (tenant_id = closer_current_tenant()) WITH CHECK (tenant_id = closer_current_tenant());
GRANT SELECT, INSERT, UPDATE, DELETE ON slack_install_links TO closer_app;
