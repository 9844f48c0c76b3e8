//! Shared helpers: clients pointed at a wiremock server, fixtures, matchers,
//! a dead port, and a log capture.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use caredesk_core::{
    desk::secrets::Secret,
    gateways::ecm::client::EcmClient,
    gateways::his::{
        auth::{AzureConfig, HisAuth},
        client::{HisClient, HisConfig},
    },
    gateways::http::{client, HttpSettings},
};
use serde_json::{json, Value};
use wiremock::{Match, MockServer, Request};

pub const HIS_TOKEN: &str = "his-bearer-TOKEN-0001";
pub const ECM_TOKEN: &str = "ecm-user-TOKEN-0002";
pub const CLIENT_SECRET: &str = "aad-client-SECRET-0003";
pub const TENANT: &str = "contoso-tenant";

pub fn http(timeout: Duration) -> reqwest::Client {
    client(&HttpSettings { timeout, desk: None }).unwrap()
}

pub fn http_default() -> reqwest::Client {
    http(Duration::from_secs(5))
}

pub fn fixture(name: &str) -> String {
    let path = format!("{}/tests/resources/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

pub fn fixture_json(name: &str) -> Value {
    serde_json::from_str(&fixture(name)).unwrap()
}

pub fn his_bearer(base: &str) -> HisClient {
    his_bearer_with(base, http_default())
}

pub fn his_bearer_with(base: &str, http: reqwest::Client) -> HisClient {
    let config = HisConfig { base_url: base.parse().unwrap(), auth: HisAuth::Bearer(Secret::new(HIS_TOKEN)) };
    HisClient::new(config, http).unwrap()
}

pub fn azure_config(authority_template: String) -> AzureConfig {
    AzureConfig {
        authority_template,
        tenant: TENANT.into(),
        client_id: "client-id-1".into(),
        scope: "api://000000-000-000-0000-0000/.default".into(),
        client_secret: Secret::new(CLIENT_SECRET),
    }
}

/// An Azure client whose authority is the mock server: tokens come from
/// `POST /{TENANT}/oauth2/v2.0/token` and the SMS server is at `/sms/`.
pub fn his_azure(server: &MockServer) -> HisClient {
    let config = HisConfig {
        base_url: format!("{}/sms/", server.uri()).parse().unwrap(),
        auth: HisAuth::Azure(azure_config(format!("{}/{{0}}", server.uri()))),
    };
    HisClient::new(config, http_default()).unwrap()
}

pub fn token_path() -> String {
    format!("/{TENANT}/oauth2/v2.0/token")
}

pub fn token_body(token: &str, expires_in: u64) -> Value {
    json!({ "token_type": "Bearer", "expires_in": expires_in, "ext_expires_in": expires_in, "access_token": token })
}

pub fn ecm(base: &str) -> EcmClient {
    ecm_with(base, http_default())
}

pub fn ecm_with(base: &str, http: reqwest::Client) -> EcmClient {
    EcmClient::new(base.parse().unwrap(), Secret::new(ECM_TOKEN), http).unwrap()
}

/// `{ "Data": data, "Status": { ..., "ErrorCode": code } }`
pub fn envelope(data: Value, code: Value, message: Option<&str>) -> Value {
    json!({ "Data": data, "Status": { "StatusCode": "OK", "ErrorCode": code, "ErrorMessage": message } })
}

pub fn ok_send_data() -> Value {
    envelope(json!({ "Id": 623178, "CreatedAt": "2019-11-11T08:08:21.8072824+02:00" }), json!("OK"), None)
}

/// Matches the raw query string exactly, byte for byte.
pub struct RawQuery(pub &'static str);

impl Match for RawQuery {
    fn matches(&self, request: &Request) -> bool {
        request.url.query() == Some(self.0)
    }
}

/// A port on which nothing listens.
pub async fn refused_base() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}/")
}

/// A server that reads the request and then closes the connection without
/// answering: the request went out, the answer never came.
pub async fn hangup_base() -> String {
    use tokio::io::AsyncReadExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut buf = vec![0u8; 64 * 1024];
            let _ = socket.read(&mut buf).await;
            drop(socket);
        }
    });
    format!("http://127.0.0.1:{port}/")
}

pub async fn hits(server: &MockServer, path: &str) -> usize {
    server.received_requests().await.unwrap_or_default().iter().filter(|r| r.url.path() == path).count()
}

/// Every tracing event (message and fields) emitted on this thread while
/// the guard lives.
#[derive(Clone, Default)]
pub struct LogCapture(Arc<Mutex<String>>);

impl LogCapture {
    pub fn install(&self) -> tracing::subscriber::DefaultGuard {
        tracing::subscriber::set_default(Capture(self.0.clone()))
    }

    pub fn text(&self) -> String {
        self.0.lock().unwrap().clone()
    }
}

struct Capture(Arc<Mutex<String>>);

struct Visit<'a>(&'a mut String);

impl tracing::field::Visit for Visit<'_> {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!(" {}={value:?}", field.name()));
    }
}

impl tracing::Subscriber for Capture {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        let mut out = self.0.lock().unwrap();
        span.record(&mut Visit(&mut out));
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, values: &tracing::span::Record<'_>) {
        values.record(&mut Visit(&mut self.0.lock().unwrap()));
    }
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        let mut out = self.0.lock().unwrap();
        event.record(&mut Visit(&mut out));
        out.push('\n');
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}
