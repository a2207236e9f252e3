-- Lead search by name under row-level security. The policy's quals run
-- before any user qual that is not leakproof, and pg_trgm's % and LIKE are
-- not, so under the app role the trigram index of 0008 was never used: every
-- name search read every lead of every tenant (1.7 s at 100,000 leads).
--
-- This function finds the candidate ids with the index, as the table's
-- owner, and filters by the same closer_current_tenant() the policy uses, so
-- it can return nothing the caller's RLS would hide. It returns ids only;
-- the caller reads the rows themselves under its own RLS.
CREATE FUNCTION closer_lead_name_candidates(q text) RETURNS TABLE (id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT l.id FROM leads l
  WHERE (closer_lead_names(l.display_name, l.aliases) % q OR closer_lead_names(l.display_name, l.aliases) LIKE '%' || q || '%')
    AND l.tenant_id = closer_current_tenant()
$$;
REVOKE ALL ON FUNCTION closer_lead_name_candidates(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION closer_lead_name_candidates(text) TO closer_app;
