//! Fault injection for chaos tests: latency, 5xx, hangs, malformed bodies,
//! requests that succeed but answer with a failure, and odd Get SMS pages.
//!
//! Faults apply to the HIS and ECM endpoints, never to the Azure token
//! endpoint or the control API. Rates are 0.0-1.0, drawn from the seeded
//! generator.

use std::{
    io,
    pin::Pin,
    task::{Context, Poll},
};

use axum::{
    body::{Body, Bytes, HttpBody},
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use rand::Rng;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::state::{Shared, State};
use crate::gateways::his::wire::{Envelope, ErrorCode, Status};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Faults {
    /// Added to every HIS and ECM request.
    pub latency_ms: u64,
    /// The request is refused with a 500, 502 or 503 before anything happens.
    pub error_5xx_rate: f64,
    /// The request hangs (`SandboxOptions::hang_for`, 60 s by default), then
    /// the connection is dropped. Nothing is created.
    pub timeout_rate: f64,
    /// The response body is cut in half (invalid JSON). The request itself
    /// was carried out.
    pub malformed_rate: f64,
    /// A send is carried out (the SMS or call exists) and then answered with
    /// a 500 or a dropped connection.
    pub accept_then_fail_rate: f64,
    /// Get SMS pages repeat some of their messages.
    pub duplicate_pages: bool,
    /// Get SMS pages come out of order.
    pub shuffle_pages: bool,
    /// The next n HIS messages created (sent or received) share one
    /// CreatedAt and one UpdatedAt.
    pub same_timestamp_burst: u32,
    /// HIS Get SMS requests (only) fail with a 500 or 503.
    pub poll_error_rate: f64,
}

impl Faults {
    /// Rates clamped into 0.0-1.0 (NaN becomes 0).
    pub fn clamped(mut self) -> Faults {
        for r in [
            &mut self.error_5xx_rate,
            &mut self.timeout_rate,
            &mut self.malformed_rate,
            &mut self.accept_then_fail_rate,
            &mut self.poll_error_rate,
        ] {
            *r = if r.is_nan() { 0.0 } else { r.clamp(0.0, 1.0) };
        }
        self
    }
}

/// How a created SMS or call was answered, as recorded in the state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    Ok,
    Error500,
    Dropped,
    Malformed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Service {
    His,
    Ecm,
}

fn roll(st: &mut State, rate: f64) -> bool {
    rate > 0.0 && st.rng.random::<f64>() < rate
}

pub(crate) async fn latency(shared: &Shared) {
    let ms = shared.lock().faults.latency_ms;
    if ms > 0 {
        let mut rx = shared.shutdown.clone();
        tokio::select! {
            _ = tokio::time::sleep(std::time::Duration::from_millis(ms)) => {}
            _ = rx.wait_for(|stop| *stop) => {}
        }
    }
}

/// Faults that strike before the request is handled. `poll` marks a Get SMS.
pub(crate) async fn before(shared: &Shared, service: Service, poll: bool) -> Option<Response> {
    let (hang, fail, variant) = {
        let mut st = shared.lock();
        let f = st.faults.clone();
        let hang = roll(&mut st, f.timeout_rate);
        let fail = roll(&mut st, f.error_5xx_rate) || (poll && roll(&mut st, f.poll_error_rate));
        (hang, fail, st.rng.random_range(0..3u8))
    };
    if hang {
        let mut rx = shared.shutdown.clone();
        tokio::select! {
            _ = tokio::time::sleep(shared.options.hang_for) => {}
            _ = rx.wait_for(|stop| *stop) => {}
        }
        return Some(dropped());
    }
    if !fail {
        return None;
    }
    Some(match variant {
        0 => server_error(service),
        1 => (
            StatusCode::BAD_GATEWAY,
            [(header::CONTENT_TYPE, "text/html")],
            "<html><body><h1>502 Bad Gateway</h1></body></html>",
        )
            .into_response(),
        _ => (StatusCode::SERVICE_UNAVAILABLE, [(header::RETRY_AFTER, "1")]).into_response(),
    })
}

/// Faults that strike after the request was handled; `created` says whether
/// it created something (only then can it be accepted-then-failed).
pub(crate) fn after(
    shared: &Shared,
    service: Service,
    created: bool,
    status: StatusCode,
    body: Value,
) -> (Response, Answer) {
    let (fail, drop, malformed) = {
        let mut st = shared.lock();
        let f = st.faults.clone();
        let fail = created && roll(&mut st, f.accept_then_fail_rate);
        let drop = st.rng.random::<bool>();
        (fail, drop, roll(&mut st, f.malformed_rate))
    };
    if fail && drop {
        return (dropped(), Answer::Dropped);
    }
    if fail {
        return (server_error(service), Answer::Error500);
    }
    let text = body.to_string();
    if malformed {
        let cut = text.len() / 2;
        return (json_text(status, text[..cut].to_string()), Answer::Malformed);
    }
    (json_text(status, text), Answer::Ok)
}

pub(crate) fn json_text(status: StatusCode, text: String) -> Response {
    let mut r = (status, text).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"));
    r
}

/// The service's own 500 answer.
pub(crate) fn server_error(service: Service) -> Response {
    let body = match service {
        Service::His => serde_json::to_value(Envelope::<()> {
            data: None,
            status: Status {
                status_code: "InternalServerError".into(),
                error_code: ErrorCode::Internal,
                error_message: Some("Internal server error".into()),
            },
        })
        .unwrap_or(Value::Null),
        Service::Ecm => json!({ "errors": ["Internal server error"] }),
    };
    json_text(StatusCode::INTERNAL_SERVER_ERROR, body.to_string())
}

/// A response whose body fails at once: the server closes the connection
/// before a complete answer reaches the client.
pub(crate) fn dropped() -> Response {
    let mut r = Response::new(Body::new(Broken));
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

struct Broken;

impl HttpBody for Broken {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, io::Error>>> {
        Poll::Ready(Some(Err(io::Error::new(io::ErrorKind::ConnectionAborted, "sandbox fault: connection dropped"))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_clamped_and_partial_json_fills_defaults() {
        let f: Faults = serde_json::from_str(r#"{"error_5xx_rate": 3.5, "shuffle_pages": true}"#).unwrap();
        assert!(f.shuffle_pages && f.latency_ms == 0);
        let f = Faults { malformed_rate: f64::NAN, ..f }.clamped();
        assert_eq!(f.error_5xx_rate, 1.0);
        assert_eq!(f.malformed_rate, 0.0);
    }
}
