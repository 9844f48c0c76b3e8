//! The rows inbox sync reads and writes: messages by HIS id, inbound inserts,
//! server state updates, and the open outbound messages to refresh. Every
//! function runs on the caller's connection, so it joins the caller's
//! transaction.

use rusqlite::{params, OptionalExtension};

use super::{now_rfc3339, Database, StoreError};

/// A stored message, as inbox sync compares it with the server's copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownMessage {
    pub id: i64,
    pub direction: String,
    pub state: String,
    pub server_updated_at: Option<String>,
}

/// An outbound message a reply may answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundRef {
    pub id: i64,
    pub patient_id: Option<i64>,
    /// The number it went to (the override number, when one rerouted it).
    pub to_number: String,
    pub created_at: String,
}

/// An inbound SMS as stored.
#[derive(Debug, Clone)]
pub struct NewInbound<'a> {
    pub patient_id: Option<i64>,
    pub from: &'a str,
    pub to: &'a str,
    pub body: &'a str,
    pub his_id: i64,
    pub reply_to_his_id: Option<i64>,
    pub server_state: &'a str,
    pub flagged: Option<&'a str>,
    pub created_at: &'a str,
    pub server_created_at: &'a str,
    pub server_updated_at: &'a str,
}

/// An outbound HIS message whose delivery state may still change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenOutbound {
    pub id: i64,
    pub his_id: i64,
    pub state: String,
    pub server_created_at: Option<String>,
    pub created_at: String,
}

impl Database {
    pub fn message_by_his_id(&self, his_id: i64) -> Result<Option<KnownMessage>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id, direction, state, server_updated_at FROM messages WHERE his_id = ?1")?;
        Ok(stmt
            .query_row([his_id], |r| {
                Ok(KnownMessage { id: r.get(0)?, direction: r.get(1)?, state: r.get(2)?, server_updated_at: r.get(3)? })
            })
            .optional()?)
    }

    /// Whether `number` (E.164) is a patient's or a contact's number.
    pub fn is_roster_number(&self, number: &str) -> Result<bool, StoreError> {
        let mut stmt = self.conn.prepare_cached("SELECT 1 FROM contact_points WHERE number = ?1 LIMIT 1")?;
        Ok(stmt.exists([number])?)
    }

    /// The outbound message with HIS id `his_id`, if CareDesk sent it.
    pub fn outbound_by_his_id(&self, his_id: i64) -> Result<Option<OutboundRef>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, patient_id, to_number, created_at FROM messages WHERE his_id = ?1 AND direction = 'outbound'",
        )?;
        Ok(stmt
            .query_row([his_id], |r| {
                Ok(OutboundRef { id: r.get(0)?, patient_id: r.get(1)?, to_number: r.get(2)?, created_at: r.get(3)? })
            })
            .optional()?)
    }

    pub fn insert_inbound(&self, m: &NewInbound<'_>) -> Result<i64, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "INSERT INTO messages (patient_id, direction, route, from_number, to_number, body, state, server_state,
                                   his_id, reply_to_his_id, flagged, created_at, updated_at,
                                   server_created_at, server_updated_at)
             VALUES (?1, 'inbound', 'his', ?2, ?3, ?4, 'received', ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        )?;
        stmt.execute(params![
            m.patient_id,
            m.from,
            m.to,
            m.body,
            m.server_state,
            m.his_id,
            m.reply_to_his_id,
            m.flagged,
            m.created_at,
            now_rfc3339(),
            m.server_created_at,
            m.server_updated_at
        ])?;
        let id = self.conn.last_insert_rowid();
        self.record_inbound_activity(id, m.patient_id, m.created_at)?;
        Ok(id)
    }

    /// Every inbound SMS gets an activity and an event (spec 004):
    /// performed by "system", assigned to the coordinator. Runs inside the
    /// caller's transaction.
    fn record_inbound_activity(&self, message_id: i64, patient_id: Option<i64>, at: &str) -> Result<(), StoreError> {
        // Cached statements: a page of replies runs these once per message.
        let assigned: String = self
            .conn
            .prepare_cached(
                "SELECT value FROM settings WHERE key IN ('user.ecm_user_id', 'user.name')
                 ORDER BY key = 'user.ecm_user_id' DESC LIMIT 1",
            )?
            .query_row([], |r| r.get(0))
            .optional()?
            .unwrap_or_else(crate::rules::config::os_user_name);
        self.conn
            .prepare_cached(
                "INSERT INTO activities (activity_type, direction, status, patient_id, performed_by_id, assigned_to_id,
                                         text_message_id, created_at)
                 VALUES ('sms', 'inbound', 'created', ?1, 'system', ?2, ?3, ?4)",
            )?
            .execute(params![patient_id, assigned, message_id, at])?;
        let activity_id = self.conn.last_insert_rowid();
        self.conn
            .prepare_cached(
                "INSERT INTO events (event_type, occurred_at, patient_id, activity_id) VALUES ('sms', ?1, ?2, ?3)",
            )?
            .execute(params![at, patient_id, activity_id])?;
        Ok(())
    }

    /// Records the server's newer word on a message; `state` (CareDesk's
    /// own) only when it changes.
    pub fn update_server_state(
        &self,
        id: i64,
        state: Option<&str>,
        server_state: &str,
        server_updated_at: &str,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE messages SET state = COALESCE(?2, state), server_state = ?3, server_updated_at = ?4, updated_at = ?5
             WHERE id = ?1",
            params![id, state, server_state, server_updated_at, now_rfc3339()],
        )?;
        Ok(())
    }

    /// Outbound HIS messages with a server id, not in a final state, created
    /// at or after `since` (RFC 3339 UTC). The state list is
    /// [`crate::engine::delivery::OPEN_STATES`], written out so the `messages_open`
    /// partial index applies.
    pub fn open_his_outbound(&self, since: &str) -> Result<Vec<OpenOutbound>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, his_id, state, server_created_at, created_at FROM messages
             WHERE state IN ('queued', 'sending', 'sent', 'enroute', 'accepted') AND route = 'his'
               AND direction = 'outbound' AND his_id IS NOT NULL AND created_at >= ?1
             ORDER BY id",
        )?;
        let rows = stmt.query_map([since], |r| {
            Ok(OpenOutbound {
                id: r.get(0)?,
                his_id: r.get(1)?,
                state: r.get(2)?,
                server_created_at: r.get(3)?,
                created_at: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// For the outbound messages among server ids `his_ids`, when the
    /// attempt that the server took went (the outbox's `sent_at`, the
    /// desk's clock): what the server's list zone is learnt from.
    pub fn his_sent_times(&self, his_ids: &[i64]) -> Result<Vec<(i64, chrono::DateTime<chrono::Utc>)>, StoreError> {
        if his_ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids = serde_json::to_string(his_ids).unwrap_or_else(|_| "[]".into());
        let mut stmt = self.conn.prepare_cached(
            "SELECT m.his_id, o.sent_at FROM json_each(?1) j
               JOIN messages m ON m.his_id = j.value
               JOIN outbox o ON o.message_id = m.id
              WHERE m.direction = 'outbound' AND o.sent_at IS NOT NULL",
        )?;
        let rows = stmt.query_map([ids], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?;
        let mut out = Vec::new();
        for row in rows {
            let (id, at) = row?;
            if let Some(at) = super::outbox::parse_ts(&at) {
                out.push((id, at));
            }
        }
        Ok(out)
    }

    /// `CreatedAt` of the send responses (with the server's offset) of HIS
    /// messages created at or after `since`, newest first.
    pub fn recent_send_times(&self, since: &str, limit: usize) -> Result<Vec<String>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT server_created_at FROM messages
             WHERE direction = 'outbound' AND route = 'his' AND server_created_at IS NOT NULL AND created_at >= ?1
             ORDER BY created_at DESC, id DESC LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![since, limit as i64], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{query_plan, test_db};

    #[test]
    fn an_inbound_sms_gets_an_activity_and_an_event() {
        let (_d, db) = test_db();
        db.set_setting("user.ecm_user_id", "101").unwrap();
        let id = db
            .insert_inbound(&NewInbound {
                patient_id: None,
                from: "+18055550100",
                to: "15550100000",
                body: "Yes",
                his_id: 531977,
                reply_to_his_id: None,
                server_state: "Delivered",
                flagged: None,
                created_at: "2026-11-21T10:00:00Z",
                server_created_at: "2026-11-21T12:00:00.0000000",
                server_updated_at: "2026-11-21T12:00:00.0000000",
            })
            .unwrap();
        let (dir, performed, assigned, msg): (String, String, String, i64) = db
            .conn()
            .query_row("SELECT direction, performed_by_id, assigned_to_id, text_message_id FROM activities", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .unwrap();
        assert_eq!((dir.as_str(), performed.as_str(), assigned.as_str(), msg), ("inbound", "system", "101", id));
        let events: i64 =
            db.conn().query_row("SELECT count(*) FROM events WHERE event_type = 'sms'", [], |r| r.get(0)).unwrap();
        assert_eq!(events, 1);
    }

    #[test]
    fn the_reads_of_migration_5_use_their_indexes() {
        let (_d, db) = test_db();
        let sends = query_plan(
            &db,
            "SELECT server_created_at FROM messages
             WHERE direction = 'outbound' AND route = 'his' AND server_created_at IS NOT NULL AND created_at >= ?1
             ORDER BY created_at DESC, id DESC LIMIT ?2",
            params!["2026-01-01", 5],
        );
        assert!(sends.contains("messages_his_sends"), "{sends}");
        assert!(!sends.contains("TEMP B-TREE"), "{sends}");
        let plan = |sql: &str| query_plan(&db, sql, []);
        let unmatched = plan(
            "SELECT count(DISTINCT from_number), count(*) FILTER (WHERE read_at IS NULL)
             FROM messages WHERE patient_id IS NULL AND direction = 'inbound'",
        );
        assert!(unmatched.contains("COVERING INDEX messages_unmatched_inbox"), "{unmatched}");
        let unread = plan("SELECT COALESCE(sum(unread), 0) FROM patient_activity WHERE unread > 0");
        assert!(unread.contains("COVERING INDEX patient_activity_unread"), "{unread}");
    }
}
