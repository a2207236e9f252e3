-- The customer reply check looks other leads' data up through indexes instead
-- of scanning every lead and every note per reply (issue #12, items 7 and 11).

-- Text as the check compares it: NFKC, lower case, zero-width characters and
-- soft hyphens removed, every run of separators one space. The app applies
-- the same steps to a reply (src/agents/guardrails/normalise.ts); for notes
-- both sides go through this one function, so they cannot drift apart.
CREATE OR REPLACE FUNCTION closer_check_words(t text) RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce(array_remove(regexp_split_to_array(btrim(regexp_replace(
    regexp_replace(lower(normalize(coalesce(t, ''), NFKC)), '[\u00AD\u200B-\u200F\u2060\uFEFF]', '', 'g'),
    '[^[:alnum:]\u0E00-\u0E7F\u0600-\u06FF]+', ' ', 'g')), ' '), ''), '{}')
$$;

-- Overlapping chunks of a note: every run of three words, and any single word
-- of twelve characters or more (Thai writes phrases without spaces). A reply
-- that repeats fragments of a note in another order still shares chunks.
CREATE OR REPLACE FUNCTION closer_note_chunks(t text) RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  WITH w AS (SELECT closer_check_words(t) AS a)
  SELECT coalesce(array_agg(DISTINCT c), '{}') FROM (
    SELECT a[i] || ' ' || a[i + 1] || ' ' || a[i + 2] AS c FROM w, generate_series(1, greatest(array_length(a, 1) - 2, 0)) AS i
    UNION ALL
    SELECT x FROM w, unnest(a) AS x WHERE char_length(x) >= 12
  ) s WHERE char_length(c) >= 10
$$;

CREATE TABLE note_chunks (
  tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  activity_id uuid NOT NULL REFERENCES activities(id) ON DELETE CASCADE,
  lead_id uuid NOT NULL REFERENCES leads(id) ON DELETE CASCADE,
  chunk text NOT NULL,
  PRIMARY KEY (activity_id, chunk)
);
CREATE INDEX note_chunks_lookup ON note_chunks (tenant_id, chunk);
ALTER TABLE note_chunks ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON note_chunks USING (tenant_id = closer_current_tenant()) WITH CHECK (tenant_id = closer_current_tenant());
GRANT SELECT, INSERT, UPDATE, DELETE ON note_chunks TO closer_app;

-- Kept by a trigger: every way a note is written (tools, imports, seeds) indexes it.
CREATE OR REPLACE FUNCTION closer_index_note() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' THEN
    DELETE FROM note_chunks WHERE activity_id = OLD.id;
  END IF;
  IF NEW.kind = 'note' AND char_length(coalesce(NEW.body, '')) >= 24 THEN
    INSERT INTO note_chunks (tenant_id, activity_id, lead_id, chunk)
    SELECT NEW.tenant_id, NEW.id, NEW.lead_id, c FROM unnest(closer_note_chunks(NEW.body)) AS c
    ON CONFLICT DO NOTHING;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER activities_note_chunks AFTER INSERT OR UPDATE OF body, kind ON activities FOR EACH ROW EXECUTE FUNCTION closer_index_note();

INSERT INTO note_chunks (tenant_id, activity_id, lead_id, chunk)
SELECT a.tenant_id, a.id, a.lead_id, c FROM activities a, unnest(closer_note_chunks(a.body)) AS c
WHERE a.kind = 'note' AND char_length(coalesce(a.body, '')) >= 24
ON CONFLICT DO NOTHING;

-- Phones by their last nine digits (national and +country forms of one number share them), and name words.
CREATE INDEX leads_phone_tail ON leads (tenant_id, right(regexp_replace(phone, '\D', '', 'g'), 9)) WHERE phone IS NOT NULL;
CREATE INDEX leads_first_name_lower ON leads (tenant_id, lower(first_name));
CREATE INDEX leads_last_name_lower ON leads (tenant_id, lower(last_name));
CREATE INDEX leads_display_first_word ON leads (tenant_id, split_part(lower(display_name), ' ', 1));
