//! The hospital SMS server's enums (spec 003): `ErrorCode`, `Type` and
//! `State`, each read from a name or a number and never failing to read.

use std::fmt;

use serde::{de, Deserialize, Deserializer, Serialize, Serializer};

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
}
