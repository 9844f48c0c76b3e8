//! The append-only audit log: who did what, when, to which patient.

use rusqlite::params;

use super::{now_rfc3339, Database, StoreError};

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub patient_id: Option<i64>,
    pub detail: String,
}

impl Database {
    /// Records an action. `detail` must never hold a secret, and holds PHI
    /// only as the encrypted database may (it never goes to a log).
    pub fn audit(&self, actor: &str, action: &str, patient_id: Option<i64>, detail: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO audit_log (at, actor, action, patient_id, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![now_rfc3339(), actor, action, patient_id, detail],
        )?;
        Ok(())
    }

    pub fn audit_entries(&self, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, at, actor, action, patient_id, detail FROM audit_log ORDER BY id DESC LIMIT ?1")?;
        let rows = stmt.query_map([limit as i64], |r| {
            Ok(AuditEntry {
                id: r.get(0)?,
                at: r.get(1)?,
                actor: r.get(2)?,
                action: r.get(3)?,
                patient_id: r.get(4)?,
                detail: r.get(5)?,
            })
        })?;
        let mut v: Vec<AuditEntry> = rows.collect::<Result<_, _>>()?;
        v.reverse();
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use crate::store::test_db;

    #[test]
    fn entries_are_append_only() {
        let (_d, db) = test_db();
        db.audit("ana", "config.set", None, "sms.via").unwrap();
        let e = db.audit_entries(10).unwrap();
        assert_eq!((e.len(), e[0].actor.as_str(), e[0].action.as_str()), (1, "ana", "config.set"));
        assert!(db.conn().execute("UPDATE audit_log SET actor = 'x'", []).is_err());
        assert!(db.conn().execute("DELETE FROM audit_log", []).is_err());
        assert_eq!(db.audit_entries(10).unwrap()[0].actor, "ana");
    }
}
