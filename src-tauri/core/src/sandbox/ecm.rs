//! The ECM Communications API (spec 004): send an SMS to, or call, an ECM
//! patient, through a simulated Twilio.

use std::sync::Arc;

use axum::{
    body::Bytes,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::post,
    Json, Router,
};
use serde_json::{json, Value};

use super::{
    faults::{self, Service},
    magic,
    state::{EcmRecord, Shared, State as SandboxState},
    Timing, SANDBOX_ECM_TOKEN,
};
use crate::{
    gateways::ecm::wire::{Activity, CallRecord, CallResponse, SendSmsResponse, SmsRecord},
    rules::phone::{normalize, Region},
};

const BASE: &str = "/v1/clinic/ecm/communications/patients/{patient_id}";

pub(crate) fn routes() -> Router<Arc<Shared>> {
    Router::new().route(&format!("{BASE}/sms"), post(sms)).route(&format!("{BASE}/call"), post(call))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Sms,
    Call,
}

impl Kind {
    fn key(self) -> &'static str {
        match self {
            Kind::Sms => "sms",
            Kind::Call => "call",
        }
    }

    fn failure(self) -> &'static str {
        match self {
            Kind::Sms => "Failed to send SMS",
            Kind::Call => "Failed to initiate call",
        }
    }
}

async fn sms(shared: State<Arc<Shared>>, id: Path<String>, headers: HeaderMap, body: Bytes) -> Response {
    handle(shared, Kind::Sms, id, headers, body).await
}

async fn call(shared: State<Arc<Shared>>, id: Path<String>, headers: HeaderMap, body: Bytes) -> Response {
    handle(shared, Kind::Call, id, headers, body).await
}

fn errors(status: StatusCode, message: impl Into<String>) -> (StatusCode, String) {
    (status, message.into())
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    kind: Kind,
    Path(patient): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    faults::latency(&shared).await;
    if headers.get("x-user-token").and_then(|v| v.to_str().ok()) != Some(SANDBOX_ECM_TOKEN) {
        let body = json!({ "errors": ["Invalid or missing X-User-Token"] });
        return (StatusCode::UNAUTHORIZED, Json(body)).into_response();
    }
    if let Some(r) = faults::before(&shared, Service::Ecm, false).await {
        return r;
    }
    let outcome = create(&mut shared.lock(), &shared.options.timing, kind, &patient, &body);
    match outcome {
        Err((status, message)) => faults::after(&shared, Service::Ecm, false, status, json!({ "errors": [message] })).0,
        Ok(record) => {
            let body = response_body(kind, &record);
            let (response, answer) = faults::after(&shared, Service::Ecm, true, StatusCode::CREATED, body);
            shared.lock().set_ecm_answer(record.id, answer);
            response
        }
    }
}

fn create(
    st: &mut SandboxState,
    timing: &Timing,
    kind: Kind,
    patient: &str,
    body: &[u8],
) -> Result<EcmRecord, (StatusCode, String)> {
    let patient_id = patient
        .parse::<i64>()
        .ok()
        .filter(|id| st.ecm_patients.contains(id))
        .ok_or_else(|| errors(StatusCode::NOT_FOUND, "Patient not found"))?;
    let request: Value = serde_json::from_slice(body)
        .map_err(|_| errors(StatusCode::BAD_REQUEST, "The request body is not valid JSON"))?;
    let params = request.get(kind.key()).filter(|p| p.as_object().is_some_and(|o| !o.is_empty())).ok_or_else(|| {
        errors(StatusCode::BAD_REQUEST, format!("param is missing or the value is empty: {}", kind.key()))
    })?;
    let text = |field: &str| params.get(field).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty());
    let unprocessable = |message: String| errors(StatusCode::UNPROCESSABLE_ENTITY, message);
    let phone = text("phone_number").ok_or_else(|| unprocessable("Phone number is required".into()))?;
    let message = match kind {
        Kind::Sms => Some(
            text("body")
                .ok_or_else(|| unprocessable(format!("{}: Message body is required (21602)", kind.failure())))?,
        ),
        Kind::Call => None,
    };
    let to = normalize(phone, Region::default())
        .map_err(|_| unprocessable(format!("{}: The 'To' number is not a valid phone number", kind.failure())))?;
    let to = to.as_str();
    let refused = match kind {
        Kind::Sms => magic::ecm_sms_error(to),
        Kind::Call => magic::ecm_call_error(to),
    };
    if let Some(code) = refused {
        return Err(unprocessable(format!("{}: {} ({})", kind.failure(), code.twilio_message(), code.code())));
    }
    Ok(match kind {
        Kind::Sms => st.create_ecm(patient_id, to, message, magic::ecm_sms_steps(to), timing.ecm_sms_step),
        Kind::Call => st.create_ecm(patient_id, to, None, magic::ecm_call_steps(to), timing.call_step),
    })
}

/// The spec's success body, field for field.
fn response_body(kind: Kind, r: &EcmRecord) -> Value {
    let activity = Some(Activity {
        id: r.activity_id,
        activity_type: kind.key().into(),
        status: "created".into(),
        patient_id: Some(r.patient_id),
        performed_by_id: Some(magic::ECM_USER_ID),
        assigned_to_id: Some(magic::ECM_USER_ID),
        text_message_id: None,
        voice_call_id: None,
    });
    let value = match kind {
        Kind::Sms => serde_json::to_value(SendSmsResponse {
            message: Some("SMS sent successfully".into()),
            sms: SmsRecord {
                id: Some(r.id),
                twilio_sid: Some(r.twilio_sid.clone()),
                to: Some(r.to.clone()),
                from: Some(r.from.clone()),
                body: r.body.clone(),
                status: "queued".into(),
                direction: Some(r.direction.clone()),
                created_at: Some(r.created_at.clone()),
            },
            activity,
        }),
        Kind::Call => serde_json::to_value(CallResponse {
            message: Some("Call initiated successfully".into()),
            call: CallRecord {
                id: Some(r.id),
                twilio_sid: Some(r.twilio_sid.clone()),
                to: Some(r.to.clone()),
                from: Some(r.from.clone()),
                status: "queued".into(),
                direction: Some(r.direction.clone()),
                created_at: Some(r.created_at.clone()),
            },
            activity,
        }),
    };
    value.unwrap_or(Value::Null)
}
