//! The append-only audit log: who did what, when, to which patient, as
//! which OS user and in which data directory. Entries are chained by an HMAC
//! ([`super::audit_chain`]) and written in the transaction of the change
//! they record ([`Database::atomically`], [`Database::audit_on`]).

use std::sync::Arc;

use rusqlite::{Connection, Transaction, TransactionBehavior};

use super::{
    audit_chain::{self, AuditKey, AuditSigner, NewAuditEntry},
    audit_verify::{self, AuditVerification},
    Database, StoreError,
};

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: String,
    /// The coordinator's name (`user.name`) when the action was taken.
    pub actor: String,
    /// The OS account that ran CareDesk.
    pub os_user: String,
    /// The data directory's profile (its instance id).
    pub profile: String,
    pub action: String,
    pub patient_id: Option<i64>,
    pub detail: String,
}

impl Database {
    /// Loads the audit key and what every entry records beside the actor;
    /// at the first open (a new database, or the first after the upgrade),
    /// signs the entries written before the chain. `key(signed)` finds the
    /// key in the keyring and may create it only when the chain was never
    /// signed, which is decided under the database's write lock, so two
    /// first starts at once agree on one key. Returns how many older
    /// entries were signed.
    pub fn attach_audit<E>(
        &mut self,
        key: impl FnOnce(bool) -> Result<AuditKey, E>,
        os_user: String,
        profile: String,
    ) -> Result<usize, E>
    where
        E: From<StoreError>,
    {
        let (key, signed) = if audit_chain::is_signed(&self.conn)? {
            // Signed before: nothing to write, no write lock to wait for.
            (key(true)?, 0)
        } else {
            let tx =
                Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate).map_err(StoreError::from)?;
            // Another process may have signed it meanwhile: ask again under the lock.
            let key = key(audit_chain::is_signed(&tx)?)?;
            let signed = audit_chain::sign_legacy(&tx, &key)?;
            tx.commit().map_err(StoreError::from)?;
            (key, signed)
        };
        self.signer = Some(Arc::new(AuditSigner { key, os_user, profile }));
        Ok(signed)
    }

    /// The signer, for writers that hold the connection mutably (an
    /// import's transaction) and call [`audit_chain::append`] themselves.
    pub fn audit_signer(&self) -> Result<Arc<AuditSigner>, StoreError> {
        self.signer.clone().ok_or(StoreError::AuditNotLoaded)
    }

    /// Records an action that changes nothing else (an export, a view), in
    /// a transaction of its own. `detail` must never hold a secret, and
    /// holds PHI only as the encrypted database may (it never goes to a log).
    pub fn audit(&self, actor: &str, action: &str, patient_id: Option<i64>, detail: &str) -> Result<(), StoreError> {
        self.atomically(|conn| self.audit_on(conn, actor, action, patient_id, detail))
    }

    /// Records an action on `conn`, inside the caller's transaction: the
    /// entry commits with the change or not at all.
    pub fn audit_on(
        &self,
        conn: &Connection,
        actor: &str,
        action: &str,
        patient_id: Option<i64>,
        detail: &str,
    ) -> Result<(), StoreError> {
        let signer = self.signer.as_deref().ok_or(StoreError::AuditNotLoaded)?;
        audit_chain::append(conn, signer, &NewAuditEntry { actor, action, patient_id, detail })?;
        Ok(())
    }

    /// Runs `f` in one transaction: an immediate one of its own (it takes
    /// the write lock first, so the chain's last entry cannot move under
    /// it), or a savepoint inside the caller's.
    pub fn atomically<T, E>(&self, f: impl FnOnce(&Connection) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        if !self.conn.is_autocommit() {
            return audit_chain::within_savepoint(&self.conn, || f(&self.conn));
        }
        let tx = Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate).map_err(StoreError::from)?;
        let v = f(&tx)?;
        tx.commit().map_err(StoreError::from)?;
        Ok(v)
    }

    /// Checks the whole chain with the loaded key.
    pub fn verify_audit(&self) -> Result<AuditVerification, StoreError> {
        let signer = self.signer.as_deref().ok_or(StoreError::AuditNotLoaded)?;
        audit_verify::verify(&self.conn, &signer.key)
    }

    pub fn audit_entries(&self, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT id, at, actor, os_user, profile, action, patient_id, detail FROM audit_log
              ORDER BY id DESC LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit as i64], |r| {
            Ok(AuditEntry {
                id: r.get(0)?,
                at: r.get(1)?,
                actor: r.get(2)?,
                os_user: r.get(3)?,
                profile: r.get(4)?,
                action: r.get(5)?,
                patient_id: r.get(6)?,
                detail: r.get(7)?,
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
    fn entries_are_append_only_and_record_the_os_user_and_profile() {
        let (_d, db) = test_db();
        db.audit("ana", "config.set", None, "sms.via").unwrap();
        let e = db.audit_entries(10).unwrap();
        assert_eq!((e.len(), e[0].actor.as_str(), e[0].action.as_str()), (1, "ana", "config.set"));
        assert_eq!((e[0].os_user.as_str(), e[0].profile.as_str()), ("test-os-user", "test-profile"));
        assert!(db.conn().execute("UPDATE audit_log SET actor = 'x'", []).is_err());
        assert!(db.conn().execute("UPDATE audit_log SET mac = x'00'", []).is_err(), "a MAC is set once");
        assert!(db.conn().execute("DELETE FROM audit_log", []).is_err());
        assert!(db.conn().execute("DELETE FROM audit_chain", []).is_err());
        assert_eq!(db.audit_entries(10).unwrap()[0].actor, "ana");
    }

    #[test]
    fn a_failed_change_leaves_no_entry_and_an_entry_fails_with_its_change() {
        let (_d, db) = test_db();
        let r: Result<(), crate::store::StoreError> = db.atomically(|c| {
            db.audit_on(c, "ana", "config.set", None, "x")?;
            c.execute("INSERT INTO no_such_table VALUES (1)", [])?;
            Ok(())
        });
        assert!(r.is_err());
        assert!(db.audit_entries(10).unwrap().is_empty(), "the entry rolled back with its change");
    }
}
