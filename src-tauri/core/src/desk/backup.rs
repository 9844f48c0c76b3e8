//! The database key's safety net and its rotation.
//!
//! - **Backup** (`caredesk backup FILE`): an encrypted copy of the whole
//!   database under a key derived from a passphrase with Argon2id
//!   (RFC 9106: 64 MiB, 3 passes, 1 lane; a random 16-byte salt, which is
//!   the copy's SQLCipher salt, its first 16 bytes). Losing the keyring no
//!   longer loses the data.
//! - **Restore** (`caredesk restore FILE`): into a data directory without a
//!   readable database, under a new random key in this keyring.
//! - **Rekey** (`caredesk rekey`): the database under a new random key,
//!   crash-safe: the new key is stored as `database-key-next` before the
//!   re-encrypted copy replaces the file (an atomic rename), and only then
//!   becomes `database-key`. Opening settles a rekey cut short, so a kill
//!   at any point leaves a database that one of the two keys opens.

use std::path::{Path, PathBuf};

use argon2::{Algorithm, Argon2, Params, Version};
use zeroize::Zeroizing;

use crate::{
    desk::paths,
    desk::secrets::{Credentials, Secret},
    desk::Desk,
    rules::error::{CoreError, Result},
    store::{copy, Database, StoreError},
};

/// The shortest backup passphrase accepted.
pub const MIN_PASSPHRASE_CHARS: usize = 12;
const SALT_BYTES: usize = 16;
const REKEY_SUFFIX: &str = "rekey";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BackupError {
    #[error("the backup passphrase must have at least {MIN_PASSPHRASE_CHARS} characters")]
    WeakPassphrase,
    #[error("{0} already exists; CareDesk never writes a backup over a file")]
    Exists(PathBuf),
    #[error("the passphrase does not open {0}, or it is not a CareDesk backup")]
    WrongPassphrase(PathBuf),
    #[error("{0} is not a CareDesk backup (too short)")]
    NotABackup(PathBuf),
    #[error("the data directory {0} already has a database this keyring opens; restore into a new data directory (--data-dir) or move this one away first")]
    InUse(PathBuf),
    #[error("{0} sends for this data directory; close it before rekeying")]
    Busy(String),
    #[error("cannot derive the backup key: {0}")]
    Derive(String),
}

impl crate::rules::error::CodedError for BackupError {
    fn code(&self) -> crate::rules::error::ErrorCode {
        crate::rules::error::ErrorCode::Backup
    }
}

/// What a backup or restore did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BackupSummary {
    pub path: String,
    pub bytes: u64,
    pub patients: i64,
    pub messages: i64,
}

/// Argon2id(passphrase, salt) as SQLCipher's raw key with its salt: 64 hex
/// digits of key, then 32 of salt.
fn derive(passphrase: &Secret, salt: &[u8; SALT_BYTES]) -> Result<Secret> {
    let params = Params::new(64 * 1024, 3, 1, Some(32)).map_err(|e| BackupError::Derive(e.to_string()))?;
    let mut key = Zeroizing::new([0u8; 32]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(passphrase.expose().as_bytes(), salt, &mut key[..])
        .map_err(|e| BackupError::Derive(e.to_string()))?;
    let mut hex = Zeroizing::new(hex::encode(&key[..]));
    hex.push_str(&hex::encode(salt));
    Ok(Secret::new(hex.as_str()))
}

fn check_passphrase(passphrase: &Secret) -> Result<()> {
    if passphrase.expose().trim().chars().count() < MIN_PASSPHRASE_CHARS {
        return Err(BackupError::WeakPassphrase.into());
    }
    Ok(())
}

fn counts(conn: &rusqlite::Connection) -> Result<(i64, i64)> {
    let n = |sql: &str| conn.query_row(sql, [], |r| r.get::<_, i64>(0)).map_err(StoreError::from);
    Ok((n("SELECT count(*) FROM patients")?, n("SELECT count(*) FROM messages")?))
}

/// A file beside `path` that nothing else uses.
fn partial_path(path: &Path) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    path.with_file_name(format!(".{name}.partial-{}", uuid::Uuid::new_v4().simple()))
}

/// Writes an encrypted copy of the desk's database to `file` (never over
/// an existing file). Audited.
pub fn backup(desk: &Desk, file: &Path, passphrase: &Secret) -> Result<BackupSummary> {
    check_passphrase(passphrase)?;
    if file.exists() {
        return Err(BackupError::Exists(file.to_path_buf()).into());
    }
    let mut salt = [0u8; SALT_BYTES];
    rand::Rng::fill(&mut rand::rng(), &mut salt[..]);
    let key = derive(passphrase, &salt)?;
    let partial = partial_path(file);
    desk.db().export_copy(&partial, &key)?;
    // The audit log's signing key goes with it, inside the encryption, so a
    // restored log still verifies.
    if let Err(e) = carry_audit_key(desk, &partial, &key) {
        let _ = std::fs::remove_file(&partial);
        return Err(e);
    }
    // Hard-linking fails if `file` appeared meanwhile: no overwrite, ever.
    let placed = std::fs::hard_link(&partial, file);
    let _ = std::fs::remove_file(&partial);
    placed.map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => CoreError::from(BackupError::Exists(file.to_path_buf())),
        _ => CoreError::Io(format!("cannot write {}: {e}", file.display())),
    })?;
    let (patients, messages) = counts(desk.db().conn())?;
    let bytes = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
    desk.db().audit(&desk.actor(), "backup.create", None, &format!("{bytes} bytes, {patients} patients"))?;
    Ok(BackupSummary { path: file.display().to_string(), bytes, patients, messages })
}

const CARRIED_KEYS: &str = "caredesk_backup_keys";

fn carry_audit_key(desk: &Desk, copy_path: &Path, key: &Secret) -> Result<()> {
    let Some(audit_key) = desk.credentials().audit_key()? else { return Ok(()) };
    let conn = rusqlite::Connection::open(copy_path).map_err(StoreError::from)?;
    crate::store::apply_key(&conn, key)?;
    conn.execute_batch(&format!("CREATE TABLE {CARRIED_KEYS} (name TEXT PRIMARY KEY, value TEXT NOT NULL)"))
        .map_err(StoreError::from)?;
    conn.execute(&format!("INSERT INTO {CARRIED_KEYS} (name, value) VALUES ('audit-key', ?1)"), [audit_key.expose()])
        .map_err(StoreError::from)?;
    conn.close().map_err(|(_, e)| StoreError::from(e))?;
    Ok(())
}

/// Takes the carried keys out of a restored database into the keyring.
fn take_carried_keys(creds: &Credentials, db_path: &Path, key: &Secret) -> Result<()> {
    let conn = rusqlite::Connection::open(db_path).map_err(StoreError::from)?;
    crate::store::apply_key(&conn, key)?;
    let carried: Option<String> =
        conn.query_row(&format!("SELECT value FROM {CARRIED_KEYS} WHERE name = 'audit-key'"), [], |r| r.get(0)).ok();
    if let Some(k) = carried {
        creds.set_audit_key(&Secret::new(k))?;
    }
    conn.execute_batch(&format!("DROP TABLE IF EXISTS {CARRIED_KEYS}")).map_err(StoreError::from)?;
    conn.close().map_err(|(_, e)| StoreError::from(e))?;
    Ok(())
}

/// The key that opens a backup with its passphrase.
fn backup_key(file: &Path, passphrase: &Secret) -> Result<Secret> {
    use std::io::Read;
    let mut salt = [0u8; SALT_BYTES];
    std::fs::File::open(file)
        .and_then(|mut f| f.read_exact(&mut salt))
        .map_err(|_| CoreError::from(BackupError::NotABackup(file.to_path_buf())))?;
    let key = derive(passphrase, &salt)?;
    match copy::open_read_only(file, &key) {
        Ok(_) => Ok(key),
        Err(StoreError::WrongKey { .. }) => Err(BackupError::WrongPassphrase(file.to_path_buf()).into()),
        Err(other) => Err(other.into()),
    }
}

/// Restores `file` into the data directory of `creds` as its database,
/// under a new random key. Called by [`Desk::restore`] under the opening
/// lock. A database there that the keyring cannot open is moved aside.
pub(crate) fn restore_into(creds: &Credentials, data_dir: &Path, file: &Path, passphrase: &Secret) -> Result<()> {
    let backup_key = backup_key(file, passphrase)?;
    let db_path = data_dir.join(paths::DATABASE_FILE);
    if db_path.exists() {
        let opens = creds.database_key()?.is_some_and(|k| copy::open_read_only(&db_path, &k).is_ok());
        if opens {
            return Err(BackupError::InUse(data_dir.to_path_buf()).into());
        }
        let aside = data_dir.join(format!(
            "{}.unreadable-{}",
            paths::DATABASE_FILE,
            chrono::Utc::now().format("%Y%m%dT%H%M%S")
        ));
        std::fs::rename(&db_path, &aside)
            .map_err(|e| CoreError::Io(format!("cannot move the old database aside: {e}")))?;
        for side in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(data_dir.join(format!("{}{side}", paths::DATABASE_FILE)));
        }
        tracing::warn!("a database the keyring could not open was moved aside before the restore");
    }
    let key = match creds.database_key()? {
        Some(k) => k,
        None => creds.create_database_key()?,
    };
    let partial = partial_path(&db_path);
    copy::copy_file(file, &backup_key, &partial, &key)?;
    take_carried_keys(creds, &partial, &key)?;
    std::fs::rename(&partial, &db_path)
        .map_err(|e| CoreError::Io(format!("cannot put the restored database in place: {e}")))?;
    sync_dir(data_dir);
    Ok(())
}

/// Opens the data directory's database with the keyring's key, creating
/// both on first start (under the opening lock), and settles a rekey that
/// was cut short.
pub(crate) fn open_database(creds: &Credentials, db_path: &Path) -> Result<Database> {
    let key = creds.database_key()?;
    let next = creds.next_database_key()?;
    let stale_copy = rekey_path(db_path);
    let db = match (key, next) {
        (None, None) if !db_path.exists() => Database::open(db_path, &creds.create_database_key()?)?,
        (None, None) => return Err(StoreError::KeyMissing { path: db_path.to_path_buf() }.into()),
        (Some(key), next) => match Database::open(db_path, &key) {
            Ok(db) => {
                // A rekey stopped before its copy replaced the file.
                if next.is_some() {
                    creds.delete_next_database_key()?;
                    let _ = std::fs::remove_file(&stale_copy);
                    tracing::warn!("a rekey was cut short before it finished: the database keeps its key");
                }
                db
            }
            Err(StoreError::WrongKey { .. }) if next.is_some() => promote(creds, db_path, next)?,
            Err(e) => return Err(e.into()),
        },
        (None, next) => promote(creds, db_path, next)?,
    };
    Ok(db)
}

/// The re-encrypted copy replaced the file, and then the process stopped:
/// the next key opens it and becomes the key.
fn promote(creds: &Credentials, db_path: &Path, next: Option<Secret>) -> Result<Database> {
    let next = next.ok_or_else(|| StoreError::KeyMissing { path: db_path.to_path_buf() })?;
    let db = Database::open(db_path, &next)?;
    creds.set_database_key(&next)?;
    creds.delete_next_database_key()?;
    tracing::warn!("a rekey was cut short after the new key took over: it is finished now");
    Ok(db)
}

fn rekey_path(db_path: &Path) -> PathBuf {
    let name = db_path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    db_path.with_file_name(format!("{name}.{REKEY_SUFFIX}"))
}

fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Re-encrypts the desk's database under a new random key (see the module
/// notes). Only the sender may: no other process is writing.
pub fn rekey(desk: &mut Desk) -> Result<()> {
    if let crate::desk::Sending::Elsewhere(holder) = desk.claim_sending()? {
        return Err(BackupError::Busy(holder.0).into());
    }
    let db_path = desk.db().path().to_path_buf();
    let staged = rekey_path(&db_path);
    let _ = std::fs::remove_file(&staged);
    let new_key = Credentials::random_database_key();
    // 1. The new key is kept before anything is encrypted with it.
    desk.credentials().set_next_database_key(&new_key)?;
    // 2. The re-encrypted copy, complete on disk.
    desk.db().export_copy(&staged, &new_key)?;
    crash_point("copied");
    // 3. It replaces the file: the old WAL (checkpointed into the copy)
    // must not be applied to the new file.
    desk.replace_database(
        || {
            for side in ["-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{side}", db_path.display()));
            }
            std::fs::rename(&staged, &db_path)
                .map_err(|e| CoreError::Io(format!("cannot replace the database: {e}")))?;
            sync_dir(db_path.parent().unwrap_or(Path::new(".")));
            crash_point("renamed");
            Ok(())
        },
        &new_key,
    )?;
    // 4. The new key is the key.
    desk.credentials().set_database_key(&new_key)?;
    crash_point("stored");
    desk.credentials().delete_next_database_key()?;
    desk.db().audit(&desk.actor(), "database.rekey", None, "")?;
    Ok(())
}

/// For the crash tests: `CAREDESK_REKEY_STOP_AT=copied|renamed|stored`
/// ends the process there, as a kill would.
fn crash_point(name: &str) {
    if std::env::var("CAREDESK_REKEY_STOP_AT").is_ok_and(|v| v == name) {
        std::process::abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        desk::secrets,
        desk::{DeskOptions, KeyringChoice},
    };

    fn open(dir: &Path, store: &std::sync::Arc<keyring_core::CredentialStore>) -> Desk {
        Desk::open(DeskOptions { data_dir: Some(dir.into()), keyring: KeyringChoice::Given(store.clone()) }).unwrap()
    }

    #[test]
    fn a_backup_restores_on_another_keyring_with_its_passphrase_only() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let mut desk = open(a.path(), &secrets::memory_store());
        desk.seed_demo_roster().unwrap();
        let file = a.path().join("caredesk.backup");
        let pass = Secret::new("correct horse battery");
        let weak = backup(&desk, &file, &Secret::new("short")).unwrap_err();
        assert!(matches!(weak.downcast_ref(), Some(BackupError::WeakPassphrase)), "{weak:?}");
        let made = backup(&desk, &file, &pass).unwrap();
        assert!(made.patients > 0 && made.bytes > 0, "{made:?}");
        assert!(matches!(backup(&desk, &file, &pass).unwrap_err().downcast_ref(), Some(BackupError::Exists(_))));
        let text = std::fs::read(&file).unwrap();
        assert!(!text.windows(9).any(|w| w == b"Ana Lopez"), "the backup is encrypted");

        // The keyring is gone: a new one, a new data directory.
        let store = secrets::memory_store();
        let wrong = Desk::restore(
            DeskOptions { data_dir: Some(b.path().into()), keyring: KeyringChoice::Given(store.clone()) },
            &file,
            &Secret::new("wrong horse battery"),
        );
        assert!(
            matches!(wrong.as_ref().map_err(|e| e.downcast_ref()), Err(Some(BackupError::WrongPassphrase(_)))),
            "{wrong:?}"
        );
        let restored = Desk::restore(
            DeskOptions { data_dir: Some(b.path().into()), keyring: KeyringChoice::Given(store.clone()) },
            &file,
            &pass,
        )
        .unwrap();
        assert_eq!(restored.db().patient_count().unwrap(), made.patients);
        let verified = restored.db().verify_audit().unwrap();
        assert!(verified.problem.is_none() && verified.entries >= 2, "the restored log verifies: {verified:?}");
        drop(restored);
        assert_eq!(open(b.path(), &store).db().patient_count().unwrap(), made.patients);
        let again = Desk::restore(
            DeskOptions { data_dir: Some(b.path().into()), keyring: KeyringChoice::Given(store) },
            &file,
            &pass,
        );
        assert!(matches!(again.as_ref().map_err(|e| e.downcast_ref()), Err(Some(BackupError::InUse(_)))), "{again:?}");
    }

    #[test]
    fn rekey_changes_the_key_and_keeps_the_data() {
        let dir = tempfile::tempdir().unwrap();
        let store = secrets::memory_store();
        let mut desk = open(dir.path(), &store);
        desk.seed_demo_roster().unwrap();
        let before = desk.credentials().database_key().unwrap().unwrap();
        let patients = desk.db().patient_count().unwrap();
        rekey(&mut desk).unwrap();
        let after = desk.credentials().database_key().unwrap().unwrap();
        assert_ne!(before.expose(), after.expose());
        assert_eq!(desk.db().patient_count().unwrap(), patients, "the open desk works on");
        assert!(desk.credentials().next_database_key().unwrap().is_none());
        drop(desk);
        let db_path = dir.path().join(paths::DATABASE_FILE);
        assert!(matches!(Database::open(&db_path, &before), Err(StoreError::WrongKey { .. })));
        assert_eq!(open(dir.path(), &store).db().patient_count().unwrap(), patients);
    }

    #[test]
    fn a_rekey_cut_short_at_each_step_still_opens() {
        let dir = tempfile::tempdir().unwrap();
        let store = secrets::memory_store();
        let mut desk = open(dir.path(), &store);
        desk.seed_demo_roster().unwrap();
        let patients = desk.db().patient_count().unwrap();
        let db_path = dir.path().join(paths::DATABASE_FILE);
        let creds = desk.credentials().clone();
        drop(desk);
        // After step 1 and 2: the next key stored, the copy made, not in place.
        let next = Credentials::random_database_key();
        creds.set_next_database_key(&next).unwrap();
        {
            let db = Database::open(&db_path, &creds.database_key().unwrap().unwrap()).unwrap();
            db.export_copy(&rekey_path(&db_path), &next).unwrap();
        }
        let desk = open(dir.path(), &store);
        assert_eq!(desk.db().patient_count().unwrap(), patients);
        assert!(creds.next_database_key().unwrap().is_none() && !rekey_path(&db_path).exists(), "settled");
        drop(desk);
        // After step 3: the copy in place, the old key still the key.
        creds.set_next_database_key(&next).unwrap();
        {
            let db = Database::open(&db_path, &creds.database_key().unwrap().unwrap()).unwrap();
            db.export_copy(&rekey_path(&db_path), &next).unwrap();
        }
        std::fs::rename(rekey_path(&db_path), &db_path).unwrap();
        for side in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{side}", db_path.display()));
        }
        let desk = open(dir.path(), &store);
        assert_eq!(desk.db().patient_count().unwrap(), patients);
        assert_eq!(creds.database_key().unwrap().unwrap().expose(), next.expose(), "promoted");
        assert!(creds.next_database_key().unwrap().is_none());
    }
}
