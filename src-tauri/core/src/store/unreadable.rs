//! Messages from the hospital SMS server that CareDesk could not read:
//! kept (encrypted, like everything here) to be read again, and counted in
//! the sync status (migration 0007).

use rusqlite::params;

use super::{now_rfc3339, Database, StoreError};

/// A message skipped because it could not be read.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct UnreadableMessage {
    /// `Incoming` or `Outgoing`.
    #[ts(type = r#""Incoming" | "Outgoing""#)]
    pub kind: String,
    /// Its `Id` as written (or `raw:<hash>` when it had none).
    pub his_id: String,
    /// Why, without any value from the message.
    pub reason: String,
    pub first_seen: String,
    pub last_seen: String,
    /// How many pages it was in.
    pub seen: i64,
}

impl Database {
    /// Records (or counts again) a message that could not be read.
    pub fn record_unreadable(&self, kind: &str, his_id: &str, reason: &str, raw: &str) -> Result<(), StoreError> {
        let now = now_rfc3339();
        self.conn.execute(
            "INSERT INTO his_unreadable (kind, his_id, reason, raw, first_seen, last_seen) VALUES (?1, ?2, ?3, ?4, ?5, ?5)
             ON CONFLICT(kind, his_id) DO UPDATE SET reason = excluded.reason, raw = excluded.raw,
                                                      last_seen = excluded.last_seen, seen = seen + 1",
            params![kind, his_id, reason, raw, now],
        )?;
        Ok(())
    }

    /// A message of that `Id` has now been read: it is no longer unreadable.
    pub fn forget_unreadable(&self, kind: &str, his_id: &str) -> Result<bool, StoreError> {
        Ok(self.conn.execute("DELETE FROM his_unreadable WHERE kind = ?1 AND his_id = ?2", params![kind, his_id])? > 0)
    }

    /// The unreadable messages of `kind`, oldest first.
    pub fn unreadable_messages(&self, kind: &str) -> Result<Vec<UnreadableMessage>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT kind, his_id, reason, first_seen, last_seen, seen FROM his_unreadable WHERE kind = ?1
              ORDER BY first_seen, his_id",
        )?;
        let rows = stmt.query_map([kind], |r| {
            Ok(UnreadableMessage {
                kind: r.get(0)?,
                his_id: r.get(1)?,
                reason: r.get(2)?,
                first_seen: r.get(3)?,
                last_seen: r.get(4)?,
                seen: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The kept bodies of the unreadable messages of `kind`, to read again.
    pub fn unreadable_raw(&self, kind: &str) -> Result<Vec<(String, String)>, StoreError> {
        let mut stmt =
            self.conn.prepare_cached("SELECT his_id, raw FROM his_unreadable WHERE kind = ?1 ORDER BY first_seen")?;
        let rows = stmt.query_map([kind], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

#[cfg(test)]
mod tests {
    use crate::store::test_db;

    #[test]
    fn unreadable_messages_are_counted_listed_and_forgotten() {
        let (_d, db) = test_db();
        db.record_unreadable("Incoming", "531977", "it has no sender (From is empty)", "{}").unwrap();
        db.record_unreadable("Incoming", "531977", "it has no sender (From is empty)", "{}").unwrap();
        db.record_unreadable("Incoming", "7", "its Type is neither", "{}").unwrap();
        db.record_unreadable("Outgoing", "7", "x", "{}").unwrap();
        let list = db.unreadable_messages("Incoming").unwrap();
        assert_eq!(list.iter().map(|u| (u.his_id.as_str(), u.seen)).collect::<Vec<_>>(), [("531977", 2), ("7", 1)]);
        assert_eq!(db.unreadable_raw("Incoming").unwrap().len(), 2);
        assert!(db.forget_unreadable("Incoming", "531977").unwrap());
        assert!(!db.forget_unreadable("Incoming", "531977").unwrap());
        assert_eq!(db.unreadable_messages("Incoming").unwrap().len(), 1);
        assert_eq!(db.unreadable_messages("Outgoing").unwrap().len(), 1);
    }
}
