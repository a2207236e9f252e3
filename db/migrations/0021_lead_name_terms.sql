-- Lead search by name at 100,000 leads (issue #11). A tenant's leads share few
-- distinct names (people are called Somchai, Waleed, Nok …), so the fuzzy part
-- of a search runs over a small dictionary of the distinct name terms of the
-- tenant, and the leads behind the terms it found are read by equality:
--
--   name_terms        (tenant, term): every distinct term, trigram-indexed
--   lead_name_terms   (tenant, term, lead): which leads carry a term, and as what
--
-- Terms of a lead (lower-cased, NFKC, spaces collapsed as normaliseText does):
-- kind 0 = what a person calls the lead as a whole: the display name, the first
-- name, each alias (Latin spelling of an Arabic or Thai name, nickname);
-- kind 1 = the other words of those names (last name, family name, parts).
-- Both tables are kept by triggers on leads, so every way of writing a lead
-- (chat, import, seed, CLI) keeps them right.
CREATE FUNCTION closer_norm_name(s text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT NULLIF(lower(btrim(regexp_replace(normalize(s, NFKC), '\s+', ' ', 'g'))), '')
$$;

CREATE FUNCTION closer_lead_name_terms(first_name text, last_name text, display_name text, aliases text[])
RETURNS TABLE (term text, kind smallint)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT DISTINCT ON (t.term) t.term, t.kind FROM (
    SELECT closer_norm_name(w) AS term, 0::smallint AS kind
    FROM unnest(ARRAY[display_name, first_name] || coalesce(aliases, '{}')) w
    UNION ALL
    SELECT closer_norm_name(tok), 1::smallint
    FROM unnest(ARRAY[display_name, last_name] || coalesce(aliases, '{}')) w,
         regexp_split_to_table(w, '\s+') tok
  ) t
  WHERE t.term IS NOT NULL
  ORDER BY t.term, t.kind
$$;

CREATE TABLE name_terms (
  tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  term text NOT NULL,
  PRIMARY KEY (tenant_id, term)
);
CREATE INDEX name_terms_trgm ON name_terms USING gin (term gin_trgm_ops);

-- display_name is the lead's, copied so a search orders a term's leads from
-- this index alone (kind, then name) and reads only the few rows it returns.
CREATE TABLE lead_name_terms (
  tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  term text NOT NULL,
  lead_id uuid NOT NULL REFERENCES leads(id) ON DELETE CASCADE,
  kind smallint NOT NULL,
  display_name text NOT NULL,
  PRIMARY KEY (tenant_id, term, lead_id)
);
CREATE INDEX lead_name_terms_rank ON lead_name_terms (tenant_id, term, kind, display_name, lead_id);
CREATE INDEX lead_name_terms_lead ON lead_name_terms (lead_id);

ALTER TABLE name_terms ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON name_terms USING (tenant_id = closer_current_tenant()) WITH CHECK (tenant_id = closer_current_tenant());
GRANT SELECT, INSERT, UPDATE, DELETE ON name_terms TO closer_app;
ALTER TABLE lead_name_terms ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON lead_name_terms USING (tenant_id = closer_current_tenant()) WITH CHECK (tenant_id = closer_current_tenant());
GRANT SELECT, INSERT, UPDATE, DELETE ON lead_name_terms TO closer_app;
GRANT EXECUTE ON FUNCTION closer_norm_name(text) TO closer_app;
GRANT EXECUTE ON FUNCTION closer_lead_name_terms(text, text, text, text[]) TO closer_app;

-- Statement triggers (transition tables): the seed and the importer write
-- thousands of leads per statement; one set-based insert per statement.
CREATE FUNCTION closer_leads_terms_ins() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO lead_name_terms (tenant_id, term, lead_id, kind, display_name)
    SELECT n.tenant_id, t.term, n.id, t.kind, n.display_name FROM new_rows n, closer_lead_name_terms(n.first_name, n.last_name, n.display_name, n.aliases) t;
  INSERT INTO name_terms (tenant_id, term)
    SELECT DISTINCT n.tenant_id, t.term FROM new_rows n, closer_lead_name_terms(n.first_name, n.last_name, n.display_name, n.aliases) t
    ON CONFLICT DO NOTHING;
  RETURN NULL;
END $$;
-- Renames are rare and most lead updates (scores, facts, stages) leave the
-- names alone: a row trigger that fires only when a name column changed.
CREATE FUNCTION closer_leads_terms_upd() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM lead_name_terms WHERE lead_id = NEW.id;
  INSERT INTO lead_name_terms (tenant_id, term, lead_id, kind, display_name)
    SELECT NEW.tenant_id, t.term, NEW.id, t.kind, NEW.display_name FROM closer_lead_name_terms(NEW.first_name, NEW.last_name, NEW.display_name, NEW.aliases) t;
  INSERT INTO name_terms (tenant_id, term)
    SELECT NEW.tenant_id, t.term FROM closer_lead_name_terms(NEW.first_name, NEW.last_name, NEW.display_name, NEW.aliases) t
    ON CONFLICT DO NOTHING;
  RETURN NULL;
END $$;
-- A term no lead carries any more leaves the dictionary (deleted or renamed leads).
CREATE FUNCTION closer_lead_name_terms_del() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM name_terms n
  USING (SELECT DISTINCT tenant_id, term FROM old_rows) o
  WHERE n.tenant_id = o.tenant_id AND n.term = o.term
    AND NOT EXISTS (SELECT 1 FROM lead_name_terms t WHERE t.tenant_id = o.tenant_id AND t.term = o.term);
  RETURN NULL;
END $$;
CREATE TRIGGER leads_terms_ins AFTER INSERT ON leads REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION closer_leads_terms_ins();
CREATE TRIGGER leads_terms_upd AFTER UPDATE OF first_name, last_name, display_name, aliases ON leads FOR EACH ROW
  WHEN ((OLD.first_name, OLD.last_name, OLD.display_name, OLD.aliases) IS DISTINCT FROM (NEW.first_name, NEW.last_name, NEW.display_name, NEW.aliases))
  EXECUTE FUNCTION closer_leads_terms_upd();
CREATE TRIGGER lead_name_terms_del AFTER DELETE ON lead_name_terms REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION closer_lead_name_terms_del();

-- Rebuilds one tenant's dictionary from its leads: for existing data below,
-- and for bulk loads that ran with triggers off (the seed at large scales).
CREATE FUNCTION closer_rebuild_name_terms(tenant uuid) RETURNS void LANGUAGE sql AS $$
  DELETE FROM lead_name_terms WHERE tenant_id = tenant;
  INSERT INTO lead_name_terms (tenant_id, term, lead_id, kind, display_name)
    SELECT l.tenant_id, t.term, l.id, t.kind, l.display_name FROM leads l, closer_lead_name_terms(l.first_name, l.last_name, l.display_name, l.aliases) t
    WHERE l.tenant_id = tenant;
  INSERT INTO name_terms (tenant_id, term) SELECT DISTINCT tenant_id, term FROM lead_name_terms WHERE tenant_id = tenant
    ON CONFLICT DO NOTHING;
$$;
SELECT closer_rebuild_name_terms(id) FROM tenants;

-- The fuzzy step, over the dictionary only. SECURITY DEFINER for the reason
-- of migration 0016 (pg_trgm's operators are not leakproof, so under RLS the
-- trigram index would not be used); it filters by the same
-- closer_current_tenant() the policies use and returns terms, not leads.
-- rank: 0 the term is the query, 1 starts with it, 2 contains it, 3 only similar.
CREATE FUNCTION closer_name_term_matches(q text, max_terms int) RETURNS TABLE (term text, rank int, sim real)
LANGUAGE sql STABLE SECURITY DEFINER ROWS 24 SET search_path = public, pg_temp AS $$
  SELECT n.term,
         CASE WHEN n.term = q THEN 0 WHEN starts_with(n.term, q) THEN 1 WHEN strpos(n.term, q) > 0 THEN 2 ELSE 3 END AS rank,
         similarity(n.term, q) AS sim
  FROM name_terms n
  WHERE n.tenant_id = closer_current_tenant()
    AND (n.term % q OR n.term LIKE '%' || replace(replace(replace(q, '\', '\\'), '%', '\%'), '_', '\_') || '%')
  ORDER BY 2, 3 DESC, 1
  LIMIT max_terms
$$;
REVOKE ALL ON FUNCTION closer_name_term_matches(text, int) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION closer_name_term_matches(text, int) TO closer_app;
