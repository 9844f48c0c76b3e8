//! The hospital SMS server's wire format (spec 003), field for field: what
//! CareDesk writes (exactly as the spec shows it) and the typed values it
//! reads. Responses are read by [`super::read`], which accepts far more than
//! the spec's examples; these types are what it produces.
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

/// `Status.ErrorCode`: OK = 1, Internal = 500, InvalidMessageOwner = 600,
/// InvalidClientNumber = 700, as a name or its number. `0` (the default of
/// a .NET enum nobody set) and a missing code are `Unset`: not an error by
/// themselves. Another number is kept as `Other`; a name CareDesk does not
/// know is `Unrecognized`. Reading an ErrorCode never fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ErrorCode {
    #[default]
    Unset,
    Ok,
    Internal,
    InvalidMessageOwner,
    InvalidClientNumber,
    Other(i64),
    Unrecognized,
}

impl ErrorCode {
    pub fn number(self) -> Option<i64> {
        Some(match self {
            ErrorCode::Unset => 0,
            ErrorCode::Ok => 1,
            ErrorCode::Internal => 500,
            ErrorCode::InvalidMessageOwner => 600,
            ErrorCode::InvalidClientNumber => 700,
            ErrorCode::Other(n) => n,
            ErrorCode::Unrecognized => return None,
        })
    }

    pub fn name(self) -> Option<&'static str> {
        Some(match self {
            ErrorCode::Ok => "OK",
            ErrorCode::Internal => "Internal",
            ErrorCode::InvalidMessageOwner => "InvalidMessageOwner",
            ErrorCode::InvalidClientNumber => "InvalidClientNumber",
            ErrorCode::Unset | ErrorCode::Other(_) | ErrorCode::Unrecognized => return None,
        })
    }

    /// Whether the code itself says the request failed (`Unset` and `OK`
    /// do not).
    pub fn is_error(self) -> bool {
        !matches!(self, ErrorCode::Unset | ErrorCode::Ok)
    }

    pub fn from_number(n: i64) -> ErrorCode {
        match n {
            0 => ErrorCode::Unset,
            1 => ErrorCode::Ok,
            500 => ErrorCode::Internal,
            600 => ErrorCode::InvalidMessageOwner,
            700 => ErrorCode::InvalidClientNumber,
            other => ErrorCode::Other(other),
        }
    }

    /// A name (any case, spaces and underscores ignored) or a number in text.
    pub fn from_name(s: &str) -> ErrorCode {
        let t = s.trim();
        if t.is_empty() {
            return ErrorCode::Unset;
        }
        if let Ok(n) = t.parse::<i64>() {
            return ErrorCode::from_number(n);
        }
        let key: String = t.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_ascii_lowercase();
        match key.as_str() {
            "ok" | "success" | "none" => ErrorCode::Ok,
            "internal" | "internalerror" | "internalservererror" => ErrorCode::Internal,
            "invalidmessageowner" => ErrorCode::InvalidMessageOwner,
            "invalidclientnumber" => ErrorCode::InvalidClientNumber,
            _ => ErrorCode::Unrecognized,
        }
    }

    /// From any JSON value: a number, a name, null or missing.
    pub fn from_json(v: Option<&serde_json::Value>) -> ErrorCode {
        match v {
            Some(serde_json::Value::Number(n)) => {
                n.as_i64().map(ErrorCode::from_number).unwrap_or(ErrorCode::Unrecognized)
            }
            Some(serde_json::Value::String(s)) => ErrorCode::from_name(s),
            None | Some(serde_json::Value::Null) => ErrorCode::Unset,
            Some(_) => ErrorCode::Unrecognized,
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.name(), self.number()) {
            (Some(n), Some(v)) => write!(f, "{n} ({v})"),
            (None, Some(v)) => write!(f, "{v}"),
            _ => f.write_str("an unknown code"),
        }
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match (self.name(), self.number()) {
            (Some(n), _) => s.serialize_str(n),
            (None, Some(v)) => s.serialize_i64(v),
            _ => s.serialize_none(),
        }
    }
}

impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        Ok(ErrorCode::from_json(Some(&v)))
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

    /// The spec's numbers (1, 2) and names, and the usual synonyms
    /// (inbound, outbound, MO, MT), in any case.
    pub fn from_json(v: &serde_json::Value) -> Option<MessageType> {
        match v {
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(1) => Some(MessageType::Outgoing),
                Some(2) => Some(MessageType::Incoming),
                _ => None,
            },
            serde_json::Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
                "1" | "outgoing" | "outbound" | "out" | "mt" | "sent" => Some(MessageType::Outgoing),
                "2" | "incoming" | "inbound" | "in" | "mo" | "received" => Some(MessageType::Incoming),
                _ => None,
            },
            _ => None,
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
        let v = serde_json::Value::deserialize(d)?;
        MessageType::from_json(&v).ok_or_else(|| de::Error::custom("Type must be Outgoing (1) or Incoming (2)"))
    }
}

/// `State`: None, Enroute, Delivered, Expired, Deleted, Undeliverable,
/// Accepted, Unknown, Rejected, Seen, Unsent.
///
/// Names are read in any case; a name the spec does not list ("Queued",
/// "Sent", "Failed"...) is `Unknown`, which changes no delivery state.
/// Numbers are read through one documented table, [`MessageState::from_number`]:
/// the spec's list in its order from 0. Its first nine entries are SMPP 3.4's
/// `message_state` values (ENROUTE 1 ... REJECTED 8, 0 unset), so a server
/// that numbers the list as a .NET enum and one that passes SMPP's numbers
/// through read the same; 9 and 10 continue the spec's list (Seen, Unsent).
/// Any other number is `Unknown`. Reading a State never fails.
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

    /// A spec name (any case) or a number in text; `None` for anything else.
    pub fn parse(s: &str) -> Option<MessageState> {
        let t = s.trim();
        if let Ok(n) = t.parse::<i64>() {
            return Some(MessageState::from_number(n));
        }
        MessageState::ALL.into_iter().find(|m| m.as_str().eq_ignore_ascii_case(t))
    }

    /// The number table (see the type's documentation).
    pub fn from_number(n: i64) -> MessageState {
        usize::try_from(n).ok().and_then(|i| MessageState::ALL.get(i).copied()).unwrap_or(MessageState::Unknown)
    }

    /// The state's number in that table.
    pub fn number(self) -> i64 {
        MessageState::ALL.iter().position(|s| *s == self).unwrap_or(7) as i64
    }

    /// From any JSON value: a name, a number, null (`None`); anything
    /// unlisted is `Unknown`.
    pub fn from_json(v: Option<&serde_json::Value>) -> MessageState {
        match v {
            None | Some(serde_json::Value::Null) => MessageState::None,
            Some(serde_json::Value::String(s)) if s.trim().is_empty() => MessageState::None,
            Some(serde_json::Value::String(s)) => MessageState::parse(s).unwrap_or(MessageState::Unknown),
            Some(serde_json::Value::Number(n)) => {
                n.as_i64().map(MessageState::from_number).unwrap_or(MessageState::Unknown)
            }
            Some(_) => MessageState::Unknown,
        }
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
        Ok(MessageState::from_json(Some(&v)))
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// The documented number table: the spec's list from 0 (SMPP 3.4's
    /// `message_state` for 0-8), anything else `Unknown`.
    #[test]
    fn state_numbers_follow_one_documented_table() {
        let table = [
            (0, MessageState::None),
            (1, MessageState::Enroute),
            (2, MessageState::Delivered),
            (3, MessageState::Expired),
            (4, MessageState::Deleted),
            (5, MessageState::Undeliverable),
            (6, MessageState::Accepted),
            (7, MessageState::Unknown),
            (8, MessageState::Rejected),
            (9, MessageState::Seen),
            (10, MessageState::Unsent),
            (11, MessageState::Unknown),
            (-1, MessageState::Unknown),
            (i64::MAX, MessageState::Unknown),
        ];
        for (n, want) in table {
            assert_eq!(MessageState::from_number(n), want, "{n}");
            assert_eq!(MessageState::from_json(Some(&json!(n))), want, "{n}");
            assert_eq!(MessageState::from_json(Some(&json!(n.to_string()))), want, "\"{n}\"");
        }
        for s in MessageState::ALL {
            assert_eq!(MessageState::from_number(s.number()), s, "{s}");
            assert_eq!(MessageState::from_json(Some(&json!(s.as_str().to_uppercase()))), s);
        }
    }

    #[test]
    fn error_codes_as_names_numbers_or_nothing() {
        let cases = [
            (json!("OK"), ErrorCode::Ok),
            (json!(1), ErrorCode::Ok),
            (json!(0), ErrorCode::Unset),
            (json!(null), ErrorCode::Unset),
            (json!(""), ErrorCode::Unset),
            (json!("Invalid Client Number"), ErrorCode::InvalidClientNumber),
            (json!("invalid_message_owner"), ErrorCode::InvalidMessageOwner),
            (json!("700"), ErrorCode::InvalidClientNumber),
            (json!(801), ErrorCode::Other(801)),
            (json!("Throttled"), ErrorCode::Unrecognized),
            (json!([1]), ErrorCode::Unrecognized),
        ];
        for (v, want) in cases {
            assert_eq!(ErrorCode::from_json(Some(&v)), want, "{v}");
        }
        assert_eq!(ErrorCode::from_json(None), ErrorCode::Unset);
        assert!(!ErrorCode::Unset.is_error() && !ErrorCode::Ok.is_error() && ErrorCode::Unrecognized.is_error());
    }

    #[test]
    fn types_as_numbers_names_and_synonyms() {
        for (v, want) in [
            (json!(1), Some(MessageType::Outgoing)),
            (json!(2), Some(MessageType::Incoming)),
            (json!("outgoing"), Some(MessageType::Outgoing)),
            (json!("Inbound"), Some(MessageType::Incoming)),
            (json!("MO"), Some(MessageType::Incoming)),
            (json!(3), None),
            (json!("Fax"), None),
        ] {
            assert_eq!(MessageType::from_json(&v), want, "{v}");
        }
    }

    /// What CareDesk writes is exactly the spec's request.
    #[test]
    fn the_request_is_written_as_the_spec_shows() {
        let to = crate::phone::E164::from_trusted("+37000000002".into());
        let r = SendSmsRequest::new("37000000001", &to, "Will You come?", 27342);
        assert_eq!(
            serde_json::to_value(&r).unwrap(),
            json!({"Id": null, "From": "37000000001", "To": "37000000002", "Text": "Will You come?", "ExternalKey": 27342})
        );
    }
}
