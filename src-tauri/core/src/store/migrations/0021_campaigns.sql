-- Campaigns and quiet hours in the recipient's zone (issue 17; schema
-- version 18). Numbered 0021: 0020 is another branch's FHIR queue. The
-- runner counts migrations by their place in `migrations.rs`, not by the
-- number in the file name, so the gap is harmless; on merge 0020 goes
-- before this one in the list.

-- The patient's own time zone (IANA name, like America/Chicago): quiet
-- hours follow it, else the clinic's zone. From the roster CSV's
-- `time_zone` column or `patients add|edit --time-zone`.
ALTER TABLE patients ADD COLUMN time_zone TEXT;

-- An urgent 1:1 text sent inside quiet hours: the reason given (audited
-- when it was queued). The worker's check at claim time lets it go; every
-- other text claimed outside its recipient's window waits for the opening.
ALTER TABLE outbox ADD COLUMN urgent_reason TEXT;

-- A campaign: one template to many recipients, at `sms.rate_per_sec`,
-- inside quiet hours, under a frequency cap per number. `gid` lets a team
-- change kind carry it between desks later; `body` is the template's text
-- as it was when the campaign was created (the preview is what goes).
CREATE TABLE campaigns (
    id                   INTEGER PRIMARY KEY,
    gid                  TEXT NOT NULL UNIQUE,
    name                 TEXT NOT NULL,
    template             TEXT NOT NULL,
    body                 TEXT NOT NULL,
    route                TEXT NOT NULL CHECK (route IN ('his', 'ecm')),
    state                TEXT NOT NULL
        CHECK (state IN ('draft', 'scheduled', 'running', 'paused', 'done', 'cancelled')),
    start_at             TEXT,             -- RFC 3339 UTC: not before this
    cap_day              INTEGER NOT NULL, -- campaign texts per number in 24 h (0: no cap)
    cap_week             INTEGER NOT NULL, -- campaign texts per number in 7 days (0: no cap)
    answers              TEXT,             -- "1=confirm,2=cancel": the replies read as answers
    answer_window_hours  INTEGER NOT NULL DEFAULT 72,
    created_by           TEXT NOT NULL,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL,
    started_at           TEXT,
    finished_at          TEXT
) STRICT;

-- One row per recipient. pending -> queued (its message and outbox row
-- were written in the same transaction: a recipient is queued exactly
-- once) or skipped (with `reason`). What became of a queued text is its
-- message's state. `not_before`: the recipient's quiet hours are closed
-- until then (the runner goes on with the others).
CREATE TABLE campaign_recipients (
    id              INTEGER PRIMARY KEY,
    campaign_id     INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    seq             INTEGER NOT NULL,
    patient_id      INTEGER REFERENCES patients(id) ON DELETE SET NULL,
    ecm_patient_id  INTEGER,
    number          TEXT,
    time_zone       TEXT,
    merge_values    TEXT NOT NULL DEFAULT '{}',  -- the file's extra columns, JSON
    body            TEXT,                        -- the merged text
    state           TEXT NOT NULL CHECK (state IN ('pending', 'queued', 'skipped')),
    reason          TEXT,                        -- why skipped: opted_out, over_cap, ...
    detail          TEXT,
    not_before      TEXT,
    message_id      INTEGER UNIQUE REFERENCES messages(id) ON DELETE SET NULL,
    queued_at       TEXT,
    answer          TEXT,
    answer_message_id INTEGER REFERENCES messages(id) ON DELETE SET NULL,
    answered_at     TEXT,
    UNIQUE (campaign_id, seq)
) STRICT;
CREATE INDEX campaign_recipients_todo ON campaign_recipients(campaign_id, seq) WHERE state = 'pending';
-- Frequency caps and answers: a number's campaign texts, newest last.
CREATE INDEX campaign_recipients_number ON campaign_recipients(number, queued_at) WHERE state = 'queued';
-- The thread shows a reply's answer: found by the reply.
CREATE INDEX campaign_recipients_answer ON campaign_recipients(answer_message_id) WHERE answer_message_id IS NOT NULL;
