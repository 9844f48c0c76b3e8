//! The `settings` table: one row per key set by the user.

use rusqlite::{params, OptionalExtension};

use super::{now_rfc3339, Database, StoreError};

impl Database {
    pub fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self.conn.query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| r.get(0)).optional()?)
    }

    pub fn set_setting(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO settings (key, value, updated_at) VALUES (?1, ?2, ?3)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            params![key, value, now_rfc3339()],
        )?;
        Ok(())
    }

    /// Returns whether a value was removed.
    pub fn unset_setting(&self, key: &str) -> Result<bool, StoreError> {
        Ok(self.conn.execute("DELETE FROM settings WHERE key = ?1", [key])? > 0)
    }

    pub fn all_settings(&self) -> Result<Vec<(String, String)>, StoreError> {
        let mut stmt = self.conn.prepare("SELECT key, value FROM settings ORDER BY key")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

#[cfg(test)]
mod tests {
    use crate::store::test_db;

    #[test]
    fn set_get_unset() {
        let (_d, db) = test_db();
        assert_eq!(db.setting("sms.via").unwrap(), None);
        db.set_setting("sms.via", "ecm").unwrap();
        db.set_setting("sms.via", "his").unwrap();
        assert_eq!(db.setting("sms.via").unwrap().as_deref(), Some("his"));
        assert_eq!(db.all_settings().unwrap().len(), 1);
        assert!(db.unset_setting("sms.via").unwrap());
        assert!(!db.unset_setting("sms.via").unwrap());
    }
}
