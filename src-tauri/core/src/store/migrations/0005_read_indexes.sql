-- Indexes for reads that scanned at a million messages (schema version 5).
-- Measured with caredesk-bench on the generated clinic (100,000 patients,
-- 1,000,000 messages); see src-tauri/bench/README.md.

-- Every inbox poll reads the offsets of the last day's send responses to
-- learn the hospital SMS server's clock (inbox_sync::cursor::ServerClock,
-- Database::recent_send_times). Without an index that is a scan of every
-- outbound message: about half a second, twice per poll. This partial index
-- holds only the hospital SMS server's accepted sends, in creation order.
CREATE INDEX messages_his_sends ON messages(created_at)
    WHERE direction = 'outbound' AND route = 'his' AND server_created_at IS NOT NULL;

-- The Unmatched inbox's counts (how many unknown numbers wrote, how many of
-- their texts are unread) read only this index: 450 ms -> 2 ms.
CREATE INDEX messages_unmatched_inbox ON messages(patient_id, from_number, read_at)
    WHERE patient_id IS NULL AND direction = 'inbound';

-- The unread total (window title, thread list) sums this instead of reading
-- every summary row with its preview: 170 ms -> 10 ms.
CREATE INDEX patient_activity_unread ON patient_activity(unread);
