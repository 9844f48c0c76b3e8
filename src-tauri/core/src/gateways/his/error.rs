//! Errors of the hospital SMS server client, in words a coordinator
//! understands, with the classification the outbox needs: retry or not, and
//! whether a failed send may still have reached the server.

use super::{auth::AuthMethod, wire::ErrorCode};
use crate::gateways::error::{retryable_status, FailureCodes, GatewayError, ServerRefusal};

/// An error of the hospital SMS server client: its own refusals, or a
/// failure below its API (worded and classified in `gateway_error`).
pub type HisError = GatewayError<HisRefusal>;

/// What the hospital SMS server (or Azure AD, for its token) refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HisRefusal {
    /// The server answered with its status block and an error code.
    #[error("{}", api_message(*.code, *.http_status, .message.as_deref()))]
    Api { code: ErrorCode, http_status: u16, message: Option<String> },

    /// HTTP 401/403 from the SMS server (after one fresh Azure AD token, for Azure).
    #[error("{}", unauthorized_message(*.method, *.status))]
    Unauthorized { method: AuthMethod, status: u16 },

    /// Azure AD did not issue a token.
    #[error("Azure AD did not give CareDesk a token for the hospital SMS server ({error}{}). {}",
        .description.as_deref().map(|d| format!(": {d}")).unwrap_or_default(), azure_hint(.error, .description.as_deref()))]
    AzureAuth { error: String, description: Option<String>, retryable: bool },
}

fn api_message(code: ErrorCode, http_status: u16, message: Option<&str>) -> String {
    let what = match code {
        ErrorCode::InvalidClientNumber => "the recipient number was refused by the hospital SMS server (InvalidClientNumber); check the patient's number".to_string(),
        ErrorCode::InvalidMessageOwner => "the sender (his.from) is not one of this hospital's numbers or sender names — pick one from `caredesk numbers` (InvalidMessageOwner)".to_string(),
        ErrorCode::Internal => "the hospital SMS server had an internal error (Internal)".to_string(),
        ErrorCode::Unrecognized => format!("the hospital SMS server reported an error code CareDesk does not know (HTTP {http_status})"),
        other => format!("the hospital SMS server reported error {other} (HTTP {http_status})"),
    };
    match message.map(str::trim).filter(|m| !m.is_empty()) {
        Some(m) => format!("{what}: {}", crate::gateways::http::redact_numbers(m)),
        None => what,
    }
}

fn unauthorized_message(method: AuthMethod, status: u16) -> String {
    match method {
        AuthMethod::Bearer => format!(
            "the hospital SMS server refused the token his-token (HTTP {status}); replace it with `caredesk credentials set his-token`"
        ),
        AuthMethod::Azure => format!(
            "the hospital SMS server refused CareDesk's Azure AD token even after getting a fresh one (HTTP {status}); \
             check his.azure.scope and that the app his.azure.client_id may call the SMS server"
        ),
    }
}

/// What to check for an Azure AD error code (and its `AADSTS` number).
fn azure_hint(error: &str, description: Option<&str>) -> &'static str {
    let d = description.unwrap_or("");
    if d.contains("AADSTS7000215") || d.contains("AADSTS7000222") || d.contains("AADSTS7000216") {
        return "Check the client secret his-client-secret (use the secret's value, not its id; secrets expire) and store it again with `caredesk credentials set his-client-secret`";
    }
    if d.contains("AADSTS90002") || d.contains("AADSTS900023") {
        return "Check his.azure.tenant";
    }
    if d.contains("AADSTS700016") {
        return "Check his.azure.client_id (the application was not found in the tenant his.azure.tenant)";
    }
    if d.contains("AADSTS500011") || d.contains("AADSTS70011") {
        return "Check his.azure.scope (like api://<app id>/.default)";
    }
    match error {
        "invalid_client" => "Check the client secret his-client-secret and his.azure.client_id; store a new secret with `caredesk credentials set his-client-secret`",
        "unauthorized_client" => "Check his.azure.client_id and his.azure.tenant",
        "invalid_scope" | "invalid_resource" => "Check his.azure.scope (like api://<app id>/.default)",
        "unreachable" | "timeout" => "Check his.azure.authority and the network connection",
        "not_a_token_endpoint" => "Check his.azure.authority (like https://login.microsoftonline.com/{0})",
        _ => "Check his.azure.authority, his.azure.tenant, his.azure.client_id, his.azure.scope and the secret his-client-secret",
    }
}

impl ServerRefusal for HisRefusal {
    const SERVER: &'static str = "the hospital SMS server";
    const URL_SETTING: &'static str = "his.base_url";
    const TIMEOUT_MEANS: &'static str = "a message being sent may have been received";
    const CODES: FailureCodes = FailureCodes {
        http: "his_http",
        timeout: "his_timeout",
        connect: "his_connect",
        transport: "his_transport",
        malformed: "his_malformed",
        config: "his_config",
    };

    fn is_retryable(&self) -> bool {
        match self {
            HisRefusal::Api { code, http_status, .. } => {
                *code == ErrorCode::Internal
                    || (unknown_code(*code) && (retryable_status(*http_status) || is_2xx(*http_status)))
            }
            HisRefusal::AzureAuth { retryable, .. } => *retryable,
            HisRefusal::Unauthorized { .. } => false,
        }
    }

    /// An error code CareDesk does not know, in a 2xx answer without a
    /// message Id, may be anything: the message may have been taken.
    fn may_have_been_accepted(&self) -> bool {
        match self {
            HisRefusal::Api { code, http_status, .. } => {
                *code == ErrorCode::Internal || *http_status >= 500 || (unknown_code(*code) && is_2xx(*http_status))
            }
            HisRefusal::Unauthorized { .. } | HisRefusal::AzureAuth { .. } => false,
        }
    }

    /// The server or Azure AD refused CareDesk's credentials (HTTP 401/403,
    /// or an OAuth2 error about the client, its secret or the scope).
    fn is_credential_failure(&self) -> bool {
        match self {
            HisRefusal::Unauthorized { .. } => true,
            HisRefusal::AzureAuth { retryable, .. } => !retryable,
            HisRefusal::Api { .. } => false,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            HisRefusal::Api { code: ErrorCode::InvalidClientNumber, .. } => "his_invalid_client_number",
            HisRefusal::Api { code: ErrorCode::InvalidMessageOwner, .. } => "his_invalid_message_owner",
            HisRefusal::Api { code: ErrorCode::Internal, .. } => "his_internal",
            HisRefusal::Api { .. } => "his_api_error",
            HisRefusal::Unauthorized { .. } => "his_unauthorized",
            HisRefusal::AzureAuth { .. } => "his_azure_auth",
        }
    }
}

fn is_2xx(status: u16) -> bool {
    (200..300).contains(&status)
}

/// An error code outside the spec's list.
fn unknown_code(code: ErrorCode) -> bool {
    matches!(code, ErrorCode::Other(_) | ErrorCode::Unrecognized)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(code: ErrorCode, http_status: u16) -> HisError {
        HisError::Refused(HisRefusal::Api { code, http_status, message: None })
    }

    #[test]
    fn classification_table() {
        // (error, retryable, may have been accepted, code)
        let cases = [
            (api(ErrorCode::InvalidClientNumber, 200), false, false, "his_invalid_client_number"),
            (api(ErrorCode::InvalidMessageOwner, 400), false, false, "his_invalid_message_owner"),
            (api(ErrorCode::Internal, 200), true, true, "his_internal"),
            (api(ErrorCode::Internal, 500), true, true, "his_internal"),
            (api(ErrorCode::Other(42), 400), false, false, "his_api_error"),
            (api(ErrorCode::Other(42), 503), true, true, "his_api_error"),
            (api(ErrorCode::Unrecognized, 200), true, true, "his_api_error"),
            (api(ErrorCode::Other(42), 200), true, true, "his_api_error"),
            (api(ErrorCode::Unrecognized, 400), false, false, "his_api_error"),
            (
                HisError::Refused(HisRefusal::Unauthorized { method: AuthMethod::Bearer, status: 401 }),
                false,
                false,
                "his_unauthorized",
            ),
            (
                HisError::Refused(HisRefusal::AzureAuth {
                    error: "invalid_client".into(),
                    description: None,
                    retryable: false,
                }),
                false,
                false,
                "his_azure_auth",
            ),
            (
                HisError::Refused(HisRefusal::AzureAuth {
                    error: "timeout".into(),
                    description: None,
                    retryable: true,
                }),
                true,
                false,
                "his_azure_auth",
            ),
            (HisError::Http { status: 500, body: String::new() }, true, true, "his_http"),
            (HisError::Http { status: 404, body: String::new() }, false, false, "his_http"),
            (HisError::Http { status: 429, body: String::new() }, true, false, "his_http"),
            (HisError::Http { status: 302, body: String::new() }, false, false, "his_http"),
            (HisError::Timeout, true, true, "his_timeout"),
            (HisError::Connect { detail: "refused".into() }, true, false, "his_connect"),
            (HisError::Transport { detail: "reset".into() }, true, true, "his_transport"),
            (HisError::Malformed { path: "Data.Id".into(), detail: "x".into() }, false, true, "his_malformed"),
            (HisError::Config("x".into()), false, false, "his_config"),
        ];
        for (e, retryable, accepted, code) in cases {
            assert_eq!(e.is_retryable(), retryable, "{e:?}");
            assert_eq!(e.is_permanent(), !retryable, "{e:?}");
            assert_eq!(e.may_have_been_accepted(), accepted, "{e:?}");
            assert_eq!(e.code(), code, "{e:?}");
        }
    }

    #[test]
    fn credential_failures_are_told_apart() {
        let azure = |error: &str, retryable| {
            HisError::Refused(HisRefusal::AzureAuth { error: error.into(), description: None, retryable })
        };
        assert!(HisError::Refused(HisRefusal::Unauthorized { method: AuthMethod::Bearer, status: 401 })
            .is_credential_failure());
        assert!(HisError::Refused(HisRefusal::Unauthorized { method: AuthMethod::Azure, status: 403 })
            .is_credential_failure());
        assert!(azure("invalid_client", false).is_credential_failure());
        assert!(azure("invalid_scope", false).is_credential_failure());
        assert!(!azure("temporarily_unavailable", true).is_credential_failure());
        assert!(!azure("unexpected_response", true).is_credential_failure());
        assert!(!HisError::Timeout.is_credential_failure());
        assert!(!api(ErrorCode::InvalidClientNumber, 400).is_credential_failure());
    }

    #[test]
    fn messages_say_what_to_do() {
        let owner = api(ErrorCode::InvalidMessageOwner, 200).to_string();
        assert!(owner.contains("his.from") && owner.contains("caredesk numbers"), "{owner}");
        let number = api(ErrorCode::InvalidClientNumber, 200).to_string();
        assert!(number.contains("recipient number was refused"), "{number}");
        let bearer =
            HisError::Refused(HisRefusal::Unauthorized { method: AuthMethod::Bearer, status: 401 }).to_string();
        assert!(bearer.contains("refused the token his-token"), "{bearer}");
        let aad = HisError::Refused(HisRefusal::AzureAuth {
            error: "invalid_client".into(),
            description: Some("AADSTS7000215: Invalid client secret provided.".into()),
            retryable: false,
        })
        .to_string();
        assert!(
            aad.contains("Azure AD") && aad.contains("AADSTS7000215") && aad.contains("his-client-secret"),
            "{aad}"
        );
        let bad = HisError::Malformed { path: "Data.Messages[0].CreatedAt".into(), detail: "bad".into() }.to_string();
        assert!(bad.contains("at Data.Messages[0].CreatedAt"), "{bad}");
    }

    #[test]
    fn server_messages_have_numbers_redacted() {
        let e = HisError::Refused(HisRefusal::Api {
            code: ErrorCode::InvalidClientNumber,
            http_status: 200,
            message: Some("Invalid client number 37060000002".into()),
        });
        assert!(!e.to_string().contains("37060000002"), "{e}");
    }
}
