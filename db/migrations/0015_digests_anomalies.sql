-- Morning digests and anomaly alerts. Each row is the record of one outbound
-- thing with its status; the unique keys are what make two workers (or a
-- re-run) harmless: the second INSERT … ON CONFLICT DO NOTHING finds the row.

-- One digest per staff member per local calendar day.
CREATE TABLE digests (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  staff_user_id uuid NOT NULL REFERENCES staff_users(id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN ('rep', 'manager')),
  -- The day in the staff member's own time zone the digest is for.
  local_date date NOT NULL,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'skipped', 'failed')),
  -- Why it was skipped or failed: nothing_to_say, day_off, no_conversation.
  reason text,
  message_id uuid REFERENCES messages(id) ON DELETE SET NULL,
  -- What it said, as numbers (for auditing and /metrics), never the rendered text.
  summary jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, staff_user_id, local_date)
);
CREATE INDEX digests_created ON digests (created_at);

-- One anomaly check per tenant per local day: the claim that keeps a second worker from running it again.
CREATE TABLE anomaly_checks (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  -- The last complete day the check looked at (the tenant's "yesterday").
  check_date date NOT NULL,
  -- Every check's outcome, including why nothing fired (sample too small, inside the band…).
  findings jsonb NOT NULL DEFAULT '[]',
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, check_date)
);

-- One row per anomaly episode: a metric (and dimension, e.g. channel=line) out of its band from `since` on.
CREATE TABLE anomalies (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  metric text NOT NULL,
  -- 'total' or 'channel=<name>'.
  dimension text NOT NULL,
  direction text NOT NULL CHECK (direction IN ('up', 'down')),
  -- The first local day of the deviation (the episode's key).
  since date NOT NULL,
  -- The last check that still saw it; a later check that finds it normal closes the episode.
  last_seen date NOT NULL,
  resolved_on date,
  expected numeric NOT NULL,
  expected_low numeric NOT NULL,
  expected_high numeric NOT NULL,
  actual numeric NOT NULL,
  details jsonb NOT NULL DEFAULT '{}',
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'skipped', 'failed')),
  reason text,
  message_ids uuid[] NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, metric, dimension, since)
);
CREATE INDEX anomalies_open ON anomalies (tenant_id, metric, dimension) WHERE resolved_on IS NULL;

ALTER TABLE digests ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON digests USING (tenant_id = closer_current_tenant()) WITH CHECK (tenant_id = closer_current_tenant());
GRANT SELECT, INSERT, UPDATE, DELETE ON digests TO closer_app;

ALTER TABLE anomaly_checks ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON anomaly_checks USING (tenant_id = closer_current_tenant()) WITH CHECK (tenant_id = closer_current_tenant());
GRANT SELECT, INSERT, UPDATE, DELETE ON anomaly_checks TO closer_app;

ALTER TABLE anomalies ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON anomalies USING (tenant_id = closer_current_tenant()) WITH CHECK (tenant_id = closer_current_tenant());
GRANT SELECT, INSERT, UPDATE, DELETE ON anomalies TO closer_app;
