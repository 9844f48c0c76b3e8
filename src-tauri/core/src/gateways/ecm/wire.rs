//! The ECM Communications API's wire format (spec 004), field for field.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `POST /v1/clinic/ecm/communications/patients/{patient_id}/sms`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendSmsRequest {
    pub sms: SmsParams,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmsParams {
    pub phone_number: String,
    pub body: String,
}

/// `POST /v1/clinic/ecm/communications/patients/{patient_id}/call`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallRequest {
    pub call: CallParams,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallParams {
    pub phone_number: String,
}

/// The answer to a send. Read tolerantly: a 2xx with an `sms` object is
/// taken even when its id is odd or missing, and an `activity` that cannot be
/// read is left out (both logged); written exactly as spec 004 shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "RawSmsResponse")]
pub struct SendSmsResponse {
    pub message: Option<String>,
    pub sms: SmsRecord,
    pub activity: Option<Activity>,
}

/// The answer to a call; read and written like [`SendSmsResponse`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "RawCallResponse")]
pub struct CallResponse {
    pub message: Option<String>,
    pub call: CallRecord,
    pub activity: Option<Activity>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "RawRecord")]
pub struct SmsRecord {
    /// ECM's id: a number, or a numeric string (`"456"`); `None` when ECM
    /// sent none or one that is not a number.
    pub id: Option<i64>,
    pub twilio_sid: Option<String>,
    pub to: Option<String>,
    pub from: Option<String>,
    pub body: Option<String>,
    /// queued, sending, sent, delivered, undelivered, failed (queued when missing)
    pub status: String,
    pub direction: Option<String>,
    pub created_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "RawRecord")]
pub struct CallRecord {
    /// ECM's id, read like [`SmsRecord::id`].
    pub id: Option<i64>,
    pub twilio_sid: Option<String>,
    pub to: Option<String>,
    pub from: Option<String>,
    /// queued, ringing, in-progress, completed, busy, no-answer, failed, canceled (queued when missing)
    pub status: String,
    pub direction: Option<String>,
    pub created_at: Option<String>,
}

/// The ECM activity created for a communication (spec 004). Its ids may come
/// as numbers or numeric strings; without a readable `id`, `activity_type`
/// and `status` it is not an activity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawActivity")]
pub struct Activity {
    pub id: i64,
    pub activity_type: String,
    pub status: String,
    pub patient_id: Option<i64>,
    pub performed_by_id: Option<i64>,
    pub assigned_to_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text_message_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub voice_call_id: Option<i64>,
}

/// The loose shapes the answers are read into first.
#[derive(Deserialize)]
struct RawSmsResponse {
    #[serde(default)]
    message: Option<Value>,
    sms: SmsRecord,
    #[serde(default)]
    activity: Option<Value>,
}

#[derive(Deserialize)]
struct RawCallResponse {
    #[serde(default)]
    message: Option<Value>,
    call: CallRecord,
    #[serde(default)]
    activity: Option<Value>,
}

#[derive(Deserialize)]
struct RawRecord {
    #[serde(default)]
    id: Option<Value>,
    #[serde(default)]
    twilio_sid: Option<Value>,
    #[serde(default)]
    to: Option<Value>,
    #[serde(default)]
    from: Option<Value>,
    #[serde(default)]
    body: Option<Value>,
    #[serde(default)]
    status: Option<Value>,
    #[serde(default)]
    direction: Option<Value>,
    #[serde(default)]
    created_at: Option<Value>,
}

#[derive(Deserialize)]
struct RawActivity {
    #[serde(default)]
    id: Option<Value>,
    #[serde(default)]
    activity_type: Option<Value>,
    #[serde(default)]
    status: Option<Value>,
    #[serde(default)]
    patient_id: Option<Value>,
    #[serde(default)]
    performed_by_id: Option<Value>,
    #[serde(default)]
    assigned_to_id: Option<Value>,
    #[serde(default)]
    text_message_id: Option<Value>,
    #[serde(default)]
    voice_call_id: Option<Value>,
}

/// An id read from ECM's JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum IdRead {
    Id(i64),
    /// Missing or null.
    Absent,
    /// Some other JSON value, named by its type (never its value).
    NotAnId(&'static str),
}

fn read_id(value: Option<&Value>) -> IdRead {
    let Some(v) = value.filter(|v| !v.is_null()) else { return IdRead::Absent };
    match crate::gateways::http::lenient_whole_number(v) {
        Some(id) => IdRead::Id(id),
        None => IdRead::NotAnId(match v {
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Bool(_) => "boolean",
            Value::Array(_) => "array",
            _ => "object",
        }),
    }
}

/// The id of a record ECM took; a missing or odd one is logged (its type,
/// not its value) and the record kept without it.
fn record_id(value: Option<&Value>, field: &'static str) -> Option<i64> {
    match read_id(value) {
        IdRead::Id(id) => Some(id),
        IdRead::Absent => {
            tracing::warn!(field, "ECM's answer has no {field}; the record is kept without ECM's id");
            None
        }
        IdRead::NotAnId(json_type) => {
            tracing::warn!(field, json_type, "ECM's {field} is not a number; the record is kept without ECM's id");
            None
        }
    }
}

/// An optional id of an activity: unreadable is the same as absent.
fn optional_id(value: Option<&Value>) -> Option<i64> {
    match read_id(value) {
        IdRead::Id(id) => Some(id),
        IdRead::Absent | IdRead::NotAnId(_) => None,
    }
}

/// A text field; a number or boolean is taken as its text, anything else as absent.
fn read_text(value: Option<Value>) -> Option<String> {
    crate::gateways::http::lenient_text(&value?)
}

/// The activity of an answer, or `None` (logged) when it cannot be read.
fn read_activity(value: Option<Value>) -> Option<Activity> {
    let value = value.filter(|v| !v.is_null())?;
    match serde_json::from_value::<Activity>(value) {
        Ok(activity) => Some(activity),
        Err(e) => {
            let reason = crate::gateways::http::without_values(&e.to_string());
            tracing::warn!(%reason, "ECM's answer carries an activity CareDesk cannot read; it is left out");
            None
        }
    }
}

impl From<RawRecord> for SmsRecord {
    fn from(r: RawRecord) -> SmsRecord {
        SmsRecord {
            id: record_id(r.id.as_ref(), "sms.id"),
            twilio_sid: read_text(r.twilio_sid),
            to: read_text(r.to),
            from: read_text(r.from),
            body: read_text(r.body),
            status: read_text(r.status).unwrap_or_else(|| "queued".into()),
            direction: read_text(r.direction),
            created_at: read_text(r.created_at),
        }
    }
}

impl From<RawRecord> for CallRecord {
    fn from(r: RawRecord) -> CallRecord {
        CallRecord {
            id: record_id(r.id.as_ref(), "call.id"),
            twilio_sid: read_text(r.twilio_sid),
            to: read_text(r.to),
            from: read_text(r.from),
            status: read_text(r.status).unwrap_or_else(|| "queued".into()),
            direction: read_text(r.direction),
            created_at: read_text(r.created_at),
        }
    }
}

impl From<RawSmsResponse> for SendSmsResponse {
    fn from(r: RawSmsResponse) -> SendSmsResponse {
        SendSmsResponse { message: read_text(r.message), sms: r.sms, activity: read_activity(r.activity) }
    }
}

impl From<RawCallResponse> for CallResponse {
    fn from(r: RawCallResponse) -> CallResponse {
        CallResponse { message: read_text(r.message), call: r.call, activity: read_activity(r.activity) }
    }
}

impl TryFrom<RawActivity> for Activity {
    type Error = String;

    fn try_from(r: RawActivity) -> Result<Activity, String> {
        let id = match read_id(r.id.as_ref()) {
            IdRead::Id(id) => id,
            IdRead::Absent => return Err("activity.id is missing".into()),
            IdRead::NotAnId(t) => return Err(format!("activity.id is a {t}, not a number")),
        };
        let text = |v: Option<Value>, field: &str| read_text(v).ok_or_else(|| format!("activity.{field} is missing"));
        Ok(Activity {
            id,
            activity_type: text(r.activity_type, "activity_type")?,
            status: text(r.status, "status")?,
            patient_id: optional_id(r.patient_id.as_ref()),
            performed_by_id: optional_id(r.performed_by_id.as_ref()),
            assigned_to_id: optional_id(r.assigned_to_id.as_ref()),
            text_message_id: optional_id(r.text_message_id.as_ref()),
            voice_call_id: optional_id(r.voice_call_id.as_ref()),
        })
    }
}

/// Error responses: `{ "errors": ["Phone number is required"] }`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub errors: Vec<String>,
}

pub const SMS_STATUSES: [&str; 6] = ["queued", "sending", "sent", "delivered", "undelivered", "failed"];
pub const CALL_STATUSES: [&str; 8] =
    ["queued", "ringing", "in-progress", "completed", "busy", "no-answer", "failed", "canceled"];

/// The Twilio error codes of spec 004.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TwilioCode {
    /// 21211: invalid 'To' phone number
    InvalidTo,
    /// 21214: 'To' phone number cannot be reached
    Unreachable,
    /// 21610: message blocked (opt-out)
    OptedOut,
    /// 21408: permission to send SMS not enabled
    NotPermitted,
}

impl TwilioCode {
    pub fn code(self) -> u32 {
        match self {
            TwilioCode::InvalidTo => 21211,
            TwilioCode::Unreachable => 21214,
            TwilioCode::OptedOut => 21610,
            TwilioCode::NotPermitted => 21408,
        }
    }

    pub fn from_code(code: u32) -> Option<TwilioCode> {
        Some(match code {
            21211 => TwilioCode::InvalidTo,
            21214 => TwilioCode::Unreachable,
            21610 => TwilioCode::OptedOut,
            21408 => TwilioCode::NotPermitted,
            _ => return None,
        })
    }

    /// Twilio's own wording, as ECM passes it through ("Failed to send SMS: ...").
    pub fn twilio_message(self) -> &'static str {
        match self {
            TwilioCode::InvalidTo => "The 'To' number is not a valid phone number",
            TwilioCode::Unreachable => "The 'To' phone number cannot be reached",
            TwilioCode::OptedOut => "Attempt to send to unsubscribed recipient",
            TwilioCode::NotPermitted => {
                "Permission to send an SMS has not been enabled for the region indicated by the 'To' number"
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn sms(body: Value) -> SendSmsResponse {
        serde_json::from_value(body).unwrap()
    }

    #[test]
    fn ids_as_numbers_or_numeric_strings() {
        let r = sms(json!({
            "message": "SMS sent successfully",
            "sms": { "id": "456", "status": "queued", "to": "+18051234567" },
            "activity": {
                "id": "789", "activity_type": "sms", "status": "created", "patient_id": "123",
                "performed_by_id": 101, "assigned_to_id": " 101 ", "text_message_id": "456", "voice_call_id": null
            }
        }));
        assert_eq!((r.sms.id, r.sms.to.as_deref(), r.sms.status.as_str()), (Some(456), Some("+18051234567"), "queued"));
        let a = r.activity.unwrap();
        assert_eq!((a.id, a.patient_id, a.performed_by_id, a.assigned_to_id), (789, Some(123), Some(101), Some(101)));
        assert_eq!((a.text_message_id, a.voice_call_id), (Some(456), None));
    }

    #[test]
    fn an_odd_or_missing_record_id_is_none_and_the_answer_still_counts() {
        let cases = [
            json!({ "sms": { "id": "SMabc" } }),
            json!({ "sms": {} }),
            json!({ "sms": { "id": null, "to": null } }),
            json!({ "sms": { "id": 4.5 } }),
            json!({ "sms": { "id": [1] } }),
            json!({ "sms": { "id": "18446744073709551616" } }),
        ];
        for body in cases {
            let r = sms(body.clone());
            assert_eq!((r.sms.id, r.sms.to.as_deref(), r.sms.status.as_str()), (None, None, "queued"), "{body}");
            assert_eq!(r.activity, None, "{body}");
        }
        let c: CallResponse = serde_json::from_value(json!({ "call": { "id": "CA12", "status": "ringing" } })).unwrap();
        assert_eq!((c.call.id, c.call.status.as_str()), (None, "ringing"));
    }

    #[test]
    fn an_unreadable_activity_is_left_out() {
        let cases = [
            json!("oops"),
            json!(42),
            json!([]),
            json!({ "id": 1 }),
            json!({ "activity_type": "sms", "status": "created" }),
            json!({ "id": "A-789", "activity_type": "sms", "status": "created" }),
            json!({ "id": {}, "activity_type": "sms", "status": "created" }),
            json!(null),
        ];
        for activity in cases {
            let r = sms(json!({ "message": "SMS sent successfully", "sms": { "id": 456 }, "activity": activity }));
            assert_eq!((r.sms.id, r.activity.as_ref()), (Some(456), None), "{activity}");
        }
        let kept =
            sms(json!({ "sms": { "id": 456 }, "activity": { "id": 7, "activity_type": "sms", "status": "created",
            "patient_id": "x", "performed_by_id": true } }));
        let a = kept.activity.unwrap();
        assert_eq!((a.id, a.patient_id, a.performed_by_id), (7, None, None), "odd optional ids are absent");
    }

    #[test]
    fn without_an_sms_object_it_is_not_an_answer() {
        for body in [json!({ "message": "ok" }), json!({ "sms": "queued" }), json!({ "sms": null }), json!([])] {
            assert!(serde_json::from_value::<SendSmsResponse>(body.clone()).is_err(), "{body}");
        }
    }

    #[test]
    fn written_exactly_as_the_spec_shows_with_numbers() {
        let spec = json!({
            "message": "SMS sent successfully",
            "sms": {
                "id": 456, "twilio_sid": "SM1234567890abcdef", "to": "+18051234567", "from": "+18059876543",
                "body": "Hello!", "status": "queued", "direction": "outbound", "created_at": "2024-11-27T10:00:00.000Z"
            },
            "activity": {
                "id": 789, "activity_type": "sms", "status": "created", "patient_id": 123,
                "performed_by_id": 101, "assigned_to_id": 101
            }
        });
        let parsed = sms(spec.clone());
        assert_eq!(serde_json::to_value(&parsed).unwrap(), spec);
        // Read from strings, still written as numbers.
        let from_strings = sms(json!({ "sms": { "id": "456" }, "activity": { "id": "789", "activity_type": "sms",
            "status": "created", "patient_id": "123" } }));
        let v = serde_json::to_value(&from_strings).unwrap();
        assert_eq!(
            (&v["sms"]["id"], &v["activity"]["id"], &v["activity"]["patient_id"]),
            (&json!(456), &json!(789), &json!(123))
        );
    }
}
