//! The encrypted local store: SQLite with SQLCipher through rusqlite. The key
//! is a random 256-bit value kept in the OS keyring; the file alone reveals
//! nothing. WAL with `synchronous=FULL`, so a message shown as sent survives a
//! power cut.

#[cfg(test)]
mod activity_people_tests;
mod audit;
pub mod audit_chain;
#[cfg(test)]
mod audit_chain_tests;
pub mod audit_verify;
pub mod campaigns;
pub mod consent;
pub mod consent_invites;
mod contact_points;
pub(crate) mod copy;
pub mod external_keys;
pub mod fhir_roster;
pub mod fhir_writes;
pub mod inbox;
mod linked_numbers;
mod messages;
pub(crate) mod migrations;
pub mod outbox;
mod patient_search;
mod patients;
pub(crate) mod people;
pub mod route_pauses;
pub mod server_clocks;
mod settings;
pub mod sync_status;
pub mod team;
pub mod templates;
pub mod thread_items;
pub mod thread_listing;
mod thread_marks;
pub mod thread_search;
pub mod threads;
pub mod unreadable;

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};

pub use audit::AuditEntry;
pub use audit_chain::{AuditKey, AuditSigner, NewAuditEntry};
pub use audit_verify::{AuditProblem, AuditVerification};
pub use contact_points::ImportRun;
pub use external_keys::MAX_EXTERNAL_KEY;
pub use fhir_roster::{FhirKind, FhirRecord, FhirRosterCounts, FhirStatus, PatientApply};
pub use linked_numbers::{LinkContact, Linked, UNKNOWN_RELATIONSHIP};
pub(crate) use messages::insert_activity_on;
pub use messages::{Accepted, Direction, NewActivity, NewOutbound, Route};
pub use patients::{
    upsert_patient, upsert_patient_in, ContactPointInput, PatientInput, PatientView, PhoneKind, PhoneView,
    UpsertOutcome,
};
pub use people::{NumberChange, StaffNumber, StaffPatient};
pub use route_pauses::RoutePause;
pub use server_clocks::ServerClockRow;
pub use thread_items::{PageCursor, ThreadItem, ThreadItemKind, ThreadPage};
pub use thread_listing::{LastItem, PatientThread, ThreadListing, UnmatchedSummary, UnmatchedThread};
pub use thread_search::{ThreadHit, ThreadSearch};
pub use unreadable::UnreadableMessage;

use crate::rules::secret::Secret;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "the database at {path} cannot be opened with the key in the keyring (wrong key, or not a CareDesk database)"
    )]
    WrongKey { path: PathBuf },
    #[error(
        "the database at {path} exists but its key is missing from the keyring; it cannot be read. \
         Restore the keyring entry, restore a backup (`caredesk restore FILE`), or move the data directory away to start afresh"
    )]
    KeyMissing { path: PathBuf },
    #[error("{0}")]
    Io(String),
    #[error(
        "the database was written by a newer CareDesk (schema {found}, this build knows {known}); update CareDesk"
    )]
    NewerSchema { found: i64, known: usize },
    #[error("database migration failed: {0}")]
    Migration(String),
    #[error("this data directory has used every ExternalKey (2,147,483,647 messages); start a new data directory")]
    KeysExhausted,
    #[error("the audit log cannot be written: its key was not loaded")]
    AuditNotLoaded,
    #[error("the audit key in the keyring is not 64 hex digits")]
    AuditKeyInvalid,
    #[error(
        "the audit key is missing from the keyring, but this database's audit log was signed with one; \
         restore the keyring entry (a new key would make the whole log unverifiable)"
    )]
    AuditKeyMissing,
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

impl crate::rules::error::CodedError for StoreError {
    fn code(&self) -> crate::rules::error::ErrorCode {
        crate::rules::error::ErrorCode::Store
    }
}

/// SQLite's page cache per connection, in KiB.
pub const PAGE_CACHE_KIB: i64 = 65_536;

/// An open, unlocked and migrated database.
#[derive(Debug)]
pub struct Database {
    conn: Connection,
    path: PathBuf,
    /// The Unmatched summary as last counted (see
    /// [`Database::unmatched_summary`]).
    unmatched_memo: std::cell::Cell<Option<(thread_listing::WriteMark, UnmatchedSummary)>>,
    /// Signs audit entries (see [`Database::attach_audit`]).
    signer: Option<std::sync::Arc<AuditSigner>>,
    /// `PRAGMA data_version` as [`Database::changed_elsewhere`] last read it.
    seen_data_version: std::cell::Cell<Option<i64>>,
}

impl Database {
    /// Whether another connection (another process on this data directory:
    /// a `caredesk send`, `call` or import) committed since the last call;
    /// `false` the first time.
    pub fn changed_elsewhere(&self) -> Result<bool, StoreError> {
        let now: i64 = self.conn.prepare_cached("PRAGMA data_version")?.query_row([], |r| r.get(0))?;
        let before = self.seen_data_version.replace(Some(now));
        Ok(before.is_some_and(|b| b != now))
    }

    /// Opens (creating if needed) the database at `path` with `key` (64 hex
    /// digits), checks the key and brings the schema up to date.
    pub fn open(path: &Path, key: &Secret) -> Result<Database, StoreError> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut conn = Connection::open_with_flags(path, flags)?;
        apply_key(&conn, key)?;
        // The first read proves the key: SQLCipher reports a wrong key as
        // "file is not a database".
        if let Err(e) = conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0)) {
            return Err(match e {
                rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::NotADatabase => {
                    StoreError::WrongKey { path: path.to_path_buf() }
                }
                other => StoreError::Sqlite(other),
            });
        }
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = FULL;
             PRAGMA foreign_keys = ON;
             PRAGMA busy_timeout = 5000;
             PRAGMA temp_store = MEMORY;",
        )?;
        // Room for the pages a coordinator's reads keep coming back to: the
        // patient and activity rows a search sorts, the top of each index.
        // SQLite's default (2 MB) holds a fraction of them, and every page
        // read again is read from the file and decrypted. Pages are
        // allocated as they are read, not up front.
        conn.execute_batch(&format!("PRAGMA cache_size = -{PAGE_CACHE_KIB};"))?;
        migrations::migrate(&mut conn)?;
        Ok(Database {
            conn,
            path: path.to_path_buf(),
            unmatched_memo: std::cell::Cell::new(None),
            signer: None,
            seen_data_version: std::cell::Cell::new(None),
        })
    }

    /// Closes the file (for it to be replaced); the value holds an empty
    /// in-memory database until it is dropped.
    pub(crate) fn close_file(&mut self) -> Result<(), StoreError> {
        let old = std::mem::replace(&mut self.conn, Connection::open_in_memory()?);
        old.close().map_err(|(_, e)| StoreError::Sqlite(e))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    pub fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// `PRAGMA integrity_check`: "ok" or the problems found.
    pub fn integrity_check(&self) -> Result<String, StoreError> {
        Ok(self.conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?)
    }
}

pub(crate) fn apply_key(conn: &Connection, key: &Secret) -> Result<(), StoreError> {
    let hex = key.expose();
    // 64 hex digits: a raw key; 96: a raw key and the file's salt (backups).
    if !matches!(hex.len(), 64 | 96) || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(StoreError::WrongKey { path: PathBuf::new() });
    }
    // A raw key (x'..'), so no passphrase derivation runs on every open. It
    // must be the connection's first statement.
    // The statement holds the key: build it in memory that is wiped after.
    let mut pragma = zeroize::Zeroizing::new(String::with_capacity(80));
    pragma.push_str("PRAGMA key = \"x'");
    pragma.push_str(hex);
    pragma.push_str("'\";");
    conn.execute_batch(&pragma)?;
    let _ = conn.execute_batch("PRAGMA cipher_log_level = NONE;");
    Ok(())
}

pub fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

#[cfg(test)]
pub(crate) fn test_db() -> (tempfile::TempDir, Database) {
    let dir = tempfile::tempdir().unwrap();
    let key = Secret::new("ab".repeat(32));
    let mut db = Database::open(&dir.path().join("t.db"), &key).unwrap();
    attach_test_audit(&mut db);
    (dir, db)
}

/// Loads a fixed audit key, as a desk would the keyring's.
#[cfg(test)]
pub(crate) fn attach_test_audit(db: &mut Database) {
    db.attach_audit(|_| test_audit_key(), "test-os-user".into(), "test-profile".into()).unwrap();
}

#[cfg(test)]
pub(crate) fn test_audit_key() -> Result<AuditKey, StoreError> {
    AuditKey::from_hex(&Secret::new("5a".repeat(32)))
}

/// The query plan of `sql` with `params`, one step per line, for tests that
/// pin the index a statement reads.
#[cfg(test)]
pub(crate) fn query_plan(db: &Database, sql: &str, params: impl rusqlite::Params) -> String {
    let mut stmt = db.conn().prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
    let rows = stmt.query_map(params, |r| r.get::<_, String>(3)).unwrap();
    rows.map(Result::unwrap).collect::<Vec<_>>().join("\n")
}

/// A patient with just a name, for tests.
#[cfg(test)]
pub(crate) fn test_patient(db: &Database, name: &str) -> i64 {
    db.conn()
        .execute(
            "INSERT INTO patients (name, name_key, created_at, updated_at) VALUES (?1, lower(?1), 'x', 'x')",
            [name],
        )
        .unwrap();
    db.conn().last_insert_rowid()
}

/// An inbound text stored as-is (no matching), for tests.
#[cfg(test)]
pub(crate) fn test_inbound(db: &Database, patient_id: Option<i64>, from: &str, body: &str, at: &str) -> i64 {
    db.conn()
        .execute(
            "INSERT INTO messages (patient_id, direction, route, from_number, to_number, body, state, created_at,
                updated_at) VALUES (?1, 'inbound', 'his', ?2, 'CLINIC', ?3, 'received', ?4, ?4)",
            rusqlite::params![patient_id, from, body, at],
        )
        .unwrap();
    db.conn().last_insert_rowid()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrong_key_is_a_clear_error_and_right_key_reopens() {
        let (dir, db) = test_db();
        let path = db.path().to_path_buf();
        drop(db);
        let err = Database::open(&path, &Secret::new("cd".repeat(32))).unwrap_err();
        assert!(matches!(err, StoreError::WrongKey { .. }), "{err}");
        let again = Database::open(&path, &Secret::new("ab".repeat(32))).unwrap();
        assert_eq!(again.integrity_check().unwrap(), "ok");
        drop(dir);
    }

    #[test]
    fn pragmas_are_wal_full_and_foreign_keys() {
        let (_dir, db) = test_db();
        let c = db.conn();
        let mode: String = c.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
        let sync: i64 = c.query_row("PRAGMA synchronous", [], |r| r.get(0)).unwrap();
        let fk: i64 = c.query_row("PRAGMA foreign_keys", [], |r| r.get(0)).unwrap();
        assert_eq!((mode.as_str(), sync, fk), ("wal", 2, 1));
    }

    #[test]
    fn file_has_no_sqlite_header() {
        let (_dir, db) = test_db();
        db.conn().execute_batch("INSERT INTO settings VALUES ('user.name', 'Plaintext Probe', 'x')").unwrap();
        let bytes = std::fs::read(db.path()).unwrap();
        assert!(!bytes.starts_with(b"SQLite format 3"));
    }
}
