//! The sandbox over real HTTP on 127.0.0.1, with reqwest directly. Every
//! wait is bounded.

mod azure;
mod control;
mod ecm;
mod faults;
mod his;
mod progress;

use std::time::Duration;

use chrono::NaiveDateTime;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

use super::{magic, Sandbox, SandboxHandle, SandboxOptions, StateSnapshot, SANDBOX_HIS_TOKEN};

/// The longest any test waits for something to happen.
const PATIENCE: Duration = Duration::from_secs(5);

async fn start() -> SandboxHandle {
    start_with(SandboxOptions::for_tests()).await
}

async fn start_with(options: SandboxOptions) -> SandboxHandle {
    Sandbox::start(options).await.expect("the sandbox starts")
}

fn client() -> Client {
    Client::builder().timeout(Duration::from_secs(10)).build().expect("a client")
}

/// A request to the control API at `/__sandbox/{path}`, with the token.
fn control_request(sb: &SandboxHandle, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
    let url = sb.base_url().join(&format!("__sandbox/{path}")).unwrap();
    client().request(method, url).header(super::control::TOKEN_HEADER, sb.control_token().expect("a control token"))
}

/// A Send SMS body from the hospital number.
fn sms_body(to: &str, text: &str, external_key: i64) -> Value {
    json!({ "Id": null, "From": magic::HOSPITAL_NUMBER, "To": to, "Text": text, "ExternalKey": external_key })
}

async fn his_post(sb: &SandboxHandle, body: &Value) -> (StatusCode, Value) {
    let r = client().post(sb.his_base_url()).bearer_auth(SANDBOX_HIS_TOKEN).json(body).send().await.unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// Sends an SMS and returns its id.
async fn his_send(sb: &SandboxHandle, to: &str, text: &str, external_key: i64) -> i64 {
    let (status, v) = his_post(sb, &sms_body(to, text, external_key)).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    v["Data"]["Id"].as_i64().expect("Data.Id")
}

/// GET `<his base>?<query>` with the bearer token.
async fn his_get(sb: &SandboxHandle, query: &str) -> (StatusCode, Value) {
    let url = format!("{}?{query}", sb.his_base_url());
    let r = client().get(url).bearer_auth(SANDBOX_HIS_TOKEN).send().await.unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// Messages of `kind` since an hour ago.
async fn his_messages(sb: &SandboxHandle, kind: &str) -> Vec<Value> {
    let since = (chrono::Local::now() - chrono::TimeDelta::hours(1)).format("%Y-%m-%d %H:%M:%S%.f").to_string();
    let r = client()
        .get(sb.his_base_url())
        .bearer_auth(SANDBOX_HIS_TOKEN)
        .query(&[("type", kind), ("dateFrom", since.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    v["Data"]["Messages"].as_array().cloned().unwrap_or_default()
}

/// Polls the state until `f` gives an answer, for at most [`PATIENCE`].
async fn wait_for<T>(sb: &SandboxHandle, what: &str, mut f: impl FnMut(&StateSnapshot) -> Option<T>) -> T {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        if let Some(t) = f(&sb.state()) {
            return t;
        }
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}: {:#?}", sb.state());
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Whether `s` is a HIS timestamp: `2019-11-12T11:01:51.2143795`, plus
/// `+02:00` when `offset`.
fn is_his_time(s: &str, offset: bool) -> bool {
    if s.len() < 27 || !s.is_char_boundary(27) {
        return false;
    }
    let (base, rest) = s.split_at(27);
    let fraction_ok = base.as_bytes()[19] == b'.' && base[20..].bytes().all(|b| b.is_ascii_digit());
    let base_ok = NaiveDateTime::parse_from_str(base, "%Y-%m-%dT%H:%M:%S%.f").is_ok() && fraction_ok;
    let rest_ok = if offset {
        rest.len() == 6
            && matches!(rest.as_bytes()[0], b'+' | b'-')
            && chrono::NaiveTime::parse_from_str(&format!("{}:00", &rest[1..]), "%H:%M:%S").is_ok()
    } else {
        rest.is_empty()
    };
    base_ok && rest_ok
}

#[test]
fn the_timestamp_shape_check_can_fail() {
    assert!(is_his_time("2019-11-11T08:08:21.8072824+02:00", true));
    assert!(is_his_time("2019-11-12T11:01:51.2143795", false));
    for (s, offset) in [
        ("2019-11-12T11:01:51.2143795", true),
        ("2019-11-12T11:01:51.214379", false),
        ("2019-11-12 11:01:51.2143795", false),
        ("2019-11-12T11:01:51.2143795Z", false),
    ] {
        assert!(!is_his_time(s, offset), "{s}");
    }
}
