//! The hospital SMS server's REST client (spec 003): Send SMS, Get SMS and
//! Get hospital numbers, all on the configured base address.

use std::{fmt, sync::Arc, time::Instant};

use reqwest::{header, Method, RequestBuilder};
use serde::{de::DeserializeOwned, Deserialize};
use url::Url;

use super::{
    auth::{AuthMethod, HisAuth, TokenSource},
    error::HisError,
    time::HisTime,
    wire::{
        Envelope, ErrorCode, HisMessage, MessageType, MessagesData, NumbersData, OperatorNumber, SendSmsData,
        SendSmsRequest, Status,
    },
};
use crate::{http, redact};

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
    /// digits without `+` (see [`SendSmsRequest::new`]).
    pub async fn send_sms(&self, request: &SendSmsRequest) -> Result<SendSmsData, HisError> {
        tracing::info!(
            to = %redact::phone(&request.to),
            from = %redact::phone(&request.from),
            text = %redact::text(&request.text),
            external_key = request.external_key,
            "sending an SMS through the hospital SMS server"
        );
        let url = self.base_url.clone();
        let data: SendSmsData = self
            .call("send_sms", Some(&request.text), || self.http.request(Method::POST, url.clone()).json(request))
            .await?;
        tracing::info!(his_id = data.id, external_key = request.external_key, "the hospital SMS server took the SMS");
        Ok(data)
    }

    /// `GET <base>?type=Incoming&dateFrom=2019-11-12%2011:01:26.8912252`:
    /// messages of `kind` changed at or after `date_from` (server time).
    pub async fn get_messages(&self, kind: MessageType, date_from: &HisTime) -> Result<Vec<HisMessage>, HisError> {
        let url = self.url_with_query(&messages_query(kind, date_from));
        let data: MessagesData =
            self.call("get_messages", None, || self.http.request(Method::GET, url.clone())).await?;
        tracing::debug!(
            kind = kind.as_str(),
            count = data.messages.len(),
            "fetched messages from the hospital SMS server"
        );
        Ok(data.messages)
    }

    /// `GET <base>?type=Numbers`: the hospital's numbers and sender names.
    pub async fn numbers(&self) -> Result<Vec<OperatorNumber>, HisError> {
        let url = self.url_with_query("type=Numbers");
        let data: NumbersData = self.call("numbers", None, || self.http.request(Method::GET, url.clone())).await?;
        Ok(data.client_operator_numbers)
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
    async fn call<T: DeserializeOwned>(
        &self,
        op: &'static str,
        text: Option<&str>,
        build: impl Fn() -> RequestBuilder,
    ) -> Result<T, HisError> {
        let started = Instant::now();
        let result = self.call_with_auth(text, build).await;
        let elapsed_ms = started.elapsed().as_millis() as u64;
        match &result {
            Ok(_) => tracing::debug!(op, elapsed_ms, "hospital SMS server call done"),
            Err(e) => tracing::warn!(op, elapsed_ms, code = e.code(), error = %e, "hospital SMS server call failed"),
        }
        result
    }

    /// Sends with the current token; on a 401, once more with a fresh one
    /// (Azure AD only). No lock is held while the request runs.
    async fn call_with_auth<T: DeserializeOwned>(
        &self,
        text: Option<&str>,
        build: impl Fn() -> RequestBuilder,
    ) -> Result<T, HisError> {
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
            let body = response.bytes().await.map_err(|e| HisError::from_failure(http::classify(&e)))?;
            let hidden = [token.expose(), self.auth.secret().expose(), text.unwrap_or_default()];
            return interpret(status, &body, self.auth.method(), &hidden);
        }
    }
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

/// Turns one response into data or an error: the status block decides first
/// (an error code is an error even with HTTP 200); without a readable block,
/// the HTTP status decides.
pub(crate) fn interpret<T: DeserializeOwned>(
    status: u16,
    body: &[u8],
    method: AuthMethod,
    hidden: &[&str],
) -> Result<T, HisError> {
    #[derive(Deserialize)]
    struct StatusOnly {
        #[serde(rename = "Status")]
        status: Status,
    }
    let http_ok = (200..300).contains(&status);
    let unauthorized = HisError::Unauthorized { method, status };
    match http::decode::<StatusOnly>(body) {
        _ if status == 401 => Err(unauthorized),
        Ok(s) if s.status.error_code != ErrorCode::Ok => Err(HisError::Api {
            code: s.status.error_code,
            http_status: status,
            message: s.status.error_message.map(|m| http::redact_numbers(&http::scrub(&m, hidden))),
        }),
        _ if status == 403 => Err(unauthorized),
        Ok(_) | Err(_) if !http_ok => Err(HisError::Http { status, snippet: http::snippet(body, hidden) }),
        Err(e) => Err(HisError::Malformed { path: e.path, detail: e.reason }),
        Ok(_) => {
            let envelope: Envelope<T> =
                http::decode(body).map_err(|e| HisError::Malformed { path: e.path, detail: e.reason })?;
            envelope
                .data
                .ok_or_else(|| HisError::Malformed { path: "Data".into(), detail: "Data is missing or null".into() })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse<T: DeserializeOwned>(status: u16, body: &str) -> Result<T, HisError> {
        interpret(status, body.as_bytes(), AuthMethod::Bearer, &["tok-xyz"])
    }

    #[test]
    fn query_is_the_spec_form() {
        let t = HisTime::parse("2019-11-12 11:01:26.8912252").unwrap();
        assert_eq!(messages_query(MessageType::Incoming, &t), "type=Incoming&dateFrom=2019-11-12%2011:01:26.8912252");
        assert_eq!(messages_query(MessageType::Outgoing, &t), "type=Outgoing&dateFrom=2019-11-12%2011:01:26.8912252");
    }

    #[test]
    fn status_block_wins_over_http_status() {
        let body = r#"{"Data":null,"Status":{"StatusCode":"OK","ErrorCode":700,"ErrorMessage":"bad number"}}"#;
        let e = parse::<SendSmsData>(200, body).unwrap_err();
        assert!(matches!(e, HisError::Api { code: ErrorCode::InvalidClientNumber, http_status: 200, .. }), "{e:?}");
        let e = parse::<SendSmsData>(502, "<html>Bad gateway</html>").unwrap_err();
        assert_eq!(e, HisError::Http { status: 502, snippet: "<html>Bad gateway</html>".into() });
        let ok_block_500 = r#"{"Data":null,"Status":{"StatusCode":"OK","ErrorCode":"OK","ErrorMessage":null}}"#;
        assert!(matches!(parse::<SendSmsData>(500, ok_block_500).unwrap_err(), HisError::Http { status: 500, .. }));
    }

    #[test]
    fn missing_data_is_malformed_at_data() {
        let body = r#"{"Status":{"StatusCode":"OK","ErrorCode":"OK","ErrorMessage":null}}"#;
        let e = parse::<SendSmsData>(200, body).unwrap_err();
        assert!(matches!(&e, HisError::Malformed { path, .. } if path == "Data"), "{e:?}");
    }

    #[test]
    fn the_token_never_comes_back_in_an_error() {
        let e = parse::<SendSmsData>(500, "token tok-xyz was bad").unwrap_err();
        assert!(!format!("{e} {e:?}").contains("tok-xyz"), "{e}");
    }
}
