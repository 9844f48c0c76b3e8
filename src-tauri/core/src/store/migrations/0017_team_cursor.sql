-- Team mode: the hospital SMS server's inbox cursor is the team's (issue 15,
-- one poller per clinic). The desk that polls for the team records each
-- move of its cursor as a change (`cursor.set`), in the transaction that
-- stored the page's messages; the push carries a page's messages and its
-- cursor in one PostgreSQL transaction, so the team's cursor never passes a
-- message the team does not have. Every desk keeps the team's cursor
-- (team_state `cursor:<name>`), so whichever desk polls next resumes there.

-- The local transaction a change was recorded in, for changes that must
-- reach PostgreSQL together (a page of the inbox and its cursor): a push
-- batch never splits such a group. NULL for the others.
ALTER TABLE team_outbox ADD COLUMN txn TEXT;

-- `page_txn` in team_state is present only inside a transaction that
-- stores an inbox page: every change recorded meanwhile joins its group.
CREATE TRIGGER team_outbox_group AFTER INSERT ON team_outbox
WHEN EXISTS (SELECT 1 FROM team_state WHERE key = 'page_txn')
BEGIN
    UPDATE team_outbox SET txn = (SELECT value FROM team_state WHERE key = 'page_txn') WHERE seq = NEW.seq;
END;

CREATE TRIGGER team_cursor_insert AFTER INSERT ON sync_cursors
WHEN NEW.name = 'his.incoming'
 AND EXISTS (SELECT 1 FROM team_state WHERE key = 'joined')
 AND NOT EXISTS (SELECT 1 FROM team_state WHERE key = 'applying')
BEGIN
    INSERT INTO team_outbox (kind, entity, body, created_at)
    VALUES ('cursor.set', 'cursor:' || NEW.name, json_object('name', NEW.name, 'cursor', NEW.cursor),
            strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
END;

CREATE TRIGGER team_cursor_update AFTER UPDATE OF cursor ON sync_cursors
WHEN NEW.name = 'his.incoming'
 AND OLD.cursor IS NOT NEW.cursor
 AND EXISTS (SELECT 1 FROM team_state WHERE key = 'joined')
 AND NOT EXISTS (SELECT 1 FROM team_state WHERE key = 'applying')
BEGIN
    INSERT INTO team_outbox (kind, entity, body, created_at)
    VALUES ('cursor.set', 'cursor:' || NEW.name, json_object('name', NEW.name, 'cursor', NEW.cursor),
            strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
END;
