//! The hospital SMS server (spec 003): Send SMS, Get SMS and Get hospital
//! numbers, served at `/` and at `/his/`.

use std::{collections::VecDeque, sync::Arc};

use axum::{
    body::Bytes,
    extract::{RawQuery, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Router,
};
use chrono::{DateTime, Utc};
use rand::seq::SliceRandom;
use serde::Serialize;
use serde_json::Value;
use tokio::time::Instant;

use super::{
    azure,
    faults::{self, Service},
    magic::{self, HisFate},
    profile::{self, Profile},
    state::{InboxPoll, Shared, State as SandboxState},
};
use crate::gateways::his::{
    read,
    time::HisTime,
    wire::{
        Envelope, ErrorCode, HisMessage, MessageState, MessageType, MessagesData, NumbersData, OperatorNumber,
        SendSmsData, SendSmsRequest, Status,
    },
};

pub(crate) fn routes() -> Router<Arc<Shared>> {
    let methods = || get(get_sms).post(send_sms);
    Router::new().route("/", methods()).route("/his", methods()).route("/his/", methods())
}

/// The hospital's numbers and sender names (`?type=Numbers`).
pub fn hospital_numbers() -> Vec<OperatorNumber> {
    vec![
        OperatorNumber { operator_number_id: 4, number: magic::HOSPITAL_NUMBER.into() },
        OperatorNumber { operator_number_id: 7, number: magic::HOSPITAL_SENDER_NAME.into() },
    ]
}

/// International digits: 8-15 digits, optionally after a `+`.
pub(crate) fn is_client_number(s: &str) -> bool {
    let digits = s.strip_prefix('+').unwrap_or(s);
    (8..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
}

type Failure = (StatusCode, ErrorCode, String);

/// A body as the profile writes it; `send` marks a Send SMS answer.
fn rendered(st: &SandboxState, body: Value, send: bool) -> Value {
    match st.profile {
        Profile::Dotnet => profile::dotnet_body(body, send),
        _ => body,
    }
}

fn ok_body<T: Serialize>(data: T) -> Value {
    serde_json::to_value(Envelope { data: Some(data), status: Status::ok() }).unwrap_or(Value::Null)
}

fn error_body((status, code, message): Failure) -> Value {
    let status_code = match status {
        StatusCode::BAD_REQUEST => "BadRequest",
        StatusCode::UNAUTHORIZED => "Unauthorized",
        _ => "InternalServerError",
    };
    let status = Status { status_code: status_code.into(), error_code: code, error_message: Some(message) };
    serde_json::to_value(Envelope::<()> { data: None, status }).unwrap_or(Value::Null)
}

fn unauthorized() -> Response {
    (StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, "Bearer")]).into_response()
}

fn bad(code: ErrorCode, message: impl Into<String>) -> Failure {
    (StatusCode::BAD_REQUEST, code, message.into())
}

/// The `Date` header from the server's own clock (a skewed server's is off too).
fn dated(shared: &Shared, mut response: Response) -> Response {
    let now = shared.lock().clocking.now();
    if let Ok(v) = HeaderValue::from_str(&now.format("%a, %d %b %Y %H:%M:%S GMT").to_string()) {
        response.headers_mut().insert(header::DATE, v);
    }
    response
}

/// ASP.NET Core's answer to a body it cannot bind (a number too large for
/// an `Int32` field).
fn problem_details(field: &str) -> Response {
    let body = serde_json::json!({
        "type": "https://tools.ietf.org/html/rfc9110#section-15.5.1",
        "title": "One or more validation errors occurred.",
        "status": 400,
        "errors": { format!("$.{field}"): [format!("The JSON value could not be converted to System.Int32. Path: $.{field} | LineNumber: 0 | BytePositionInLine: 120.")] },
        "traceId": "00-5f1c0d9e3b7a4c2f8e6d1a0b9c8d7e6f-1a2b3c4d5e6f7a8b-00"
    });
    let mut r = (StatusCode::BAD_REQUEST, body.to_string()).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json; charset=utf-8"));
    r
}

async fn send_sms(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    faults::latency(&shared).await;
    if !azure::his_authorized(&shared, &headers) {
        return dated(&shared, unauthorized());
    }
    if let Some(r) = faults::before(&shared, Service::His, false).await {
        return dated(&shared, r);
    }
    let outcome = {
        let mut st = shared.lock();
        let request = read_request(&st, &body);
        match request {
            Err(Refusal::Problem(field)) => return dated(&shared, problem_details(field)),
            Err(Refusal::Failure(f)) => Err(f),
            Ok(req) => send(&mut st, &shared.options.timing, req),
        }
    };
    let response = match outcome {
        Err(failure) => {
            let body = rendered(&shared.lock(), error_body(failure.clone()), true);
            faults::after(&shared, Service::His, false, failure.0, body).0
        }
        Ok((id, created)) => {
            let body = {
                let st = shared.lock();
                let created_at = st.clocking.answer_time(created);
                rendered(&st, ok_body(SendSmsData { id, created_at: Some(created_at) }), true)
            };
            let (response, answer) = faults::after(&shared, Service::His, true, StatusCode::OK, body);
            if let Some(s) = shared.lock().his_sends.iter_mut().rev().find(|s| s.id == id) {
                s.answer = answer;
            }
            response
        }
    };
    dated(&shared, response)
}

/// Why a Send SMS body was refused before anything happened.
enum Refusal {
    Failure(Failure),
    /// A `dotnet` server could not bind the field.
    Problem(&'static str),
}

/// The request: exactly the spec's names for most profiles; any case for
/// `dotnet` (ASP.NET Core binds names case-insensitively), whose
/// ExternalKey must fit an `Int32`.
fn read_request(st: &SandboxState, body: &[u8]) -> Result<SendSmsRequest, Refusal> {
    let invalid = |e: String| {
        Refusal::Failure(bad(ErrorCode::Internal, format!("The request is not a valid Send SMS request: {e}")))
    };
    if st.profile != Profile::Dotnet {
        return serde_json::from_slice(body).map_err(|e| invalid(e.to_string()));
    }
    let v: Value = serde_json::from_slice(body).map_err(|e| invalid(e.to_string()))?;
    let obj = v.as_object().ok_or_else(|| invalid("not an object".into()))?;
    let text = |k: &str| read::field(obj, &[k]).and_then(Value::as_str).map(str::to_string);
    let key = read::field(obj, &["ExternalKey"]).cloned().unwrap_or(Value::Null);
    let external_key = match key.as_i64() {
        Some(k) if i32::try_from(k).is_ok() => k,
        _ => return Err(Refusal::Problem("ExternalKey")),
    };
    Ok(SendSmsRequest {
        id: None,
        from: text("From").unwrap_or_default(),
        to: text("To").unwrap_or_default(),
        text: text("Text").unwrap_or_default(),
        external_key,
    })
}

fn send(st: &mut SandboxState, timing: &super::Timing, req: SendSmsRequest) -> Result<(i64, DateTime<Utc>), Failure> {
    if !hospital_numbers().iter().any(|n| n.number == req.from) {
        return Err(bad(
            ErrorCode::InvalidMessageOwner,
            format!("The number or sender name '{}' is not assigned to this client", req.from),
        ));
    }
    let fate = magic::his_fate(&req.to);
    if !is_client_number(&req.to) || fate == HisFate::InvalidNumber {
        return Err(bad(ErrorCode::InvalidClientNumber, format!("Invalid client number '{}'", req.to)));
    }
    if req.text.trim().is_empty() {
        return Err(bad(ErrorCode::Internal, "The SMS text is empty"));
    }
    let to = req.to.trim_start_matches('+');
    let now = Instant::now();
    let (enroute, delivered) = (now + timing.enroute_after, now + timing.delivered_after);
    let steps: VecDeque<(Instant, MessageState)> = match fate {
        HisFate::Rejected => [(enroute, MessageState::Rejected)].into(),
        HisFate::Final(None) | HisFate::InvalidNumber => [(enroute, MessageState::Enroute)].into(),
        HisFate::Final(Some(last)) => [(enroute, MessageState::Enroute), (delivered, last)].into(),
    };
    let can_reply = req.from == magic::HOSPITAL_NUMBER && !magic::is_magic(to);
    let (id, created, _) = st.create_outgoing(&req.from, to, &req.text, req.external_key, steps, can_reply);
    Ok((id, created))
}

enum Query {
    Numbers,
    Messages(MessageType, HisTime),
}

fn parse_query(raw: Option<&str>) -> Result<Query, Failure> {
    let mut kind = None;
    let mut date_from = None;
    for (k, v) in url::form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
        if k.eq_ignore_ascii_case("type") {
            kind = Some(v.into_owned());
        } else if k.eq_ignore_ascii_case("dateFrom") {
            date_from = Some(v.into_owned());
        }
    }
    let kind = match kind.as_deref().map(|k| k.trim().to_ascii_lowercase()) {
        None => return Err(bad(ErrorCode::Internal, "The type parameter is required: Incoming, Outgoing or Numbers")),
        Some(k) if k == "numbers" => return Ok(Query::Numbers),
        Some(k) if k == "incoming" || k == "2" => MessageType::Incoming,
        Some(k) if k == "outgoing" || k == "1" => MessageType::Outgoing,
        Some(k) => {
            return Err(bad(ErrorCode::Internal, format!("Unknown type '{k}': use Incoming, Outgoing or Numbers")))
        }
    };
    let Some(date_from) = date_from.filter(|d| !d.trim().is_empty()) else {
        return Err(bad(ErrorCode::Internal, "The dateFrom parameter is required, like 2019-11-12 11:01:26.8912252"));
    };
    // A `+` of an offset that was not percent-encoded arrives as a space.
    let repaired = match date_from.rsplit_once(' ') {
        Some((head, zone))
            if head.len() >= 16
                && zone.len() == 5
                && zone.as_bytes()[2] == b':'
                && zone.bytes().filter(u8::is_ascii_digit).count() == 4 =>
        {
            format!("{head}+{zone}")
        }
        _ => date_from.clone(),
    };
    let from = HisTime::parse(&repaired).ok_or_else(|| {
        bad(ErrorCode::Internal, format!("Invalid dateFrom '{date_from}': use the form 2019-11-12 11:01:26.8912252"))
    })?;
    Ok(Query::Messages(kind, from))
}

async fn get_sms(State(shared): State<Arc<Shared>>, headers: HeaderMap, RawQuery(raw): RawQuery) -> Response {
    let started_at = Utc::now();
    faults::latency(&shared).await;
    if !azure::his_authorized(&shared, &headers) {
        return dated(&shared, unauthorized());
    }
    if let Some(r) = faults::before(&shared, Service::His, true).await {
        return dated(&shared, r);
    }
    let body = match parse_query(raw.as_deref()) {
        Err(failure) => {
            let body = rendered(&shared.lock(), error_body(failure.clone()), false);
            return dated(&shared, faults::after(&shared, Service::His, false, failure.0, body).0);
        }
        Ok(Query::Numbers) => {
            rendered(&shared.lock(), ok_body(NumbersData { client_operator_numbers: hospital_numbers() }), false)
        }
        Ok(Query::Messages(kind, from)) => {
            let mut st = shared.lock();
            if kind == MessageType::Incoming {
                st.inbox_reads += 1;
                let agent = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
                st.record_inbox_poll(InboxPoll { agent, started_at, answered_at: Utc::now() });
            }
            let from = st.clocking.date_from(&from);
            let lag = shared.options.list_lag;
            let messages = page(&mut st, kind, from, lag);
            let body = ok_body(MessagesData { messages });
            let mut body = rendered(&st, body, false);
            if st.profile == Profile::Dotnet {
                unlisted_states(&mut body);
            }
            body
        }
    };
    dated(&shared, faults::after(&shared, Service::His, false, StatusCode::OK, body).0)
}

/// A `dotnet` server's newer enum: some accepted messages show a State the
/// spec does not list.
fn unlisted_states(body: &mut Value) {
    let Some(list) = body.pointer_mut("/data/messages").and_then(Value::as_array_mut) else { return };
    for m in list {
        let accepted = m["state"].as_i64() == Some(MessageState::Accepted.number());
        if accepted && m["id"].as_i64().is_some_and(|id| id % 3 == 0) {
            m["state"] = Value::from(profile::DOTNET_UNLISTED_STATE);
        }
    }
}

/// Messages of `kind` changed at or after `from`, in id order, written in
/// the list's zone, with the page faults applied. A `lagging` server leaves
/// out sent messages younger than `lag`.
fn page(st: &mut SandboxState, kind: MessageType, from: DateTime<Utc>, lag: std::time::Duration) -> Vec<HisMessage> {
    let clocking = st.clocking;
    let now = clocking.now();
    let hide_younger = (st.profile == Profile::Lagging && kind == MessageType::Outgoing)
        .then(|| now - chrono::TimeDelta::from_std(lag).unwrap_or_default());
    let instant = |t: &HisTime| t.instant().unwrap_or_else(|| t.local.and_utc());
    let mut messages: Vec<HisMessage> = st
        .his
        .iter()
        .filter(|e| e.msg.kind == kind && instant(&e.msg.updated_at) >= from)
        .filter(|e| hide_younger.is_none_or(|limit| instant(&e.msg.created_at) <= limit))
        .map(|e| {
            let mut m = e.msg.clone();
            m.created_at = clocking.list_time(instant(&m.created_at));
            m.updated_at = clocking.list_time(instant(&m.updated_at));
            m
        })
        .collect();
    if st.faults.duplicate_pages && !messages.is_empty() {
        let n = rand::Rng::random_range(&mut st.rng, 1..=messages.len());
        let picks = rand::seq::index::sample(&mut st.rng, messages.len(), n).into_vec();
        let mut out = Vec::with_capacity(messages.len() + n);
        for (i, m) in messages.into_iter().enumerate() {
            if picks.contains(&i) {
                out.push(m.clone());
            }
            out.push(m);
        }
        messages = out;
    }
    if st.faults.shuffle_pages && messages.len() > 1 {
        let before: Vec<i64> = messages.iter().map(|m| m.id).collect();
        messages.shuffle(&mut st.rng);
        if messages.iter().map(|m| m.id).eq(before) {
            messages.reverse();
        }
    }
    messages
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_numbers_are_international_digits() {
        for ok in ["37000000002", "+18055550100", "12345678", "123456789012345"] {
            assert!(is_client_number(ok), "{ok}");
        }
        for bad in
            ["", "1234567", "1234567890123456", "+1 805 555 0100", "805-555-0100", "abc12345678", "++18055550100"]
        {
            assert!(!is_client_number(bad), "{bad}");
        }
    }

    #[test]
    fn date_from_in_every_spelling() {
        let want = HisTime::parse("2019-11-12 11:01:26.8912252").unwrap();
        for q in [
            "type=Incoming&dateFrom=2019-11-12+11:01:26.8912252",
            "type=2&dateFrom=2019-11-12%2011%3A01%3A26.8912252",
            "TYPE=incoming&DateFrom=2019-11-12T11:01:26.8912252",
        ] {
            match parse_query(Some(q)) {
                Ok(Query::Messages(MessageType::Incoming, t)) => assert_eq!(t, want, "{q}"),
                _ => panic!("{q} was not read"),
            }
        }
        assert!(matches!(parse_query(Some("type=Numbers")), Ok(Query::Numbers)));
        for q in [
            "type=Incoming",
            "type=Incoming&dateFrom=yesterday",
            "dateFrom=2019-11-12",
            "type=Fax&dateFrom=2019-11-12+11:01",
        ] {
            assert!(parse_query(Some(q)).is_err(), "{q}");
        }
    }
}
