//! [`Desk`]: one open data directory — its keyring credentials and its
//! encrypted database — and the operations the CLI and the app share.

pub mod backup;
pub mod credential_origins;
pub mod data_dir_lock;
pub mod disclosures;
pub mod fhir;
pub mod hardening;
pub mod idle_lock;
pub mod paths;
pub mod people;
pub mod secrets;
pub mod settings;
pub mod setup_error;
pub mod team;
pub mod team_threads;
pub mod team_view;
pub mod templates;
pub mod unlock;

use std::{
    path::{Path, PathBuf},
    sync::Arc,
};

use keyring_core::CredentialStore;

use crate::{
    desk::data_dir_lock::{Holder, OpeningLock, SenderLock},
    desk::secrets::{Credentials, Secret, SecretName},
    rules::config,
    rules::error::{CoreError, Result},
    rules::phone::Region,
    store::{audit_chain, AuditKey, Database, PatientView, StoreError},
};

/// Which credential store to use.
#[derive(Clone, Default)]
pub enum KeyringChoice {
    /// The OS keyring; CareDesk refuses to start without one.
    #[default]
    Platform,
    /// A given store (in-memory, for unit tests only).
    Given(Arc<CredentialStore>),
}

#[derive(Clone, Default)]
pub struct DeskOptions {
    pub data_dir: Option<PathBuf>,
    pub keyring: KeyringChoice,
}

#[derive(Debug, Clone, serde::Serialize, ts_rs::TS)]
#[ts(rename = "Setting")]
pub struct SettingView {
    pub key: &'static str,
    pub value: Option<String>,
    pub default: Option<String>,
    pub description: &'static str,
    /// What CareDesk found out about the setting's subject, when it is not
    /// set (the hospital SMS server's estimated time zone).
    pub note: Option<String>,
}

#[derive(Debug, Clone, serde::Serialize, ts_rs::TS)]
#[ts(rename = "CredentialStatus")]
pub struct CredentialView {
    pub name: SecretName,
    pub stored: bool,
    pub description: &'static str,
}

pub struct Desk {
    data_dir: PathBuf,
    db: Database,
    creds: Credentials,
    /// Outbox claims this process holds right now (outbox row id, claim
    /// token): released at once if the work is cut short (see
    /// `outbox::release_claims`).
    held_claims: std::collections::HashMap<i64, i64>,
    /// The views audited lately, so they are not recorded again and again
    /// (see `disclosures`).
    recent_views: crate::desk::disclosures::RecentViews,
    role: String,
    sender: Option<SenderLock>,
    /// Team mode: whether this process holds the team's inbox poller lock
    /// (set by the team sync, see `engine::team::poller`).
    inbox_poller: bool,
    /// Team mode: the campaigns (gids) whose lock this process's team
    /// session holds: only those it feeds (see `engine::team::campaign_runs`).
    campaign_runs: std::collections::BTreeSet<String>,
    /// Team mode: since when this process finds the team database out of
    /// reach (set and cleared by the team sync).
    team_offline_since: Option<chrono::DateTime<chrono::Utc>>,
}

/// Who sends for the data directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sending {
    /// This process; `newly` when it just became the sender.
    Ours { newly: bool },
    /// Another live process, which sends what is queued.
    Elsewhere(Holder),
}

impl std::fmt::Debug for Desk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Desk").field("data_dir", &self.data_dir).finish()
    }
}

impl Desk {
    /// Opens the data directory: finds or creates its database key in the
    /// keyring and opens the encrypted database. There is no plaintext
    /// fallback: without a keyring this fails with instructions.
    pub fn open(options: DeskOptions) -> Result<Desk> {
        let (data_dir, creds, _opening) = prepare(options)?;
        let mut db = crate::desk::backup::open_database(&creds, &data_dir.join(paths::DATABASE_FILE))?;
        attach_audit(&creds, &mut db)?;
        let desk = Desk::with(data_dir, db, creds);
        desk.team_join_if_needed()?;
        Ok(desk)
    }

    /// Restores a backup ([`crate::desk::backup`]) as the data directory's
    /// database, then opens it. Audited.
    pub fn restore(options: DeskOptions, file: &Path, passphrase: &Secret) -> Result<Desk> {
        let (data_dir, creds, opening) = prepare_for_restore(options)?;
        crate::desk::backup::restore_into(&creds, &data_dir, file, passphrase)?;
        let mut db = crate::desk::backup::open_database(&creds, &data_dir.join(paths::DATABASE_FILE))?;
        attach_audit(&creds, &mut db)?;
        drop(opening);
        let desk = Desk::with(data_dir, db, creds);
        desk.db.audit(&desk.actor(), "backup.restore", None, "")?;
        Ok(desk)
    }

    fn with(data_dir: PathBuf, db: Database, creds: Credentials) -> Desk {
        tracing::debug!(data_dir = %data_dir.display(), "desk opened");
        Desk {
            data_dir,
            db,
            creds,
            held_claims: Default::default(),
            recent_views: Default::default(),
            role: "a CareDesk process".into(),
            sender: None,
            inbox_poller: false,
            campaign_runs: Default::default(),
            team_offline_since: None,
        }
    }

    /// Closes the database file, runs `replace` (which puts another file in
    /// its place) and opens that one with `key`.
    pub(crate) fn replace_database(&mut self, replace: impl FnOnce() -> Result<()>, key: &Secret) -> Result<()> {
        let path = self.db.path().to_path_buf();
        self.db.close_file()?;
        replace()?;
        let mut db = Database::open(&path, key)?;
        attach_audit(&self.creds, &mut db)?;
        self.db = db;
        Ok(())
    }

    /// How this process names itself to others on the same data directory
    /// ("the CareDesk app", "caredesk sync").
    pub fn set_role(&mut self, role: impl Into<String>) {
        self.role = role.into();
    }

    /// Makes this process the data directory's sender if no other process
    /// is (see [`crate::desk::data_dir_lock`]).
    pub fn claim_sending(&mut self) -> Result<Sending> {
        if self.sender.is_some() {
            return Ok(Sending::Ours { newly: false });
        }
        let io = |e: std::io::Error| CoreError::Io(format!("cannot lock the data directory for sending: {e}"));
        match SenderLock::try_acquire(&self.data_dir, &self.role).map_err(io)? {
            Ok(lock) => {
                self.sender = Some(lock);
                Ok(Sending::Ours { newly: true })
            }
            Err(holder) => Ok(Sending::Elsewhere(holder)),
        }
    }

    /// Whether this process holds the data directory's sender lock.
    pub fn is_sender(&self) -> bool {
        self.sender.is_some()
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    pub fn db(&self) -> &Database {
        &self.db
    }

    pub fn db_mut(&mut self) -> &mut Database {
        &mut self.db
    }

    pub fn credentials(&self) -> &Credentials {
        &self.creds
    }

    pub(crate) fn recent_views(&self) -> &crate::desk::disclosures::RecentViews {
        &self.recent_views
    }

    /// This process now holds the claim `token` on outbox row `outbox_id`.
    pub fn hold_claim(&mut self, outbox_id: i64, token: i64) {
        self.held_claims.insert(outbox_id, token);
    }

    /// The work on outbox row `outbox_id` is over (its result recorded).
    pub fn drop_claim(&mut self, outbox_id: i64) {
        self.held_claims.remove(&outbox_id);
    }

    /// The claims this process holds, taken (to be released).
    pub fn take_claims(&mut self) -> Vec<(i64, i64)> {
        self.held_claims.drain().collect()
    }

    /// The setting's stored value, else its default.
    pub fn setting(&self, key: &str) -> Result<Option<String>> {
        let s = config::lookup(key)?;
        Ok(self.db.setting(key)?.or_else(|| s.default.map(String::from)))
    }

    /// The coordinator acting: `user.name`, else the OS user name.
    pub fn actor(&self) -> String {
        self.db.setting("user.name").ok().flatten().unwrap_or_else(config::os_user_name)
    }

    /// The person acting, as the activity log names them: `user.name`,
    /// else the OS user's display name.
    pub fn person_name(&self) -> String {
        self.db.setting("user.name").ok().flatten().unwrap_or_else(config::os_display_name)
    }

    pub fn region(&self) -> Region {
        self.setting("phone.default_region").ok().flatten().and_then(|r| r.parse().ok()).unwrap_or_default()
    }

    /// Stores a secret. The audit entry (its name, never its value) is
    /// written first in a transaction that commits only once the keyring
    /// took the secret.
    pub fn set_credential(&self, name: SecretName, secret: &Secret) -> Result<()> {
        self.db.atomically(|c| {
            self.db.audit_on(c, &self.actor(), "credential.set", None, name.as_str())?;
            crate::desk::credential_origins::store(self, name, secret)
        })?;
        self.resume_after_change(match name {
            SecretName::HisToken | SecretName::HisClientSecret => "his",
            SecretName::EcmToken => "ecm",
            SecretName::TeamPassword => "team",
            SecretName::FhirToken | SecretName::FhirClientSecret => "fhir",
        })?;
        Ok(())
    }

    pub fn delete_credential(&self, name: SecretName) -> Result<bool> {
        self.db.atomically(|c| {
            self.db.audit_on(c, &self.actor(), "credential.delete", None, name.as_str())?;
            Ok(self.creds.delete(name)?)
        })
    }

    pub fn credential_status(&self) -> Result<Vec<CredentialView>> {
        SecretName::ALL
            .into_iter()
            .map(|name| {
                Ok(CredentialView { name, stored: self.creds.is_stored(name)?, description: name.description() })
            })
            .collect()
    }

    /// Imports the sandbox's demo roster when the roster is empty, so a new
    /// user has patients to text and call. Returns how many were added.
    pub fn seed_demo_roster(&mut self) -> Result<usize> {
        if self.db.patient_count()? > 0 {
            return Ok(0);
        }
        let roster = crate::sandbox::demo::roster();
        let (actor, signer) = (self.actor(), self.db.audit_signer()?);
        let tx = self.db.conn_mut().transaction().map_err(StoreError::from)?;
        for p in &roster {
            crate::store::upsert_patient(&tx, p)?;
        }
        let detail = format!("{} demo patients", roster.len());
        let entry = crate::store::NewAuditEntry {
            actor: &actor,
            action: "patients.demo_roster",
            patient_id: None,
            detail: &detail,
        };
        audit_chain::append(&tx, &signer, &entry)?;
        tx.commit().map_err(StoreError::from)?;
        Ok(roster.len())
    }

    pub fn patient(&self, reference: &str) -> Result<PatientView> {
        let id =
            self.db.resolve_patient(reference)?.ok_or_else(|| CoreError::PatientNotFound(reference.to_string()))?;
        self.db.patient(id)?.ok_or_else(|| CoreError::PatientNotFound(reference.to_string()))
    }
}

/// The data directory, its credentials and the opening lock: refuses a
/// database without its instance id.
fn prepare(options: DeskOptions) -> Result<(PathBuf, Credentials, OpeningLock)> {
    let (data_dir, store, opening) = lock_dir(options)?;
    if data_dir.join(paths::DATABASE_FILE).exists() && !data_dir.join(paths::INSTANCE_ID_FILE).exists() {
        return Err(CoreError::Io(format!(
            "the data directory {} holds a database but not its {} file, which names its key in the OS keyring. \
             Put the file back (from the backup of the folder), or restore a CareDesk backup with `caredesk restore`",
            data_dir.display(),
            paths::INSTANCE_ID_FILE
        )));
    }
    let instance = instance_of(&data_dir)?;
    Ok((data_dir, Credentials::new(store, instance), opening))
}

/// [`prepare`] for a restore, which may replace a database whose
/// instance id (and so key) is lost.
fn prepare_for_restore(options: DeskOptions) -> Result<(PathBuf, Credentials, OpeningLock)> {
    let (data_dir, store, opening) = lock_dir(options)?;
    let instance = instance_of(&data_dir)?;
    Ok((data_dir, Credentials::new(store, instance), opening))
}

fn lock_dir(options: DeskOptions) -> Result<(PathBuf, Arc<CredentialStore>, OpeningLock)> {
    let data_dir = paths::resolve_data_dir(options.data_dir.as_deref()).map_err(|e| CoreError::Io(e.to_string()))?;
    create_private_dir(&data_dir)?;
    let opening = OpeningLock::acquire(&data_dir).map_err(|e| dir_error(&data_dir, e))?;
    let store = match options.keyring {
        KeyringChoice::Platform => secrets::platform_store()?,
        KeyringChoice::Given(s) => s,
    };
    Ok((data_dir, store, opening))
}

fn instance_of(data_dir: &Path) -> Result<String> {
    paths::instance_id(data_dir).map_err(|e| dir_error(data_dir, e))
}

fn dir_error(data_dir: &Path, e: std::io::Error) -> CoreError {
    CoreError::Io(format!("cannot use the data directory {}: {e}", data_dir.display()))
}

/// Signs the audit log's entries from now on (and, after the upgrade, the
/// older ones). The profile an entry records is the data directory's
/// instance id: CareDesk has no other notion of a profile.
fn attach_audit(creds: &Credentials, db: &mut Database) -> Result<()> {
    let signed =
        db.attach_audit(|signed| audit_key(creds, signed), config::os_user_name(), creds.instance().to_string())?;
    if signed > 0 {
        tracing::info!(entries = signed, "the audit log's older entries are now chained");
    }
    Ok(())
}

/// The audit key from the keyring; created only for a log never signed
/// (a new database, or the first open after the upgrade).
fn audit_key(creds: &Credentials, signed: bool) -> Result<AuditKey> {
    match creds.audit_key()? {
        Some(k) => Ok(AuditKey::from_hex(&k)?),
        None if signed => Err(StoreError::AuditKeyMissing.into()),
        None => Ok(AuditKey::from_hex(&creds.create_audit_key()?)?),
    }
}

fn create_private_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir)
        .map_err(|e| CoreError::Io(format!("cannot create the data directory {}: {e}", dir.display())))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
    }
    Ok(())
}

/// Locks a shared desk; a poisoned lock is an error, never a panic.
pub fn lock(desk: &std::sync::Mutex<Desk>) -> Result<std::sync::MutexGuard<'_, Desk>> {
    desk.lock().map_err(|_| CoreError::Io("the desk lock was poisoned by an earlier failure; restart CareDesk".into()))
}

impl Desk {
    /// Who acts, for ECM: the ECM user id when set, else the person's name.
    pub fn actor_ids(&self) -> String {
        self.setting("user.ecm_user_id").ok().flatten().unwrap_or_else(|| self.actor())
    }
}

/// A desk on `dir` with an in-memory keyring and `user.name` set, for tests.
#[cfg(test)]
pub(crate) fn test_desk(dir: &std::path::Path, user: &str) -> Desk {
    let desk = Desk::open(DeskOptions {
        data_dir: Some(dir.to_path_buf()),
        keyring: KeyringChoice::Given(secrets::memory_store()),
    })
    .unwrap();
    desk.set_setting("user.name", user).unwrap();
    // Independent of the hour the tests run at.
    desk.set_setting("sms.quiet_hours", "off").unwrap();
    desk
}

#[cfg(test)]
mod audit_tests;

#[cfg(test)]
mod tests {
    use super::*;

    fn open(dir: &Path, store: Arc<CredentialStore>) -> Desk {
        Desk::open(DeskOptions { data_dir: Some(dir.to_path_buf()), keyring: KeyringChoice::Given(store) }).unwrap()
    }

    #[test]
    fn key_is_created_once_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let store = secrets::memory_store();
        let desk = open(dir.path(), store.clone());
        desk.set_setting("user.name", "Dana Coordinator").unwrap();
        drop(desk);
        let again = open(dir.path(), store);
        assert_eq!(again.actor(), "Dana Coordinator");
    }

    #[test]
    fn existing_database_without_key_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        drop(open(dir.path(), secrets::memory_store()));
        let err = Desk::open(DeskOptions {
            data_dir: Some(dir.path().into()),
            keyring: KeyringChoice::Given(secrets::memory_store()),
        })
        .unwrap_err();
        assert!(matches!(err.downcast_ref(), Some(StoreError::KeyMissing { .. })), "{err}");
    }

    #[test]
    fn a_database_without_its_instance_id_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = secrets::memory_store();
        drop(open(dir.path(), store.clone()));
        std::fs::remove_file(dir.path().join(paths::INSTANCE_ID_FILE)).unwrap();
        let err = Desk::open(DeskOptions { data_dir: Some(dir.path().into()), keyring: KeyringChoice::Given(store) })
            .unwrap_err()
            .to_string();
        assert!(err.contains("instance-id") && err.contains("caredesk restore"), "{err}");
        assert!(!dir.path().join(paths::INSTANCE_ID_FILE).exists(), "no new id was made up");
    }

    #[test]
    fn first_starts_at_once_agree_on_one_key() {
        for _ in 0..10 {
            let dir = tempfile::tempdir().unwrap();
            let store = secrets::memory_store();
            let opened: Vec<_> = std::thread::scope(|s| {
                let handles: Vec<_> = (0..4)
                    .map(|_| {
                        let (path, store) = (dir.path().to_path_buf(), store.clone());
                        s.spawn(move || {
                            Desk::open(DeskOptions { data_dir: Some(path), keyring: KeyringChoice::Given(store) })
                        })
                    })
                    .collect();
                handles.into_iter().map(|h| h.join().unwrap()).collect()
            });
            for desk in opened {
                let desk = desk.unwrap();
                assert_eq!(desk.db().patient_count().unwrap(), 0);
            }
            // The stored key opens the database.
            drop(open(dir.path(), store));
        }
    }

    #[test]
    fn settings_and_credentials_are_audited_without_values() {
        let dir = tempfile::tempdir().unwrap();
        let desk = open(dir.path(), secrets::memory_store());
        desk.set_setting("sms.via", "ecm").unwrap();
        desk.set_credential(SecretName::EcmToken, &Secret::new("super-secret-token")).unwrap();
        let log = desk.db().audit_entries(10).unwrap();
        assert_eq!(log.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(), ["config.set", "credential.set"]);
        assert!(log.iter().all(|e| !e.detail.contains("super-secret")));
        assert!(desk.credential_status().unwrap().iter().any(|c| c.name == SecretName::EcmToken && c.stored));
    }
}
