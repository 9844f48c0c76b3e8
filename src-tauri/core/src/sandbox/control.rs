//! The control API under `/__sandbox/`, for tests and demos. It is mounted
//! only when the sandbox is started with a control token (sandbox mode in the
//! app, `caredesk sandbox`, tests), never on the test-mode stand-in, and
//! every request must
//! - carry the token in `X-Sandbox-Token` (401 otherwise), and
//! - name the sandbox itself in `Host`: `127.0.0.1:PORT`, `localhost:PORT`
//!   or `[::1]:PORT` (403 otherwise), so a web page that rebinds its own
//!   domain name to 127.0.0.1 (DNS rebinding) cannot reach it.
//!
//! | route | body | does |
//! |---|---|---|
//! | `GET /__sandbox/state` | | [`StateSnapshot`] as JSON |
//! | `GET /__sandbox/faults` | | the faults in effect |
//! | `POST /__sandbox/faults` | [`Faults`] (missing fields are off) | replaces the faults |
//! | `POST /__sandbox/inbound` | [`Inbound`] | a patient's SMS arrives now (201, the message) |
//! | `POST /__sandbox/hostile` | | the hostile demo patient sends markup (201, the message) |
//! | `POST /__sandbox/replies` | `{"enabled": bool}` | simulated replies on or off |
//! | `POST /__sandbox/ecm/patients` | `{"id": 123}` | ECM accepts this patient id too |
//! | `POST /__sandbox/reset` | | back to a fresh start |

use std::sync::Arc;

use axum::{
    extract::{Request, State},
    http::{header::HOST, StatusCode},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{
    demo,
    faults::Faults,
    his::is_client_number,
    magic,
    state::{Shared, State as SandboxState, StateSnapshot},
    SandboxError,
};
use crate::gateways::his::wire::{HisMessage, MessageType};

/// A patient's SMS to inject into the HIS inbox.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inbound {
    /// The patient's number: international digits, `+` optional.
    pub from: String,
    /// The hospital number it goes to; the sandbox's hospital number if absent.
    #[serde(default)]
    pub to: Option<String>,
    /// The text; the patient's scripted (or a random) reply if absent.
    #[serde(default)]
    pub text: Option<String>,
    /// `ReplyToMessageId`; null if absent.
    #[serde(default)]
    pub reply_to: Option<i64>,
    /// Stamps the message this many seconds after the server's present
    /// (a server clock stepped back, a bad row); now if absent.
    #[serde(default)]
    pub ahead_secs: Option<i64>,
}

/// The header control requests carry the token in.
pub const TOKEN_HEADER: &str = "X-Sandbox-Token";

/// A new control token: `CAREDESK_SANDBOX_TOKEN` when set (so the one who
/// starts the app or `caredesk sandbox` can drive it from a script), else
/// 32 random bytes in hex.
pub fn new_token() -> String {
    match std::env::var("CAREDESK_SANDBOX_TOKEN") {
        Ok(t) if !t.trim().is_empty() => t.trim().to_string(),
        _ => hex::encode(rand::random::<[u8; 32]>()),
    }
}

/// What every control request is checked against.
#[derive(Clone)]
pub(crate) struct Guard {
    token: Arc<str>,
    hosts: Arc<[String]>,
}

impl Guard {
    pub(crate) fn new(token: &str, port: u16) -> Guard {
        let hosts = vec![format!("127.0.0.1:{port}"), format!("localhost:{port}"), format!("[::1]:{port}")];
        Guard { token: token.into(), hosts: hosts.into() }
    }

    /// `Err` with the status and reason when the request may not control.
    fn check(&self, request: &Request) -> Result<(), (StatusCode, &'static str)> {
        let host = request.headers().get(HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
        if !self.hosts.iter().any(|h| h.eq_ignore_ascii_case(host)) {
            return Err((StatusCode::FORBIDDEN, "the Host header must be 127.0.0.1, localhost or [::1] with the port"));
        }
        let given = request.headers().get(TOKEN_HEADER).map(|v| v.as_bytes()).unwrap_or_default();
        if !same_bytes(given, self.token.as_bytes()) {
            return Err((StatusCode::UNAUTHORIZED, "missing or wrong X-Sandbox-Token"));
        }
        Ok(())
    }
}

/// Compares in time that does not depend on where the inputs differ.
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub(crate) fn routes(guard: Guard) -> Router<Arc<Shared>> {
    let check = move |request: Request, next: Next| {
        let verdict = guard.check(&request);
        async move {
            match verdict {
                Ok(()) => next.run(request).await,
                Err((status, why)) => (status, Json(json!({ "error": why }))).into_response(),
            }
        }
    };
    Router::new()
        .route("/__sandbox/state", get(state))
        .route("/__sandbox/faults", get(faults).post(set_faults))
        .route("/__sandbox/inbound", post(inbound))
        .route("/__sandbox/hostile", post(hostile))
        .route("/__sandbox/replies", post(replies))
        .route("/__sandbox/ecm/patients", post(register))
        .route("/__sandbox/reset", post(reset))
        .route_layer(middleware::from_fn(check))
}

/// Adds an incoming message to the HIS inbox.
pub(crate) fn inject(st: &mut SandboxState, inbound: &Inbound) -> Result<HisMessage, SandboxError> {
    let from = inbound.from.trim();
    if !is_client_number(from) {
        return Err(SandboxError::InvalidRequest(format!(
            "from must be 8-15 digits, optionally after '+', not {from:?}"
        )));
    }
    let from = from.trim_start_matches('+');
    let to = inbound.to.as_deref().map(str::trim).unwrap_or(magic::HOSPITAL_NUMBER);
    if !super::his::hospital_numbers().iter().any(|n| n.number == to) {
        return Err(SandboxError::InvalidRequest(format!("to must be a hospital number, not {to:?}")));
    }
    let text = match &inbound.text {
        Some(t) => t.clone(),
        None => demo::reply_for(from, &mut st.rng).unwrap_or_else(|| "Yes".into()),
    };
    let ahead = chrono::TimeDelta::seconds(inbound.ahead_secs.unwrap_or(0));
    Ok(st.create_incoming_at(from, to, &text, inbound.reply_to, ahead))
}

/// The hostile demo patient answers their latest message with markup.
pub(crate) fn inject_hostile(st: &mut SandboxState) -> HisMessage {
    let from = demo::HOSTILE_NUMBER.trim_start_matches('+');
    let reply_to =
        st.his.iter().rev().find(|e| e.msg.kind == MessageType::Outgoing && e.msg.to == from).map(|e| e.msg.id);
    st.create_incoming(from, magic::HOSPITAL_NUMBER, demo::HOSTILE_TEXT, reply_to)
}

async fn state(State(shared): State<Arc<Shared>>) -> Json<StateSnapshot> {
    Json(shared.lock().snapshot())
}

async fn faults(State(shared): State<Arc<Shared>>) -> Json<Faults> {
    Json(shared.lock().faults.clone())
}

async fn set_faults(State(shared): State<Arc<Shared>>, Json(faults): Json<Faults>) -> Json<Faults> {
    let mut st = shared.lock();
    st.set_faults(faults);
    Json(st.faults.clone())
}

async fn inbound(State(shared): State<Arc<Shared>>, Json(body): Json<Inbound>) -> Response {
    let result = inject(&mut shared.lock(), &body);
    match result {
        Ok(message) => (StatusCode::CREATED, Json(message)).into_response(),
        Err(e) => (StatusCode::BAD_REQUEST, Json(json!({ "error": e.to_string() }))).into_response(),
    }
}

async fn hostile(State(shared): State<Arc<Shared>>) -> Response {
    let message = inject_hostile(&mut shared.lock());
    (StatusCode::CREATED, Json(message)).into_response()
}

#[derive(Deserialize)]
struct Replies {
    enabled: bool,
}

async fn replies(State(shared): State<Arc<Shared>>, Json(body): Json<Replies>) -> StatusCode {
    shared.lock().replies = body.enabled;
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct Patient {
    id: i64,
}

async fn register(State(shared): State<Arc<Shared>>, Json(body): Json<Patient>) -> StatusCode {
    shared.lock().ecm_patients.insert(body.id);
    StatusCode::NO_CONTENT
}

async fn reset(State(shared): State<Arc<Shared>>) -> StatusCode {
    shared.lock().reset(&shared.options);
    StatusCode::NO_CONTENT
}
