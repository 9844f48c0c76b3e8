-- Consent invitations (issue 17, spec 002): the invitation a number replies
-- START to, the welcome text an opt-in earns, and staff's review of free-text
-- revocations.

-- Each invitation sent: to which number (E.164), for which patient, the
-- message that carried it, and when the number answered START.
CREATE TABLE consent_invitations (
    id                INTEGER PRIMARY KEY,
    number            TEXT NOT NULL,
    patient_id        INTEGER REFERENCES patients(id),
    message_id        INTEGER NOT NULL REFERENCES messages(id),
    invited_at        TEXT NOT NULL,
    invited_by        TEXT NOT NULL,
    answered_at       TEXT,
    answer_message_id INTEGER REFERENCES messages(id)
) STRICT;
CREATE INDEX consent_invitations_number ON consent_invitations(number, invited_at);

-- The welcome text each opt-in by keyword earns: recorded in the
-- transaction that stores the START reply (one per reply: the UNIQUE
-- source), then queued once ([`message_id`] set in the transaction that
-- queues it), so a crash between the two never loses it nor sends it twice.
CREATE TABLE consent_welcomes (
    id                INTEGER PRIMARY KEY,
    number            TEXT NOT NULL,
    source_message_id INTEGER NOT NULL UNIQUE REFERENCES messages(id),
    created_at        TEXT NOT NULL,
    message_id        INTEGER REFERENCES messages(id),
    -- Why none was sent (opted out again meanwhile, no welcome text set).
    skipped           TEXT,
    done_at           TEXT
) STRICT;
CREATE INDEX consent_welcomes_pending ON consent_welcomes(id) WHERE done_at IS NULL;

-- Staff's decision on a reply the engine flagged as a possible revocation
-- ("please stop texting me"): the number opted out, or not a revocation.
-- Until one exists (or the number opts out by keyword), campaigns skip the
-- number and the review list shows the FCC's due date.
CREATE TABLE revocation_reviews (
    message_id  INTEGER PRIMARY KEY REFERENCES messages(id),
    resolution  TEXT NOT NULL CHECK (resolution IN ('opted_out', 'not_revocation')),
    resolved_at TEXT NOT NULL,
    resolved_by TEXT NOT NULL
) STRICT;
