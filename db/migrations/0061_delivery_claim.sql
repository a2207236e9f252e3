-- When a delivery worker claimed an outbound row (pending → sending). A worker
-- killed mid-send (SIGKILL, OOM, a node lost) left the row 'sending' for good:
-- the reply never went out and, for ten minutes, held every later reply of
-- its chat (found by the scale-out soak, issue #11). The reconciler now puts
-- a row back to 'pending' once its claim is older than the delivery lease.
ALTER TABLE messages ADD COLUMN claimed_at timestamptz;
CREATE INDEX messages_out_sending ON messages (claimed_at) WHERE direction = 'out' AND status = 'sending';
