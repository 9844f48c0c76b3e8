//! The tolerant reader of the hospital SMS server's answers.
//!
//! A real server is not the spec's example. ASP.NET Core writes camelCase
//! names and may write enums as numbers, `null` for an empty list, ids as
//! strings; the spec's own prose calls `UpdatedAt` `Updated`. So a body is
//! first read as JSON, then each value is taken from it on its own:
//!
//! - field names in any case, with or without underscores (`UpdatedAt`,
//!   `updatedAt`, `updated_at`), and `Updated` for `UpdatedAt`;
//! - `ErrorCode`, `StatusCode`, `Type` and `State` as names or numbers (see
//!   [`ErrorCode`], [`MessageType`], [`MessageState`]); an unlisted `State`
//!   is `Unknown`;
//! - ids as numbers or numeric strings; `null` texts and lists as empty; a
//!   missing `Data` on a successful Get as an empty page; a missing `Type`
//!   as the type asked for;
//! - every message of a page on its own: one that cannot be read is
//!   returned as [`Unreadable`] with its `Id` and a reason that holds no
//!   value from the message, and the rest of the page is read.

use serde_json::{Map, Value};

use super::{
    time::HisTime,
    wire::{ErrorCode, HisMessage, MessageState, MessageType, OperatorNumber, SendSmsData, Status},
};
use crate::gateways::http::DecodeError;

/// A response as read: its status block (if it had one) and its `Data`
/// (`None` when missing or `null`).
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub status: Option<Status>,
    pub data: Option<Value>,
}

/// A message of a page that could not be read.
#[derive(Debug, Clone, PartialEq)]
pub struct Unreadable {
    /// Its `Id` as written, when it had one (at most 40 characters).
    pub id: Option<String>,
    /// What was wrong, without any value from the message.
    pub reason: String,
    /// The message as the server sent it, kept (encrypted, in the
    /// database) to be read again.
    pub raw: Value,
}

/// The messages of one Get SMS answer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Page {
    pub messages: Vec<HisMessage>,
    pub unreadable: Vec<Unreadable>,
}

/// The value of the first of `names` in `obj`: an exact match first, then
/// one that differs only in case and underscores.
pub fn field<'a>(obj: &'a Map<String, Value>, names: &[&str]) -> Option<&'a Value> {
    for name in names {
        if let Some(v) = obj.get(*name) {
            return Some(v);
        }
    }
    obj.iter().find(|(k, _)| names.iter().any(|n| same_name(k, n))).map(|(_, v)| v)
}

/// Two field names equal but for ASCII case, `_` and `-`, compared without
/// allocating: this runs for every field of every message of a page.
fn same_name(a: &str, b: &str) -> bool {
    let mut x = a.bytes().filter(|c| *c != b'_' && *c != b'-');
    let mut y = b.bytes().filter(|c| *c != b'_' && *c != b'-');
    loop {
        match (x.next(), y.next()) {
            (None, None) => return true,
            (Some(p), Some(q)) if p.eq_ignore_ascii_case(&q) => {}
            _ => return false,
        }
    }
}

/// `field`, with `null` read as missing.
fn present<'a>(obj: &'a Map<String, Value>, names: &[&str]) -> Option<&'a Value> {
    field(obj, names).filter(|v| !v.is_null())
}

use crate::gateways::http::lenient_whole_number as whole_number;

/// Text from a string, or a number (a phone number written as a number).
fn text(v: Option<&Value>) -> Option<String> {
    crate::gateways::http::lenient_text(v?)
}

fn time(v: Option<&Value>) -> Option<HisTime> {
    match v? {
        Value::String(s) => HisTime::parse(s),
        _ => None,
    }
}

/// The envelope of any answer. Only a body that is not JSON at all fails.
/// A body with neither `Status` nor `Data` is taken to be the data itself;
/// a bare list, the messages.
pub fn reply(body: &[u8]) -> Result<Reply, DecodeError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| DecodeError { path: ".".into(), reason: crate::gateways::http::without_values(&e.to_string()) })?;
    Ok(match value {
        Value::Object(obj) => {
            let status = field(&obj, &["Status"]).and_then(Value::as_object).map(status);
            let has_data = field(&obj, &["Data"]).is_some();
            let data = match (has_data, &status) {
                (true, _) => present(&obj, &["Data"]).cloned(),
                (false, Some(_)) => None,
                (false, None) => Some(Value::Object(obj.clone())),
            };
            Reply { status, data }
        }
        Value::Null => Reply { status: None, data: None },
        other => Reply { status: None, data: Some(other) },
    })
}

/// The status block, whatever its spelling: `StatusCode` a name or an HTTP
/// number, `ErrorCode` a name or a number, `ErrorMessage` any text.
pub fn status(obj: &Map<String, Value>) -> Status {
    Status {
        status_code: text(present(obj, &["StatusCode"])).unwrap_or_default(),
        error_code: ErrorCode::from_json(field(obj, &["ErrorCode"])),
        error_message: text(present(obj, &["ErrorMessage"])).filter(|m| !m.trim().is_empty()),
    }
}

/// `Data` of a Send SMS answer: a positive `Id` (number or numeric
/// string) is all that is required; `CreatedAt` is kept when readable.
pub fn send_data(data: &Value) -> Result<SendSmsData, String> {
    let obj = match data {
        Value::Object(o) => o,
        _ => return Err("Data is not an object".into()),
    };
    let id = present(obj, &["Id"]).ok_or("Data.Id is missing")?;
    let id = whole_number(id).ok_or("Data.Id is not a whole number")?;
    if id <= 0 {
        return Err("Data.Id is not a positive number".into());
    }
    Ok(SendSmsData { id, created_at: time(present(obj, &["CreatedAt"])) })
}

/// The messages of a Get SMS answer's `Data`; `kind` is the type asked for.
/// Fails only when `Data` holds no list where the messages should be.
pub fn page(data: Option<&Value>, kind: MessageType) -> Result<Page, DecodeError> {
    let items = match data {
        None | Some(Value::Null) => return Ok(Page::default()),
        Some(Value::Array(items)) => items,
        Some(Value::Object(obj)) => match field(obj, &["Messages"]) {
            None | Some(Value::Null) => return Ok(Page::default()),
            Some(Value::Array(items)) => items,
            Some(_) => return Err(not_a_list("Data.Messages")),
        },
        Some(_) => return Err(not_a_list("Data")),
    };
    let mut page = Page::default();
    for item in items {
        match message(item, kind) {
            Ok(m) => page.messages.push(m),
            Err(u) => page.unreadable.push(u),
        }
    }
    Ok(page)
}

fn not_a_list(path: &str) -> DecodeError {
    DecodeError { path: path.into(), reason: "expected a list of messages".into() }
}

/// One message. `kind` is the type asked for, used when `Type` is missing.
pub fn message(v: &Value, kind: MessageType) -> Result<HisMessage, Unreadable> {
    let Value::Object(obj) = v else {
        return Err(Unreadable { id: None, reason: "the message is not a JSON object".into(), raw: v.clone() });
    };
    let raw_id = present(obj, &["Id"]);
    let id_text = raw_id.and_then(|v| text(Some(v))).map(|s| s.chars().take(40).collect::<String>());
    let fail = |reason: &str| Unreadable { id: id_text.clone(), reason: reason.to_string(), raw: v.clone() };
    let id = match raw_id {
        None => return Err(fail("it has no Id")),
        Some(r) => whole_number(r).ok_or_else(|| fail("its Id is not a whole number"))?,
    };
    let kind = match present(obj, &["Type"]) {
        None => kind,
        Some(t) => {
            MessageType::from_json(t).ok_or_else(|| fail("its Type is neither Outgoing (1) nor Incoming (2)"))?
        }
    };
    let from = text(present(obj, &["From"])).map(|s| s.trim().to_string()).unwrap_or_default();
    if from.is_empty() && kind == MessageType::Incoming {
        return Err(fail("it has no sender (From is empty)"));
    }
    let created = time(present(obj, &["CreatedAt", "Created"]));
    let updated = time(present(obj, &["UpdatedAt", "Updated"]));
    let (created_at, updated_at) = match (created, updated) {
        (Some(c), Some(u)) => (c, u),
        (Some(c), None) => (c, c),
        (None, Some(u)) => (u, u),
        (None, None) => return Err(fail("it has no readable CreatedAt or UpdatedAt")),
    };
    Ok(HisMessage {
        id,
        from,
        to: text(present(obj, &["To"])).map(|s| s.trim().to_string()).unwrap_or_default(),
        kind,
        created_at,
        updated_at,
        text: text(present(obj, &["Text"])).unwrap_or_default(),
        state: MessageState::from_json(field(obj, &["State"])),
        reply_to_message_id: present(obj, &["ReplyToMessageId"]).and_then(whole_number).filter(|n| *n > 0),
        external_key: present(obj, &["ExternalKey"]).and_then(whole_number).filter(|n| *n > 0),
    })
}

/// `Data` of a Get hospital numbers answer; entries without a `Number` are
/// skipped.
pub fn numbers(data: Option<&Value>) -> Vec<OperatorNumber> {
    let items = match data {
        Some(Value::Array(items)) => items.as_slice(),
        Some(Value::Object(obj)) => match field(obj, &["ClientOperatorNumbers"]) {
            Some(Value::Array(items)) => items.as_slice(),
            _ => &[],
        },
        _ => &[],
    };
    items
        .iter()
        .filter_map(|item| {
            let obj = item.as_object()?;
            let number = text(present(obj, &["Number"]))?.trim().to_string();
            if number.is_empty() {
                return None;
            }
            let id = present(obj, &["OperatorNumberId"]).and_then(whole_number).unwrap_or_default();
            Some(OperatorNumber { operator_number_id: id, number })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn one(v: Value) -> Result<HisMessage, Unreadable> {
        message(&v, MessageType::Incoming)
    }

    fn spec_message() -> Value {
        json!({
            "Id": 531977, "From": "37000000002", "To": "37000000001", "Type": "Incoming",
            "CreatedAt": "2019-11-12T11:01:51.2143795", "UpdatedAt": "2019-11-12T11:01:51.2143907",
            "Text": "Yes", "State": "Delivered", "ReplyToMessageId": 123
        })
    }

    #[test]
    fn the_spec_example_reads_as_written() {
        let m = one(spec_message()).unwrap();
        assert_eq!(
            (m.id, m.from.as_str(), m.to.as_str(), m.text.as_str()),
            (531977, "37000000002", "37000000001", "Yes")
        );
        assert_eq!(
            (m.kind, m.state, m.reply_to_message_id),
            (MessageType::Incoming, MessageState::Delivered, Some(123))
        );
        assert_eq!(m.updated_at.to_wire(), "2019-11-12T11:01:51.2143907");
        assert_eq!(m.external_key, None);
    }

    #[test]
    fn camel_case_numbers_and_strings_read_the_same() {
        let dotnet = json!({
            "id": "531977", "from": 37000000002u64, "to": "37000000001", "type": 2,
            "createdAt": "2019-11-12T11:01:51.2143795", "updatedAt": "2019-11-12T11:01:51.2143907",
            "text": "Yes", "state": 2, "replyToMessageId": "123"
        });
        assert_eq!(one(dotnet).unwrap(), one(spec_message()).unwrap());
        let snake = json!({
            "ID": 531977, "FROM": "37000000002", "to": "37000000001", "TYPE": "incoming",
            "created_at": "2019-11-12T11:01:51.2143795", "updated_at": "2019-11-12T11:01:51.2143907",
            "TEXT": "Yes", "state": "delivered", "reply_to_message_id": 123
        });
        assert_eq!(one(snake).unwrap(), one(spec_message()).unwrap());
    }

    /// Each variant of the issue's list, one by one.
    #[test]
    fn odd_messages_are_read() {
        let with = |key: &str, value: Value| {
            let mut v = spec_message();
            v[key] = value;
            v
        };
        let without = |key: &str| {
            let mut v = spec_message();
            v.as_object_mut().unwrap().remove(key);
            v
        };
        // An unlisted State, by name or number.
        for state in [json!("Queued"), json!("Sent"), json!("FAILED"), json!(42), json!(-1), json!(true)] {
            assert_eq!(one(with("State", state.clone())).unwrap().state, MessageState::Unknown, "{state}");
        }
        assert_eq!(one(with("State", Value::Null)).unwrap().state, MessageState::None);
        // `Updated` for `UpdatedAt`.
        let mut updated = without("UpdatedAt");
        updated["Updated"] = json!("2019-11-12T11:05:00");
        assert_eq!(one(updated).unwrap().updated_at.to_wire(), "2019-11-12T11:05:00.0000000");
        // No UpdatedAt at all: the creation time.
        assert_eq!(one(without("UpdatedAt")).unwrap().updated_at.to_wire(), "2019-11-12T11:01:51.2143795");
        // A missing Type is the type asked for.
        assert_eq!(one(without("Type")).unwrap().kind, MessageType::Incoming);
        assert_eq!(message(&without("Type"), MessageType::Outgoing).unwrap().kind, MessageType::Outgoing);
        // An Id as a string.
        assert_eq!(one(with("Id", json!(" 531977 "))).unwrap().id, 531977);
        // Null texts and reply ids.
        assert_eq!(one(with("Text", Value::Null)).unwrap().text, "");
        assert_eq!(one(with("ReplyToMessageId", json!(0))).unwrap().reply_to_message_id, None);
        assert_eq!(one(with("ReplyToMessageId", json!("n/a"))).unwrap().reply_to_message_id, None);
        // An ExternalKey, when listed.
        assert_eq!(one(with("ExternalKey", json!("27342"))).unwrap().external_key, Some(27342));
        // Times with offsets and in the old ASP.NET form.
        let t = one(with("CreatedAt", json!("/Date(1573549311214+0200)/"))).unwrap();
        assert_eq!(t.created_at.to_wire(), "2019-11-12T11:01:51.2140000+02:00");
    }

    #[test]
    fn unreadable_messages_say_why_without_their_values() {
        let cases = [
            (json!({"From": "37000000002", "Text": "secret words", "CreatedAt": "2019-11-12T11:01:51"}), None, "no Id"),
            (json!({"Id": "abc", "From": "37000000002", "CreatedAt": "2019-11-12T11:01:51"}), Some("abc"), "Id is not"),
            (
                json!({"Id": 7, "From": null, "Text": "secret words", "CreatedAt": "2019-11-12T11:01:51"}),
                Some("7"),
                "no sender",
            ),
            (json!({"Id": 8, "From": "", "CreatedAt": "2019-11-12T11:01:51"}), Some("8"), "no sender"),
            (json!({"Id": 9, "From": "37000000002", "CreatedAt": "yesterday"}), Some("9"), "CreatedAt"),
            (
                json!({"Id": 10, "From": "37000000002", "Type": "Fax", "CreatedAt": "2019-11-12T11:01:51"}),
                Some("10"),
                "Type",
            ),
            (json!("just text"), None, "not a JSON object"),
        ];
        for (v, id, reason) in cases {
            let u = one(v.clone()).unwrap_err();
            assert_eq!(u.id.as_deref(), id, "{v}");
            assert!(u.reason.contains(reason), "{v}: {}", u.reason);
            assert!(!u.reason.contains("secret") && !u.reason.contains("37000000002"), "{}", u.reason);
            assert_eq!(u.raw, v);
        }
    }

    #[test]
    fn one_bad_message_does_not_stop_the_page() {
        let data = json!({"Messages": [spec_message(), {"Id": 5, "From": null}, {"Id": "x"}, spec_message()]});
        let p = page(Some(&data), MessageType::Incoming).unwrap();
        assert_eq!(p.messages.len(), 2);
        assert_eq!(p.unreadable.iter().map(|u| u.id.clone()).collect::<Vec<_>>(), [Some("5".into()), Some("x".into())]);
    }

    #[test]
    fn empty_pages_in_every_spelling() {
        for body in [
            r#"{"Data":{"Messages":[]},"Status":{"StatusCode":"OK","ErrorCode":"OK","ErrorMessage":null}}"#,
            r#"{"Data":{"Messages":null},"Status":{"StatusCode":"OK","ErrorCode":"OK","ErrorMessage":null}}"#,
            r#"{"Data":null,"Status":{"StatusCode":"OK","ErrorCode":"OK","ErrorMessage":null}}"#,
            r#"{"Status":{"StatusCode":"OK","ErrorCode":"OK","ErrorMessage":null}}"#,
            r#"{"data":{"messages":null},"status":{"statusCode":200,"errorCode":1,"errorMessage":null}}"#,
            r#"{"data":{},"status":{"statusCode":200,"errorCode":0}}"#,
            "[]",
            "null",
        ] {
            let r = reply(body.as_bytes()).unwrap();
            let p = page(r.data.as_ref(), MessageType::Incoming).unwrap();
            assert_eq!(p, Page::default(), "{body}");
            assert!(!r.status.is_some_and(|s| s.error_code.is_error()), "{body}");
        }
        assert!(page(Some(&json!({"Messages": "none"})), MessageType::Incoming).is_err());
    }

    #[test]
    fn status_blocks_in_every_spelling() {
        let cases = [
            (json!({"StatusCode": "OK", "ErrorCode": "OK", "ErrorMessage": null}), "OK", ErrorCode::Ok),
            (json!({"statusCode": 200, "errorCode": 1}), "200", ErrorCode::Ok),
            (
                json!({"statusCode": "BadRequest", "errorCode": 700, "errorMessage": "x"}),
                "BadRequest",
                ErrorCode::InvalidClientNumber,
            ),
            (json!({"StatusCode": 500, "ErrorCode": "internal"}), "500", ErrorCode::Internal),
            (json!({"ErrorCode": 0}), "", ErrorCode::Unset),
            (json!({"ErrorCode": "Throttled"}), "", ErrorCode::Unrecognized),
            (json!({"ErrorCode": 42}), "", ErrorCode::Other(42)),
            (json!({}), "", ErrorCode::Unset),
        ];
        for (v, code, want) in cases {
            let s = status(v.as_object().unwrap());
            assert_eq!((s.status_code.as_str(), s.error_code), (code, want), "{v}");
        }
    }

    #[test]
    fn send_answers_need_only_a_positive_id() {
        let ok = |v: Value| send_data(&v).unwrap();
        assert_eq!(ok(json!({"Id": 623178, "CreatedAt": "2019-11-11T08:08:21.8072824+02:00"})).id, 623178);
        assert_eq!(ok(json!({"id": "623178"})).id, 623178);
        assert_eq!(ok(json!({"Id": 623178.0, "CreatedAt": "garbage"})).created_at, None);
        for bad in [json!({}), json!({"Id": null}), json!({"Id": 0}), json!({"Id": "x"}), json!([1])] {
            assert!(send_data(&bad).is_err(), "{bad}");
        }
        // A body without an envelope is its own data.
        let r = reply(br#"{"Id": 5, "CreatedAt": "2019-11-11T08:08:21"}"#).unwrap();
        assert_eq!(send_data(r.data.as_ref().unwrap()).unwrap().id, 5);
    }

    #[test]
    fn numbers_in_every_spelling() {
        let spec = json!({"ClientOperatorNumbers": [{"OperatorNumberId": 4, "Number": "37000000000"}, {"OperatorNumberId": 7, "Number": "RSL_HOSP"}]});
        let dotnet = json!({"clientOperatorNumbers": [{"operatorNumberId": "4", "number": 37000000000u64}, {"operatorNumberId": 7, "number": "RSL_HOSP"}, {"number": null}]});
        assert_eq!(numbers(Some(&spec)), numbers(Some(&dotnet)));
        assert_eq!(numbers(Some(&spec)).len(), 2);
        assert!(numbers(Some(&json!({"ClientOperatorNumbers": null}))).is_empty());
        assert!(numbers(None).is_empty());
    }
}
