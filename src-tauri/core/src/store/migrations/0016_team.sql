-- Team mode, the local side (issue 15, part 2; schema version 13). A desk in
-- team mode shares its changes with the team's PostgreSQL through a local
-- outbox and applies the team's change log to this database. A desk alone
-- (team.database_url unset) writes nothing here: every trigger below is
-- guarded by the `joined` row of team_state, which only team mode writes.

-- Global ids: every shared fact has one (a UUID), so desks agree on what a
-- row is; local integer ids stay local. Given when the desk joins a team
-- (store/team/join.rs) and to every new row from then on (the triggers
-- below). A desk alone leaves them NULL, and the partial indexes hold no
-- entry for it, so a desk alone pays nothing for them.
ALTER TABLE patients ADD COLUMN gid TEXT;
CREATE UNIQUE INDEX patients_gid ON patients(gid) WHERE gid IS NOT NULL;
ALTER TABLE messages ADD COLUMN gid TEXT;
CREATE UNIQUE INDEX messages_gid ON messages(gid) WHERE gid IS NOT NULL;
ALTER TABLE calls ADD COLUMN gid TEXT;
CREATE UNIQUE INDEX calls_gid ON calls(gid) WHERE gid IS NOT NULL;

-- Who sent a text or placed a call, as the team knows them: sent_by (added
-- in 0012) holds the member's display name, these the member's role.
ALTER TABLE messages ADD COLUMN sent_by_role TEXT;
ALTER TABLE calls ADD COLUMN placed_by_role TEXT;

-- Team mode's own state, one value per key: `joined` (when this desk joined
-- the team; its presence switches the triggers on), `role` (this member's
-- PostgreSQL role), `applied` (the last change log position applied here),
-- `head`, `link`, `link_since`, `last_error` (the sync's last word, for
-- `caredesk team status` and the status bar), and `applying`, present only
-- inside the transaction that applies pulled changes (the triggers stay
-- quiet: a pulled change is not this desk's to push again).
CREATE TABLE team_state (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

-- The team's members as last read from PostgreSQL: role and display name
-- ("sent by Ana Ruiz" while the database is out of reach).
CREATE TABLE team_members (
    role         TEXT PRIMARY KEY,
    display_name TEXT NOT NULL
) STRICT;

-- This desk's changes waiting to be pushed, in order. `seq` is the change's
-- number in this desk's log (desk_seq in PostgreSQL): AUTOINCREMENT, so a
-- number is never given twice even after the rows before it were pushed and
-- deleted. `entity` names what the change is about (`message:<gid>`,
-- `thread:<patient gid>` ...): a pulled change about an entity with a
-- change still waiting here is not applied, since this desk's change comes
-- later in the log and wins on every desk.
CREATE TABLE team_outbox (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    kind       TEXT NOT NULL,
    entity     TEXT NOT NULL,
    body       TEXT NOT NULL,               -- JSON
    created_at TEXT NOT NULL
);
CREATE INDEX team_outbox_entity ON team_outbox(entity);

-- A thread's assignment and open/closed status, as the team decided it
-- (PostgreSQL decides; `version` is its count of changes to the thread), or
-- as this desk asked while its change waits to be pushed.
CREATE TABLE team_threads (
    patient_id  INTEGER PRIMARY KEY REFERENCES patients(id) ON DELETE CASCADE,
    assigned_to TEXT,                        -- a member's role; NULL: unassigned
    status      TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    version     INTEGER NOT NULL DEFAULT 0,
    updated_at  TEXT NOT NULL
) STRICT;

-- Internal notes in a patient's thread: never sent to the patient.
CREATE TABLE notes (
    id          INTEGER PRIMARY KEY,
    gid         TEXT NOT NULL UNIQUE,
    patient_id  INTEGER NOT NULL REFERENCES patients(id) ON DELETE CASCADE,
    author_role TEXT NOT NULL,
    author_name TEXT NOT NULL,
    text        TEXT NOT NULL,
    at          TEXT NOT NULL                -- RFC 3339 UTC, the author's desk's clock
) STRICT;
CREATE INDEX notes_thread ON notes(patient_id, at);

-- What each member has read, per thread: the newest message time they
-- read up to. This member's own reads are also the messages' read_at.
CREATE TABLE member_reads (
    role       TEXT NOT NULL,
    patient_id INTEGER NOT NULL REFERENCES patients(id) ON DELETE CASCADE,
    read_up_to TEXT NOT NULL,
    PRIMARY KEY (role, patient_id)
) STRICT;

-- A new random gid (UUID version 4), each time it is read.
CREATE VIEW team_new_gid AS
SELECT lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-'
             || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || '-'
             || hex(randomblob(6))) AS gid;

-- Change bodies (JSON), one view per kind, read by the triggers and by the
-- snapshot a desk pushes when it joins. store/team/kinds.rs reads them.
CREATE VIEW team_patient_body AS
SELECT id, gid,
       json_object('gid', gid, 'name', name, 'ecm_patient_id', ecm_patient_id, 'fhir_id', fhir_id,
                   'created_at', created_at) AS body
  FROM patients;

CREATE VIEW team_number_body AS
SELECT c.id, c.patient_id, c.rank, p.gid AS patient_gid, c.number,
       json_object('patient_gid', p.gid, 'number', c.number, 'kind', c.kind, 'name', c.name,
                   'relationship', c.relationship, 'rank', c.rank,
                   'active', json(CASE WHEN c.active THEN 'true' ELSE 'false' END), 'source', c.source) AS body
  FROM contact_points c JOIN patients p ON p.id = c.patient_id;

CREATE VIEW team_consent_body AS
SELECT s.number,
       json_object('number', s.number, 'state', s.state, 'source', s.source, 'source_message_gid', m.gid,
                   'updated_at', s.updated_at) AS body
  FROM sms_consent s LEFT JOIN messages m ON m.id = s.source_message_id;

CREATE VIEW team_message_body AS
SELECT m.id, m.gid,
       json_object('gid', m.gid, 'patient_gid', p.gid, 'direction', m.direction, 'route', m.route,
                   'from', m.from_number, 'to', m.to_number, 'intended_to', m.intended_to, 'body', m.body,
                   'state', m.state, 'server_state', m.server_state, 'error_code', m.error_code,
                   'error_message', m.error_message, 'his_id', m.his_id, 'ecm_sms_id', m.ecm_sms_id,
                   'twilio_sid', m.twilio_sid, 'external_key', m.external_key, 'reply_to_his_id', m.reply_to_his_id,
                   'is_test', json(CASE WHEN m.is_test THEN 'true' ELSE 'false' END), 'flagged', m.flagged,
                   'unmatched_reply', json(CASE WHEN m.unmatched_reply THEN 'true' ELSE 'false' END),
                   'sent_by', m.sent_by, 'sent_by_role', m.sent_by_role, 'retried_as_gid', r.gid,
                   'created_at', m.created_at, 'server_created_at', m.server_created_at,
                   'server_updated_at', m.server_updated_at) AS body
  FROM messages m
  LEFT JOIN patients p ON p.id = m.patient_id
  LEFT JOIN messages r ON r.id = m.retried_as;

CREATE VIEW team_call_body AS
SELECT c.id, c.gid,
       json_object('gid', c.gid, 'patient_gid', p.gid, 'direction', c.direction, 'to', c.to_number,
                   'from', c.from_number, 'status', c.status, 'ecm_call_id', c.ecm_call_id,
                   'twilio_sid', c.twilio_sid, 'error_message', c.error_message, 'placed_by', c.placed_by,
                   'placed_by_role', c.placed_by_role, 'created_at', c.created_at) AS body
  FROM calls c LEFT JOIN patients p ON p.id = c.patient_id;

-- Recording local changes: each trigger writes the change's team_outbox
-- row in the transaction of the change itself, and only in team mode
-- (`joined`) outside the application of pulled changes (`applying`).

-- Patients. A patient with an ECM id gets a gid derived from it, so desks
-- that imported the same roster agree on its patients; others a random one.
CREATE TRIGGER team_patient_insert AFTER INSERT ON patients
WHEN EXISTS (SELECT 1 FROM team_state WHERE key = 'joined')
 AND NOT EXISTS (SELECT 1 FROM team_state WHERE key = 'applying')
BEGIN
    UPDATE patients SET gid = CASE
            WHEN NEW.ecm_patient_id BETWEEN 1 AND 281474976710655
             AND NOT EXISTS (SELECT 1 FROM patients
                              WHERE gid = printf('00000000-0000-8000-8001-%012x', NEW.ecm_patient_id))
            THEN printf('00000000-0000-8000-8001-%012x', NEW.ecm_patient_id)
            ELSE (SELECT gid FROM team_new_gid) END
     WHERE id = NEW.id AND gid IS NULL;
    INSERT INTO team_outbox (kind, entity, body, created_at)
    SELECT 'patient.upsert', 'patient:' || gid, body, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
      FROM team_patient_body WHERE id = NEW.id;
END;

CREATE TRIGGER team_patient_update AFTER UPDATE OF name, ecm_patient_id, fhir_id ON patients
WHEN EXISTS (SELECT 1 FROM team_state WHERE key = 'joined')
 AND NOT EXISTS (SELECT 1 FROM team_state WHERE key = 'applying')
 AND NEW.gid IS NOT NULL
 AND (OLD.name IS NOT NEW.name OR OLD.ecm_patient_id IS NOT NEW.ecm_patient_id OR OLD.fhir_id IS NOT NEW.fhir_id)
BEGIN
    INSERT INTO team_outbox (kind, entity, body, created_at)
    SELECT 'patient.upsert', 'patient:' || gid, body, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
      FROM team_patient_body WHERE id = NEW.id;
END;

-- A patient's numbers (their own and their contacts'), keyed by the
-- patient's gid and the number.
CREATE TRIGGER team_number_insert AFTER INSERT ON contact_points
WHEN EXISTS (SELECT 1 FROM team_state WHERE key = 'joined')
 AND NOT EXISTS (SELECT 1 FROM team_state WHERE key = 'applying')
BEGIN
    INSERT INTO team_outbox (kind, entity, body, created_at)
    SELECT 'number.upsert', 'number:' || patient_gid || ':' || number, body, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
      FROM team_number_body WHERE id = NEW.id AND patient_gid IS NOT NULL;
END;

CREATE TRIGGER team_number_update AFTER UPDATE OF kind, name, relationship, rank, active, source ON contact_points
WHEN EXISTS (SELECT 1 FROM team_state WHERE key = 'joined')
 AND NOT EXISTS (SELECT 1 FROM team_state WHERE key = 'applying')
 AND (OLD.kind IS NOT NEW.kind OR OLD.name IS NOT NEW.name OR OLD.relationship IS NOT NEW.relationship
      OR OLD.rank IS NOT NEW.rank OR OLD.active IS NOT NEW.active OR OLD.source IS NOT NEW.source)
BEGIN
    INSERT INTO team_outbox (kind, entity, body, created_at)
    SELECT 'number.upsert', 'number:' || patient_gid || ':' || number, body, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
      FROM team_number_body WHERE id = NEW.id AND patient_gid IS NOT NULL;
END;

-- SMS consent, a fact about a number.
CREATE TRIGGER team_consent_insert AFTER INSERT ON sms_consent
WHEN EXISTS (SELECT 1 FROM team_state WHERE key = 'joined')
 AND NOT EXISTS (SELECT 1 FROM team_state WHERE key = 'applying')
BEGIN
    INSERT INTO team_outbox (kind, entity, body, created_at)
    SELECT 'consent.set', 'consent:' || number, body, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
      FROM team_consent_body WHERE number = NEW.number;
END;

CREATE TRIGGER team_consent_update AFTER UPDATE OF state ON sms_consent
WHEN EXISTS (SELECT 1 FROM team_state WHERE key = 'joined')
 AND NOT EXISTS (SELECT 1 FROM team_state WHERE key = 'applying')
 AND OLD.state IS NOT NEW.state
BEGIN
    INSERT INTO team_outbox (kind, entity, body, created_at)
    SELECT 'consent.set', 'consent:' || number, body, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
      FROM team_consent_body WHERE number = NEW.number;
END;

-- Texts, both ways. A reply's gid is derived from the hospital SMS server's
-- Id, so desks that each stored the same reply agree on it.
CREATE TRIGGER team_message_insert AFTER INSERT ON messages
WHEN EXISTS (SELECT 1 FROM team_state WHERE key = 'joined')
 AND NOT EXISTS (SELECT 1 FROM team_state WHERE key = 'applying')
BEGIN
    UPDATE messages SET gid = CASE
            WHEN NEW.direction = 'inbound' AND NEW.his_id BETWEEN 1 AND 281474976710655
            THEN printf('00000000-0000-8000-8000-%012x', NEW.his_id)
            ELSE (SELECT gid FROM team_new_gid) END
     WHERE id = NEW.id AND gid IS NULL;
    INSERT INTO team_outbox (kind, entity, body, created_at)
    SELECT 'message.upsert', 'message:' || gid, body, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
      FROM team_message_body WHERE id = NEW.id;
END;

CREATE TRIGGER team_message_update
AFTER UPDATE OF patient_id, state, server_state, error_code, error_message, his_id, ecm_sms_id, twilio_sid,
                from_number, flagged, retried_as, sent_by ON messages
WHEN EXISTS (SELECT 1 FROM team_state WHERE key = 'joined')
 AND NOT EXISTS (SELECT 1 FROM team_state WHERE key = 'applying')
 AND NEW.gid IS NOT NULL
 AND (OLD.patient_id IS NOT NEW.patient_id OR OLD.state IS NOT NEW.state OR OLD.server_state IS NOT NEW.server_state
      OR OLD.error_code IS NOT NEW.error_code OR OLD.error_message IS NOT NEW.error_message
      OR OLD.his_id IS NOT NEW.his_id OR OLD.ecm_sms_id IS NOT NEW.ecm_sms_id OR OLD.twilio_sid IS NOT NEW.twilio_sid
      OR OLD.from_number IS NOT NEW.from_number OR OLD.flagged IS NOT NEW.flagged
      OR OLD.retried_as IS NOT NEW.retried_as OR OLD.sent_by IS NOT NEW.sent_by)
BEGIN
    INSERT INTO team_outbox (kind, entity, body, created_at)
    SELECT 'message.upsert', 'message:' || gid, body, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
      FROM team_message_body WHERE id = NEW.id;
END;

-- Undo send deletes a text that never left: the team deletes it too.
CREATE TRIGGER team_message_delete AFTER DELETE ON messages
WHEN EXISTS (SELECT 1 FROM team_state WHERE key = 'joined')
 AND NOT EXISTS (SELECT 1 FROM team_state WHERE key = 'applying')
 AND OLD.gid IS NOT NULL
BEGIN
    INSERT INTO team_outbox (kind, entity, body, created_at)
    VALUES ('message.delete', 'message:' || OLD.gid, json_object('gid', OLD.gid),
            strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
END;

-- Calls.
CREATE TRIGGER team_call_insert AFTER INSERT ON calls
WHEN EXISTS (SELECT 1 FROM team_state WHERE key = 'joined')
 AND NOT EXISTS (SELECT 1 FROM team_state WHERE key = 'applying')
BEGIN
    UPDATE calls SET gid = (SELECT gid FROM team_new_gid) WHERE id = NEW.id AND gid IS NULL;
    INSERT INTO team_outbox (kind, entity, body, created_at)
    SELECT 'call.upsert', 'call:' || gid, body, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
      FROM team_call_body WHERE id = NEW.id;
END;

CREATE TRIGGER team_call_update
AFTER UPDATE OF patient_id, status, ecm_call_id, twilio_sid, from_number, error_message, placed_by ON calls
WHEN EXISTS (SELECT 1 FROM team_state WHERE key = 'joined')
 AND NOT EXISTS (SELECT 1 FROM team_state WHERE key = 'applying')
 AND NEW.gid IS NOT NULL
 AND (OLD.patient_id IS NOT NEW.patient_id OR OLD.status IS NOT NEW.status OR OLD.ecm_call_id IS NOT NEW.ecm_call_id
      OR OLD.twilio_sid IS NOT NEW.twilio_sid OR OLD.from_number IS NOT NEW.from_number
      OR OLD.error_message IS NOT NEW.error_message OR OLD.placed_by IS NOT NEW.placed_by)
BEGIN
    INSERT INTO team_outbox (kind, entity, body, created_at)
    SELECT 'call.upsert', 'call:' || gid, body, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
      FROM team_call_body WHERE id = NEW.id;
END;
