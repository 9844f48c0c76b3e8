//! The one error type that leaves the core. Each module has its own typed
//! error; this enum wraps them and gives the shells a stable `code` to branch
//! on and a message a person can read.

use crate::{
    config::ConfigError, import::ImportError, phone::PhoneError, secrets::SecretError,
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
    #[error("patient {0} not found")]
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
            CoreError::Io(_) => ErrorCode::Io,
        }
    }
}

pub type Result<T, E = CoreError> = std::result::Result<T, E>;
