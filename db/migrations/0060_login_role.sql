-- Production connects as a login role that is only a member of closer_app
-- (never the owner, never a superuser; docs/PRODUCTION.md shows the SQL).
-- Tenant work already runs under closer_app with row-level security. Work
-- that crosses tenants by design (withSystem in src/db/tenant.ts: routing a
-- webhook to its tenant, the reconciler, the scheduler) used to rely on the
-- connecting user owning the tables, which bypasses RLS. Under a login role
-- it saw no rows at all: webhooks answered 404, the reconciler found nothing.
--
-- withSystem now marks its own transaction with app.system = 'on'
-- (set_config(..., true): it ends with the transaction), and a second,
-- permissive policy lets such a transaction through. withTenant never sets
-- it, so a tenant transaction still sees only its tenant.
--
-- A NEW tenant table must get this policy too (as well as tenant_isolation);
-- test/integration/rls.test.ts fails when one lacks it.

CREATE OR REPLACE FUNCTION closer_system() RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT coalesce(current_setting('app.system', true), '') = 'on'
$$;
GRANT EXECUTE ON FUNCTION closer_system() TO closer_app;

DO $$
DECLARE t text;
BEGIN
  FOR t IN SELECT DISTINCT tablename FROM pg_policies WHERE schemaname = current_schema() AND policyname = 'tenant_isolation' ORDER BY 1
  LOOP
    EXECUTE format('CREATE POLICY system_access ON %I USING (closer_system()) WITH CHECK (closer_system())', t);
  END LOOP;
END $$;

-- Cross-tenant work creates tenants too (closer seed, channel set-up).
GRANT INSERT ON tenants TO closer_app;
-- A login role checks the ledger at start-up (it cannot apply migrations: run
-- `closer migrate` as the owner first, e.g. the Kubernetes migration Job).
GRANT SELECT ON closer_migrations TO closer_app;
