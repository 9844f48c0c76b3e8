//! The one HTTP client both gateways share, and the pieces of response
//! handling they have in common: classifying transport failures, decoding
//! JSON with the path of a bad field, and making server text safe to show.

use std::time::Duration;

use serde::de::DeserializeOwned;

/// `User-Agent` of every request.
pub const USER_AGENT: &str = concat!("CareDesk/", env!("CARGO_PKG_VERSION"));

/// The longest wait for a TCP/TLS connection, whatever `http.timeout_secs` says.
const MAX_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpSettings {
    /// Total time for one request, from connecting to the end of the body
    /// (setting `http.timeout_secs`).
    pub timeout: Duration,
    /// The desk, named in the `User-Agent` of a desk in team mode, so the
    /// servers' logs (and the sandbox) tell a team's desks apart.
    pub desk: Option<uuid::Uuid>,
}

impl HttpSettings {
    pub fn from_timeout_secs(secs: u64) -> HttpSettings {
        HttpSettings { timeout: Duration::from_secs(secs.clamp(1, 600)), desk: None }
    }

    /// The `User-Agent` these settings send: `CareDesk/0.1.0`, or
    /// `CareDesk/0.1.0 (desk <uuid>)` for a desk of a team.
    pub fn user_agent(&self) -> String {
        match self.desk {
            Some(d) => format!("{USER_AGENT} (desk {d})"),
            None => USER_AGENT.to_string(),
        }
    }
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings::from_timeout_secs(30)
    }
}

#[derive(Debug, thiserror::Error)]
#[error("could not set up the HTTPS client: {0}")]
pub struct ClientBuildError(#[source] reqwest::Error);

/// Builds the HTTP client. Build it once and clone it: clones share the
/// connection pool.
///
/// Redirects are not followed: a redirect would resend the message (as a GET)
/// and could carry `X-User-Token` to another host. A 3xx is reported instead.
pub fn client(settings: &HttpSettings) -> Result<reqwest::Client, ClientBuildError> {
    reqwest::Client::builder()
        .use_rustls_tls()
        .user_agent(settings.user_agent())
        .connect_timeout(settings.timeout.min(MAX_CONNECT_TIMEOUT))
        .timeout(settings.timeout)
        .pool_idle_timeout(Duration::from_secs(90))
        .tcp_keepalive(Duration::from_secs(60))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(ClientBuildError)
}

/// What went wrong below HTTP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Failure {
    /// No answer in time after the connection was made: the request may
    /// have been processed.
    Timeout,
    /// No connection (DNS, refused, TLS, connect timeout): nothing was sent.
    Connect(String),
    /// The connection broke while sending or reading: it may have been processed.
    Transport(String),
    /// The request could not even be built.
    Builder(String),
}

pub(crate) fn classify(e: &reqwest::Error) -> Failure {
    if e.is_builder() {
        Failure::Builder(chain(e))
    } else if e.is_connect() {
        Failure::Connect(chain(e))
    } else if e.is_timeout() {
        Failure::Timeout
    } else {
        Failure::Transport(chain(e))
    }
}

/// The error and its causes, without the URL.
fn chain(e: &reqwest::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut source: Option<&dyn std::error::Error> = Some(e);
    while let Some(s) = source {
        let text = match s.downcast_ref::<reqwest::Error>() {
            Some(r) if r.url().is_some() => strip_url(&r.to_string()),
            _ => s.to_string(),
        };
        if !parts.iter().any(|p| p == &text) {
            parts.push(text);
        }
        source = s.source();
    }
    parts.join(": ")
}

fn strip_url(text: &str) -> String {
    match text.find(" for url (") {
        Some(i) => text[..i].to_string(),
        None => text.to_string(),
    }
}

/// The most of a response body CareDesk reads (8 MiB). A page of messages
/// is far smaller; past this a misbehaving or hostile server could fill
/// memory.
pub const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

/// Why a response body was not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum BodyError {
    #[error("the server's response is larger than {} MiB, the most CareDesk reads", .limit / (1024 * 1024))]
    TooLarge { limit: usize },
    #[error("the response broke off")]
    Read(Failure),
}

impl BodyError {
    /// As a transport failure: the server answered, so a send may have
    /// been processed.
    pub(crate) fn into_failure(self) -> Failure {
        match self {
            BodyError::TooLarge { .. } => Failure::Transport(self.to_string()),
            BodyError::Read(f) => f,
        }
    }
}

/// Reads the body, refusing past `limit` bytes: at once when
/// `Content-Length` says so, else when the bytes read pass it.
pub(crate) async fn read_body(mut response: reqwest::Response, limit: usize) -> Result<Vec<u8>, BodyError> {
    if response.content_length().is_some_and(|n| n > limit as u64) {
        return Err(BodyError::TooLarge { limit });
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| BodyError::Read(classify(&e)))? {
        if body.len() + chunk.len() > limit {
            return Err(BodyError::TooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// A JSON body that did not have the expected shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// Where it failed, like `Data.Messages[0].CreatedAt`; `.` for the whole body.
    pub path: String,
    /// What was wrong, with values taken out (they may be numbers or texts).
    pub reason: String,
}

pub(crate) fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, DecodeError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut de)
        .map_err(|e| DecodeError { path: e.path().to_string(), reason: without_values(&e.inner().to_string()) })?;
    de.end().map_err(|e| DecodeError { path: ".".into(), reason: without_values(&e.to_string()) })?;
    Ok(value)
}

/// A whole number from a JSON number or numeric string (servers write ids
/// both ways); `None` for anything else.
pub(crate) fn lenient_whole_number(v: &serde_json::Value) -> Option<i64> {
    match v {
        serde_json::Value::Number(n) => {
            n.as_i64().or_else(|| n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 9e15).map(|f| f as i64))
        }
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Text from a JSON string, or a number or boolean written as text (a phone
/// number sent as a number); `None` for null, lists and objects.
pub(crate) fn lenient_text(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// serde's messages quote the offending value (`invalid type: string "Yes"`,
/// ``integer `37000000002` ``); values may be PHI, so they are replaced by `…`.
/// Field and variant names in backticks are kept.
pub(crate) fn without_values(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(i) = rest.find(['"', '`']) {
        let quote = rest.as_bytes()[i] as char;
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let Some(end) = after.find(quote) else {
            out.push_str(&rest[i..]);
            return out;
        };
        let inner = &after[..end];
        let keep = quote == '`' && !inner.is_empty() && !inner.chars().any(|c| c.is_ascii_digit() || c == ' ');
        out.push(quote);
        out.push_str(if keep { inner } else { "…" });
        out.push(quote);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// What kind of body a server sent with an error, for the message: its
/// shape and size, never a byte of it. A body may echo the token, the
/// numbers and the text CareDesk sent, or a patient's name, and an error
/// message goes to the screen and to logs.
pub(crate) fn describe_body(body: &[u8]) -> String {
    let trimmed = body.trim_ascii_start();
    if trimmed.is_empty() {
        return String::new();
    }
    let kind = if trimmed.starts_with(b"<") {
        "an HTML or XML page"
    } else if serde_json::from_slice::<serde::de::IgnoredAny>(body).is_ok() {
        "a JSON body"
    } else if std::str::from_utf8(body).is_ok() {
        "a text body"
    } else {
        "a binary body"
    };
    format!("{kind} of {}", size(body.len()))
}

fn size(bytes: usize) -> String {
    match bytes {
        1 => "1 byte".into(),
        0..1024 => format!("{bytes} bytes"),
        _ => format!("{:.1} KiB", bytes as f64 / 1024.0),
    }
}

/// Removes secrets and the message text from text a server sent back.
pub(crate) fn scrub(text: &str, hidden: &[&str]) -> String {
    let mut out = text.to_string();
    for h in hidden.iter().map(|h| h.trim()).filter(|h| h.len() >= 4) {
        out = out.replace(h, "<redacted>");
    }
    out
}

/// Redacts anything that looks like a phone number (7 or more digits,
/// possibly with `+`, spaces, dashes, dots or parentheses) through
/// [`crate::rules::redact::phone`]. Digits glued to letters (`AADSTS7000215`) stay.
pub(crate) fn redact_numbers(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let glued = i > 0 && chars[i - 1].is_alphanumeric();
        if !glued
            && (chars[i].is_ascii_digit() || (chars[i] == '+' && chars.get(i + 1).is_some_and(char::is_ascii_digit)))
        {
            let mut j = i + 1;
            while j < chars.len() && (chars[j].is_ascii_digit() || matches!(chars[j], '-' | '.' | '(' | ')' | ' ')) {
                j += 1;
            }
            while j > i + 1 && !chars[j - 1].is_ascii_digit() {
                j -= 1;
            }
            let run: String = chars[i..j].iter().collect();
            let glued_after = chars.get(j).is_some_and(|c| c.is_alphabetic());
            if run.chars().filter(char::is_ascii_digit).count() >= 7 && !glued_after {
                out.push_str(&crate::rules::redact::phone(&run));
            } else {
                out.push_str(&run);
            }
            i = j;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn bodies_past_the_cap_are_refused_with_a_typed_error() {
        use wiremock::{matchers::any, Mock, MockServer, ResponseTemplate};
        let server = MockServer::start().await;
        Mock::given(wiremock::matchers::path("/big"))
            .respond_with(ResponseTemplate::new(200).set_body_bytes(vec![b'x'; MAX_BODY_BYTES + 1]))
            .mount(&server)
            .await;
        Mock::given(any()).respond_with(ResponseTemplate::new(200).set_body_string("{}")).mount(&server).await;
        let c = client(&HttpSettings::default()).unwrap();
        let get = |p: &str| c.get(format!("{}{p}", server.uri())).send();
        // Compared by length: a failure must not print 8 MiB.
        let big = read_body(get("/big").await.unwrap(), MAX_BODY_BYTES).await.map(|b| b.len());
        assert_eq!(big, Err(BodyError::TooLarge { limit: MAX_BODY_BYTES }));
        assert!(big.unwrap_err().to_string().contains("larger than 8 MiB"));
        assert_eq!(read_body(get("/small").await.unwrap(), MAX_BODY_BYTES).await.unwrap(), b"{}");
        // Without a Content-Length the count of bytes read stops it.
        assert_eq!(read_body(get("/small").await.unwrap(), 1).await, Err(BodyError::TooLarge { limit: 1 }));
    }

    #[test]
    fn user_agent_names_the_version() {
        assert_eq!(USER_AGENT, format!("CareDesk/{}", env!("CARGO_PKG_VERSION")));
        assert_eq!(HttpSettings::default().user_agent(), USER_AGENT);
        let desk = uuid::Uuid::nil();
        let team = HttpSettings { desk: Some(desk), ..HttpSettings::default() };
        assert_eq!(team.user_agent(), format!("{USER_AGENT} (desk 00000000-0000-0000-0000-000000000000)"));
        assert!(client(&HttpSettings::default()).is_ok());
    }

    #[test]
    fn timeout_setting_is_clamped() {
        assert_eq!(HttpSettings::from_timeout_secs(0).timeout, Duration::from_secs(1));
        assert_eq!(HttpSettings::default().timeout, Duration::from_secs(30));
        assert_eq!(HttpSettings::from_timeout_secs(10_000).timeout, Duration::from_secs(600));
    }

    #[test]
    fn values_leave_serde_messages_but_field_names_stay() {
        let cases = [
            ("invalid type: integer `37000000002`, expected a string", "invalid type: integer `…`, expected a string"),
            ("invalid type: string \"Yes please\", expected i64", "invalid type: string \"…\", expected i64"),
            ("missing field `Data`", "missing field `Data`"),
            ("unknown ErrorCode \"Weird\" at line 1 column 9", "unknown ErrorCode \"…\" at line 1 column 9"),
            ("unterminated \"quote", "unterminated \"quote"),
        ];
        for (input, want) in cases {
            assert_eq!(without_values(input), want, "{input}");
        }
    }

    #[test]
    fn numbers_are_redacted_but_codes_are_not() {
        let p = crate::rules::redact::phone;
        let cases = [
            ("Invalid client number 37060000002".to_string(), format!("Invalid client number {}", p("37060000002"))),
            (
                "The 'To' number +18051234567 is bad".to_string(),
                format!("The 'To' number {} is bad", p("+18051234567")),
            ),
            ("call (805) 123-4567.".to_string(), format!("call ({}.", p("805) 123-4567"))),
            ("AADSTS7000215: Invalid client secret".to_string(), "AADSTS7000215: Invalid client secret".to_string()),
            ("Twilio 21610 and message 623178".to_string(), "Twilio 21610 and message 623178".to_string()),
        ];
        for (input, want) in cases {
            assert_eq!(redact_numbers(&input), want, "{input}");
            assert!(!redact_numbers(&input).contains("123-45"), "{input}");
        }
        assert!(!redact_numbers("to 37060000002").contains("706000"));
    }

    #[test]
    fn an_error_body_is_described_never_echoed() {
        let token = "tok-SECRET-1";
        let cases: [(String, &str); 6] = [
            (
                format!("<html>\n  bad token {token} for +18055550100 Ana Lopez</html>"),
                "an HTML or XML page of 65 bytes",
            ),
            (format!(r#"{{"error":"invalid token {token}"}}"#), "a JSON body of 38 bytes"),
            (format!("token {token} refused"), "a text body of 26 bytes"),
            ("x".repeat(3000), "a text body of 2.9 KiB"),
            ("  \n".into(), ""),
            (String::from_utf8_lossy(&[0xff, 0xfe]).into(), "a text body of 6 bytes"),
        ];
        for (body, want) in cases {
            let d = describe_body(body.as_bytes());
            assert_eq!(d, want, "{body}");
            assert!(!d.contains(token) && !d.contains("5550100") && !d.contains("Lopez"));
        }
        assert_eq!(describe_body(&[0xff, 0x00, 0x01]), "a binary body of 3 bytes");
    }

    #[test]
    fn decode_names_the_path() {
        #[derive(Debug, serde::Deserialize)]
        struct Inner {
            #[allow(dead_code)]
            id: i64,
        }
        #[derive(Debug, serde::Deserialize)]
        struct Outer {
            #[allow(dead_code)]
            items: Vec<Inner>,
        }
        let e = decode::<Outer>(br#"{"items":[{"id":1},{"id":"x"}]}"#).unwrap_err();
        assert_eq!(e.path, "items[1].id");
        assert!(e.reason.contains("expected i64") && !e.reason.contains("\"x\""), "{}", e.reason);
        let e = decode::<Outer>(br#"{"items":[]} trailing"#).unwrap_err();
        assert_eq!(e.path, ".");
    }
}
