-- CareDesk schema, version 1. Never edit a shipped migration: add a new one.
-- Times are RFC 3339 UTC text unless the column says otherwise.

CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;

-- A patient on the roster. ecm_patient_id is the ECM API's {patient_id};
-- fhir_id the Patient.id of a FHIR import.
CREATE TABLE patients (
    id             INTEGER PRIMARY KEY,
    ecm_patient_id INTEGER UNIQUE,
    fhir_id        TEXT UNIQUE,
    name           TEXT NOT NULL,
    name_key       TEXT NOT NULL,      -- lower-cased name, for prefix search
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
) STRICT;
CREATE INDEX patients_name_key ON patients(name_key);

-- Phone numbers that may receive SMS: the patient's own ("patient") and their
-- contacts ("contact": a son, a caregiver), each with name and relationship.
CREATE TABLE contact_points (
    id           INTEGER PRIMARY KEY,
    patient_id   INTEGER NOT NULL REFERENCES patients(id) ON DELETE CASCADE,
    kind         TEXT NOT NULL CHECK (kind IN ('patient', 'contact')),
    name         TEXT,
    relationship TEXT,
    number       TEXT NOT NULL,        -- E.164
    digits       TEXT NOT NULL,        -- E.164 without '+', for search
    national     TEXT NOT NULL,        -- national significant number, for search
    rank         INTEGER NOT NULL DEFAULT 0,  -- 0 = preferred
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    UNIQUE (patient_id, number)
) STRICT;
CREATE INDEX contact_points_number ON contact_points(number);
CREATE INDEX contact_points_digits ON contact_points(digits);
CREATE INDEX contact_points_national ON contact_points(national);

-- SMS consent is a fact about a number (one phone may serve several people,
-- spec 002): a STOP from it stops every message to it.
CREATE TABLE sms_consent (
    number            TEXT PRIMARY KEY,  -- E.164
    state             TEXT NOT NULL CHECK (state IN ('opted_in', 'opted_out')),
    source            TEXT NOT NULL,     -- keyword, ecm_21610, staff, import
    source_message_id INTEGER REFERENCES messages(id),
    updated_at        TEXT NOT NULL
) STRICT;

CREATE TABLE consent_log (
    id                INTEGER PRIMARY KEY,
    number            TEXT NOT NULL,
    old_state         TEXT,
    new_state         TEXT NOT NULL,
    source            TEXT NOT NULL,
    source_message_id INTEGER REFERENCES messages(id),
    note              TEXT,
    actor             TEXT NOT NULL,
    at                TEXT NOT NULL
) STRICT;
CREATE INDEX consent_log_number ON consent_log(number, at);

-- Replies from numbers no patient has that staff linked to a patient: the
-- link is remembered for the number.
CREATE TABLE number_links (
    number     TEXT PRIMARY KEY,
    patient_id INTEGER NOT NULL REFERENCES patients(id) ON DELETE CASCADE,
    linked_by  TEXT NOT NULL,
    linked_at  TEXT NOT NULL
) STRICT;

-- Every SMS, both ways and both routes. patient_id is NULL for an inbound
-- message from an unmatched number.
CREATE TABLE messages (
    id                 INTEGER PRIMARY KEY,
    patient_id         INTEGER REFERENCES patients(id) ON DELETE SET NULL,
    direction          TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    route              TEXT NOT NULL CHECK (route IN ('his', 'ecm')),
    from_number        TEXT NOT NULL,    -- E.164, or a hospital sender name
    to_number          TEXT NOT NULL,    -- E.164, or a hospital sender name
    intended_to        TEXT,             -- the patient's number when an override number rerouted it
    body               TEXT NOT NULL,
    state              TEXT NOT NULL,    -- queued, sending, sent, enroute, delivered, undelivered, rejected, expired, failed, received ...
    server_state       TEXT,             -- the server's own word: HIS State or ECM/Twilio status
    error_code         TEXT,
    error_message      TEXT,
    his_id             INTEGER UNIQUE,   -- hospital SMS server Id
    ecm_sms_id         INTEGER UNIQUE,   -- ECM sms record id
    twilio_sid         TEXT,
    external_key       TEXT UNIQUE,      -- CareDesk's own id of an outbound message (HIS ExternalKey)
    reply_to_his_id    INTEGER,          -- HIS ReplyToMessageId
    is_test            INTEGER NOT NULL DEFAULT 0,
    flagged            TEXT,             -- why staff should look: help, revocation
    read_at            TEXT,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    server_created_at  TEXT,             -- as the server wrote it (HIS: local time, no zone)
    server_updated_at  TEXT
) STRICT;
CREATE INDEX messages_thread ON messages(patient_id, created_at);
CREATE INDEX messages_unread ON messages(patient_id) WHERE read_at IS NULL AND direction = 'inbound';
CREATE INDEX messages_from ON messages(from_number, created_at);
CREATE INDEX messages_open ON messages(state) WHERE state IN ('queued', 'sending', 'sent', 'enroute', 'accepted');

CREATE TABLE calls (
    id            INTEGER PRIMARY KEY,
    patient_id    INTEGER REFERENCES patients(id) ON DELETE SET NULL,
    direction     TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    to_number     TEXT NOT NULL,
    from_number   TEXT,
    status        TEXT NOT NULL,         -- queued, ringing, in-progress, completed, busy, no-answer, failed, canceled
    ecm_call_id   INTEGER UNIQUE,
    twilio_sid    TEXT,
    error_message TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
) STRICT;
CREATE INDEX calls_thread ON calls(patient_id, created_at);

-- ECM activities and events (spec 004), kept for PRTF reporting.
CREATE TABLE activities (
    id               INTEGER PRIMARY KEY,
    ecm_activity_id  INTEGER UNIQUE,
    activity_type    TEXT NOT NULL CHECK (activity_type IN ('sms', 'call')),
    direction        TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    status           TEXT NOT NULL,
    patient_id       INTEGER REFERENCES patients(id) ON DELETE SET NULL,
    performed_by_id  TEXT NOT NULL,       -- the user's ECM id or name; "system" for inbound
    assigned_to_id   TEXT NOT NULL,
    text_message_id  INTEGER REFERENCES messages(id),
    voice_call_id    INTEGER REFERENCES calls(id),
    created_at       TEXT NOT NULL
) STRICT;
CREATE INDEX activities_created ON activities(created_at);

CREATE TABLE events (
    id          INTEGER PRIMARY KEY,
    event_type  TEXT NOT NULL CHECK (event_type IN ('sms', 'call')),
    occurred_at TEXT NOT NULL,
    patient_id  INTEGER REFERENCES patients(id) ON DELETE SET NULL,
    activity_id INTEGER NOT NULL REFERENCES activities(id)
) STRICT;
CREATE INDEX events_occurred ON events(occurred_at);

-- Where each poll resumes: the newest server UpdatedAt already committed.
CREATE TABLE sync_cursors (
    name       TEXT PRIMARY KEY,          -- his.incoming, his.outgoing
    cursor     TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;

-- Outbound work not yet accepted or refused by a gateway.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    message_id      INTEGER UNIQUE REFERENCES messages(id),
    call_id         INTEGER UNIQUE REFERENCES calls(id),
    state           TEXT NOT NULL CHECK (state IN ('pending', 'in_flight', 'ambiguous', 'done', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error      TEXT,
    sent_at         TEXT,                 -- when the last attempt left, for reconciliation
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    CHECK ((message_id IS NULL) <> (call_id IS NULL))
) STRICT;
CREATE INDEX outbox_due ON outbox(next_attempt_at) WHERE state IN ('pending', 'ambiguous', 'in_flight');

-- Who did what, when. Append-only: the triggers refuse changes.
CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY,
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    patient_id INTEGER,
    detail     TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX audit_log_at ON audit_log(at);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
