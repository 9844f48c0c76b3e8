-- Undo send and Retry (schema version 11).

-- A text the coordinator may still take back: the worker claims it only
-- once this time has passed (`sms.undo_seconds` after Send). NULL: no hold.
-- Kept in the database, so the hold survives closing the app; a hold that
-- passed while the app was closed lets it go at the next start, once.
ALTER TABLE outbox ADD COLUMN hold_until TEXT;       -- RFC 3339 UTC

-- A failed text sent again with Retry: the message that carries it. The
-- failed one stays in the thread, marked, and cannot be retried twice.
ALTER TABLE messages ADD COLUMN retried_as INTEGER REFERENCES messages(id);

-- An undone text is deleted (it never left CareDesk; the audit log keeps
-- that it was queued and undone): the thread's summary is rebuilt without it.
CREATE TRIGGER patient_activity_message_delete AFTER DELETE ON messages WHEN OLD.patient_id IS NOT NULL
BEGIN
    DELETE FROM patient_activity WHERE patient_id = OLD.patient_id;
    INSERT INTO patient_activity (patient_id, last_at, last_kind, last_id, last_direction, last_preview, unread)
    SELECT i.patient_id, i.at, i.kind, i.id, i.direction, i.preview,
           (SELECT count(*) FROM messages m
             WHERE m.patient_id = i.patient_id AND m.read_at IS NULL AND m.direction = 'inbound')
      FROM (SELECT patient_id, at, kind, id, direction, preview,
                   ROW_NUMBER() OVER (PARTITION BY patient_id ORDER BY at DESC, is_call DESC, id DESC) AS rn
              FROM (SELECT patient_id, created_at AS at, 'sms' AS kind, id, direction,
                           substr(body, 1, 200) AS preview, 0 AS is_call
                      FROM messages WHERE patient_id = OLD.patient_id
                    UNION ALL
                    SELECT patient_id, created_at, 'call', id, direction, 'Call: ' || status, 1
                      FROM calls WHERE patient_id = OLD.patient_id)) i
     WHERE i.rn = 1 AND i.patient_id IN (SELECT id FROM patients);
END;
