//! Server profiles: the sandbox's hospital SMS server behaving like the
//! servers a clinic really has, so the tests cover them.
//!
//! | profile | what it does |
//! |---|---|
//! | `spec` | exactly the spec's examples: PascalCase, enum names, list times zone-less in its zone, send answers with its offset |
//! | `dotnet` | an ASP.NET Core service: camelCase, numeric enums, `null` for empty lists, `errorCode` 0 on a send, ExternalKey an `Int32` (a larger one is a 400), list times zone-less in UTC while send answers carry its machine's offset (+02:00), and now and then a `State` the spec does not list |
//! | `skewed` | its clock 7 minutes behind the desk's (its `Date` header too), its zone UTC+05:30, every time zone-less |
//! | `transliterating` | stores texts without diacritics (`Šimkutė` → `Simkute`, other letters it cannot write as `?`) |
//! | `lagging` | a sent message appears in `type=Outgoing` only some seconds after it was taken |
//!
//! [`super::SandboxOptions::server_zone`] moves the server's zone (for the
//! profiles that keep their times in it), so a test can put it away from
//! the desk's.

use chrono::{DateTime, FixedOffset, Local, NaiveDateTime, Offset, TimeDelta, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use unicode_normalization::{char::is_combining_mark, UnicodeNormalization};

use crate::gateways::his::{
    time::HisTime,
    wire::{ErrorCode, MessageState},
};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    #[default]
    Spec,
    Dotnet,
    Skewed,
    Transliterating,
    Lagging,
}

impl Profile {
    pub const ALL: [Profile; 5] =
        [Profile::Spec, Profile::Dotnet, Profile::Skewed, Profile::Transliterating, Profile::Lagging];

    pub fn name(self) -> &'static str {
        match self {
            Profile::Spec => "spec",
            Profile::Dotnet => "dotnet",
            Profile::Skewed => "skewed",
            Profile::Transliterating => "transliterating",
            Profile::Lagging => "lagging",
        }
    }

    pub fn parse(s: &str) -> Option<Profile> {
        Profile::ALL.into_iter().find(|p| p.name().eq_ignore_ascii_case(s.trim()))
    }

    /// One line for `caredesk sandbox --help` and its banner.
    pub fn describe(self) -> &'static str {
        match self {
            Profile::Spec => "exactly the spec's examples",
            Profile::Dotnet => "an ASP.NET Core server: camelCase, numeric enums, null lists, Int32 ExternalKey, UTC lists, +02:00 answers",
            Profile::Skewed => "a server clock 7 minutes behind, in UTC+05:30, every time zone-less",
            Profile::Transliterating => "stores texts without diacritics",
            Profile::Lagging => "lists a sent message only some seconds after taking it",
        }
    }

    /// How the profile keeps and writes its times, with the server's zone
    /// moved to `zone` when given.
    pub fn clocking(self, zone: Option<FixedOffset>) -> Clocking {
        let hours = |h: i32| FixedOffset::east_opt(h * 3600).map(SimZone::Fixed).unwrap_or(SimZone::Desk);
        let own = |default: SimZone| zone.map(SimZone::Fixed).unwrap_or(default);
        match self {
            Profile::Spec | Profile::Transliterating | Profile::Lagging => {
                let z = own(SimZone::Desk);
                Clocking { skew: TimeDelta::zero(), list: z, answer: z, answer_labelled: true }
            }
            Profile::Dotnet => {
                Clocking { skew: TimeDelta::zero(), list: hours(0), answer: own(hours(2)), answer_labelled: true }
            }
            Profile::Skewed => {
                let z = own(FixedOffset::east_opt(5 * 3600 + 1800).map(SimZone::Fixed).unwrap_or(SimZone::Desk));
                Clocking { skew: TimeDelta::minutes(-7), list: z, answer: z, answer_labelled: false }
            }
        }
    }
}

/// A zone the sandbox keeps times in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SimZone {
    /// The zone of the process (the desk's, when they run together).
    Desk,
    Fixed(FixedOffset),
}

impl SimZone {
    pub fn offset_at(self, at: DateTime<Utc>) -> FixedOffset {
        match self {
            SimZone::Desk => at.with_timezone(&Local).offset().fix(),
            SimZone::Fixed(o) => o,
        }
    }

    /// A wall-clock time in this zone as an instant (the earlier reading
    /// of a repeated hour).
    pub fn instant(self, wall: NaiveDateTime) -> DateTime<Utc> {
        let at = match self {
            SimZone::Desk => Local.from_local_datetime(&wall).earliest().map(|t| t.with_timezone(&Utc)),
            SimZone::Fixed(o) => o.from_local_datetime(&wall).earliest().map(|t| t.with_timezone(&Utc)),
        };
        at.unwrap_or_else(|| wall.and_utc())
    }
}

/// The server's clock: how far off the desk's it is, and the zones of its
/// lists and its send answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clocking {
    /// The server's clock minus the real time.
    pub skew: TimeDelta,
    pub list: SimZone,
    pub answer: SimZone,
    /// Whether send answers carry their offset (`+02:00`).
    pub answer_labelled: bool,
}

impl Clocking {
    /// Now, on the server's clock, in 100 ns ticks as .NET keeps time.
    pub fn now(&self) -> DateTime<Utc> {
        let now = Utc::now() + self.skew;
        let ns = now.timestamp_subsec_nanos();
        now - TimeDelta::nanoseconds(i64::from(ns % 100))
    }

    /// An instant as a list writes it: zone-less, in the list's zone.
    pub fn list_time(&self, at: DateTime<Utc>) -> HisTime {
        HisTime::from_local(at.with_timezone(&self.list.offset_at(at)).naive_local())
    }

    /// An instant as a send answer writes it.
    pub fn answer_time(&self, at: DateTime<Utc>) -> HisTime {
        let offset = self.answer.offset_at(at);
        let t = HisTime::from_utc(at, Some(offset));
        if self.answer_labelled {
            t
        } else {
            HisTime::from_local(t.local)
        }
    }

    /// A `dateFrom` as the server reads it: by its offset when it has one,
    /// else as a wall-clock time of the list's zone.
    pub fn date_from(&self, t: &HisTime) -> DateTime<Utc> {
        t.instant().unwrap_or_else(|| self.list.instant(t.local))
    }
}

/// The text as a transliterating server stores it: marks removed, any
/// other letter outside ASCII as `?`.
pub fn transliterate(text: &str) -> String {
    text.nfkd().filter(|c| !is_combining_mark(*c)).map(|c| if c.is_ascii() { c } else { '?' }).collect()
}

/// A response body in the `dotnet` profile's JSON: camelCase names,
/// numeric enums, `null` for empty lists. `send` marks a Send SMS answer,
/// whose success `errorCode` such a server leaves at 0.
pub fn dotnet_body(spec: Value, send: bool) -> Value {
    fn camel(k: &str) -> String {
        let mut c = k.chars();
        match c.next() {
            Some(f) => f.to_lowercase().chain(c).collect(),
            None => String::new(),
        }
    }
    fn convert(key: &str, v: Value, send: bool) -> Value {
        match (key, v) {
            ("ErrorCode", Value::String(s)) => {
                let code = ErrorCode::from_name(&s);
                match (code, send) {
                    (ErrorCode::Ok, true) => Value::from(0),
                    _ => code.number().map(Value::from).unwrap_or(Value::String(s)),
                }
            }
            ("StatusCode", Value::String(s)) => Value::from(match s.as_str() {
                "OK" => 200,
                "BadRequest" => 400,
                "Unauthorized" => 401,
                "NotFound" => 404,
                _ => 500,
            }),
            ("Type", Value::String(s)) => Value::from(if s == "Outgoing" { 1 } else { 2 }),
            ("State", Value::String(s)) => {
                MessageState::parse(&s).map(|st| Value::from(st.number())).unwrap_or(Value::String(s))
            }
            ("Messages" | "ClientOperatorNumbers", Value::Array(a)) if a.is_empty() => Value::Null,
            (_, Value::Object(o)) => Value::Object(rename(o, send)),
            (_, Value::Array(a)) => Value::Array(a.into_iter().map(|v| convert("", v, send)).collect()),
            (_, other) => other,
        }
    }
    fn rename(o: Map<String, Value>, send: bool) -> Map<String, Value> {
        o.into_iter().map(|(k, v)| (camel(&k), convert(&k, v, send))).collect()
    }
    convert("", spec, send)
}

/// The number a `dotnet` server writes for a State its newer enum has and
/// the spec does not (`Queued`).
pub const DOTNET_UNLISTED_STATE: i64 = 11;

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn profiles_by_name() {
        for p in Profile::ALL {
            assert_eq!(Profile::parse(p.name()), Some(p));
        }
        assert_eq!(Profile::parse(" DotNet "), Some(Profile::Dotnet));
        assert_eq!(Profile::parse("iis"), None);
    }

    #[test]
    fn dotnet_bodies_are_camel_case_with_numbers_and_nulls() {
        let spec = json!({
            "Data": {"Messages": [{"Id": 5, "Type": "Incoming", "State": "Delivered", "ReplyToMessageId": null}]},
            "Status": {"StatusCode": "OK", "ErrorCode": "OK", "ErrorMessage": null}
        });
        assert_eq!(
            dotnet_body(spec, false),
            json!({
                "data": {"messages": [{"id": 5, "type": 2, "state": 2, "replyToMessageId": null}]},
                "status": {"statusCode": 200, "errorCode": 1, "errorMessage": null}
            })
        );
        let empty = json!({"Data": {"Messages": []}, "Status": {"StatusCode": "OK", "ErrorCode": "OK"}});
        assert_eq!(dotnet_body(empty, false)["data"]["messages"], Value::Null);
        let send = json!({"Data": {"Id": 1}, "Status": {"StatusCode": "OK", "ErrorCode": "OK"}});
        assert_eq!(dotnet_body(send, true)["status"]["errorCode"], json!(0));
        let refused = json!({"Status": {"StatusCode": "BadRequest", "ErrorCode": "InvalidClientNumber"}});
        assert_eq!(dotnet_body(refused, true)["status"], json!({"statusCode": 400, "errorCode": 700}));
    }

    #[test]
    fn transliteration_drops_marks() {
        assert_eq!(transliterate("Šimkutė, jūsų vizitas"), "Simkute, jusu vizitas");
        assert_eq!(transliterate("Łódź 👍"), "?odz ?");
    }

    #[test]
    fn clocks_and_zones_per_profile() {
        let at = DateTime::parse_from_rfc3339("2026-12-02T10:00:00Z").unwrap().with_timezone(&Utc);
        let dotnet = Profile::Dotnet.clocking(None);
        assert_eq!(dotnet.list_time(at).to_wire(), "2026-12-02T10:00:00.0000000");
        assert_eq!(dotnet.answer_time(at).to_wire(), "2026-12-02T12:00:00.0000000+02:00");
        let skewed = Profile::Skewed.clocking(None);
        assert_eq!(skewed.answer_time(at).to_wire(), "2026-12-02T15:30:00.0000000");
        assert_eq!(skewed.date_from(&HisTime::parse("2026-12-02 15:30:00").unwrap()), at);
        assert_eq!(skewed.date_from(&HisTime::parse("2026-12-02 12:00:00+02:00").unwrap()), at);
        assert!(skewed.now() < Utc::now() - TimeDelta::minutes(6));
        let moved = Profile::Spec.clocking(FixedOffset::east_opt(7200));
        assert_eq!(moved.list_time(at).to_wire(), "2026-12-02T12:00:00.0000000");
        assert_eq!(moved.answer_time(at).to_wire(), "2026-12-02T12:00:00.0000000+02:00");
    }
}
