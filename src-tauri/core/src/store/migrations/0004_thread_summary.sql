-- One summary row per patient with messages or calls: the newest item and the
-- unread count, kept by triggers on every write path (inbox, outbox, calls,
-- marking read, linking a number), so the patient column sorts by latest
-- activity and shows unread badges without scanning the messages.

CREATE TABLE patient_activity (
    patient_id     INTEGER PRIMARY KEY REFERENCES patients(id) ON DELETE CASCADE,
    last_at        TEXT NOT NULL,     -- created_at of the newest message or call (RFC 3339 UTC)
    last_kind      TEXT NOT NULL CHECK (last_kind IN ('sms', 'call')),
    last_id        INTEGER NOT NULL,  -- messages.id or calls.id
    last_direction TEXT NOT NULL,
    last_preview   TEXT NOT NULL,     -- the start of the text, or "Call: <status>"
    unread         INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX patient_activity_recent ON patient_activity(last_at DESC, patient_id DESC);

-- A new message: it is the newest item unless an older-dated one arrived late.
CREATE TRIGGER patient_activity_message_insert AFTER INSERT ON messages WHEN NEW.patient_id IS NOT NULL
BEGIN
    INSERT INTO patient_activity (patient_id, last_at, last_kind, last_id, last_direction, last_preview, unread)
    VALUES (NEW.patient_id, NEW.created_at, 'sms', NEW.id, NEW.direction, substr(NEW.body, 1, 200),
            NEW.direction = 'inbound' AND NEW.read_at IS NULL)
    ON CONFLICT(patient_id) DO UPDATE SET
        unread         = unread + excluded.unread,
        last_kind      = iif(excluded.last_at >= last_at, excluded.last_kind, last_kind),
        last_id        = iif(excluded.last_at >= last_at, excluded.last_id, last_id),
        last_direction = iif(excluded.last_at >= last_at, excluded.last_direction, last_direction),
        last_preview   = iif(excluded.last_at >= last_at, excluded.last_preview, last_preview),
        last_at        = iif(excluded.last_at >= last_at, excluded.last_at, last_at);
END;

-- Read or unread again.
CREATE TRIGGER patient_activity_message_read AFTER UPDATE OF read_at ON messages
WHEN NEW.patient_id IS NOT NULL AND OLD.patient_id IS NEW.patient_id AND NEW.direction = 'inbound'
     AND (OLD.read_at IS NULL) <> (NEW.read_at IS NULL)
BEGIN
    UPDATE patient_activity SET unread = unread + iif(NEW.read_at IS NULL, 1, -1) WHERE patient_id = NEW.patient_id;
END;

-- A message moved between threads (staff linked an unknown number): rebuild
-- the summary of both patients.
CREATE TRIGGER patient_activity_message_moved AFTER UPDATE OF patient_id ON messages
WHEN OLD.patient_id IS NOT NEW.patient_id
BEGIN
    DELETE FROM patient_activity WHERE patient_id IN (OLD.patient_id, NEW.patient_id);
    INSERT INTO patient_activity (patient_id, last_at, last_kind, last_id, last_direction, last_preview, unread)
    SELECT i.patient_id, i.at, i.kind, i.id, i.direction, i.preview,
           (SELECT count(*) FROM messages m
             WHERE m.patient_id = i.patient_id AND m.read_at IS NULL AND m.direction = 'inbound')
      FROM (SELECT patient_id, at, kind, id, direction, preview,
                   ROW_NUMBER() OVER (PARTITION BY patient_id ORDER BY at DESC, is_call DESC, id DESC) AS rn
              FROM (SELECT patient_id, created_at AS at, 'sms' AS kind, id, direction,
                           substr(body, 1, 200) AS preview, 0 AS is_call
                      FROM messages WHERE patient_id IN (OLD.patient_id, NEW.patient_id)
                    UNION ALL
                    SELECT patient_id, created_at, 'call', id, direction, 'Call: ' || status, 1
                      FROM calls WHERE patient_id IN (OLD.patient_id, NEW.patient_id))) i
     WHERE i.rn = 1 AND i.patient_id IN (SELECT id FROM patients);
END;

CREATE TRIGGER patient_activity_call_insert AFTER INSERT ON calls WHEN NEW.patient_id IS NOT NULL
BEGIN
    INSERT INTO patient_activity (patient_id, last_at, last_kind, last_id, last_direction, last_preview, unread)
    VALUES (NEW.patient_id, NEW.created_at, 'call', NEW.id, NEW.direction, 'Call: ' || NEW.status, 0)
    ON CONFLICT(patient_id) DO UPDATE SET
        last_kind      = iif(excluded.last_at >= last_at, excluded.last_kind, last_kind),
        last_id        = iif(excluded.last_at >= last_at, excluded.last_id, last_id),
        last_direction = iif(excluded.last_at >= last_at, excluded.last_direction, last_direction),
        last_preview   = iif(excluded.last_at >= last_at, excluded.last_preview, last_preview),
        last_at        = iif(excluded.last_at >= last_at, excluded.last_at, last_at);
END;

CREATE TRIGGER patient_activity_call_status AFTER UPDATE OF status ON calls WHEN NEW.patient_id IS NOT NULL
BEGIN
    UPDATE patient_activity SET last_preview = 'Call: ' || NEW.status
     WHERE patient_id = NEW.patient_id AND last_kind = 'call' AND last_id = NEW.id;
END;

-- What is already stored.
INSERT INTO patient_activity (patient_id, last_at, last_kind, last_id, last_direction, last_preview, unread)
SELECT i.patient_id, i.at, i.kind, i.id, i.direction, i.preview,
       (SELECT count(*) FROM messages m WHERE m.patient_id = i.patient_id AND m.read_at IS NULL AND m.direction = 'inbound')
  FROM (SELECT patient_id, at, kind, id, direction, preview,
               ROW_NUMBER() OVER (PARTITION BY patient_id ORDER BY at DESC, is_call DESC, id DESC) AS rn
          FROM (SELECT patient_id, created_at AS at, 'sms' AS kind, id, direction, substr(body, 1, 200) AS preview,
                       0 AS is_call FROM messages WHERE patient_id IS NOT NULL
                UNION ALL
                SELECT patient_id, created_at, 'call', id, direction, 'Call: ' || status, 1
                  FROM calls WHERE patient_id IS NOT NULL)) i
 WHERE i.rn = 1 AND i.patient_id IN (SELECT id FROM patients);
