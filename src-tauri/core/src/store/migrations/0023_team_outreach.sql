-- Outreach in team mode (issue 17; schema version 21): templates are
-- shared by the team, and every desk shows every campaign's progress.

-- Templates: `template.upsert` carries a template whole (gid, name, text,
-- updated_at, updated_by, deleted_at), tombstones included. Desks settle
-- copies by the newest `updated_at` (store/team/outreach.rs).
CREATE VIEW team_template_body AS
SELECT id, gid,
       json_object('gid', gid, 'name', name, 'text', body, 'updated_at', updated_at, 'updated_by', updated_by,
                   'deleted_at', deleted_at) AS body
  FROM templates;

CREATE TRIGGER team_template_insert AFTER INSERT ON templates
WHEN EXISTS (SELECT 1 FROM team_state WHERE key = 'joined')
 AND NOT EXISTS (SELECT 1 FROM team_state WHERE key = 'applying')
BEGIN
    INSERT INTO team_outbox (kind, entity, body, created_at)
    SELECT 'template.upsert', 'template:' || gid, body, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
      FROM team_template_body WHERE id = NEW.id;
END;

CREATE TRIGGER team_template_update AFTER UPDATE OF name, body, updated_at, updated_by, deleted_at ON templates
WHEN EXISTS (SELECT 1 FROM team_state WHERE key = 'joined')
 AND NOT EXISTS (SELECT 1 FROM team_state WHERE key = 'applying')
 AND (OLD.name IS NOT NEW.name OR OLD.body IS NOT NEW.body OR OLD.updated_at IS NOT NEW.updated_at
      OR OLD.updated_by IS NOT NEW.updated_by OR OLD.deleted_at IS NOT NEW.deleted_at)
BEGIN
    INSERT INTO team_outbox (kind, entity, body, created_at)
    SELECT 'template.upsert', 'template:' || gid, body, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
      FROM team_template_body WHERE id = NEW.id;
END;

-- Colleagues' campaigns, as their desks last reported them
-- (`campaign.progress`): shown read-only beside this desk's own. A campaign
-- runs on the desk that created it (its recipients live there); `runs_on`
-- names that desk's member. `body` is the report whole (JSON).
CREATE TABLE team_campaigns (
    id          INTEGER PRIMARY KEY,
    gid         TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    state       TEXT NOT NULL,
    runs_on     TEXT NOT NULL,       -- the member's display name (else role)
    desk_id     TEXT,
    updated_at  TEXT NOT NULL,       -- the reporting desk's clock
    body        TEXT NOT NULL
) STRICT;
