-- The audit log becomes tamper-evident and says who did what from where.
-- Every entry records the OS user and the data directory's instance id
-- beside the editable actor name, and carries an HMAC chaining it to the
-- entry before (key in the OS keyring, see store/audit_chain.rs). Entries
-- written before this migration are chained once, at the first open with the
-- key: those up to `legacy_through`, never any added later.
ALTER TABLE audit_log ADD COLUMN os_user TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_log ADD COLUMN profile TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_log ADD COLUMN mac BLOB;

-- The chain's head: the last entry's id and MAC, under a MAC of their own,
-- so removing entries from the end shows too. One row.
CREATE TABLE audit_chain (
    id             INTEGER PRIMARY KEY CHECK (id = 1),
    legacy_through INTEGER NOT NULL,
    key_check      BLOB,
    last_id        INTEGER,
    mac            BLOB
) STRICT;
INSERT INTO audit_chain (id, legacy_through) VALUES (1, COALESCE((SELECT max(id) FROM audit_log), 0));
CREATE TRIGGER audit_chain_no_delete BEFORE DELETE ON audit_chain
BEGIN SELECT RAISE(ABORT, 'the audit chain head cannot be removed'); END;

-- Still append-only; the one update allowed gives an entry written before
-- the chain its MAC, once, and changes nothing else.
DROP TRIGGER audit_log_no_update;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
WHEN NOT (OLD.mac IS NULL AND NEW.mac IS NOT NULL AND NEW.id = OLD.id AND NEW.at IS OLD.at
          AND NEW.actor IS OLD.actor AND NEW.action IS OLD.action AND NEW.patient_id IS OLD.patient_id
          AND NEW.detail IS OLD.detail AND NEW.os_user IS OLD.os_user AND NEW.profile IS OLD.profile)
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
