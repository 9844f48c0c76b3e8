-- Outreach (issue 17; schema version 17): templates, send later, quiet hours.

-- Texts with merge fields ({first_name}, ...) the composer, `caredesk send
-- --template` and later campaigns start from. `gid` is a UUID every row has
-- from its creation, so a team change kind can carry templates between
-- desks later without renumbering; a removed template keeps its row with
-- `deleted_at` (a tombstone such a change can carry), and its name is free
-- again.
CREATE TABLE templates (
    id         INTEGER PRIMARY KEY,
    gid        TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    deleted_at TEXT
) STRICT;
CREATE UNIQUE INDEX templates_live_name ON templates(name COLLATE NOCASE) WHERE deleted_at IS NULL;

-- Why an outbox row waits until `hold_until` (added by 0013 for Undo send,
-- the one time the worker's claim checks): NULL or 'undo' (the undo delay),
-- 'scheduled' (send later: a time the coordinator chose) or 'quiet_hours'
-- (written outside the recipient's quiet hours: it waits for the window).
-- A waiting text can be cancelled (the undo path) or rescheduled until a
-- worker claims it.
ALTER TABLE outbox ADD COLUMN hold_reason TEXT
    CHECK (hold_reason IS NULL OR hold_reason IN ('undo', 'scheduled', 'quiet_hours'));
