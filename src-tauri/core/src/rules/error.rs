//! The one error type that leaves the core. Each module has its own typed
//! error and says which stable [`ErrorCode`] it is ([`CodedError`]); a
//! [`CoreError`] carries any of them, so this module, at the bottom of the
//! layers, names none of the modules above it. The shells branch on the
//! `code` and show the message a person can read.

/// A module's own error, with the code the shells branch on.
pub trait CodedError: std::error::Error + Send + Sync + 'static {
    fn code(&self) -> ErrorCode;
}

#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// A module's typed error (the store's, a gateway's, the keyring's, …).
    #[error(transparent)]
    Module(ModuleError),
    #[error("{} has opted out of SMS (replied STOP or was blocked by the carrier); nothing was sent. The patient can text START to opt back in", crate::rules::redact::phone(.number))]
    OptedOut { number: String },
    #[error("{} is not one of the patient's numbers on file (patient {patient}): choose one of their numbers, or confirm that this other number is meant (the audit log records it)", crate::rules::redact::phone(.number))]
    NumberNotOnFile { number: String, patient: String },
    #[error("{0}")]
    InvalidMessage(String),
    #[error("patient {} not found", crate::rules::redact::reference(.0))]
    PatientNotFound(String),
    /// The clinic's FHIR server says the patient is inactive, deceased or deleted.
    #[error("patient {patient} is {standing} on the clinic's FHIR server, so CareDesk sends and calls nothing to them; change it on the FHIR server if this is wrong")]
    PatientInactive { patient: String, standing: &'static str },
    #[error("{0}")]
    Io(String),
}

impl<E: CodedError> From<E> for CoreError {
    fn from(e: E) -> Self {
        CoreError::Module(ModuleError(Box::new(e)))
    }
}

/// A module's error in a [`CoreError`]: its message, and its causes after it.
#[derive(Debug)]
pub struct ModuleError(Box<dyn CodedError>);

impl std::fmt::Display for ModuleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for ModuleError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
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
    /// The FHIR server says the patient is inactive, deceased or deleted:
    /// no text or call goes to them.
    PatientInactive,
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
    /// Team mode: a plain-text connection to a host that is not this
    /// computer, refused before connecting.
    TeamInsecure,
    /// Team mode: PostgreSQL refused the role or its password (`team-password`).
    TeamAuth,
    /// Team mode: the TLS handshake failed (certificate not trusted, wrong
    /// host name, no TLS on the server).
    TeamTls,
    /// Team mode: the team database cannot be reached now (retryable; the
    /// desk keeps working offline).
    TeamUnreachable,
    /// Team mode: the database has no CareDesk team schema (`caredesk team init`).
    TeamNotInitialized,
    /// Team mode: the team schema is newer than this CareDesk understands.
    TeamSchemaNewer,
    /// Team mode: the team schema is older than this CareDesk needs.
    TeamSchemaOlder,
    /// Team mode: the role is not a member of the team (`caredesk team add-member`).
    TeamNotMember,
    /// Team mode: the administrator's role lacks a right `team init` or
    /// `team add-member` needs.
    TeamPermission,
    /// Team mode: any other failure of the team database.
    TeamDatabase,
    /// A template's merge field has no value (the message names each one).
    MissingMergeField,
    /// A template of that name exists already.
    TemplateExists,
    /// A campaign action that does not apply in the campaign's state
    /// (resume a cancelled one, start a paused one).
    CampaignState,
    /// Team mode: the campaign runs on a colleague's desk; only that desk
    /// acts on it or shows its recipients.
    CampaignElsewhere,
}

impl CoreError {
    pub fn code(&self) -> ErrorCode {
        match self {
            CoreError::Module(e) => e.0.code(),
            CoreError::PatientNotFound(_) => ErrorCode::NotFound,
            CoreError::PatientInactive { .. } => ErrorCode::PatientInactive,
            CoreError::OptedOut { .. } => ErrorCode::OptedOut,
            CoreError::NumberNotOnFile { .. } => ErrorCode::NumberNotOnFile,
            CoreError::InvalidMessage(_) => ErrorCode::InvalidMessage,
            CoreError::Io(_) => ErrorCode::Io,
        }
    }

    /// The module error this carries, when it is an `E`.
    pub fn downcast_ref<E: CodedError>(&self) -> Option<&E> {
        match self {
            CoreError::Module(e) => (&*e.0 as &(dyn std::error::Error + 'static)).downcast_ref::<E>(),
            _ => None,
        }
    }

    /// The module error this carries, when it is an `E`; else the error itself.
    pub fn downcast<E: CodedError>(self) -> std::result::Result<E, CoreError> {
        if self.downcast_ref::<E>().is_none() {
            return Err(self);
        }
        match self {
            CoreError::Module(e) => {
                let e: Box<dyn std::error::Error + Send + Sync> = e.0;
                // Checked above: this is an `E`.
                e.downcast::<E>().map(|e| *e).map_err(|e| CoreError::Io(e.to_string()))
            }
            other => Err(other),
        }
    }
}

pub type Result<T, E = CoreError> = std::result::Result<T, E>;
