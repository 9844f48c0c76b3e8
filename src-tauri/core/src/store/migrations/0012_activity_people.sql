-- The activity log names the person who sent a text or placed a call, as
-- they were called at the time (`user.name`, else the OS user), apart from
-- their ECM user id. The actor was recorded only in the audit log (and, for
-- some activities, mixed into `performed_by_id`); older rows take it from the
-- audit entry their send or call wrote in the same transaction.
ALTER TABLE messages ADD COLUMN sent_by TEXT;
ALTER TABLE calls ADD COLUMN placed_by TEXT;

UPDATE messages SET sent_by = (
    SELECT a.actor FROM audit_log a
     WHERE a.action = 'sms.send' AND a.patient_id IS messages.patient_id
       AND a.detail LIKE 'message ' || messages.id || ':%'
     ORDER BY a.id LIMIT 1)
 WHERE direction = 'outbound';

UPDATE calls SET placed_by = (
    SELECT a.actor FROM audit_log a
     WHERE a.action = 'call.place' AND a.patient_id IS calls.patient_id
       AND (a.detail = 'call ' || calls.id OR a.detail LIKE 'call ' || calls.id || ' %')
     ORDER BY a.id LIMIT 1)
 WHERE direction = 'outbound';
