//! Why a route cannot be used: a server, a secret or a setting that is not
//! set up (or no longer fits), in words for the coordinator.

use crate::desk::secrets::SecretName;

/// Why a route cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GatewayConfigError {
    #[error("the hospital SMS server is not configured: set his.base_url (and his.auth with its secret)")]
    HisNotConfigured,
    #[error("the ECM Communications API is not configured: set ecm.base_url and store ecm-token")]
    EcmNotConfigured,
    #[error("the secret {0} is not stored: run `caredesk credentials set {0}` or enter it in Settings")]
    MissingSecret(SecretName),
    #[error("the secret {name} was entered for another server than {setting} names now: enter it again for this server in Settings or with `caredesk credentials set {name}`")]
    SecretForOtherServer { name: SecretName, setting: &'static str },
    #[error("no FHIR server is configured: set fhir.base_url (and fhir.auth with its secret: `caredesk credentials set fhir-token`)")]
    FhirNotConfigured,
    #[error("team mode is off on this desk: set team.database_url (postgres://ROLE@HOST/DATABASE) and store the role's password with `caredesk credentials set team-password`")]
    TeamModeOff,
    #[error("{0} is not set")]
    MissingSetting(&'static str),
    #[error("no sender is set: choose one of the hospital numbers (`caredesk numbers`) with `caredesk config set his.from NUMBER`")]
    NoSender,
    #[error("{0}")]
    Invalid(String),
}

impl crate::rules::error::CodedError for GatewayConfigError {
    fn code(&self) -> crate::rules::error::ErrorCode {
        crate::rules::error::ErrorCode::NotConfigured
    }
}
