//! One error shape for both gateways. A server either refused the request
//! in its own terms (the part each gateway defines: the hospital SMS
//! server's error codes and Azure AD, ECM's `errors` and Twilio codes), or
//! something failed below its API: an HTTP status without the API's body, a
//! timeout, a refused or broken connection, an answer CareDesk cannot read,
//! a client that could not be built. That second part is worded and
//! classified here, once, for both: whether to retry, and whether a send
//! that failed may still have reached the server.

use std::fmt::Debug;

use crate::gateways::http::Failure;

/// A server's own refusals, and what the shared part needs to know about
/// the server to word its failures.
pub trait ServerRefusal: std::error::Error + Debug + Clone + PartialEq + Eq {
    /// The server in words, as a sentence starts: "the hospital SMS server".
    const SERVER: &'static str;
    /// The setting that holds its address: "his.base_url".
    const URL_SETTING: &'static str;
    /// What an unanswered request may have done: "a message being sent may have been received".
    const TIMEOUT_MEANS: &'static str;
    /// The stable codes of the shared failures for this server.
    const CODES: FailureCodes;

    fn is_retryable(&self) -> bool;
    fn may_have_been_accepted(&self) -> bool;
    /// The server refused CareDesk's credentials: nothing goes until someone
    /// replaces them, so the outbox pauses the route.
    fn is_credential_failure(&self) -> bool;
    fn code(&self) -> &'static str;
}

/// The stable codes of the failures below a server's API.
pub struct FailureCodes {
    pub http: &'static str,
    pub timeout: &'static str,
    pub connect: &'static str,
    pub transport: &'static str,
    pub malformed: &'static str,
    pub config: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GatewayError<R: ServerRefusal> {
    /// The server refused in its own terms.
    #[error(transparent)]
    Refused(R),

    /// An HTTP error without the API's error body.
    #[error("{} answered HTTP {status}{}", R::SERVER, if .body.is_empty() { String::new() } else { format!(": {}", .body) })]
    Http { status: u16, body: String },

    #[error("{} did not answer in time (setting http.timeout_secs); {}", R::SERVER, R::TIMEOUT_MEANS)]
    Timeout,

    #[error("could not reach {}: {detail}. Check {} and the network connection", R::SERVER, R::URL_SETTING)]
    Connect { detail: String },

    #[error("the connection to {} broke: {detail}", R::SERVER)]
    Transport { detail: String },

    #[error("{} sent a response CareDesk cannot read: {} {detail}", R::SERVER, where_in(.path))]
    Malformed { path: String, detail: String },

    #[error("{} is not set up correctly: {detail}", R::SERVER, detail = .0)]
    Config(String),
}

fn where_in(path: &str) -> String {
    if path.is_empty() || path == "." {
        "the body is not the expected JSON:".to_string()
    } else {
        format!("at {path}:")
    }
}

impl<R: ServerRefusal> GatewayError<R> {
    /// Worth trying again later, unchanged.
    pub fn is_retryable(&self) -> bool {
        match self {
            GatewayError::Refused(r) => r.is_retryable(),
            GatewayError::Http { status, .. } => retryable_status(*status),
            GatewayError::Timeout | GatewayError::Connect { .. } | GatewayError::Transport { .. } => true,
            GatewayError::Malformed { .. } | GatewayError::Config(_) => false,
        }
    }

    /// Trying again will fail the same way until someone changes something.
    pub fn is_permanent(&self) -> bool {
        !self.is_retryable()
    }

    /// A send that failed this way might still have reached the server, so a
    /// blind resend could text the patient twice: a 5xx, no answer, a
    /// connection that broke after the request left, an unreadable answer.
    pub fn may_have_been_accepted(&self) -> bool {
        match self {
            GatewayError::Refused(r) => r.may_have_been_accepted(),
            GatewayError::Http { status, .. } => *status >= 500,
            GatewayError::Timeout | GatewayError::Transport { .. } | GatewayError::Malformed { .. } => true,
            GatewayError::Connect { .. } | GatewayError::Config(_) => false,
        }
    }

    /// The server refused CareDesk's credentials.
    pub fn is_credential_failure(&self) -> bool {
        matches!(self, GatewayError::Refused(r) if r.is_credential_failure())
    }

    /// A stable code for the UI and the logs, which branch on it (never on the text).
    pub fn code(&self) -> &'static str {
        let codes = &R::CODES;
        match self {
            GatewayError::Refused(r) => r.code(),
            GatewayError::Http { .. } => codes.http,
            GatewayError::Timeout => codes.timeout,
            GatewayError::Connect { .. } => codes.connect,
            GatewayError::Transport { .. } => codes.transport,
            GatewayError::Malformed { .. } => codes.malformed,
            GatewayError::Config(_) => codes.config,
        }
    }

    pub(crate) fn from_failure(f: Failure) -> Self {
        match f {
            Failure::Timeout => GatewayError::Timeout,
            Failure::Connect(detail) => GatewayError::Connect { detail },
            Failure::Transport(detail) => GatewayError::Transport { detail },
            Failure::Builder(detail) => GatewayError::Config(detail),
        }
    }
}

impl<R: ServerRefusal + Send + Sync + 'static> crate::rules::error::CodedError for GatewayError<R> {
    fn code(&self) -> crate::rules::error::ErrorCode {
        crate::rules::error::ErrorCode::Gateway
    }
}

impl<R: ServerRefusal> From<R> for GatewayError<R> {
    fn from(r: R) -> Self {
        GatewayError::Refused(r)
    }
}

/// An HTTP status worth retrying: a 5xx, 408 Request Timeout, 429 Too Many Requests.
pub fn retryable_status(status: u16) -> bool {
    status >= 500 || status == 408 || status == 429
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
    #[error("refused")]
    struct Refusal;

    impl ServerRefusal for Refusal {
        const SERVER: &'static str = "the test server";
        const URL_SETTING: &'static str = "test.base_url";
        const TIMEOUT_MEANS: &'static str = "it may have been done";
        const CODES: FailureCodes = FailureCodes {
            http: "t_http",
            timeout: "t_timeout",
            connect: "t_connect",
            transport: "t_transport",
            malformed: "t_malformed",
            config: "t_config",
        };
        fn is_retryable(&self) -> bool {
            false
        }
        fn may_have_been_accepted(&self) -> bool {
            false
        }
        fn is_credential_failure(&self) -> bool {
            true
        }
        fn code(&self) -> &'static str {
            "t_refused"
        }
    }

    type E = GatewayError<Refusal>;

    #[test]
    fn failures_below_the_api_are_classified_once_for_every_server() {
        // (error, retryable, may have been accepted, code)
        let http = |status| E::Http { status, body: String::new() };
        let cases = [
            (http(500), true, true, "t_http"),
            (http(503), true, true, "t_http"),
            (http(429), true, false, "t_http"),
            (http(408), true, false, "t_http"),
            (http(404), false, false, "t_http"),
            (http(302), false, false, "t_http"),
            (E::Timeout, true, true, "t_timeout"),
            (E::Connect { detail: "refused".into() }, true, false, "t_connect"),
            (E::Transport { detail: "reset".into() }, true, true, "t_transport"),
            (E::Malformed { path: "a.b".into(), detail: "x".into() }, false, true, "t_malformed"),
            (E::Config("x".into()), false, false, "t_config"),
            (E::Refused(Refusal), false, false, "t_refused"),
        ];
        for (e, retryable, accepted, code) in cases {
            assert_eq!(e.is_retryable(), retryable, "{e:?}");
            assert_eq!(e.is_permanent(), !retryable, "{e:?}");
            assert_eq!(e.may_have_been_accepted(), accepted, "{e:?}");
            assert_eq!(e.code(), code, "{e:?}");
            assert_eq!(e.is_credential_failure(), matches!(e, E::Refused(_)), "{e:?}");
        }
    }

    #[test]
    fn failures_name_the_server_and_its_setting() {
        assert_eq!(
            E::Connect { detail: "refused".into() }.to_string(),
            "could not reach the test server: refused. Check test.base_url and the network connection"
        );
        assert_eq!(
            E::Timeout.to_string(),
            "the test server did not answer in time (setting http.timeout_secs); it may have been done"
        );
        assert_eq!(
            E::Http { status: 502, body: "bad gateway".into() }.to_string(),
            "the test server answered HTTP 502: bad gateway"
        );
        let bad = E::Malformed { path: "Data.Messages[0].CreatedAt".into(), detail: "bad".into() }.to_string();
        assert_eq!(bad, "the test server sent a response CareDesk cannot read: at Data.Messages[0].CreatedAt: bad");
        let unreadable = E::Malformed { path: ".".into(), detail: "eof".into() }.to_string();
        assert!(unreadable.contains("the body is not the expected JSON: eof"), "{unreadable}");
    }
}
