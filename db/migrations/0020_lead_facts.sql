-- Lead facts kept current by triggers (issue #11), so the hot-lead list and
-- the first-response business questions read one row per lead instead of
-- aggregating 1M+ activities per request.
--
-- first_inbound_at   first message_in (the start of the response clock; NULL: the lead's creation starts it)
-- first_response_at  first message_out/call not marked inbound at or after that start (= BI "first_out")
-- first_channel      channel of the first message_in/call that has one (BI "channel" dimension)
-- last_message_in_at newest message_in (reply rate: did the lead write after our first reply?)
-- open_deal_amount   sum of the lead's open deals, NULL without any (hot list "value")
-- hot_bound          an upper bound of the lead's hot-list priority at ANY time (see below)
ALTER TABLE leads
  ADD COLUMN first_inbound_at timestamptz,
  ADD COLUMN first_response_at timestamptz,
  ADD COLUMN first_channel text,
  ADD COLUMN last_message_in_at timestamptz,
  ADD COLUMN open_deal_amount float8;

-- The facts are recomputed from the lead's own activities (an index range of
-- activities_lead_time) for every lead a statement touched: exact on insert,
-- update and delete in any order, and one pass per statement for the seed's and
-- the importer's multi-row inserts (statement triggers with transition tables).
-- Runs as the caller: under the app role RLS limits it to the caller's tenant,
-- which is where the touched rows are anyway.
CREATE FUNCTION closer_refresh_lead_activity_facts(lead_ids uuid[]) RETURNS void
LANGUAGE sql SET search_path = public, pg_temp AS $$
  UPDATE leads l SET
    first_inbound_at = f.first_in, last_message_in_at = f.last_in, first_channel = f.first_channel, first_response_at = f.first_out
  FROM (
    SELECT x.id, fi.first_in, fi.last_in, fi.first_channel, (
             SELECT min(o.occurred_at) FROM activities o
             WHERE o.tenant_id = x.tenant_id AND o.lead_id = x.id AND o.kind IN ('message_out', 'call')
               AND COALESCE(o.data->>'direction', 'out') <> 'in' AND o.occurred_at >= COALESCE(fi.first_in, x.created_at)
           ) AS first_out
    FROM (SELECT DISTINCT unnest(lead_ids) AS id) u
    JOIN leads x ON x.id = u.id
    CROSS JOIN LATERAL (
      SELECT min(a.occurred_at) FILTER (WHERE a.kind = 'message_in') AS first_in,
             max(a.occurred_at) FILTER (WHERE a.kind = 'message_in') AS last_in,
             (array_agg(a.channel ORDER BY a.occurred_at) FILTER (WHERE a.kind IN ('message_in', 'call') AND a.channel IS NOT NULL))[1] AS first_channel
      FROM activities a WHERE a.tenant_id = x.tenant_id AND a.lead_id = x.id
    ) fi
  ) f
  WHERE l.id = f.id
    AND (l.first_inbound_at, l.last_message_in_at, l.first_channel, l.first_response_at) IS DISTINCT FROM (f.first_in, f.last_in, f.first_channel, f.first_out)
$$;

CREATE FUNCTION closer_activities_facts_ins() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM closer_refresh_lead_activity_facts(ARRAY(SELECT DISTINCT lead_id FROM new_rows WHERE kind IN ('message_in', 'message_out', 'call')));
  RETURN NULL;
END $$;
CREATE FUNCTION closer_activities_facts_upd() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM closer_refresh_lead_activity_facts(ARRAY(SELECT lead_id FROM new_rows UNION SELECT lead_id FROM old_rows));
  RETURN NULL;
END $$;
CREATE FUNCTION closer_activities_facts_del() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM closer_refresh_lead_activity_facts(ARRAY(SELECT DISTINCT lead_id FROM old_rows WHERE kind IN ('message_in', 'message_out', 'call')));
  RETURN NULL;
END $$;
CREATE TRIGGER activities_facts_ins AFTER INSERT ON activities REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION closer_activities_facts_ins();
CREATE TRIGGER activities_facts_upd AFTER UPDATE ON activities REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION closer_activities_facts_upd();
CREATE TRIGGER activities_facts_del AFTER DELETE ON activities REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION closer_activities_facts_del();

CREATE FUNCTION closer_refresh_lead_deal_facts(lead_ids uuid[]) RETURNS void
LANGUAGE sql SET search_path = public, pg_temp AS $$
  UPDATE leads l SET open_deal_amount = f.amount
  FROM (
    SELECT x.id, (SELECT sum(d.amount)::float8 FROM deals d WHERE d.lead_id = x.id AND d.status = 'open') AS amount
    FROM (SELECT DISTINCT unnest(lead_ids) AS id) x
  ) f
  WHERE l.id = f.id AND l.open_deal_amount IS DISTINCT FROM f.amount
$$;
CREATE FUNCTION closer_deals_facts_ins() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM closer_refresh_lead_deal_facts(ARRAY(SELECT lead_id FROM new_rows));
  RETURN NULL;
END $$;
CREATE FUNCTION closer_deals_facts_upd() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM closer_refresh_lead_deal_facts(ARRAY(SELECT lead_id FROM new_rows UNION SELECT lead_id FROM old_rows));
  RETURN NULL;
END $$;
CREATE FUNCTION closer_deals_facts_del() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM closer_refresh_lead_deal_facts(ARRAY(SELECT lead_id FROM old_rows));
  RETURN NULL;
END $$;
CREATE TRIGGER deals_facts_ins AFTER INSERT ON deals REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION closer_deals_facts_ins();
CREATE TRIGGER deals_facts_upd AFTER UPDATE ON deals REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION closer_deals_facts_upd();
CREATE TRIGGER deals_facts_del AFTER DELETE ON deals REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION closer_deals_facts_del();

-- Recomputes one tenant's facts: for existing data below, and for bulk loads
-- that ran with triggers off (the seed at large scales).
CREATE FUNCTION closer_rebuild_lead_facts(tenant uuid) RETURNS void LANGUAGE sql AS $$
  SELECT closer_refresh_lead_activity_facts(ARRAY(SELECT id FROM leads WHERE tenant_id = tenant));
  SELECT closer_refresh_lead_deal_facts(ARRAY(SELECT id FROM leads WHERE tenant_id = tenant));
$$;
SELECT closer_rebuild_lead_facts(id) FROM tenants;

-- The hot-lead priority (src/core/prioritiser/hot.ts PRIORITY) depends on the
-- time of the request, so it cannot be indexed; this bound of it can, because
-- each term only drops over time: 0.6·score + cold (≤ 0.05·score), value
-- (≤ 15, only with an open deal), an unanswered message (≤ 25, only while the
-- last inbound is newer than the last contact), a recent message (≤ 10, only
-- with an inbound at all). The list reads leads in hot_bound order and stops
-- once the bound falls under the priority of the lead it would have to beat
-- (keyset pages: ORDER BY hot_bound DESC, id DESC).
-- hot.ts HOT_BOUND_SQL must match this expression's terms.
ALTER TABLE leads ADD COLUMN hot_bound float8 GENERATED ALWAYS AS (
  0.65 * coalesce(score, 0)::float8
  + CASE WHEN open_deal_amount IS NOT NULL THEN 15 ELSE 0 END
  + CASE WHEN last_inbound_at IS NOT NULL AND (last_contact_at IS NULL OR last_inbound_at > last_contact_at) THEN 25 ELSE 0 END
  + CASE WHEN last_inbound_at IS NOT NULL THEN 10 ELSE 0 END
) STORED;
CREATE INDEX leads_hot_bound ON leads (tenant_id, hot_bound DESC, id DESC);
CREATE INDEX leads_owner_hot_bound ON leads (tenant_id, owner_id, hot_bound DESC, id DESC);
-- The "big deal" yardstick (90th percentile of open deal totals) from an index-only scan.
CREATE INDEX leads_open_deal_amount ON leads (tenant_id, open_deal_amount) WHERE open_deal_amount IS NOT NULL;
-- First-response cohorts and "leads contacted" read these.
CREATE INDEX leads_tenant_first_response ON leads (tenant_id, first_response_at) WHERE first_response_at IS NOT NULL;
