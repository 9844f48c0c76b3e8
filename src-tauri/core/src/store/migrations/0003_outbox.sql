-- Outbox worker (schema version 3).
--
-- Outbox row states (the worker's job): pending -> in_flight -> done, or
-- failed (refused, given up, or ECM "uncertain": messages.state tells which),
-- or ambiguous (the attempt may have reached the server: checked against the
-- server's Outgoing list before any new attempt).

-- Who is working on the row, and until when. A claim whose time has passed
-- is void: its worker is gone (crash, closed app), and an in_flight row
-- without a live claim is treated as ambiguous.
ALTER TABLE outbox ADD COLUMN claim_token INTEGER;
ALTER TABLE outbox ADD COLUMN claimed_until TEXT;   -- RFC 3339 UTC

-- sent_at of the earliest attempt that may have reached the server: where
-- the reconciliation looks from.
ALTER TABLE outbox ADD COLUMN ambiguous_since TEXT; -- RFC 3339 UTC

-- Reconciliation polls that failed in a row (for their backoff).
ALTER TABLE outbox ADD COLUMN checks INTEGER NOT NULL DEFAULT 0;

-- `caredesk outbox`: the open rows, oldest first.
CREATE INDEX outbox_open ON outbox(created_at) WHERE state IN ('pending', 'in_flight', 'ambiguous');

-- Messages that may or may not have gone (ECM, or given up while ambiguous):
-- listed until someone checks.
CREATE INDEX messages_uncertain ON messages(created_at) WHERE state = 'uncertain';
