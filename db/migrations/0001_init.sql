-- Closer's data model. Append-only: never edit a migration that has shipped;
-- add a new numbered file instead (the ledger stores each file's checksum).

CREATE EXTENSION IF NOT EXISTS vector;
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- The application role. Tenant work runs under it (SET LOCAL ROLE) so that
-- row-level security applies even when the connecting user owns the tables.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'closer_app') THEN
    CREATE ROLE closer_app NOLOGIN;
  END IF;
  BEGIN
    EXECUTE format('GRANT closer_app TO %I', current_user);
  EXCEPTION WHEN OTHERS THEN
    -- A superuser can SET ROLE to anything; a non-superuser needs a DBA to run
    -- "GRANT closer_app TO <user>" once (the start-up check says so).
    NULL;
  END;
END $$;

-- The tenant currently set by withTenant(); NULL when none is set.
CREATE OR REPLACE FUNCTION closer_current_tenant() RETURNS uuid
LANGUAGE sql STABLE AS $$
  SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid
$$;

CREATE TABLE tenants (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  slug text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
  name text NOT NULL,
  vertical text NOT NULL CHECK (vertical IN ('clinic', 'realty', 'generic')),
  default_locale text NOT NULL,
  locales text[] NOT NULL,
  currency char(3) NOT NULL,
  timezone text NOT NULL,
  settings jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE staff_users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  email text NOT NULL,
  name text NOT NULL,
  role text NOT NULL CHECK (role IN ('rep', 'manager', 'admin')),
  locale text NOT NULL,
  timezone text NOT NULL,
  working_hours jsonb NOT NULL DEFAULT '{}',
  active boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX staff_users_email ON staff_users (tenant_id, lower(email));

CREATE TABLE channel_accounts (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  channel text NOT NULL CHECK (channel IN ('local', 'slack', 'telegram', 'line', 'msteams', 'webchat')),
  name text NOT NULL,
  -- The platform's id for this account (Slack team_id, Telegram bot id, LINE channel id).
  external_id text NOT NULL,
  config jsonb NOT NULL DEFAULT '{}',
  -- AES-256-GCM ciphertext of a JSON object of secrets (see src/core/secrets.ts).
  secrets_enc text,
  api_base_url text,
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (channel, external_id)
);

CREATE TABLE pipeline_stages (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  key text NOT NULL,
  names jsonb NOT NULL,
  position int NOT NULL,
  is_won boolean NOT NULL DEFAULT false,
  is_lost boolean NOT NULL DEFAULT false,
  base_probability numeric(4,3) NOT NULL DEFAULT 0.1,
  allowed_next text[] NOT NULL DEFAULT '{}',
  UNIQUE (tenant_id, key)
);

CREATE TABLE leads (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  first_name text NOT NULL,
  last_name text,
  display_name text NOT NULL,
  phone text CHECK (phone IS NULL OR phone ~ '^\+[1-9][0-9]{6,14}$'),
  email text CHECK (email IS NULL OR position('@' in email) > 1),
  source text NOT NULL DEFAULT 'unknown',
  stage_key text NOT NULL,
  owner_id uuid REFERENCES staff_users(id) ON DELETE SET NULL,
  score smallint CHECK (score BETWEEN 0 AND 100),
  grade char(1) CHECK (grade IN ('A', 'B', 'C', 'D')),
  score_factors jsonb,
  scored_at timestamptz,
  consent text NOT NULL DEFAULT 'unknown' CHECK (consent IN ('opted_in', 'opted_out', 'unknown')),
  consent_changed_at timestamptz,
  locale text,
  timezone text,
  budget numeric(14,2) CHECK (budget IS NULL OR budget >= 0),
  -- Vertical attributes (skin analysis, buyer profile), validated by src/core/leads/attributes.ts.
  attributes jsonb NOT NULL DEFAULT '{}',
  unreachable boolean NOT NULL DEFAULT false,
  last_contact_at timestamptz,
  last_inbound_at timestamptz,
  next_followup_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX leads_tenant_stage ON leads (tenant_id, stage_key);
CREATE INDEX leads_tenant_owner ON leads (tenant_id, owner_id);
CREATE INDEX leads_tenant_score ON leads (tenant_id, score DESC NULLS LAST);
CREATE INDEX leads_phone ON leads (tenant_id, phone) WHERE phone IS NOT NULL;
CREATE INDEX leads_email ON leads (tenant_id, lower(email)) WHERE email IS NOT NULL;
CREATE INDEX leads_name_trgm ON leads USING gin (lower(display_name) gin_trgm_ops);

CREATE TABLE channel_identities (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  channel_account_id uuid NOT NULL REFERENCES channel_accounts(id) ON DELETE CASCADE,
  channel text NOT NULL,
  external_id text NOT NULL,
  staff_user_id uuid REFERENCES staff_users(id) ON DELETE CASCADE,
  lead_id uuid REFERENCES leads(id) ON DELETE CASCADE,
  display_name text,
  locale text,
  unreachable_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (channel_account_id, external_id),
  CHECK (staff_user_id IS NULL OR lead_id IS NULL)
);
CREATE INDEX channel_identities_lookup ON channel_identities (tenant_id, channel, external_id);
CREATE INDEX channel_identities_lead ON channel_identities (lead_id) WHERE lead_id IS NOT NULL;

CREATE TABLE deals (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  lead_id uuid NOT NULL REFERENCES leads(id) ON DELETE CASCADE,
  owner_id uuid REFERENCES staff_users(id) ON DELETE SET NULL,
  title text NOT NULL,
  amount numeric(14,2) NOT NULL CHECK (amount >= 0),
  currency char(3) NOT NULL,
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'won', 'lost')),
  item_ref text,
  lost_reason text,
  created_at timestamptz NOT NULL DEFAULT now(),
  closed_at timestamptz,
  CHECK ((status = 'open') = (closed_at IS NULL))
);
CREATE INDEX deals_tenant_status ON deals (tenant_id, status, closed_at);
CREATE INDEX deals_lead ON deals (lead_id);

CREATE TABLE activities (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  lead_id uuid NOT NULL REFERENCES leads(id) ON DELETE CASCADE,
  staff_user_id uuid REFERENCES staff_users(id) ON DELETE SET NULL,
  kind text NOT NULL CHECK (kind IN ('message_in', 'message_out', 'call', 'meeting', 'note', 'stage_change', 'email', 'task', 'followup', 'alert', 'consent', 'assignment', 'system')),
  channel text,
  body text,
  data jsonb NOT NULL DEFAULT '{}',
  occurred_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX activities_lead_time ON activities (tenant_id, lead_id, occurred_at DESC);
CREATE INDEX activities_tenant_time ON activities (tenant_id, occurred_at);

CREATE TABLE tasks (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  lead_id uuid REFERENCES leads(id) ON DELETE CASCADE,
  assignee_id uuid REFERENCES staff_users(id) ON DELETE SET NULL,
  kind text NOT NULL DEFAULT 'todo' CHECK (kind IN ('todo', 'call', 'meeting', 'consultation', 'callback', 'followup')),
  title text NOT NULL,
  due_at timestamptz,
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'cancelled')),
  created_at timestamptz NOT NULL DEFAULT now(),
  completed_at timestamptz
);
CREATE INDEX tasks_assignee ON tasks (tenant_id, assignee_id, status, due_at);
CREATE INDEX tasks_lead ON tasks (lead_id);

CREATE TABLE catalogue_items (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  sku text NOT NULL,
  names jsonb NOT NULL,
  descriptions jsonb NOT NULL DEFAULT '{}',
  category text NOT NULL,
  price numeric(14,2) NOT NULL CHECK (price >= 0),
  currency char(3) NOT NULL,
  sessions int CHECK (sessions IS NULL OR sessions > 0),
  duration_minutes int,
  targets text[] NOT NULL DEFAULT '{}',
  attributes jsonb NOT NULL DEFAULT '{}',
  active boolean NOT NULL DEFAULT true,
  UNIQUE (tenant_id, sku)
);

CREATE TABLE listings (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  ref text NOT NULL,
  titles jsonb NOT NULL,
  city text NOT NULL,
  district text,
  property_type text NOT NULL,
  price numeric(14,2) NOT NULL CHECK (price >= 0),
  currency char(3) NOT NULL,
  area_sqm numeric(10,2),
  bedrooms int,
  status text NOT NULL DEFAULT 'available' CHECK (status IN ('available', 'reserved', 'sold', 'withdrawn')),
  attributes jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, ref)
);

CREATE TABLE buyer_requests (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  lead_id uuid NOT NULL REFERENCES leads(id) ON DELETE CASCADE,
  cities text[] NOT NULL DEFAULT '{}',
  districts text[] NOT NULL DEFAULT '{}',
  property_types text[] NOT NULL DEFAULT '{}',
  price_min numeric(14,2),
  price_max numeric(14,2),
  area_min numeric(10,2),
  area_max numeric(10,2),
  bedrooms_min int,
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'closed')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX buyer_requests_lead ON buyer_requests (tenant_id, lead_id);

-- Vectors are 256-dimensional: the local embedder's size, and what remote
-- embedders are asked for (outputDimensionality / dimensions).
CREATE TABLE playbook_entries (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN ('objection', 'stage', 'closing', 'upsell')),
  category text NOT NULL,
  locale text NOT NULL,
  title text NOT NULL,
  body text NOT NULL,
  data jsonb NOT NULL DEFAULT '{}',
  embedding vector(256),
  embedding_model text
);
CREATE INDEX playbook_entries_kind ON playbook_entries (tenant_id, kind, category);
CREATE INDEX playbook_entries_embedding ON playbook_entries USING hnsw (embedding vector_cosine_ops);

CREATE TABLE knowledge_chunks (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  source text NOT NULL,
  locale text NOT NULL,
  title text NOT NULL,
  body text NOT NULL,
  embedding vector(256),
  embedding_model text
);
CREATE INDEX knowledge_chunks_embedding ON knowledge_chunks USING hnsw (embedding vector_cosine_ops);

CREATE TABLE conversations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  channel_account_id uuid NOT NULL REFERENCES channel_accounts(id) ON DELETE CASCADE,
  channel_identity_id uuid REFERENCES channel_identities(id) ON DELETE SET NULL,
  channel text NOT NULL,
  -- The platform's chat/thread id; replies go here.
  external_chat_id text NOT NULL,
  lead_id uuid REFERENCES leads(id) ON DELETE SET NULL,
  staff_user_id uuid REFERENCES staff_users(id) ON DELETE SET NULL,
  status text NOT NULL DEFAULT 'bot' CHECK (status IN ('bot', 'handoff', 'closed')),
  focus_lead_id uuid REFERENCES leads(id) ON DELETE SET NULL,
  summary text,
  state jsonb NOT NULL DEFAULT '{}',
  -- A lease: the worker running this conversation's turn. Expires so a crashed worker does not block it forever.
  turn_owner text,
  turn_lease_until timestamptz,
  last_message_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (channel_account_id, external_chat_id)
);

CREATE TABLE messages (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  conversation_id uuid NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
  channel_account_id uuid NOT NULL REFERENCES channel_accounts(id) ON DELETE CASCADE,
  direction text NOT NULL CHECK (direction IN ('in', 'out')),
  -- Inbound: the platform's event/message id, used to drop redeliveries.
  platform_message_id text,
  author text NOT NULL CHECK (author IN ('customer', 'staff', 'bot', 'system')),
  text text,
  parts jsonb NOT NULL DEFAULT '[]',
  payload jsonb,
  -- in: received → processing → handled | ignored | failed
  -- out: pending → sending → sent | failed | skipped
  status text NOT NULL CHECK (status IN ('received', 'processing', 'handled', 'ignored', 'pending', 'sending', 'sent', 'failed', 'skipped')),
  error text,
  attempts int NOT NULL DEFAULT 0,
  -- For outbound: the inbound message that caused it (the turn's first message).
  reply_to_id uuid REFERENCES messages(id) ON DELETE SET NULL,
  turn_id uuid,
  mode text CHECK (mode IN ('rules', 'llm')),
  tool_calls jsonb,
  platform_sent_id text,
  created_at timestamptz NOT NULL DEFAULT now(),
  processed_at timestamptz,
  sent_at timestamptz
);
CREATE UNIQUE INDEX messages_platform_id ON messages (channel_account_id, platform_message_id) WHERE direction = 'in';
CREATE INDEX messages_conversation ON messages (conversation_id, created_at);
CREATE INDEX messages_pending ON messages (status, created_at) WHERE status IN ('received', 'processing', 'pending', 'sending');
CREATE INDEX messages_reply_to ON messages (reply_to_id) WHERE reply_to_id IS NOT NULL;

CREATE TABLE followup_rules (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  key text NOT NULL,
  name text NOT NULL,
  trigger jsonb NOT NULL,
  steps jsonb NOT NULL,
  active boolean NOT NULL DEFAULT true,
  UNIQUE (tenant_id, key)
);

CREATE TABLE followup_executions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  rule_id uuid REFERENCES followup_rules(id) ON DELETE SET NULL,
  lead_id uuid NOT NULL REFERENCES leads(id) ON DELETE CASCADE,
  step_index int NOT NULL DEFAULT 0,
  due_at timestamptz NOT NULL,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'sent', 'skipped', 'failed', 'cancelled')),
  reason text,
  channel text,
  template jsonb,
  message_id uuid REFERENCES messages(id) ON DELETE SET NULL,
  created_by uuid REFERENCES staff_users(id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX followup_executions_due ON followup_executions (status, due_at);
CREATE INDEX followup_executions_lead ON followup_executions (tenant_id, lead_id, status);

CREATE TABLE alerts (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  kind text NOT NULL,
  lead_id uuid REFERENCES leads(id) ON DELETE CASCADE,
  target_staff_id uuid REFERENCES staff_users(id) ON DELETE SET NULL,
  dedupe_key text NOT NULL,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'acknowledged', 'escalated', 'failed', 'suppressed')),
  payload jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  acted_at timestamptz
);
CREATE INDEX alerts_dedupe ON alerts (tenant_id, dedupe_key, created_at DESC);

CREATE TABLE audit_log (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  actor_type text NOT NULL CHECK (actor_type IN ('customer', 'rep', 'manager', 'admin', 'system')),
  actor_id uuid,
  action text NOT NULL,
  tool text,
  args jsonb,
  result_summary text,
  outcome text NOT NULL DEFAULT 'ok' CHECK (outcome IN ('ok', 'refused', 'error')),
  conversation_id uuid,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_tenant_time ON audit_log (tenant_id, created_at DESC);

CREATE TABLE llm_usage (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  provider text NOT NULL,
  model text NOT NULL,
  prompt_tokens int NOT NULL DEFAULT 0,
  completion_tokens int NOT NULL DEFAULT 0,
  latency_ms int NOT NULL DEFAULT 0,
  cost_usd numeric(12,6) NOT NULL DEFAULT 0,
  outcome text NOT NULL DEFAULT 'ok' CHECK (outcome IN ('ok', 'error', 'timeout', 'rate_limited')),
  conversation_id uuid,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX llm_usage_tenant_time ON llm_usage (tenant_id, created_at);

-- Row-level security on every tenant-owned table, and the app role's grants.
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['staff_users', 'channel_accounts', 'pipeline_stages', 'leads',
    'channel_identities', 'deals', 'activities', 'tasks', 'catalogue_items', 'listings',
    'buyer_requests', 'playbook_entries', 'knowledge_chunks', 'conversations', 'messages',
    'followup_rules', 'followup_executions', 'alerts', 'audit_log', 'llm_usage']
  LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = closer_current_tenant()) WITH CHECK (tenant_id = closer_current_tenant())', t);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO closer_app', t);
  END LOOP;
END $$;

ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenants USING (id = closer_current_tenant()) WITH CHECK (id = closer_current_tenant());
GRANT SELECT, UPDATE ON tenants TO closer_app;
GRANT EXECUTE ON FUNCTION closer_current_tenant() TO closer_app;
