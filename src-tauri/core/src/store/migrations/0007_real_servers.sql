-- Real servers (schema version 7): ExternalKeys a 32-bit server can keep,
-- paused routes, unreadable server messages kept for a retry, and what
-- CareDesk knows of the hospital SMS server's clock.

-- The ExternalKey sequence of this data directory: every key in
-- 1..2147483647 (a server may keep it as a 32-bit integer, System.Int32),
-- each given once, never reused. One row; `next` is the next key. It starts
-- at a random point of the lower half, so two desks sending through one
-- server do not count through the same keys.
CREATE TABLE external_keys (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    next INTEGER NOT NULL CHECK (next >= 1)
);
INSERT INTO external_keys (id, next) VALUES (1, abs(random() % 1073741824) + 1);

-- Messages queued by an older CareDesk with a key above 2^31-1 and never
-- tried take new keys (rows that may have reached a server keep theirs: the
-- check before a retry looks for the key they were sent with).
CREATE TEMP TABLE rekey AS
    SELECT m.id AS message_id, row_number() OVER (ORDER BY m.id) AS n
      FROM messages m JOIN outbox o ON o.message_id = m.id
     WHERE o.state = 'pending' AND o.ambiguous_since IS NULL AND m.external_key IS NOT NULL
       AND CAST(m.external_key AS INTEGER) > 2147483647;
UPDATE messages
   SET external_key = CAST((SELECT next FROM external_keys) + (SELECT n FROM rekey WHERE message_id = messages.id) - 1 AS TEXT)
 WHERE id IN (SELECT message_id FROM rekey);
UPDATE external_keys SET next = next + (SELECT count(*) FROM rekey);
DROP TABLE rekey;

-- A route whose server refused CareDesk's credentials (HTTP 401/403, an
-- Azure AD error about the client or its secret): its messages wait in the
-- outbox instead of failing. Cleared when the secret or a setting of the
-- route changes, or when a probe (one message, every few minutes) goes out.
CREATE TABLE route_pauses (
    route      TEXT PRIMARY KEY,            -- his, ecm
    code       TEXT NOT NULL,               -- his_unauthorized, his_azure_auth, ecm_unauthorized
    reason     TEXT NOT NULL,               -- in words, redacted
    since      TEXT NOT NULL,               -- RFC 3339 UTC
    next_probe TEXT NOT NULL                -- when one waiting message is tried again
);

-- Messages of a Get SMS page CareDesk could not read: skipped, reported in
-- the sync status, and read again (from `raw`) at every poll until they can
-- be, or until the server sends a readable copy.
CREATE TABLE his_unreadable (
    kind       TEXT NOT NULL,               -- Incoming, Outgoing
    his_id     TEXT NOT NULL,               -- the Id as written, or 'raw:<hash>' without one
    reason     TEXT NOT NULL,               -- no value from the message
    raw        TEXT NOT NULL,               -- the message's JSON as received
    first_seen TEXT NOT NULL,
    last_seen  TEXT NOT NULL,
    seen       INTEGER NOT NULL DEFAULT 1,  -- pages it was in
    PRIMARY KEY (kind, his_id)
);

-- What CareDesk knows of a server's clock, learnt from its answers.
CREATE TABLE server_clocks (
    name           TEXT PRIMARY KEY,        -- his
    skew_ms        INTEGER,                 -- its Date header minus this desk's clock
    list_offset    INTEGER,                 -- seconds east of UTC of the zone-less times in its lists
    list_source    TEXT,                    -- list (matched to CareDesk's sends), incoming (fresh replies), answer (send answers)
    answer_offset  INTEGER,                 -- seconds east of UTC of its send answers' CreatedAt
    updated_at     TEXT NOT NULL
);
