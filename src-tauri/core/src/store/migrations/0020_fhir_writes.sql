-- Issue 16 part 2: the FHIR write-back (schema version 18). Every text and
-- call of a desk with `fhir.base_url` set is recorded on the clinic's FHIR
-- server as a Communication, in one Encounter per patient conversation.

-- The durable write queue: one row per text or call. The triggers below
-- add a row in the same transaction that stores the text or call (whatever
-- path stores it: the outbox, the inbox sync, a call, the team sync), and
-- make it due again in the transaction that changes its state, so a crash
-- never loses a write. `revision` counts those changes: a worker records a
-- write as done only for the revision it read, so a change made while it
-- was writing is written after.
--
-- state: 'pending' (to write, from next_attempt_at), 'written' (the server
-- has revision written_revision), 'failed' (a permanent refusal: shown on
-- the message, tried again only when the text changes or staff retry) or
-- 'skipped' (nothing to write, and why: a patient the server does not
-- manage, an unmatched number).
CREATE TABLE fhir_writes (
    id               INTEGER PRIMARY KEY,
    kind             TEXT NOT NULL CHECK (kind IN ('message', 'call')),
    item_id          INTEGER NOT NULL,
    state            TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'written', 'failed', 'skipped')),
    revision         INTEGER NOT NULL DEFAULT 1,
    written_revision INTEGER,
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TEXT,                -- RFC 3339 UTC; NULL = at once
    claim_token      INTEGER,
    claimed_until    TEXT,                -- RFC 3339 UTC
    last_error       TEXT,                -- redacted: never a number or a text
    last_error_code  TEXT,
    fhir_id          TEXT,                -- Communication.id once written
    version_id       TEXT,                -- its meta.versionId as last written
    encounter_id     TEXT,
    written_at       TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    UNIQUE (kind, item_id)
) STRICT;
CREATE INDEX fhir_writes_due ON fhir_writes(next_attempt_at) WHERE state = 'pending';

-- One Encounter per patient conversation (spec 001): its id and version on
-- the server, and the participants it was last written with (JSON arrays of
-- references): the coordinators in `participant`, the RelatedPersons in the
-- `encounter-other-participants` extension.
CREATE TABLE fhir_encounters (
    patient_id   INTEGER PRIMARY KEY REFERENCES patients(id) ON DELETE CASCADE,
    fhir_id      TEXT NOT NULL,
    version_id   TEXT,
    participants TEXT NOT NULL DEFAULT '[]',
    others       TEXT NOT NULL DEFAULT '[]',
    updated_at   TEXT NOT NULL
) STRICT;

-- Rows are queued only while the FHIR link is on (fhir.base_url set): a
-- desk without a FHIR server keeps no queue. Test messages are not records.
CREATE TRIGGER fhir_write_message_insert AFTER INSERT ON messages
WHEN NEW.is_test = 0 AND EXISTS (SELECT 1 FROM settings WHERE key = 'fhir.base_url')
BEGIN
    INSERT INTO fhir_writes (kind, item_id, created_at, updated_at)
    VALUES ('message', NEW.id, NEW.created_at, NEW.created_at)
    ON CONFLICT (kind, item_id) DO NOTHING;
END;

CREATE TRIGGER fhir_write_message_change AFTER UPDATE OF state, patient_id ON messages
WHEN OLD.state IS NOT NEW.state OR OLD.patient_id IS NOT NEW.patient_id
BEGIN
    UPDATE fhir_writes SET revision = revision + 1, state = 'pending', attempts = 0, next_attempt_at = NULL,
           updated_at = NEW.updated_at
     WHERE kind = 'message' AND item_id = NEW.id;
END;

-- An undone text never left CareDesk: nothing to record (a text already
-- written keeps its row, and its Communication).
CREATE TRIGGER fhir_write_message_delete AFTER DELETE ON messages
BEGIN
    DELETE FROM fhir_writes WHERE kind = 'message' AND item_id = OLD.id AND fhir_id IS NULL;
END;

CREATE TRIGGER fhir_write_call_insert AFTER INSERT ON calls
WHEN EXISTS (SELECT 1 FROM settings WHERE key = 'fhir.base_url')
BEGIN
    INSERT INTO fhir_writes (kind, item_id, created_at, updated_at)
    VALUES ('call', NEW.id, NEW.created_at, NEW.created_at)
    ON CONFLICT (kind, item_id) DO NOTHING;
END;

CREATE TRIGGER fhir_write_call_change AFTER UPDATE OF status, patient_id ON calls
WHEN OLD.status IS NOT NEW.status OR OLD.patient_id IS NOT NEW.patient_id
BEGIN
    UPDATE fhir_writes SET revision = revision + 1, state = 'pending', attempts = 0, next_attempt_at = NULL,
           updated_at = NEW.updated_at
     WHERE kind = 'call' AND item_id = NEW.id;
END;
