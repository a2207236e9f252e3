-- Business questions at scale (100k deals, 1M+ activities per tenant).
-- bench/bi.ts measures these with and without; figures in the README section
-- "Business questions".

-- "New leads this week", conversion and first-response cohorts all filter
-- leads by creation time; without this every such question reads every lead.
CREATE INDEX leads_tenant_created ON leads (tenant_id, created_at);

-- Not kept: (tenant_id, lead_id, kind, occurred_at) on activities (first-
-- response questions moved between -42% and +23%, mixed, for a 1.2M-row
-- index on the busiest table) and (tenant_id, status, due_at) on
-- followup_executions (the bench image has no executions to measure).

-- The last structured question answered in a conversation is an audit entry
-- (action 'bi_answered'); follow-ups ("compare with the month before", "send
-- me this every Monday") read the newest one for their conversation.
CREATE INDEX audit_log_bi_answered ON audit_log (conversation_id, id DESC) WHERE action = 'bi_answered';
