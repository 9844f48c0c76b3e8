//! The hospital SMS server's REST client (spec 003): Send SMS, Get SMS and
//! Get hospital numbers, all on the configured base address.

use crate::gateways::his::error::HisRefusal;
use std::{fmt, sync::Arc, time::Instant};

use chrono::{DateTime, Utc};
use reqwest::{header, Method, RequestBuilder};
use url::Url;

use super::{
    auth::{AuthMethod, HisAuth, TokenSource},
    error::HisError,
    read::{self, Reply, Unreadable},
    time::HisTime,
    wire::{ErrorCode, HisMessage, MessageType, OperatorNumber, SendSmsData, SendSmsRequest},
};
use crate::{gateways::http, rules::redact};

#[derive(Debug, Clone)]
pub struct HisConfig {
    /// The server's base address, used exactly as given (`https://host/`,
    /// `https://host/smsserver/` or `https://host/smsserver`).
    pub base_url: Url,
    pub auth: HisAuth,
}

/// One client per configuration. Clones share the HTTP connections and the
/// Azure AD token.
#[derive(Clone)]
pub struct HisClient {
    base_url: Url,
    http: reqwest::Client,
    auth: Arc<TokenSource>,
}

impl fmt::Debug for HisClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HisClient").field("base_url", &self.base_url.as_str()).field("auth", &self.auth).finish()
    }
}

impl HisClient {
    pub fn new(config: HisConfig, http: reqwest::Client) -> Result<HisClient, HisError> {
        let base = config.base_url;
        if !matches!(base.scheme(), "http" | "https") || base.host_str().is_none() || base.cannot_be_a_base() {
            return Err(HisError::Config(format!(
                "his.base_url must be an http(s) address like https://smsserver.example/, not {base}"
            )));
        }
        if base.fragment().is_some() || !base.username().is_empty() || base.password().is_some() {
            return Err(HisError::Config("his.base_url must not carry a #fragment or user:password@".into()));
        }
        crate::rules::transport::check(&base).map_err(|e| HisError::Config(format!("his.base_url {base}: {e}")))?;
        let auth = TokenSource::new(config.auth, http.clone())?;
        Ok(HisClient { base_url: base, http, auth })
    }

    pub fn base_url(&self) -> &Url {
        &self.base_url
    }

    pub fn auth_method(&self) -> AuthMethod {
        self.auth.method()
    }

    /// `POST <base>`: hands one SMS to the server. `From` and `To` are wire
    /// digits without `+` (see [`SendSmsRequest::new`]). A 2xx answer with a
    /// readable positive `Data.Id` is an acceptance, whatever else is odd
    /// about it (an unknown or unset `ErrorCode`, no `CreatedAt`): the
    /// oddity is logged, and the delivery-state refresh tells what became
    /// of the message.
    pub async fn send_sms(&self, request: &SendSmsRequest) -> Result<SendAnswer, HisError> {
        tracing::info!(
            to = %redact::phone(&request.to),
            from = %redact::phone(&request.from),
            text = %redact::text(&request.text),
            external_key = request.external_key,
            "sending an SMS through the hospital SMS server"
        );
        let url = self.base_url.clone();
        let exchange = self
            .call("send_sms", Some(&request.text), || self.http.request(Method::POST, url.clone()).json(request))
            .await?;
        let data = accepted_send(&exchange).map_or_else(
            || {
                let reply = exchange.interpret(self.auth.method())?;
                let data = reply.data.as_ref().ok_or_else(|| HisError::Malformed {
                    path: "Data".into(),
                    detail: "Data is missing or null".into(),
                })?;
                read::send_data(data).map_err(|detail| HisError::Malformed { path: "Data.Id".into(), detail })
            },
            Ok,
        )?;
        tracing::info!(his_id = data.id, external_key = request.external_key, "the hospital SMS server took the SMS");
        Ok(SendAnswer { id: data.id, created_at: data.created_at, stamp: exchange.stamp })
    }

    /// `GET <base>?type=Incoming&dateFrom=2019-11-12%2011:01:26.8912252`:
    /// messages of `kind` changed at or after `date_from` (server time).
    /// Messages that cannot be read are returned apart, with the reason.
    pub async fn get_messages(&self, kind: MessageType, date_from: &HisTime) -> Result<Fetched, HisError> {
        let url = self.url_with_query(&messages_query(kind, date_from));
        let exchange = self.call("get_messages", None, || self.http.request(Method::GET, url.clone())).await?;
        let reply = exchange.interpret(self.auth.method())?;
        let page = read::page(reply.data.as_ref(), kind)
            .map_err(|e| HisError::Malformed { path: e.path, detail: e.reason })?;
        tracing::debug!(
            kind = kind.as_str(),
            count = page.messages.len(),
            unreadable = page.unreadable.len(),
            "fetched messages from the hospital SMS server"
        );
        Ok(Fetched { messages: page.messages, unreadable: page.unreadable, stamp: exchange.stamp })
    }

    /// `GET <base>?type=Numbers`: the hospital's numbers and sender names.
    pub async fn numbers(&self) -> Result<Vec<OperatorNumber>, HisError> {
        let url = self.url_with_query("type=Numbers");
        let exchange = self.call("numbers", None, || self.http.request(Method::GET, url.clone())).await?;
        let reply = exchange.interpret(self.auth.method())?;
        Ok(read::numbers(reply.data.as_ref()))
    }

    fn url_with_query(&self, query: &str) -> Url {
        let mut url = self.base_url.clone();
        let q = match self.base_url.query().filter(|q| !q.is_empty()) {
            Some(existing) => format!("{existing}&{query}"),
            None => query.to_string(),
        };
        url.set_query(Some(&q));
        url
    }

    /// One request; `text` (the message sent) is kept out of errors should
    /// the server echo it.
    async fn call(
        &self,
        op: &'static str,
        text: Option<&str>,
        build: impl Fn() -> RequestBuilder,
    ) -> Result<Exchange, HisError> {
        let started = Instant::now();
        let result = self.call_with_auth(text, build).await;
        let elapsed_ms = started.elapsed().as_millis() as u64;
        let result = result.and_then(|x| match x.status {
            401 => Err(HisError::Refused(HisRefusal::Unauthorized { method: self.auth.method(), status: 401 })),
            _ => Ok(x),
        });
        match &result {
            Ok(x) => tracing::debug!(op, elapsed_ms, status = x.status, "hospital SMS server call done"),
            Err(e) => tracing::warn!(op, elapsed_ms, code = e.code(), "hospital SMS server call failed"),
        }
        result
    }

    /// Sends with the current token; on a 401, once more with a fresh one
    /// (Azure AD only). No lock is held while the request runs.
    async fn call_with_auth(
        &self,
        text: Option<&str>,
        build: impl Fn() -> RequestBuilder,
    ) -> Result<Exchange, HisError> {
        let mut token = self.auth.token().await?;
        let mut refreshed = false;
        loop {
            let response = build()
                .bearer_auth(token.expose())
                .header(header::ACCEPT, "application/json")
                .send()
                .await
                .map_err(|e| HisError::from_failure(http::classify(&e)))?;
            let status = response.status().as_u16();
            if status == 401 && !refreshed {
                if let Some(fresh) = self.auth.refresh(&token).await? {
                    tracing::info!(
                        "the hospital SMS server refused the Azure AD token; trying once more with a fresh one"
                    );
                    token = fresh;
                    refreshed = true;
                    continue;
                }
            }
            let server_date = response
                .headers()
                .get(header::DATE)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| DateTime::parse_from_rfc2822(v).ok())
                .map(|d| d.with_timezone(&Utc));
            let body = http::read_body(response, http::MAX_BODY_BYTES)
                .await
                .map_err(|e| HisError::from_failure(e.into_failure()))?;
            let stamp = Stamp { received_at: Utc::now(), server_date };
            let hidden = vec![
                token.expose().to_string(),
                self.auth.secret().expose().to_string(),
                text.unwrap_or_default().to_string(),
            ];
            return Ok(Exchange { status, body, stamp, hidden });
        }
    }
}

/// When an answer arrived, by the desk's clock and by the server's `Date`
/// header: what the server's clock is estimated from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    pub received_at: DateTime<Utc>,
    pub server_date: Option<DateTime<Utc>>,
}

/// A Send SMS the server accepted.
#[derive(Debug, Clone, PartialEq)]
pub struct SendAnswer {
    pub id: i64,
    /// `Data.CreatedAt` as the server wrote it, when readable.
    pub created_at: Option<HisTime>,
    pub stamp: Stamp,
}

/// One Get SMS answer: the messages read, those that could not be, and
/// when it came.
#[derive(Debug, Clone, PartialEq)]
pub struct Fetched {
    pub messages: Vec<HisMessage>,
    pub unreadable: Vec<Unreadable>,
    pub stamp: Stamp,
}

/// One HTTP answer, not yet interpreted.
struct Exchange {
    status: u16,
    body: Vec<u8>,
    stamp: Stamp,
    /// Texts never to repeat from the body: the token, the secret, the SMS text.
    hidden: Vec<String>,
}

impl Exchange {
    fn interpret(&self, method: AuthMethod) -> Result<Reply, HisError> {
        let hidden: Vec<&str> = self.hidden.iter().map(String::as_str).collect();
        interpret(self.status, &self.body, method, &hidden)
    }
}

/// A 2xx Send SMS answer with a readable, positive `Data.Id`: accepted,
/// whatever the rest says (logged when odd).
fn accepted_send(x: &Exchange) -> Option<SendSmsData> {
    if !(200..300).contains(&x.status) {
        return None;
    }
    let reply = read::reply(&x.body).ok()?;
    let data = read::send_data(reply.data.as_ref()?).ok()?;
    let code = reply.status.as_ref().map(|s| s.error_code).unwrap_or_default();
    if code.is_error() {
        tracing::warn!(
            his_id = data.id,
            error_code = %code,
            "the hospital SMS server answered a send with an error code and a message Id; taken as accepted"
        );
    } else if code != ErrorCode::Ok || data.created_at.is_none() {
        tracing::debug!(
            his_id = data.id,
            error_code = %code,
            created_at_readable = data.created_at.is_some(),
            "the hospital SMS server accepted an SMS with an odd answer; taken as accepted because it gave the message an Id"
        );
    }
    Some(data)
}

/// `type=Incoming&dateFrom=2019-11-12%2011:01:26.8912252`: the space as
/// `%20`, `:` left as is.
pub fn messages_query(kind: MessageType, date_from: &HisTime) -> String {
    format!("type={}&dateFrom={}", kind.as_str(), encode_query_value(&date_from.to_query()))
}

fn encode_query_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 8);
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~:".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Turns one response into its reply or an error: the status block decides
/// first (an error code is an error even with HTTP 200; an unset one is
/// not); without one that says so, the HTTP status decides. Only a 2xx
/// body that is not JSON at all is malformed.
pub(crate) fn interpret(status: u16, body: &[u8], method: AuthMethod, hidden: &[&str]) -> Result<Reply, HisError> {
    let http_ok = (200..300).contains(&status);
    let unauthorized = HisError::Refused(HisRefusal::Unauthorized { method, status });
    let reply = read::reply(body);
    match reply {
        _ if status == 401 => Err(unauthorized),
        Ok(Reply { status: Some(s), .. }) if s.error_code.is_error() => Err(HisError::Refused(HisRefusal::Api {
            code: s.error_code,
            http_status: status,
            message: s.error_message.map(|m| http::redact_numbers(&http::scrub(&m, hidden))),
        })),
        _ if status == 403 => Err(unauthorized),
        _ if !http_ok => Err(HisError::Http { status, body: http::describe_body(body) }),
        Err(e) => Err(HisError::Malformed { path: e.path, detail: e.reason }),
        Ok(r) => Ok(r),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(status: u16, body: &str) -> Result<Reply, HisError> {
        interpret(status, body.as_bytes(), AuthMethod::Bearer, &["tok-xyz"])
    }

    fn exchange(status: u16, body: &str) -> Exchange {
        Exchange {
            status,
            body: body.as_bytes().to_vec(),
            stamp: Stamp { received_at: Utc::now(), server_date: None },
            hidden: vec![],
        }
    }

    #[test]
    fn query_is_the_spec_form() {
        let t = HisTime::parse("2019-11-12 11:01:26.8912252").unwrap();
        assert_eq!(messages_query(MessageType::Incoming, &t), "type=Incoming&dateFrom=2019-11-12%2011:01:26.8912252");
        assert_eq!(messages_query(MessageType::Outgoing, &t), "type=Outgoing&dateFrom=2019-11-12%2011:01:26.8912252");
        let zoned = HisTime::parse("2019-11-12T11:01:26.8912252+02:00").unwrap();
        assert_eq!(
            messages_query(MessageType::Incoming, &zoned),
            "type=Incoming&dateFrom=2019-11-12%2011:01:26.8912252%2B02:00",
            "the server's offset goes back with the cursor"
        );
    }

    #[test]
    fn plain_http_to_another_host_is_refused() {
        let config = |url: &str| HisConfig {
            base_url: url.parse().unwrap(),
            auth: HisAuth::Bearer(crate::rules::secret::Secret::new("t")),
        };
        let http = reqwest::Client::new();
        let e = HisClient::new(config("http://smsserver.example/"), http.clone()).unwrap_err();
        assert!(matches!(&e, HisError::Config(m) if m.contains("unencrypted")), "{e:?}");
        assert!(HisClient::new(config("http://127.0.0.1:9/"), http.clone()).is_ok());
        assert!(HisClient::new(config("https://smsserver.example/"), http).is_ok());
    }

    #[test]
    fn status_block_wins_over_http_status() {
        let body = r#"{"Data":null,"Status":{"StatusCode":"OK","ErrorCode":700,"ErrorMessage":"bad number"}}"#;
        let e = parse(200, body).unwrap_err();
        assert!(
            matches!(
                e,
                HisError::Refused(HisRefusal::Api { code: ErrorCode::InvalidClientNumber, http_status: 200, .. })
            ),
            "{e:?}"
        );
        let e = parse(502, "<html>Bad gateway</html>").unwrap_err();
        assert_eq!(e, HisError::Http { status: 502, body: "an HTML or XML page of 24 bytes".into() });
        assert_eq!(e.to_string(), "the hospital SMS server answered HTTP 502: an HTML or XML page of 24 bytes");
        let ok_block_500 = r#"{"Data":null,"Status":{"StatusCode":"OK","ErrorCode":"OK","ErrorMessage":null}}"#;
        assert!(matches!(parse(500, ok_block_500).unwrap_err(), HisError::Http { status: 500, .. }));
    }

    #[test]
    fn an_unset_error_code_is_not_an_error() {
        let body = r#"{"data":{"id":5,"createdAt":"2019-11-11T08:08:21"},"status":{"statusCode":200,"errorCode":0}}"#;
        assert!(parse(200, body).is_ok());
        assert!(matches!(parse(400, r#"{"status":{"errorCode":0}}"#).unwrap_err(), HisError::Http { status: 400, .. }));
    }

    #[test]
    fn a_send_with_an_id_on_a_2xx_is_accepted_whatever_else_is_odd() {
        for body in [
            r#"{"Data":{"Id":623178,"CreatedAt":"2019-11-11T08:08:21.8072824+02:00"},"Status":{"StatusCode":"OK","ErrorCode":"OK"}}"#,
            r#"{"Data":{"Id":623178},"Status":{"StatusCode":"OK","ErrorCode":0}}"#,
            r#"{"data":{"id":"623178","createdAt":"soon"},"status":{"statusCode":200,"errorCode":"Queued"}}"#,
            r#"{"Data":{"Id":623178},"Status":{"StatusCode":"OK","ErrorCode":"Throttled","ErrorMessage":"later"}}"#,
            r#"{"Id":623178}"#,
        ] {
            assert_eq!(accepted_send(&exchange(200, body)).map(|d| d.id), Some(623178), "{body}");
        }
        for (status, body) in [
            (200, r#"{"Data":null,"Status":{"StatusCode":"OK","ErrorCode":"Throttled"}}"#),
            (200, r#"{"Data":{"Id":0},"Status":{"StatusCode":"OK","ErrorCode":"OK"}}"#),
            (500, r#"{"Data":{"Id":623178},"Status":{"StatusCode":"OK","ErrorCode":"OK"}}"#),
            (200, "<html>"),
        ] {
            assert_eq!(accepted_send(&exchange(status, body)), None, "{status} {body}");
        }
    }

    #[test]
    fn the_token_never_comes_back_in_an_error() {
        let e = parse(500, "token tok-xyz was bad").unwrap_err();
        assert!(!format!("{e} {e:?}").contains("tok-xyz"), "{e}");
    }
}
