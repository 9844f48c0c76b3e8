//! The hospital SMS server's wire format (spec 003), field for field.
//!
//! Every response is `{ "Data": ..., "Status": { "StatusCode", "ErrorCode",
//! "ErrorMessage" } }`. Numbers on this wire are international digits
//! without `+`. `ErrorCode` arrives as an enum name (`"OK"`) or its number
//! (`1`); `Type` as `"Incoming"`/`"Outgoing"` or `2`/`1`.

use std::fmt;

use serde::{de, Deserialize, Deserializer, Serialize, Serializer};

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
    pub fn new(from: &str, to: &crate::phone::E164, text: impl Into<String>, external_key: i64) -> SendSmsRequest {
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
    #[serde(rename = "ErrorCode")]
    pub error_code: ErrorCode,
    #[serde(rename = "ErrorMessage", default)]
    pub error_message: Option<String>,
}

impl Status {
    pub fn ok() -> Status {
        Status { status_code: "OK".into(), error_code: ErrorCode::Ok, error_message: None }
    }
}

/// `Status.ErrorCode`: OK = 1, Internal = 500, InvalidMessageOwner = 600,
/// InvalidClientNumber = 700. Any other value is kept as `Other`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    Ok,
    Internal,
    InvalidMessageOwner,
    InvalidClientNumber,
    Other(i64),
}

impl ErrorCode {
    pub fn number(self) -> i64 {
        match self {
            ErrorCode::Ok => 1,
            ErrorCode::Internal => 500,
            ErrorCode::InvalidMessageOwner => 600,
            ErrorCode::InvalidClientNumber => 700,
            ErrorCode::Other(n) => n,
        }
    }

    pub fn name(self) -> Option<&'static str> {
        Some(match self {
            ErrorCode::Ok => "OK",
            ErrorCode::Internal => "Internal",
            ErrorCode::InvalidMessageOwner => "InvalidMessageOwner",
            ErrorCode::InvalidClientNumber => "InvalidClientNumber",
            ErrorCode::Other(_) => return None,
        })
    }

    fn from_number(n: i64) -> ErrorCode {
        match n {
            1 => ErrorCode::Ok,
            500 => ErrorCode::Internal,
            600 => ErrorCode::InvalidMessageOwner,
            700 => ErrorCode::InvalidClientNumber,
            other => ErrorCode::Other(other),
        }
    }

    fn from_name(s: &str) -> Option<ErrorCode> {
        let t = s.trim();
        if let Ok(n) = t.parse::<i64>() {
            return Some(ErrorCode::from_number(n));
        }
        Some(match t.to_ascii_lowercase().as_str() {
            "ok" => ErrorCode::Ok,
            "internal" => ErrorCode::Internal,
            "invalidmessageowner" => ErrorCode::InvalidMessageOwner,
            "invalidclientnumber" => ErrorCode::InvalidClientNumber,
            _ => return None,
        })
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => write!(f, "{n} ({})", self.number()),
            None => write!(f, "{}", self.number()),
        }
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.name() {
            Some(n) => s.serialize_str(n),
            None => s.serialize_i64(self.number()),
        }
    }
}

impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match serde_json::Value::deserialize(d)? {
            serde_json::Value::Number(n) => n
                .as_i64()
                .map(ErrorCode::from_number)
                .ok_or_else(|| de::Error::custom(format!("ErrorCode {n} is not a whole number"))),
            serde_json::Value::String(s) => {
                ErrorCode::from_name(&s).ok_or_else(|| de::Error::custom(format!("unknown ErrorCode {s:?}")))
            }
            other => Err(de::Error::custom(format!("ErrorCode must be a name or a number, not {other}"))),
        }
    }
}

/// `Data` of a Send SMS response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SendSmsData {
    #[serde(rename = "Id")]
    pub id: i64,
    #[serde(rename = "CreatedAt")]
    pub created_at: HisTime,
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
}

/// `type` of Get SMS and `Type` of a message: Outgoing = 1, Incoming = 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageType {
    Outgoing,
    Incoming,
}

impl MessageType {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageType::Outgoing => "Outgoing",
            MessageType::Incoming => "Incoming",
        }
    }
}

impl Serialize for MessageType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for MessageType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match serde_json::Value::deserialize(d)? {
            serde_json::Value::Number(n) if n.as_i64() == Some(1) => Ok(MessageType::Outgoing),
            serde_json::Value::Number(n) if n.as_i64() == Some(2) => Ok(MessageType::Incoming),
            serde_json::Value::String(s) if s.eq_ignore_ascii_case("outgoing") || s == "1" => Ok(MessageType::Outgoing),
            serde_json::Value::String(s) if s.eq_ignore_ascii_case("incoming") || s == "2" => Ok(MessageType::Incoming),
            other => Err(de::Error::custom(format!("Type must be Outgoing (1) or Incoming (2), not {other}"))),
        }
    }
}

/// `State`: None, Enroute, Delivered, Expired, Deleted, Undeliverable,
/// Accepted, Unknown, Rejected, Seen, Unsent. Numbers are read in that order
/// (None = 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MessageState {
    None,
    Enroute,
    Delivered,
    Expired,
    Deleted,
    Undeliverable,
    Accepted,
    Unknown,
    Rejected,
    Seen,
    Unsent,
}

impl MessageState {
    pub const ALL: [MessageState; 11] = [
        MessageState::None,
        MessageState::Enroute,
        MessageState::Delivered,
        MessageState::Expired,
        MessageState::Deleted,
        MessageState::Undeliverable,
        MessageState::Accepted,
        MessageState::Unknown,
        MessageState::Rejected,
        MessageState::Seen,
        MessageState::Unsent,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MessageState::None => "None",
            MessageState::Enroute => "Enroute",
            MessageState::Delivered => "Delivered",
            MessageState::Expired => "Expired",
            MessageState::Deleted => "Deleted",
            MessageState::Undeliverable => "Undeliverable",
            MessageState::Accepted => "Accepted",
            MessageState::Unknown => "Unknown",
            MessageState::Rejected => "Rejected",
            MessageState::Seen => "Seen",
            MessageState::Unsent => "Unsent",
        }
    }

    /// Whether the state can still change (a delivery report may follow).
    pub fn is_final(self) -> bool {
        !matches!(self, MessageState::None | MessageState::Enroute | MessageState::Accepted | MessageState::Unknown)
    }

    pub fn parse(s: &str) -> Option<MessageState> {
        let t = s.trim();
        if let Ok(n) = t.parse::<usize>() {
            return MessageState::ALL.get(n).copied();
        }
        MessageState::ALL.into_iter().find(|m| m.as_str().eq_ignore_ascii_case(t))
    }
}

impl fmt::Display for MessageState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for MessageState {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for MessageState {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        let parsed = match &v {
            serde_json::Value::String(s) => MessageState::parse(s),
            serde_json::Value::Number(n) => n.as_u64().and_then(|n| MessageState::ALL.get(n as usize).copied()),
            serde_json::Value::Null => Some(MessageState::None),
            _ => None,
        };
        parsed.ok_or_else(|| de::Error::custom(format!("unknown State {v}")))
    }
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
