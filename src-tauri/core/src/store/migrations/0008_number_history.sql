-- Issue 12: a re-import makes the numbers it lists a patient's current ones
-- (in its order); numbers it no longer lists stay, for the history, but are
-- inactive: never chosen by default, shown as no longer used.
ALTER TABLE contact_points ADD COLUMN active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1));
-- The import run that last listed the number (several rows of one import may
-- list one patient's numbers).
ALTER TABLE contact_points ADD COLUMN import_run TEXT;
