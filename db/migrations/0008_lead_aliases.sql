-- Other spellings of a lead's name ("Nok" for นก, "Faisal" for فيصل): reps
-- search in whichever script they type in.
ALTER TABLE leads ADD COLUMN aliases text[] DEFAULT '{}';

-- array_to_string over text[] is immutable in practice; wrapping it lets the
-- name search use one trigram index over the display name and the aliases.
CREATE FUNCTION closer_lead_names(display_name text, aliases text[]) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT lower(display_name || coalesce(' ' || array_to_string(aliases, ' '), ''))
$$;
GRANT EXECUTE ON FUNCTION closer_lead_names(text, text[]) TO closer_app;

CREATE INDEX leads_names_trgm ON leads USING gin (closer_lead_names(display_name, aliases) gin_trgm_ops);
