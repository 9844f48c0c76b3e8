-- Inbox sync, threads and consent (schema version 2).

-- How each background sync job is doing, for the status bar: when it last
-- worked, the last error (already redacted: no numbers, no texts), how many
-- failures in a row, and when it tries again.
CREATE TABLE sync_status (
    name         TEXT PRIMARY KEY,        -- his.incoming, his.outgoing
    last_success TEXT,                    -- RFC 3339 UTC
    last_error   TEXT,
    failures     INTEGER NOT NULL DEFAULT 0,
    next_try     TEXT,                    -- RFC 3339 UTC; NULL = at the next tick
    updated_at   TEXT NOT NULL
) STRICT;

-- The Unmatched inbox: inbound messages no patient claims, one thread per
-- sender number.
CREATE INDEX messages_unmatched ON messages(from_number, created_at) WHERE patient_id IS NULL;

-- A shared number (spec 002): which patient was messaged there most recently.
CREATE INDEX messages_outbound_to ON messages(to_number, created_at) WHERE direction = 'outbound';
