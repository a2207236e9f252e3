-- Saved and scheduled reports: a structured metrics query (never SQL) sent
-- to a staff member on a cron pattern in their timezone. Postgres holds the
-- schedule; the reports worker mirrors active rows into BullMQ job schedulers.
CREATE TABLE scheduled_reports (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  staff_user_id uuid NOT NULL REFERENCES staff_users(id) ON DELETE CASCADE,
  -- The number people type ("cancel report 2"), per staff member.
  number int NOT NULL CHECK (number > 0),
  name text NOT NULL,
  query jsonb NOT NULL,
  locale text NOT NULL,
  cron text NOT NULL,
  timezone text NOT NULL,
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'cancelled')),
  conversation_id uuid REFERENCES conversations(id) ON DELETE SET NULL,
  last_run_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, staff_user_id, number)
);
CREATE INDEX scheduled_reports_active ON scheduled_reports (status) WHERE status = 'active';

ALTER TABLE scheduled_reports ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON scheduled_reports USING (tenant_id = closer_current_tenant()) WITH CHECK (tenant_id = closer_current_tenant());
GRANT SELECT, INSERT, UPDATE, DELETE ON scheduled_reports TO closer_app;
