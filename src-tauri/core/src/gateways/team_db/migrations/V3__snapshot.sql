-- CareDesk team schema, version 2 (issue 15, a new desk joins from a
-- snapshot). The state tables now hold every field a desk keeps of what the
-- log carries, so a new desk can load them (at a known log position) instead
-- of applying the whole log, and end with what applying it would give:
-- a patient's first `created_at`, a number's `source`, a text's Twilio id,
-- flag, Unmatched-reply mark, the text a Retry sent it as, the hospital SMS
-- server's own times, and a call's Twilio id. The push writes them with the
-- same merge rules a desk applies (engine/team/state_rows.rs).

ALTER TABLE caredesk.patients ADD COLUMN created_at timestamptz;

ALTER TABLE caredesk.patient_numbers
    ADD COLUMN source text NOT NULL DEFAULT 'staff' CHECK (source IN ('import', 'staff', 'link'));

ALTER TABLE caredesk.messages
    ADD COLUMN twilio_sid        text,
    ADD COLUMN flagged           text,
    ADD COLUMN unmatched_reply   boolean NOT NULL DEFAULT false,
    ADD COLUMN retried_as_gid    uuid,
    ADD COLUMN server_created_at text,   -- as the server wrote it (HIS: local time, no zone)
    ADD COLUMN server_updated_at text;

ALTER TABLE caredesk.calls ADD COLUMN twilio_sid text;

-- Rows written by version 1 take the fields from the change about them in
-- the log (what the desks that applied it hold): the first for a patient's
-- created_at, else the newest. Ids compare as text, so an odd body cannot
-- fail the migration.
UPDATE caredesk.patients p
   SET created_at = CASE WHEN c.body->>'created_at' ~ '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$'
                         THEN (c.body->>'created_at')::timestamptz END
  FROM (SELECT DISTINCT ON (body->>'gid') body FROM caredesk.changes
         WHERE kind = 'patient.upsert' ORDER BY body->>'gid', pos) c
 WHERE p.gid::text = c.body->>'gid';

UPDATE caredesk.patient_numbers n SET source = c.body->>'source'
  FROM (SELECT DISTINCT ON (body->>'patient_gid', body->>'number') body FROM caredesk.changes
         WHERE kind = 'number.upsert' ORDER BY body->>'patient_gid', body->>'number', pos DESC) c
 WHERE n.patient_gid::text = c.body->>'patient_gid' AND n.number = c.body->>'number'
   AND c.body->>'source' IN ('import', 'staff', 'link');

UPDATE caredesk.messages m
   SET twilio_sid = c.body->>'twilio_sid', flagged = c.body->>'flagged',
       unmatched_reply = COALESCE(c.body->>'unmatched_reply' = 'true', false),
       retried_as_gid = (SELECT r.gid FROM caredesk.messages r WHERE r.gid::text = c.body->>'retried_as_gid'),
       server_created_at = c.body->>'server_created_at', server_updated_at = c.body->>'server_updated_at'
  FROM (SELECT DISTINCT ON (body->>'gid') body FROM caredesk.changes
         WHERE kind = 'message.upsert' ORDER BY body->>'gid', pos DESC) c
 WHERE m.gid::text = c.body->>'gid';

UPDATE caredesk.calls k SET twilio_sid = c.body->>'twilio_sid'
  FROM (SELECT DISTINCT ON (body->>'gid') body FROM caredesk.changes
         WHERE kind = 'call.upsert' ORDER BY body->>'gid', pos DESC) c
 WHERE k.gid::text = c.body->>'gid';

UPDATE caredesk.team_meta SET schema_version = 3;
