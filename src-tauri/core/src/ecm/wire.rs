//! The ECM Communications API's wire format (spec 004), field for field.

use serde::{Deserialize, Serialize};

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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendSmsResponse {
    #[serde(default)]
    pub message: Option<String>,
    pub sms: SmsRecord,
    #[serde(default)]
    pub activity: Option<Activity>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallResponse {
    #[serde(default)]
    pub message: Option<String>,
    pub call: CallRecord,
    #[serde(default)]
    pub activity: Option<Activity>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmsRecord {
    pub id: i64,
    #[serde(default)]
    pub twilio_sid: Option<String>,
    pub to: String,
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub body: Option<String>,
    /// queued, sending, sent, delivered, undelivered, failed
    pub status: String,
    #[serde(default)]
    pub direction: Option<String>,
    #[serde(default)]
    pub created_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallRecord {
    pub id: i64,
    #[serde(default)]
    pub twilio_sid: Option<String>,
    pub to: String,
    #[serde(default)]
    pub from: Option<String>,
    /// queued, ringing, in-progress, completed, busy, no-answer, failed, canceled
    pub status: String,
    #[serde(default)]
    pub direction: Option<String>,
    #[serde(default)]
    pub created_at: Option<String>,
}

/// The ECM activity created for a communication (spec 004).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Activity {
    pub id: i64,
    pub activity_type: String,
    pub status: String,
    pub patient_id: i64,
    #[serde(default)]
    pub performed_by_id: Option<i64>,
    #[serde(default)]
    pub assigned_to_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_message_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voice_call_id: Option<i64>,
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
