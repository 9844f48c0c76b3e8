-- Search and ingest at a hundred thousand patients (schema version 6).
-- Measured with caredesk-bench on the generated clinic (100,000 patients,
-- 1,000,000 messages); see src-tauri/bench/README.md.

-- Every word of every patient's name, so a name search reads the patients
-- whose name has a word starting with what was typed from an index range
-- instead of testing `name_key LIKE '% x%'` on every patient (a full scan:
-- 160 ms as typed). name_key is kept beside the word so a search of several
-- words checks the whole phrase without reading the patient.
CREATE TABLE patient_words (
    word       TEXT NOT NULL,
    patient_id INTEGER NOT NULL,
    name_key   TEXT NOT NULL,
    PRIMARY KEY (word, patient_id)
) WITHOUT ROWID;
CREATE INDEX patient_words_patient ON patient_words(patient_id);

-- name_key is lower case with single spaces; its words as a JSON array are
-- the quoted key with each space turned into `","` (an escape sequence
-- never holds a space).
CREATE TRIGGER patient_words_insert AFTER INSERT ON patients
BEGIN
    INSERT OR IGNORE INTO patient_words (word, patient_id, name_key)
    SELECT value, NEW.id, NEW.name_key
      FROM json_each('[' || replace(json_quote(NEW.name_key), ' ', '","') || ']') WHERE value <> '';
END;

CREATE TRIGGER patient_words_update AFTER UPDATE OF name_key ON patients
WHEN OLD.name_key IS NOT NEW.name_key
BEGIN
    DELETE FROM patient_words WHERE patient_id = OLD.id;
    INSERT OR IGNORE INTO patient_words (word, patient_id, name_key)
    SELECT value, NEW.id, NEW.name_key
      FROM json_each('[' || replace(json_quote(NEW.name_key), ' ', '","') || ']') WHERE value <> '';
END;

CREATE TRIGGER patient_words_delete AFTER DELETE ON patients
BEGIN
    DELETE FROM patient_words WHERE patient_id = OLD.id;
END;

INSERT OR IGNORE INTO patient_words (word, patient_id, name_key)
SELECT j.value, p.id, p.name_key
  FROM patients p, json_each('[' || replace(json_quote(p.name_key), ' ', '","') || ']') j
 WHERE j.value <> '';

-- A phone-digit search reads patient ids straight from the index (it read
-- each contact point's row before).
DROP INDEX contact_points_digits;
DROP INDEX contact_points_national;
CREATE INDEX contact_points_digits ON contact_points(digits, patient_id);
CREATE INDEX contact_points_national ON contact_points(national, patient_id);

-- The unread total sums only the threads with something unread (a few
-- hundred entries instead of every patient's).
DROP INDEX patient_activity_unread;
CREATE INDEX patient_activity_unread ON patient_activity(unread) WHERE unread > 0;

-- No query reads messages by sender alone: the Unmatched inbox has its own
-- partial index (messages_unmatched) and a patient's texts are read through
-- messages_thread. Each stored message paid a write at a random place of
-- this index; ingest is bounded by such writes.
DROP INDEX messages_from;
