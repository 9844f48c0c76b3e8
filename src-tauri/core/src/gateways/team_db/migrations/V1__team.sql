-- CareDesk team schema, version 1 (issue 15). Run by `caredesk team init` as
-- an administrator role, in one transaction with refinery's history row.
-- Never edit a migration once shipped: add V2__....sql, and bump
-- caredesk.team_meta.schema_version and SCHEMA_VERSION in gateways/team_db.
--
-- Members (the group role caredesk_member) read and write the team's data
-- but cannot change the schema: the tables belong to the administrator,
-- members get no CREATE on the schema and only the DML each table needs.

-- The group role (roles are cluster-wide: one CareDesk team per PostgreSQL
-- cluster, see the README's "Team mode").
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'caredesk_member') THEN
        CREATE ROLE caredesk_member NOLOGIN;
    END IF;
END
$$;

-- Only members (and the administrator) connect to the team's database.
DO $$
BEGIN
    EXECUTE format('REVOKE CONNECT, TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO caredesk_member', current_database());
END
$$;

-- `team init` creates the schema before refinery's history table; this
-- keeps the migration whole on its own.
CREATE SCHEMA IF NOT EXISTS caredesk;
REVOKE ALL ON SCHEMA caredesk FROM PUBLIC;
GRANT USAGE ON SCHEMA caredesk TO caredesk_member;

-- The rows a member writes name the member: PostgreSQL's own role, never a
-- value the desk sends.
CREATE FUNCTION caredesk.stamp_actor() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.actor := current_user;
    RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION caredesk.stamp_actor() FROM PUBLIC;

-- Which schema version this is: a desk refuses a newer one.
CREATE TABLE caredesk.team_meta (
    only_row       boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    schema_version integer NOT NULL CHECK (schema_version >= 1),
    created_at     timestamptz NOT NULL DEFAULT now()
);
INSERT INTO caredesk.team_meta (schema_version) VALUES (1);

-- The team's members: a PostgreSQL role and the name desks show ("sent by").
CREATE TABLE caredesk.members (
    role         name PRIMARY KEY,
    display_name text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
    added_at     timestamptz NOT NULL DEFAULT now()
);

-- The change log. A transaction that appends takes its positions as its
-- last statement (UPDATE log_head ... RETURNING pos): the row stays locked
-- until it ends, so positions are handed out in commit order, with no gap,
-- and a reader that has seen position N has seen every position below it.
CREATE TABLE caredesk.log_head (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    pos      bigint NOT NULL CHECK (pos >= 0)
);
INSERT INTO caredesk.log_head (pos) VALUES (0);

CREATE TABLE caredesk.changes (
    pos      bigint PRIMARY KEY CHECK (pos >= 1),
    desk_id  uuid NOT NULL,
    desk_seq bigint NOT NULL CHECK (desk_seq >= 0),
    actor    name NOT NULL DEFAULT current_user,
    kind     text NOT NULL CHECK (length(kind) BETWEEN 1 AND 100),
    body     jsonb NOT NULL,
    at       timestamptz NOT NULL DEFAULT now(),
    -- A change pushed twice is one change.
    UNIQUE (desk_id, desk_seq)
);
CREATE TRIGGER changes_actor BEFORE INSERT ON caredesk.changes
    FOR EACH ROW EXECUTE FUNCTION caredesk.stamp_actor();

-- The state the log mirrors, so a new desk can load a snapshot and then
-- follow the log from its position. Every shared fact has a gid (UUID).
CREATE TABLE caredesk.patients (
    gid            uuid PRIMARY KEY,
    name           text NOT NULL,
    ecm_patient_id bigint UNIQUE,
    fhir_id        text UNIQUE,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    updated_by     name NOT NULL DEFAULT current_user
);

-- A patient's numbers: their own and their contacts' (a son, a caregiver).
CREATE TABLE caredesk.patient_numbers (
    patient_gid  uuid NOT NULL REFERENCES caredesk.patients (gid) ON DELETE CASCADE,
    number       text NOT NULL,              -- E.164
    kind         text NOT NULL CHECK (kind IN ('patient', 'contact')),
    name         text,
    relationship text,
    rank         integer NOT NULL DEFAULT 0, -- 0 = preferred
    active       boolean NOT NULL DEFAULT true,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (patient_gid, number)
);
CREATE INDEX patient_numbers_number ON caredesk.patient_numbers (number);

-- Every SMS, both ways: who sent it (a member's display name and role),
-- its states, and the hospital SMS server's id, once.
CREATE TABLE caredesk.messages (
    gid             uuid PRIMARY KEY,
    patient_gid     uuid REFERENCES caredesk.patients (gid) ON DELETE SET NULL,
    direction       text NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    route           text NOT NULL CHECK (route IN ('his', 'ecm')),
    from_number     text NOT NULL,
    to_number       text NOT NULL,
    intended_to     text,
    body            text NOT NULL,
    state           text NOT NULL,
    server_state    text,
    error_code      text,
    error_message   text,
    his_id          bigint UNIQUE,
    ecm_sms_id      bigint UNIQUE,
    external_key    text UNIQUE,
    reply_to_his_id bigint,
    is_test         boolean NOT NULL DEFAULT false,
    sent_by         text,                    -- the member's display name
    sent_by_role    name,                    -- the member's role
    desk_id         uuid,                    -- the desk that sent it
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX messages_thread ON caredesk.messages (patient_gid, created_at);
CREATE INDEX messages_to ON caredesk.messages (to_number, created_at);

CREATE TABLE caredesk.calls (
    gid           uuid PRIMARY KEY,
    patient_gid   uuid REFERENCES caredesk.patients (gid) ON DELETE SET NULL,
    direction     text NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    to_number     text NOT NULL,
    from_number   text,
    status        text NOT NULL,
    ecm_call_id   bigint UNIQUE,
    error_message text,
    placed_by     text,
    placed_by_role name,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX calls_thread ON caredesk.calls (patient_gid, created_at);

-- SMS consent is a fact about a number.
CREATE TABLE caredesk.consent (
    number             text PRIMARY KEY,     -- E.164
    state              text NOT NULL CHECK (state IN ('opted_in', 'opted_out')),
    source             text NOT NULL,
    source_message_gid uuid,
    updated_at         timestamptz NOT NULL DEFAULT now(),
    updated_by         name NOT NULL DEFAULT current_user
);

-- One thread per patient: who it is assigned to, open or closed. version
-- grows with every change, so two members assigning at once are told apart.
CREATE TABLE caredesk.threads (
    patient_gid uuid PRIMARY KEY REFERENCES caredesk.patients (gid) ON DELETE CASCADE,
    assigned_to name REFERENCES caredesk.members (role) ON DELETE SET NULL,
    status      text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    version     bigint NOT NULL DEFAULT 1,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  name NOT NULL DEFAULT current_user
);

-- Internal notes in a thread: never sent to the patient.
CREATE TABLE caredesk.notes (
    gid         uuid PRIMARY KEY,
    patient_gid uuid NOT NULL REFERENCES caredesk.patients (gid) ON DELETE CASCADE,
    author      name NOT NULL DEFAULT current_user,
    text        text NOT NULL CHECK (length(text) BETWEEN 1 AND 10000),
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notes_thread ON caredesk.notes (patient_gid, at);

-- What each member has read, per thread.
CREATE TABLE caredesk.read_state (
    role             name NOT NULL REFERENCES caredesk.members (role) ON DELETE CASCADE,
    patient_gid      uuid NOT NULL REFERENCES caredesk.patients (gid) ON DELETE CASCADE,
    read_up_to       timestamptz NOT NULL,
    last_message_gid uuid,
    PRIMARY KEY (role, patient_gid)
);

-- Where the clinic's one poller resumes the hospital SMS server's inbox;
-- it moves in the same transaction as the page's messages.
CREATE TABLE caredesk.his_cursor (
    name       text PRIMARY KEY,            -- his.incoming, his.outgoing
    cursor     text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by name NOT NULL DEFAULT current_user
);

-- ExternalKeys are handed out to desks in blocks, so two desks never use one.
CREATE TABLE caredesk.key_blocks (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    next     bigint NOT NULL CHECK (next >= 1 AND next <= 2147483647)
);
INSERT INTO caredesk.key_blocks (next) VALUES (1);

-- The team's audit trail: append-only for members, the actor stamped by
-- PostgreSQL.
CREATE TABLE caredesk.audit (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    pos         bigint,                      -- the change it belongs to, if any
    actor       name NOT NULL DEFAULT current_user,
    desk_id     uuid,
    action      text NOT NULL,
    patient_gid uuid,
    detail      text NOT NULL DEFAULT '',
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_at ON caredesk.audit (at);
CREATE TRIGGER audit_actor BEFORE INSERT ON caredesk.audit
    FOR EACH ROW EXECUTE FUNCTION caredesk.stamp_actor();

-- What members may do: data, never the schema. The log and the audit trail
-- are append-only; team_meta and members are the administrator's.
REVOKE ALL ON ALL TABLES IN SCHEMA caredesk FROM PUBLIC;
GRANT SELECT ON caredesk.team_meta, caredesk.members TO caredesk_member;
GRANT SELECT, UPDATE ON caredesk.log_head, caredesk.key_blocks TO caredesk_member;
GRANT SELECT, INSERT ON caredesk.changes, caredesk.audit TO caredesk_member;
GRANT SELECT, INSERT, UPDATE, DELETE ON
    caredesk.patients, caredesk.patient_numbers, caredesk.messages, caredesk.calls, caredesk.consent,
    caredesk.threads, caredesk.notes, caredesk.read_state, caredesk.his_cursor
    TO caredesk_member;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA caredesk TO caredesk_member;
GRANT EXECUTE ON FUNCTION caredesk.stamp_actor() TO caredesk_member;
