//! The hospital SMS server's wire format (spec 003), field for field: what
//! CareDesk writes (exactly as the spec shows it) and the typed values it
//! reads. Responses are read by [`super::read`], which accepts far more than
//! the spec's examples; these types are what it produces.
//!
//! Every response is `{ "Data": ..., "Status": { "StatusCode", "ErrorCode",
//! "ErrorMessage" } }`. Numbers on this wire are international digits
//! without `+`. `ErrorCode` arrives as an enum name (`"OK"`) or its number
//! (`1`); `Type` as `"Incoming"`/`"Outgoing"` or `2`/`1`.

use serde::{de, Deserialize, Deserializer, Serialize};

pub use super::enums::{ErrorCode, MessageState, MessageType};
use super::time::HisTime;

/// `POST <base>`: the Send SMS request body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendSmsRequest {
    /// Always null from a client: the server assigns it.
    #[serde(rename = "Id")]
    pub id: Option<i64>,
    #[serde(rename = "From")]
    pub from: String,
    #[serde(rename = "To")]
    pub to: String,
    #[serde(rename = "Text")]
    pub text: String,
    /// CareDesk's own unique id of the message.
    #[serde(rename = "ExternalKey")]
    pub external_key: i64,
}

impl SendSmsRequest {
    /// A Send SMS body: `to` as wire digits (no `+`), `from` as
    /// [`sender_for_wire`] writes it, `Id` null.
    pub fn new(
        from: &str,
        to: &crate::rules::phone::E164,
        text: impl Into<String>,
        external_key: i64,
    ) -> SendSmsRequest {
        SendSmsRequest {
            id: None,
            from: sender_for_wire(from),
            to: to.wire_digits().to_string(),
            text: text.into(),
            external_key,
        }
    }
}

/// `his.from` on the wire: a hospital number as digits without `+`
/// (`+370 600 00001` becomes `37060000001`); a sender name (`RSL_HOSP`) as is.
pub fn sender_for_wire(from: &str) -> String {
    let t = from.trim();
    let is_number =
        t.chars().any(|c| c.is_ascii_digit()) && t.chars().all(|c| c.is_ascii_digit() || "+-(). ".contains(c));
    if is_number {
        t.chars().filter(char::is_ascii_digit).collect()
    } else {
        t.to_string()
    }
}

/// The envelope of every response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope<T> {
    #[serde(rename = "Data", default = "Option::default")]
    pub data: Option<T>,
    #[serde(rename = "Status")]
    pub status: Status,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    /// The HTTP status in words ("OK", "Bad Request", ...); some servers send a number.
    #[serde(rename = "StatusCode", deserialize_with = "string_or_number", default)]
    pub status_code: String,
    #[serde(rename = "ErrorCode", default)]
    pub error_code: ErrorCode,
    #[serde(rename = "ErrorMessage", default)]
    pub error_message: Option<String>,
}

impl Status {
    pub fn ok() -> Status {
        Status { status_code: "OK".into(), error_code: ErrorCode::Ok, error_message: None }
    }
}

/// `Data` of a Send SMS response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SendSmsData {
    #[serde(rename = "Id")]
    pub id: i64,
    /// When the server received it, as it wrote it; `None` when the answer
    /// had no readable time.
    #[serde(rename = "CreatedAt", default)]
    pub created_at: Option<HisTime>,
}

/// `Data` of a Get SMS response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessagesData {
    #[serde(rename = "Messages", default)]
    pub messages: Vec<HisMessage>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HisMessage {
    #[serde(rename = "Id")]
    pub id: i64,
    #[serde(rename = "From")]
    pub from: String,
    #[serde(rename = "To")]
    pub to: String,
    #[serde(rename = "Type")]
    pub kind: MessageType,
    #[serde(rename = "CreatedAt")]
    pub created_at: HisTime,
    #[serde(rename = "UpdatedAt")]
    pub updated_at: HisTime,
    #[serde(rename = "Text", default, deserialize_with = "null_as_empty")]
    pub text: String,
    #[serde(rename = "State")]
    pub state: MessageState,
    #[serde(rename = "ReplyToMessageId", default)]
    pub reply_to_message_id: Option<i64>,
    /// The ExternalKey the message was sent with, when the server lists it
    /// (the spec's list does not).
    #[serde(rename = "ExternalKey", default, skip_serializing_if = "Option::is_none")]
    pub external_key: Option<i64>,
}

/// `Data` of a Get hospital numbers response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NumbersData {
    #[serde(rename = "ClientOperatorNumbers", default)]
    pub client_operator_numbers: Vec<OperatorNumber>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorNumber {
    #[serde(rename = "OperatorNumberId")]
    pub operator_number_id: i64,
    /// A hospital phone number (international digits) or a sender name.
    #[serde(rename = "Number")]
    pub number: String,
}

fn string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::String(s) => s,
        serde_json::Value::Number(n) => n.to_string(),
        serde_json::Value::Null => String::new(),
        other => return Err(de::Error::custom(format!("StatusCode must be text or a number, not {other}"))),
    })
}

fn null_as_empty<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(d)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// What CareDesk writes is exactly the spec's request.
    #[test]
    fn the_request_is_written_as_the_spec_shows() {
        let to = crate::rules::phone::E164::from_trusted("+37000000002".into());
        let r = SendSmsRequest::new("37000000001", &to, "Will You come?", 27342);
        assert_eq!(
            serde_json::to_value(&r).unwrap(),
            json!({"Id": null, "From": "37000000001", "To": "37000000002", "Text": "Will You come?", "ExternalKey": 27342})
        );
    }
}
