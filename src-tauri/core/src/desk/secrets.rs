//! Credentials in the OS keyring (Secret Service on Linux, Keychain on macOS,
//! Credential Manager on Windows) through `keyring-core`. Secrets never touch
//! the database, config files, logs or the UI after entry.

use std::{fmt, str::FromStr, sync::Arc};

use keyring_core::{CredentialStore, Error as KeyringError};
use zeroize::Zeroizing;

pub use crate::rules::secret::Secret;

/// The keyring service name under which every CareDesk entry is stored.
pub const KEYRING_SERVICE: &str = "CareDesk";

/// The secrets a user can store. The database key is internal and not listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[ts(rename = "CredentialName")]
pub enum SecretName {
    #[serde(rename = "his-token")]
    HisToken,
    #[serde(rename = "his-client-secret")]
    HisClientSecret,
    #[serde(rename = "ecm-token")]
    EcmToken,
    /// Team mode: the password of this member's PostgreSQL role.
    #[serde(rename = "team-password")]
    TeamPassword,
    /// The FHIR server's bearer token (`fhir.auth = bearer`).
    #[serde(rename = "fhir-token")]
    FhirToken,
    /// The FHIR server's OAuth2 client secret (`fhir.auth = client_credentials`).
    #[serde(rename = "fhir-client-secret")]
    FhirClientSecret,
}

impl SecretName {
    pub const ALL: [SecretName; 6] = [
        SecretName::HisToken,
        SecretName::HisClientSecret,
        SecretName::EcmToken,
        SecretName::TeamPassword,
        SecretName::FhirToken,
        SecretName::FhirClientSecret,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SecretName::HisToken => "his-token",
            SecretName::HisClientSecret => "his-client-secret",
            SecretName::EcmToken => "ecm-token",
            SecretName::TeamPassword => "team-password",
            SecretName::FhirToken => "fhir-token",
            SecretName::FhirClientSecret => "fhir-client-secret",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            SecretName::HisToken => "Bearer token for the hospital SMS server (his.auth = bearer)",
            SecretName::HisClientSecret => "Azure AD client secret for the hospital SMS server (his.auth = azure)",
            SecretName::EcmToken => "X-User-Token for the ECM Communications API",
            SecretName::TeamPassword => "Password of your PostgreSQL role in the team database (team.database_url)",
            SecretName::FhirToken => "Bearer token for the FHIR server (fhir.auth = bearer)",
            SecretName::FhirClientSecret => {
                "OAuth2 client secret for the FHIR server's token endpoint (fhir.auth = client_credentials)"
            }
        }
    }
}

impl fmt::Display for SecretName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SecretName {
    type Err = SecretError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SecretName::ALL.into_iter().find(|n| n.as_str() == s).ok_or_else(|| SecretError::UnknownName(s.to_string()))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error(
        "no OS keyring is available ({detail}). CareDesk keeps its database key and \
         credentials only in the OS keyring and will not start without one. On Linux, \
         install and unlock a Secret Service provider (for example: apt install gnome-keyring, \
         then log in to a desktop session, or run `dbus-run-session` with \
         `gnome-keyring-daemon --unlock`); on macOS and Windows the system keychain is used."
    )]
    Unavailable { detail: String },
    #[error("unknown credential name {0:?}; expected one of: his-token, his-client-secret, ecm-token, team-password, fhir-token, fhir-client-secret")]
    UnknownName(String),
    #[error("the secret for {0} is empty")]
    Empty(String),
    #[error("keyring error for {entry}: {detail}")]
    Keyring { entry: String, detail: String },
}

impl crate::rules::error::CodedError for SecretError {
    fn code(&self) -> crate::rules::error::ErrorCode {
        match self {
            SecretError::Unavailable { .. } => crate::rules::error::ErrorCode::KeyringUnavailable,
            _ => crate::rules::error::ErrorCode::Secret,
        }
    }
}

/// Opens the platform's credential store, or says why there is none: the
/// store `keyring` 4 picks for this OS (Secret Service on Linux, Keychain on
/// macOS, Credential Manager on Windows), made once per process.
pub fn platform_store() -> Result<Arc<CredentialStore>, SecretError> {
    keyring::Entry::store_status().as_ref().map_err(|e| SecretError::Unavailable { detail: e.to_string() })?;
    keyring_core::get_default_store()
        .ok_or_else(|| SecretError::Unavailable { detail: KeyringError::NoDefaultStore.to_string() })
}

/// The server origins a secret was entered for: each setting that names
/// where the secret goes (`his.base_url`, ...) and the origin it had then
/// (`https://smsserver.example`), `None` when it was not set.
pub type Origins = std::collections::BTreeMap<String, Option<String>>;

/// A stored secret with the origins it is bound to. `origins` is `None` for
/// a secret stored by a CareDesk older than the binding.
pub struct BoundSecret {
    pub secret: Secret,
    pub origins: Option<Origins>,
}

/// The first line of a bound entry; the second holds the origins (JSON),
/// the rest is the secret.
const BOUND_MARKER: &str = "caredesk-bound-secret-v1";

fn encode_bound(secret: &str, origins: &Origins) -> Zeroizing<String> {
    let origins = serde_json::to_string(origins).unwrap_or_else(|_| "{}".into());
    let mut out = Zeroizing::new(String::with_capacity(BOUND_MARKER.len() + origins.len() + secret.len() + 2));
    out.push_str(BOUND_MARKER);
    out.push('\n');
    out.push_str(&origins);
    out.push('\n');
    out.push_str(secret);
    out
}

fn decode_bound(stored: Secret) -> BoundSecret {
    let mut parts = stored.expose().splitn(3, '\n');
    if let (Some(BOUND_MARKER), Some(origins), Some(secret)) = (parts.next(), parts.next(), parts.next()) {
        // An unreadable origins line binds the secret to nothing, so it is
        // refused until entered again.
        let origins = serde_json::from_str(origins).unwrap_or_default();
        return BoundSecret { secret: Secret::new(secret), origins: Some(origins) };
    }
    BoundSecret { secret: stored, origins: None }
}

/// An in-memory store, for unit tests only.
pub fn memory_store() -> Arc<CredentialStore> {
    keyring_core::mock::Store::new().expect("the in-memory store always builds")
}

/// The credentials of one data directory: entries are named
/// `<name>@<instance id>` under the service [`KEYRING_SERVICE`].
#[derive(Clone)]
pub struct Credentials {
    store: Arc<CredentialStore>,
    instance: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials").field("instance", &self.instance).finish()
    }
}

const DATABASE_KEY: &str = "database-key";
const DATABASE_KEY_NEXT: &str = "database-key-next";
/// The key that signs the audit log's HMAC chain (see `store::audit_chain`).
const AUDIT_KEY: &str = "audit-key";

impl Credentials {
    pub fn new(store: Arc<CredentialStore>, instance: impl Into<String>) -> Self {
        Credentials { store, instance: instance.into() }
    }

    /// The data directory's instance id the entries are named with.
    pub fn instance(&self) -> &str {
        &self.instance
    }

    /// The keyring account name of an entry.
    pub fn account(&self, name: &str) -> String {
        format!("{name}@{}", self.instance)
    }

    /// An internal entry (not a [`SecretName`]), like the database key.
    pub(crate) fn get_raw(&self, name: &str) -> Result<Option<Secret>, SecretError> {
        let entry = self.entry(name)?;
        match entry.get_password() {
            Ok(v) => Ok(Some(Secret::new(v))),
            Err(KeyringError::NoEntry) => Ok(None),
            Err(e) => Err(self.map_err(name, e)),
        }
    }

    pub(crate) fn set_raw(&self, name: &str, value: &str) -> Result<(), SecretError> {
        self.entry(name)?.set_password(value).map_err(|e| self.map_err(name, e))
    }

    fn entry(&self, name: &str) -> Result<keyring_core::Entry, SecretError> {
        self.store.build(KEYRING_SERVICE, &self.account(name), None).map_err(|e| self.map_err(name, e))
    }

    fn map_err(&self, name: &str, e: KeyringError) -> SecretError {
        match e {
            KeyringError::NoStorageAccess(p) | KeyringError::PlatformFailure(p) => {
                SecretError::Unavailable { detail: p.to_string() }
            }
            KeyringError::NoDefaultStore => SecretError::Unavailable { detail: e.to_string() },
            other => SecretError::Keyring { entry: name.to_string(), detail: other.to_string() },
        }
    }

    /// The secret, whatever it is bound to (for "is it stored"; use
    /// [`Credentials::get_bound`] before sending it anywhere).
    pub fn get(&self, name: SecretName) -> Result<Option<Secret>, SecretError> {
        Ok(self.get_bound(name)?.map(|b| b.secret))
    }

    /// The secret and the origins it was entered for.
    pub fn get_bound(&self, name: SecretName) -> Result<Option<BoundSecret>, SecretError> {
        Ok(self.get_raw(name.as_str())?.map(decode_bound))
    }

    /// Stores a secret bound to no server: it is refused wherever it would
    /// be sent until bound (see [`Credentials::set_bound`]).
    pub fn set(&self, name: SecretName, value: &Secret) -> Result<(), SecretError> {
        self.set_bound(name, value, &Origins::new())
    }

    /// Stores a secret bound to `origins`.
    pub fn set_bound(&self, name: SecretName, value: &Secret, origins: &Origins) -> Result<(), SecretError> {
        let v = value.expose().trim();
        if v.is_empty() {
            return Err(SecretError::Empty(name.to_string()));
        }
        self.set_raw(name.as_str(), &encode_bound(v, origins))
    }

    /// Stores a secret the way CareDesk did before secrets were bound.
    #[cfg(test)]
    pub(crate) fn set_legacy(&self, name: SecretName, value: &str) -> Result<(), SecretError> {
        self.set_raw(name.as_str(), value)
    }

    /// Deletes a secret; deleting one that is not there is not an error.
    pub fn delete(&self, name: SecretName) -> Result<bool, SecretError> {
        match self.entry(name.as_str())?.delete_credential() {
            Ok(()) => Ok(true),
            Err(KeyringError::NoEntry) => Ok(false),
            Err(e) => Err(self.map_err(name.as_str(), e)),
        }
    }

    pub fn is_stored(&self, name: SecretName) -> Result<bool, SecretError> {
        Ok(self.get(name)?.is_some())
    }

    /// The database key, as 64 hex digits, if one was stored.
    pub fn database_key(&self) -> Result<Option<Secret>, SecretError> {
        self.get_raw(DATABASE_KEY)
    }

    /// The key a rekey under way moves the database to (see
    /// [`crate::desk::backup::rekey`]).
    pub fn next_database_key(&self) -> Result<Option<Secret>, SecretError> {
        self.get_raw(DATABASE_KEY_NEXT)
    }

    pub(crate) fn set_next_database_key(&self, key: &Secret) -> Result<(), SecretError> {
        self.set_stored(DATABASE_KEY_NEXT, key)
    }

    pub(crate) fn set_database_key(&self, key: &Secret) -> Result<(), SecretError> {
        self.set_stored(DATABASE_KEY, key)
    }

    pub(crate) fn delete_next_database_key(&self) -> Result<(), SecretError> {
        match self.entry(DATABASE_KEY_NEXT)?.delete_credential() {
            Ok(()) | Err(KeyringError::NoEntry) => Ok(()),
            Err(e) => Err(self.map_err(DATABASE_KEY_NEXT, e)),
        }
    }

    /// Stores `key` under `name` and reads it back: a store that accepts a
    /// write but cannot return it would otherwise lose the only copy.
    fn set_stored(&self, name: &str, key: &Secret) -> Result<(), SecretError> {
        self.set_raw(name, key.expose())?;
        match self.get_raw(name)? {
            Some(k) if k.expose() == key.expose() => Ok(()),
            _ => Err(SecretError::Keyring {
                entry: name.into(),
                detail: "the keyring did not return the key just stored".into(),
            }),
        }
    }

    /// A new random 256-bit key (a database or audit key), as 64 hex
    /// digits (not stored).
    pub fn random_database_key() -> Secret {
        let mut bytes = Zeroizing::new([0u8; 32]);
        rand::Rng::fill(&mut rand::rng(), &mut bytes[..]);
        Secret::new(hex::encode(&bytes[..]))
    }

    /// Generates a random 256-bit database key and stores it.
    pub fn create_database_key(&self) -> Result<Secret, SecretError> {
        let key = Self::random_database_key();
        self.set_stored(DATABASE_KEY, &key)?;
        Ok(key)
    }
}

impl Credentials {
    /// The audit log's signing key, as 64 hex digits, if one was stored.
    pub fn audit_key(&self) -> Result<Option<Secret>, SecretError> {
        self.get_raw(AUDIT_KEY)
    }

    /// Stores the audit key a backup carried (a restore).
    pub(crate) fn set_audit_key(&self, key: &Secret) -> Result<(), SecretError> {
        self.set_stored(AUDIT_KEY, key)
    }

    /// Generates a random 256-bit audit key and stores it; returns the key
    /// the keyring gives back.
    pub fn create_audit_key(&self) -> Result<Secret, SecretError> {
        let key = Self::random_database_key();
        self.set_stored(AUDIT_KEY, &key)?;
        Ok(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds() -> Credentials {
        Credentials::new(memory_store(), "test-instance")
    }

    #[test]
    fn set_get_delete_round_trip() {
        let c = creds();
        assert!(c.get(SecretName::EcmToken).unwrap().is_none());
        c.set(SecretName::EcmToken, &Secret::new("tok-123\n")).unwrap();
        assert_eq!(c.get(SecretName::EcmToken).unwrap().unwrap().expose(), "tok-123");
        assert!(c.delete(SecretName::EcmToken).unwrap());
        assert!(!c.delete(SecretName::EcmToken).unwrap());
        assert!(!c.is_stored(SecretName::EcmToken).unwrap());
    }

    #[test]
    fn a_secret_is_stored_with_its_origins_and_older_entries_read_as_unbound() {
        let c = creds();
        let origins: Origins = [("his.base_url".to_string(), Some("https://a.example".to_string()))].into();
        c.set_bound(SecretName::HisToken, &Secret::new("tok\nwith-newline"), &origins).unwrap();
        let b = c.get_bound(SecretName::HisToken).unwrap().unwrap();
        assert_eq!((b.secret.expose(), b.origins.as_ref()), ("tok\nwith-newline", Some(&origins)));
        c.set_raw("ecm-token", "legacy-token").unwrap();
        let b = c.get_bound(SecretName::EcmToken).unwrap().unwrap();
        assert_eq!((b.secret.expose(), b.origins), ("legacy-token", None));
    }

    #[test]
    fn empty_secret_is_refused() {
        let err = creds().set(SecretName::HisToken, &Secret::new("  ")).unwrap_err();
        assert!(matches!(err, SecretError::Empty(_)));
    }

    #[test]
    fn names_parse_and_unknown_is_clear() {
        assert_eq!("his-client-secret".parse::<SecretName>().unwrap(), SecretName::HisClientSecret);
        let e = "password".parse::<SecretName>().unwrap_err().to_string();
        assert!(e.contains("password") && e.contains("ecm-token"), "{e}");
    }

    #[test]
    fn database_key_is_256_bits_and_random() {
        let a = creds().create_database_key().unwrap();
        let b = Credentials::new(memory_store(), "other").create_database_key().unwrap();
        assert_eq!(a.expose().len(), 64);
        assert_ne!(a.expose(), b.expose());
    }

    #[test]
    fn secret_debug_is_redacted() {
        assert_eq!(format!("{:?}", Secret::new("hunter2")), "Secret(<redacted>)");
    }
}
