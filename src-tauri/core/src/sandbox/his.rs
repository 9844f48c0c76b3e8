//! The hospital SMS server (spec 003): Send SMS, Get SMS and Get hospital
//! numbers, served at `/` and at `/his/`.

use std::{collections::VecDeque, sync::Arc};

use axum::{
    body::Bytes,
    extract::{RawQuery, State},
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Router,
};
use chrono::{FixedOffset, Local, NaiveDateTime, Offset, TimeZone};
use rand::seq::SliceRandom;
use serde::Serialize;
use serde_json::Value;
use tokio::time::Instant;

use super::{
    azure,
    faults::{self, Service},
    magic::{self, HisFate},
    state::{Shared, State as SandboxState},
};
use crate::his::{
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

async fn send_sms(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    faults::latency(&shared).await;
    if !azure::his_authorized(&shared, &headers) {
        return unauthorized();
    }
    if let Some(r) = faults::before(&shared, Service::His, false).await {
        return r;
    }
    let outcome = send(&mut shared.lock(), &shared.options.timing, &body);
    match outcome {
        Err(failure) => faults::after(&shared, Service::His, false, failure.0, error_body(failure)).0,
        Ok((id, created)) => {
            let created_at = HisTime { local: created.naive_local(), offset: Some(created.offset().fix()) };
            let body = ok_body(SendSmsData { id, created_at });
            let (response, answer) = faults::after(&shared, Service::His, true, StatusCode::OK, body);
            if let Some(s) = shared.lock().his_sends.iter_mut().rev().find(|s| s.id == id) {
                s.answer = answer;
            }
            response
        }
    }
}

fn send(st: &mut SandboxState, timing: &super::Timing, body: &[u8]) -> Result<(i64, chrono::DateTime<Local>), Failure> {
    let req: SendSmsRequest = serde_json::from_slice(body)
        .map_err(|e| bad(ErrorCode::Internal, format!("The request is not a valid Send SMS request: {e}")))?;
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
    Messages(MessageType, NaiveDateTime),
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
    let from = HisTime::parse(&date_from)
        .and_then(|t| match t.offset {
            None => Some(t.local),
            Some(o) => in_local_time(t.local, o),
        })
        .ok_or_else(|| {
            bad(
                ErrorCode::Internal,
                format!("Invalid dateFrom '{date_from}': use the form 2019-11-12 11:01:26.8912252"),
            )
        })?;
    Ok(Query::Messages(kind, from))
}

fn in_local_time(wall: NaiveDateTime, offset: FixedOffset) -> Option<NaiveDateTime> {
    Some(offset.from_local_datetime(&wall).single()?.with_timezone(&Local).naive_local())
}

async fn get_sms(State(shared): State<Arc<Shared>>, headers: HeaderMap, RawQuery(raw): RawQuery) -> Response {
    faults::latency(&shared).await;
    if !azure::his_authorized(&shared, &headers) {
        return unauthorized();
    }
    if let Some(r) = faults::before(&shared, Service::His, true).await {
        return r;
    }
    let body = match parse_query(raw.as_deref()) {
        Err(failure) => return faults::after(&shared, Service::His, false, failure.0, error_body(failure)).0,
        Ok(Query::Numbers) => ok_body(NumbersData { client_operator_numbers: hospital_numbers() }),
        Ok(Query::Messages(kind, from)) => ok_body(MessagesData { messages: page(&mut shared.lock(), kind, from) }),
    };
    faults::after(&shared, Service::His, false, StatusCode::OK, body).0
}

/// Messages of `kind` changed at or after `from`, in id order, with the
/// page faults applied.
fn page(st: &mut SandboxState, kind: MessageType, from: NaiveDateTime) -> Vec<HisMessage> {
    let from = HisTime::from_local(from);
    let mut messages: Vec<HisMessage> =
        st.his.iter().filter(|e| e.msg.kind == kind && e.msg.updated_at >= from).map(|e| e.msg.clone()).collect();
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
        let want = NaiveDateTime::parse_from_str("2019-11-12 11:01:26.8912252", "%Y-%m-%d %H:%M:%S%.f").unwrap();
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
