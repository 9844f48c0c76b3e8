//! SMS consent per number, and the log of every change with its source.

use rusqlite::{params, OptionalExtension};

use super::{now_rfc3339, Database, StoreError};

impl Database {
    /// Records a consent change for `number` (E.164) and logs it. Returns
    /// whether the state changed.
    pub fn set_consent(
        &self,
        number: &str,
        opted_in: bool,
        source: &str,
        message_id: Option<i64>,
        actor: &str,
        note: &str,
    ) -> Result<bool, StoreError> {
        let new_state = if opted_in { "opted_in" } else { "opted_out" };
        // The state, its log and the audit entry: one transaction (a
        // savepoint in the caller's, when an inbound message's brings it).
        self.atomically(|conn| {
            let old: Option<String> =
                conn.query_row("SELECT state FROM sms_consent WHERE number = ?1", [number], |r| r.get(0)).optional()?;
            if old.as_deref() == Some(new_state) {
                return Ok(false);
            }
            let now = now_rfc3339();
            conn.execute(
            "INSERT INTO sms_consent (number, state, source, source_message_id, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(number) DO UPDATE SET state = excluded.state, source = excluded.source,
                source_message_id = excluded.source_message_id, updated_at = excluded.updated_at",
            params![number, new_state, source, message_id, now],
        )?;
            conn.execute(
                "INSERT INTO consent_log (number, old_state, new_state, source, source_message_id, note, actor, at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![number, old, new_state, source, message_id, note, actor, now],
            )?;
            let patient: Option<i64> = conn
                .query_row(
                    "SELECT patient_id FROM contact_points WHERE number = ?1 ORDER BY id LIMIT 1",
                    [number],
                    |r| r.get(0),
                )
                .optional()?;
            let detail = format!("{} {new_state} ({source})", crate::rules::redact::phone(number));
            self.audit_on(conn, actor, "consent.change", patient, &detail)?;
            Ok(true)
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::store::test_db;

    #[test]
    fn opt_out_then_in_is_logged_once_each() {
        let (_d, db) = test_db();
        assert!(!db.is_opted_out("+18055550100").unwrap());
        assert!(db.set_consent("+18055550100", false, "keyword", None, "system", "STOP").unwrap());
        assert!(!db.set_consent("+18055550100", false, "keyword", None, "system", "STOP").unwrap());
        assert!(db.is_opted_out("+18055550100").unwrap());
        assert!(db.set_consent("+18055550100", true, "keyword", None, "system", "START").unwrap());
        let n: i64 = db.conn().query_row("SELECT count(*) FROM consent_log", [], |r| r.get(0)).unwrap();
        assert_eq!(n, 2);
    }
}
