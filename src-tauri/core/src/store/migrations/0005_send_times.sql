-- Recent send responses (schema version 5).
--
-- Every inbox poll reads the offsets of the last day's send responses to
-- learn the hospital SMS server's clock (inbox_sync::cursor::ServerClock,
-- Database::recent_send_times). Without an index that is a scan of every
-- outbound message: about half a second at a million messages, twice per
-- poll. This partial index holds only the hospital SMS server's accepted
-- sends, in creation order.
CREATE INDEX messages_his_sends ON messages(created_at)
    WHERE direction = 'outbound' AND route = 'his' AND server_created_at IS NOT NULL;
