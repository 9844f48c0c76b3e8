//! Encrypted copies of the database under another key: backups, restores
//! and rekeying. SQLCipher's `sqlcipher_export` writes every table, index,
//! trigger and the schema version into an attached database keyed with the
//! new key; the copy is a standard SQLCipher 4 file.

use std::path::Path;

use rusqlite::{Connection, OpenFlags};

use super::{apply_key, Database, StoreError};
use crate::rules::secret::Secret;

/// Copies `from` (an open connection) into a new file at `to`, encrypted
/// with `key` (64 hex digits, or 96: key and the file's salt). `to` must
/// not exist.
pub(crate) fn export(from: &Connection, to: &Path, key: &Secret) -> Result<(), StoreError> {
    if to.exists() {
        return Err(StoreError::Io(format!("{} already exists", to.display())));
    }
    let hex = key.expose();
    if !matches!(hex.len(), 64 | 96) || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(StoreError::WrongKey { path: to.to_path_buf() });
    }
    let version: i64 = from.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let target = to.to_str().ok_or_else(|| StoreError::Io(format!("{} is not a UTF-8 path", to.display())))?;
    let mut attach = zeroize::Zeroizing::new(String::new());
    attach.push_str("ATTACH DATABASE ?1 AS copy KEY \"x'");
    attach.push_str(hex);
    attach.push_str("'\"");
    from.execute(&attach, [target])?;
    let exported = from
        .query_row("SELECT sqlcipher_export('copy')", [], |_| Ok(()))
        .and_then(|()| from.execute_batch(&format!("PRAGMA copy.user_version = {version};")));
    let detached = from.execute_batch("DETACH DATABASE copy");
    exported?;
    detached?;
    restrict(to)?;
    // The copy is complete on disk before anyone relies on it.
    std::fs::File::open(to).and_then(|f| f.sync_all()).map_err(|e| StoreError::Io(e.to_string()))?;
    Ok(())
}

/// Copies the encrypted file `from` (key `from_key`) into a new file at
/// `to` under `to_key`.
pub(crate) fn copy_file(from: &Path, from_key: &Secret, to: &Path, to_key: &Secret) -> Result<(), StoreError> {
    if to.exists() {
        return Err(StoreError::Io(format!("{} already exists", to.display())));
    }
    let version: i64 = open_read_only(from, from_key)?.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let conn = Connection::open(to)?;
    apply_key(&conn, to_key)?;
    let source = from.to_str().ok_or_else(|| StoreError::Io(format!("{} is not a UTF-8 path", from.display())))?;
    let mut attach = zeroize::Zeroizing::new(String::new());
    attach.push_str("ATTACH DATABASE ?1 AS source KEY \"x'");
    attach.push_str(from_key.expose());
    attach.push_str("'\"");
    conn.execute(&attach, [source])?;
    conn.query_row("SELECT sqlcipher_export('main', 'source')", [], |_| Ok(()))?;
    conn.execute_batch(&format!("DETACH DATABASE source; PRAGMA user_version = {version};"))?;
    conn.close().map_err(|(_, e)| StoreError::Sqlite(e))?;
    restrict(to)?;
    std::fs::File::open(to).and_then(|f| f.sync_all()).map_err(|e| StoreError::Io(e.to_string()))?;
    Ok(())
}

/// Opens an encrypted copy read-only with `key`; a wrong key is
/// [`StoreError::WrongKey`].
pub(crate) fn open_read_only(path: &Path, key: &Secret) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
    apply_key(&conn, key)?;
    match conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get::<_, i64>(0)) {
        Ok(_) => Ok(conn),
        Err(rusqlite::Error::SqliteFailure(f, _)) if f.code == rusqlite::ErrorCode::NotADatabase => {
            Err(StoreError::WrongKey { path: path.to_path_buf() })
        }
        Err(e) => Err(e.into()),
    }
}

fn restrict(path: &Path) -> Result<(), StoreError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| StoreError::Io(e.to_string()))?;
    }
    Ok(())
}

impl Database {
    /// Copies this database to `to` under `key` (see [`export`]).
    pub(crate) fn export_copy(&self, to: &Path, key: &Secret) -> Result<(), StoreError> {
        // Everything committed is in the main file first (the copy reads
        // through this connection either way; this keeps the WAL small).
        let _ = self.conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);");
        export(&self.conn, to, key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_db;

    #[test]
    fn a_copy_opens_with_its_key_only_and_keeps_everything() {
        let (dir, db) = test_db();
        db.set_setting("sms.via", "ecm").unwrap();
        db.audit("ana", "config.set", None, "sms.via").unwrap();
        let to = dir.path().join("copy.db");
        let key = Secret::new("cd".repeat(32) + &"01".repeat(16));
        db.export_copy(&to, &key).unwrap();
        assert!(db.export_copy(&to, &key).is_err(), "never over an existing file");
        let copy = open_read_only(&to, &key).unwrap();
        let via: String = copy.query_row("SELECT value FROM settings WHERE key = 'sms.via'", [], |r| r.get(0)).unwrap();
        let version: i64 = copy.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!((via.as_str(), version), ("ecm", crate::store::migrations::latest_version() as i64));
        // The triggers came along: the copy's audit log is append-only too.
        let triggers: i64 =
            copy.query_row("SELECT count(*) FROM sqlite_master WHERE type = 'trigger'", [], |r| r.get(0)).unwrap();
        assert!(triggers >= 2);
        let wrong = Secret::new("ef".repeat(32) + &"01".repeat(16));
        assert!(matches!(open_read_only(&to, &wrong), Err(StoreError::WrongKey { .. })));
        // The salt given is the file's first 16 bytes.
        let head = std::fs::read(&to).unwrap();
        assert_eq!(&head[..16], &[1u8; 16]);
    }
}
