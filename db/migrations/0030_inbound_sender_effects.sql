-- Issue #11 (lean webhook path) and #12 item 2 (the actor of a turn is the sender of its messages).

-- Who sent each inbound message. A conversation can have several speakers (a shared Slack thread): the turn's
-- actor is resolved from these, never from whoever opened the conversation. No foreign keys: the ids are a record
-- of who spoke, kept when the person is later removed (the turn then falls back to the conversation's own person),
-- and a foreign key check on every inbound insert is cost on the webhook's path.
ALTER TABLE messages
  ADD COLUMN sender_identity_id uuid,
  ADD COLUMN sender_staff_user_id uuid,
  ADD COLUMN sender_lead_id uuid,
  -- Side effects of an inbound message still to run after the webhook's commit (activity row, lead recency,
  -- follow-up rules), as the inbound-effects job's input: NULL once run (or when there are none). The job clears
  -- it in the same transaction that applies them, so a retried job cannot apply them twice.
  ADD COLUMN effects jsonb;

-- The reconciler's look-up of effects a lost job left behind.
CREATE INDEX messages_effects_pending ON messages (created_at) WHERE effects IS NOT NULL;
