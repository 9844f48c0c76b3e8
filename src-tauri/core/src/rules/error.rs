//! The one error type that leaves the core. Each module has its own typed
//! error; this enum wraps them and gives the shells a stable `code` to branch
//! on and a message a person can read.

use crate::desk::unlock::UnlockError;
use crate::engine::outbox::OutboxActionError;
use crate::engine::routes::GatewayConfigError;
use crate::gateways::ecm::error::EcmError;
use crate::gateways::his::error::HisError;
use crate::{
    desk::secrets::SecretError, records::import::ImportError, rules::config::ConfigError, rules::phone::PhoneError,
    store::StoreError,
};

#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Secret(#[from] SecretError),
    #[error(transparent)]
    Phone(#[from] PhoneError),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Import(#[from] ImportError),
    #[error(transparent)]
    Gateway(#[from] GatewayConfigError),
    #[error(transparent)]
    His(#[from] HisError),
    #[error(transparent)]
    Ecm(#[from] EcmError),
    #[error(transparent)]
    Backup(#[from] crate::desk::backup::BackupError),
    #[error(transparent)]
    Unlock(#[from] UnlockError),
    #[error(transparent)]
    Outbox(#[from] crate::engine::outbox::OutboxActionError),
    #[error(transparent)]
    People(#[from] crate::desk::people::PeopleError),
    #[error("{} has opted out of SMS (replied STOP or was blocked by the carrier); nothing was sent. The patient can text START to opt back in", crate::rules::redact::phone(.number))]
    OptedOut { number: String },
    #[error("{} is not one of the patient's numbers on file (patient {patient}): choose one of their numbers, or confirm that this other number is meant (the audit log records it)", crate::rules::redact::phone(.number))]
    NumberNotOnFile { number: String, patient: String },
    #[error("{0}")]
    InvalidMessage(String),
    #[error("patient {} not found", crate::rules::redact::reference(.0))]
    PatientNotFound(String),
    #[error("{0}")]
    Io(String),
}

/// Stable error codes for the UI and scripts. The UI branches on these, never
/// on message text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    Store,
    KeyringUnavailable,
    Secret,
    InvalidPhone,
    Config,
    Import,
    NotFound,
    Io,
    NotConfigured,
    Gateway,
    OptedOut,
    /// A send or call to a number that is not the patient's, not confirmed.
    NumberNotOnFile,
    InvalidMessage,
    Backup,
    /// The unlock passphrase: too short, wrong, or already set.
    Passphrase,
    /// Undo came after a worker took the text: it goes out.
    TooLateToUndo,
    /// Retry of a text that went, may have gone, or was retried already.
    NotRetryable,
    /// A patient's name is empty or too long (the patient dialog's name field).
    InvalidName,
    /// An ECM patient id below 1 (the ECM id field).
    InvalidEcmId,
    /// An ECM patient id another patient has (the ECM id field).
    DuplicateEcmId,
    /// One number listed twice for a patient (the numbers list).
    DuplicateNumber,
    /// A new patient without a current number (the numbers list).
    NumberRequired,
    /// A contact's name or relationship too long (the numbers list).
    InvalidContact,
}

impl CoreError {
    pub fn code(&self) -> ErrorCode {
        match self {
            CoreError::Store(_) => ErrorCode::Store,
            CoreError::Secret(SecretError::Unavailable { .. }) => ErrorCode::KeyringUnavailable,
            CoreError::Secret(_) => ErrorCode::Secret,
            CoreError::Phone(_) => ErrorCode::InvalidPhone,
            CoreError::Config(_) => ErrorCode::Config,
            CoreError::Import(_) => ErrorCode::Import,
            CoreError::PatientNotFound(_) => ErrorCode::NotFound,
            CoreError::Gateway(_) => ErrorCode::NotConfigured,
            CoreError::His(_) | CoreError::Ecm(_) => ErrorCode::Gateway,
            CoreError::OptedOut { .. } => ErrorCode::OptedOut,
            CoreError::NumberNotOnFile { .. } => ErrorCode::NumberNotOnFile,
            CoreError::InvalidMessage(_) => ErrorCode::InvalidMessage,
            CoreError::Io(_) => ErrorCode::Io,
            CoreError::Backup(_) => ErrorCode::Backup,
            CoreError::Unlock(UnlockError::Secret(SecretError::Unavailable { .. })) => ErrorCode::KeyringUnavailable,
            CoreError::Unlock(UnlockError::Secret(_)) => ErrorCode::Secret,
            CoreError::Unlock(_) => ErrorCode::Passphrase,
            CoreError::Outbox(OutboxActionError::TooLateToUndo { .. }) => ErrorCode::TooLateToUndo,
            CoreError::Outbox(OutboxActionError::NotInOutbox { .. }) => ErrorCode::NotFound,
            CoreError::Outbox(OutboxActionError::NotRetryable { .. }) => ErrorCode::NotRetryable,
            CoreError::People(e) => e.code(),
        }
    }
}

pub type Result<T, E = CoreError> = std::result::Result<T, E>;
