-- Issue 13: staff add and edit patients and their numbers in the app, a
-- number linked from the Unmatched inbox becomes one of the patient's
-- numbers, and staff can reply to an unmatched number (schema version 12).

-- Where a number came from: a roster import ('import': a later import that
-- no longer lists it makes it inactive), staff in the app or the CLI
-- ('staff') or a link from the Unmatched inbox ('link'). An import leaves
-- the last two alone; listing one takes it over ('import').
ALTER TABLE contact_points ADD COLUMN source TEXT NOT NULL DEFAULT 'import'
    CHECK (source IN ('import', 'staff', 'link'));

-- A text staff sent to an unmatched number (a reply from the Unmatched
-- inbox): it went to no patient's number. Kept when the number is linked
-- later and the text moves to the patient's thread.
ALTER TABLE messages ADD COLUMN unmatched_reply INTEGER NOT NULL DEFAULT 0 CHECK (unmatched_reply IN (0, 1));

-- The Unmatched inbox reads a number's replies beside its texts: only texts
-- to no patient are in this index (the number an override number stood in
-- for, else the recipient).
CREATE INDEX messages_unmatched_replies ON messages(COALESCE(intended_to, to_number), created_at)
    WHERE patient_id IS NULL AND direction = 'outbound';

-- Numbers staff linked before this version become the patient's numbers in
-- the migration's hook (store/linked_numbers.rs): a number's national
-- digits, which search reads, need libphonenumber.
