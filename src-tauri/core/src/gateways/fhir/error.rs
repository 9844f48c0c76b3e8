//! Errors of the FHIR server client: what the server refused in FHIR's own
//! terms (an `OperationOutcome`, 401/403, a 412 on a conditional write, an
//! answer that is not FHIR at all, a paging link to another server, the
//! token endpoint's refusal), with the shared failures below the API
//! worded and classified once in [`GatewayError`].

use crate::gateways::{
    error::{retryable_status, FailureCodes, GatewayError, ServerRefusal},
    http,
};

/// An error of the FHIR client: the server's own refusals, or a failure
/// below its API (a timeout, a refused connection, an unreadable body...).
pub type FhirError = GatewayError<FhirRefusal>;

/// What the FHIR server (or its token endpoint) refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FhirRefusal {
    /// 401 or 403: the token was refused (after one fresh token, for client credentials).
    #[error("{}", unauthorized_message(*.status, *.client_credentials))]
    Unauthorized { status: u16, client_credentials: bool },

    /// The server answered with an `OperationOutcome` (any non-2xx status
    /// but 401/403/412): its issues, numbers redacted.
    #[error("the FHIR server refused the request (HTTP {status}){}", if .issues.is_empty() { String::new() } else { format!(": {}", .issues) })]
    Outcome { status: u16, issues: String },

    /// 412 Precondition Failed: a conditional create whose search matched
    /// several resources, or an update whose `If-Match` version is no
    /// longer the current one. Nothing was written.
    #[error("the FHIR server refused a conditional write (HTTP 412){}: nothing was written; read the resource again before writing", if .issues.is_empty() { String::new() } else { format!(": {}", .issues) })]
    PreconditionFailed { issues: String },

    /// `/metadata` answered with something that is not a CapabilityStatement
    /// (an HTML page, another API): `fhir.base_url` points elsewhere.
    #[error("fhir.base_url does not look like a FHIR server: GET {url} answered HTTP {status} without a CapabilityStatement{}; set fhir.base_url to the FHIR base (the address /metadata and /Patient are under)",
        if .body.is_empty() { String::new() } else { format!(" ({})", .body) })]
    NotFhir { status: u16, url: String, body: String },

    /// A paging link that leads away from `fhir.base_url`: not followed,
    /// so the token never goes to another server.
    #[error("the FHIR server's paging link leads to another server ({origin}); it was not followed, so CareDesk's token stays with {expected}. Check fhir.base_url against the address the server uses for itself")]
    ForeignLink { origin: String, expected: String },

    /// The token endpoint gave no token (`fhir.auth = client_credentials`).
    #[error("the token endpoint fhir.token_url did not give CareDesk a token for the FHIR server ({error}{}). {}",
        .description.as_deref().map(|d| format!(": {d}")).unwrap_or_default(), token_hint(.error))]
    Token { error: String, description: Option<String>, retryable: bool },
}

fn unauthorized_message(status: u16, client_credentials: bool) -> String {
    if client_credentials {
        format!(
            "the FHIR server refused CareDesk's OAuth2 token even after getting a fresh one (HTTP {status}); \
             check fhir.scope and that the client fhir.client_id may read Patients and RelatedPersons"
        )
    } else {
        format!(
            "the FHIR server refused the token fhir-token (HTTP {status}); replace it with `caredesk credentials set fhir-token`"
        )
    }
}

fn token_hint(error: &str) -> &'static str {
    match error {
        "invalid_client" | "unauthorized_client" => {
            "Check fhir.client_id and the secret fhir-client-secret (store it again with `caredesk credentials set fhir-client-secret`)"
        }
        "invalid_scope" => "Check fhir.scope: the endpoint does not grant it to this client",
        "not_a_token_endpoint" => "Check fhir.token_url: it is not an OAuth2 token endpoint",
        "unreachable" | "timeout" => "The token endpoint could not be reached; CareDesk tries again later",
        _ => "Check fhir.token_url, fhir.client_id, fhir.scope and fhir.audience",
    }
}

impl ServerRefusal for FhirRefusal {
    const SERVER: &'static str = "the FHIR server";
    const URL_SETTING: &'static str = "fhir.base_url";
    const TIMEOUT_MEANS: &'static str = "a resource being written may have been stored";
    const CODES: FailureCodes = FailureCodes {
        http: "fhir_http",
        timeout: "fhir_timeout",
        connect: "fhir_connect",
        transport: "fhir_transport",
        malformed: "fhir_malformed",
        config: "fhir_config",
    };

    fn is_retryable(&self) -> bool {
        match self {
            FhirRefusal::Outcome { status, .. } => retryable_status(*status),
            FhirRefusal::Token { retryable, .. } => *retryable,
            FhirRefusal::Unauthorized { .. }
            | FhirRefusal::PreconditionFailed { .. }
            | FhirRefusal::NotFhir { .. }
            | FhirRefusal::ForeignLink { .. } => false,
        }
    }

    fn may_have_been_accepted(&self) -> bool {
        matches!(self, FhirRefusal::Outcome { status, .. } if *status >= 500)
    }

    fn is_credential_failure(&self) -> bool {
        match self {
            FhirRefusal::Unauthorized { .. } => true,
            FhirRefusal::Token { retryable, .. } => !retryable,
            _ => false,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            FhirRefusal::Unauthorized { .. } => "fhir_unauthorized",
            FhirRefusal::Outcome { .. } => "fhir_refused",
            FhirRefusal::PreconditionFailed { .. } => "fhir_precondition_failed",
            FhirRefusal::NotFhir { .. } => "fhir_not_fhir",
            FhirRefusal::ForeignLink { .. } => "fhir_foreign_link",
            FhirRefusal::Token { .. } => "fhir_token",
        }
    }
}

/// The issues of an `OperationOutcome` body in one line: each issue's
/// `diagnostics`, else `details.text`, else its `code`; numbers redacted and
/// `hidden` texts (the token) removed, at most 300 characters. `None` when
/// the body is no OperationOutcome.
pub(crate) fn outcome_issues(body: &[u8], hidden: &[&str]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    if value.get("resourceType").and_then(|t| t.as_str()) != Some("OperationOutcome") {
        return None;
    }
    let issues: Vec<String> = value
        .get("issue")
        .and_then(|i| i.as_array())
        .map(|list| {
            list.iter()
                .filter_map(|issue| {
                    let text = issue
                        .get("diagnostics")
                        .and_then(|d| d.as_str())
                        .or_else(|| issue.pointer("/details/text").and_then(|d| d.as_str()))
                        .or_else(|| issue.get("code").and_then(|d| d.as_str()))?;
                    let severity = issue.get("severity").and_then(|s| s.as_str()).unwrap_or("error");
                    Some(format!("{severity}: {}", text.trim()))
                })
                .collect()
        })
        .unwrap_or_default();
    let line = http::redact_numbers(&http::scrub(&issues.join("; "), hidden));
    Some(if line.chars().count() > 300 { format!("{}…", line.chars().take(300).collect::<String>()) } else { line })
}

/// One status-to-error function for every request but a read's 404/410
/// (the client tells those apart first): 401/403 are the credentials, 412 a
/// failed condition, an `OperationOutcome` the server's words, any other
/// non-2xx its status and the kind of body.
pub(crate) fn refusal(status: u16, body: &[u8], hidden: &[&str], client_credentials: bool) -> FhirError {
    if status == 401 || status == 403 {
        return FhirError::Refused(FhirRefusal::Unauthorized { status, client_credentials });
    }
    let issues = outcome_issues(body, hidden);
    if status == 412 {
        return FhirError::Refused(FhirRefusal::PreconditionFailed { issues: issues.unwrap_or_default() });
    }
    match issues {
        Some(issues) => FhirError::Refused(FhirRefusal::Outcome { status, issues }),
        None => FhirError::Http { status, body: http::describe_body(body) },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_and_bodies_become_typed_errors() {
        let outcome =
            br#"{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"invalid","diagnostics":"Patient.telecom +18055550100 is bad for tok-1"}]}"#;
        // (status, body, code, retryable, may have been accepted, credentials)
        type Case<'a> = (u16, &'a [u8], &'a str, bool, bool, bool);
        let cases: [Case; 9] = [
            (401, b"", "fhir_unauthorized", false, false, true),
            (403, outcome, "fhir_unauthorized", false, false, true),
            (412, outcome, "fhir_precondition_failed", false, false, false),
            (400, outcome, "fhir_refused", false, false, false),
            (422, outcome, "fhir_refused", false, false, false),
            (500, outcome, "fhir_refused", true, true, false),
            (429, b"slow down", "fhir_http", true, false, false),
            (503, b"<html>down</html>", "fhir_http", true, true, false),
            (404, b"<html>Not Found</html>", "fhir_http", false, false, false),
        ];
        for (status, body, code, retryable, accepted, credentials) in cases {
            let e = refusal(status, body, &["tok-1"], false);
            assert_eq!(e.code(), code, "{status}");
            assert_eq!(e.is_retryable(), retryable, "{status}");
            assert_eq!(e.may_have_been_accepted(), accepted, "{status}");
            assert_eq!(e.is_credential_failure(), credentials, "{status}");
            let text = e.to_string();
            assert!(!text.contains("tok-1") && !text.contains("8055550100") && !text.contains("<html>"), "{text}");
        }
        let e = refusal(422, outcome, &["tok-1"], false).to_string();
        assert!(e.starts_with("the FHIR server refused the request (HTTP 422): error: Patient.telecom"), "{e}");
    }

    #[test]
    fn token_refusals_are_credential_failures_only_when_waiting_cannot_help() {
        let token = |error: &str, retryable| {
            FhirError::Refused(FhirRefusal::Token { error: error.into(), description: None, retryable })
        };
        assert!(token("invalid_client", false).is_credential_failure());
        assert!(token("invalid_client", false).to_string().contains("credentials set fhir-client-secret"));
        let outage = token("unreachable", true);
        assert!(outage.is_retryable() && !outage.is_credential_failure());
        let bearer = FhirError::Refused(FhirRefusal::Unauthorized { status: 401, client_credentials: false });
        assert!(bearer.to_string().contains("credentials set fhir-token"), "{bearer}");
    }

    #[test]
    fn outcome_issues_are_read_in_every_form() {
        let body = br#"{"resourceType":"OperationOutcome","issue":[
            {"severity":"error","code":"not-supported","diagnostics":"Unknown search parameter 'foo'"},
            {"severity":"warning","code":"processing","details":{"text":"slow"}},
            {"code":"exception"}]}"#;
        assert_eq!(
            outcome_issues(body, &[]).unwrap(),
            "error: Unknown search parameter 'foo'; warning: slow; error: exception"
        );
        assert_eq!(outcome_issues(br#"{"resourceType":"Patient"}"#, &[]), None);
        assert_eq!(outcome_issues(b"<html>", &[]), None);
        let long =
            format!(r#"{{"resourceType":"OperationOutcome","issue":[{{"diagnostics":"{}"}}]}}"#, "x".repeat(500));
        assert_eq!(outcome_issues(long.as_bytes(), &[]).unwrap().chars().count(), 301);
    }
}
