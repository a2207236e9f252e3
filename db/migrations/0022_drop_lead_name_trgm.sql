-- Lead search reads the name dictionary of 0021 now; the trigram indexes over
-- the leads themselves (0001 leads_name_trgm, 0008 leads_names_trgm) and the
-- candidate function of 0016 have no reader left. GIN trigram entries are the
-- dearest part of writing a lead: dropping them speeds up imports and the seed.
DROP FUNCTION IF EXISTS closer_lead_name_candidates(text);
DROP INDEX IF EXISTS leads_names_trgm;
DROP INDEX IF EXISTS leads_name_trgm;
