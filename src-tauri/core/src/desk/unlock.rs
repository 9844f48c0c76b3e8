//! The coordinator's unlock passphrase: set at first start, asked for by the
//! lock screen. Only an Argon2id hash (a PHC string, with its own random salt
//! and parameters) is kept, in the OS keyring beside the database key; the
//! passphrase itself is never stored or logged.

use argon2::{
    password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Argon2,
};

use crate::desk::secrets::{Credentials, Secret, SecretError};

/// The shortest passphrase accepted, in characters.
pub const MIN_LENGTH: usize = 8;

/// The keyring entry (`unlock-passphrase@<instance id>`) holding the hash.
const ENTRY: &str = "unlock-passphrase";

#[derive(Debug, thiserror::Error)]
pub enum UnlockError {
    #[error("the unlock passphrase must be at least {MIN_LENGTH} characters long")]
    TooShort,
    #[error("an unlock passphrase is already set; change it in Settings, with the current one")]
    AlreadySet,
    #[error("no unlock passphrase is set yet")]
    NotSet,
    #[error("that is not the unlock passphrase")]
    Wrong,
    #[error("the stored unlock passphrase cannot be read ({0})")]
    Unreadable(String),
    #[error(transparent)]
    Secret(#[from] SecretError),
}

impl crate::rules::error::CodedError for UnlockError {
    fn code(&self) -> crate::rules::error::ErrorCode {
        match self {
            UnlockError::Secret(e) => crate::rules::error::CodedError::code(e),
            _ => crate::rules::error::ErrorCode::Passphrase,
        }
    }
}

/// Whether a passphrase was set (false at first start).
pub fn has_passphrase(credentials: &Credentials) -> Result<bool, UnlockError> {
    Ok(credentials.get_raw(ENTRY)?.is_some())
}

/// Sets the first passphrase; refused once one is set.
pub fn set_first_passphrase(credentials: &Credentials, passphrase: &Secret) -> Result<(), UnlockError> {
    if has_passphrase(credentials)? {
        return Err(UnlockError::AlreadySet);
    }
    store(credentials, passphrase)
}

/// Replaces the passphrase; needs the current one.
pub fn change_passphrase(credentials: &Credentials, current: &Secret, new: &Secret) -> Result<(), UnlockError> {
    if !verify_passphrase(credentials, current)? {
        return Err(UnlockError::Wrong);
    }
    store(credentials, new)
}

/// Whether `passphrase` is the one set. `NotSet` before the first start's setup.
pub fn verify_passphrase(credentials: &Credentials, passphrase: &Secret) -> Result<bool, UnlockError> {
    let stored = credentials.get_raw(ENTRY)?.ok_or(UnlockError::NotSet)?;
    let hash = PasswordHash::new(stored.expose()).map_err(|e| UnlockError::Unreadable(e.to_string()))?;
    match Argon2::default().verify_password(passphrase.expose().as_bytes(), &hash) {
        Ok(()) => Ok(true),
        Err(argon2::password_hash::Error::Password) => Ok(false),
        Err(e) => Err(UnlockError::Unreadable(e.to_string())),
    }
}

fn store(credentials: &Credentials, passphrase: &Secret) -> Result<(), UnlockError> {
    if passphrase.expose().chars().count() < MIN_LENGTH || passphrase.expose().trim().is_empty() {
        return Err(UnlockError::TooShort);
    }
    let salt = SaltString::generate(&mut OsRng);
    // Argon2id v19 with the crate's defaults (19 MiB, 2 passes, 1 lane: OWASP's minimum).
    let hash = Argon2::default()
        .hash_password(passphrase.expose().as_bytes(), &salt)
        .map_err(|e| UnlockError::Unreadable(e.to_string()))?;
    credentials.set_raw(ENTRY, &hash.to_string())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desk::secrets::memory_store;

    fn creds() -> Credentials {
        Credentials::new(memory_store(), "unlock-test")
    }

    #[test]
    fn set_once_then_verify() {
        let c = creds();
        assert!(!has_passphrase(&c).unwrap());
        assert!(matches!(verify_passphrase(&c, &Secret::new("anything")), Err(UnlockError::NotSet)));
        set_first_passphrase(&c, &Secret::new("correct horse")).unwrap();
        assert!(has_passphrase(&c).unwrap());
        assert!(verify_passphrase(&c, &Secret::new("correct horse")).unwrap());
        assert!(!verify_passphrase(&c, &Secret::new("correct horse ")).unwrap());
        assert!(matches!(set_first_passphrase(&c, &Secret::new("another one")), Err(UnlockError::AlreadySet)));
    }

    #[test]
    fn only_an_argon2id_hash_is_stored() {
        let c = creds();
        set_first_passphrase(&c, &Secret::new("correct horse")).unwrap();
        let stored = c.get_raw(ENTRY).unwrap().unwrap();
        assert!(stored.expose().starts_with("$argon2id$v=19$"), "{}", stored.expose());
        assert!(!stored.expose().contains("correct horse"));
    }

    #[test]
    fn short_passphrases_are_refused() {
        let c = creds();
        for short in ["", "1234567", "        "] {
            assert!(matches!(set_first_passphrase(&c, &Secret::new(short)), Err(UnlockError::TooShort)), "{short:?}");
        }
        assert!(!has_passphrase(&c).unwrap());
    }

    #[test]
    fn change_needs_the_current_passphrase() {
        let c = creds();
        set_first_passphrase(&c, &Secret::new("first passphrase")).unwrap();
        let wrong = change_passphrase(&c, &Secret::new("not it at all"), &Secret::new("second passphrase"));
        assert!(matches!(wrong, Err(UnlockError::Wrong)));
        change_passphrase(&c, &Secret::new("first passphrase"), &Secret::new("second passphrase")).unwrap();
        assert!(!verify_passphrase(&c, &Secret::new("first passphrase")).unwrap());
        assert!(verify_passphrase(&c, &Secret::new("second passphrase")).unwrap());
    }
}
