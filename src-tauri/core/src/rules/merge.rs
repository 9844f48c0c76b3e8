//! Merge fields in a template: `{first_name}`, `{last_name}`,
//! `{clinic_name}`, `{coordinator_name}` and any field a caller adds (a
//! campaign file's `{appointment_time}`). Merging reports every field that
//! has no value, by name, and never lets a literal `{…}` through: a brace
//! that opens no field, a field left open, or a value that itself holds
//! `{…}` is refused. Pure: the caller gathers the values.

use std::collections::BTreeMap;

use crate::rules::error::{CodedError, ErrorCode};
use crate::rules::segments::{self, SmsSize};

/// The fields CareDesk fills from the patient, the settings and the user.
pub const STANDARD_FIELDS: &[&str] = &["first_name", "last_name", "clinic_name", "coordinator_name"];

/// Why a template could not be merged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MergeError {
    #[error("no value for {}: fill it in or choose another template; nothing was sent", list(.0))]
    MissingFields(Vec<String>),
    #[error("the template has a brace that is not a merge field at character {at}: write fields as {{first_name}}")]
    StrayBrace { at: usize },
}

impl CodedError for MergeError {
    fn code(&self) -> ErrorCode {
        match self {
            MergeError::MissingFields(_) => ErrorCode::MissingMergeField,
            MergeError::StrayBrace { .. } => ErrorCode::InvalidMessage,
        }
    }
}

fn list(names: &[String]) -> String {
    names.iter().map(|n| format!("{{{n}}}")).collect::<Vec<_>>().join(", ")
}

/// A template's text split into literal text and fields.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece<'a> {
    Text(&'a str),
    Field(&'a str),
}

/// Splits `template` into text and `{name}` fields (a name is lower-case
/// letters, digits and `_`); any other brace is a [`MergeError::StrayBrace`].
fn parse(template: &str) -> Result<Vec<Piece<'_>>, MergeError> {
    let mut pieces = Vec::new();
    let mut rest = template;
    let mut offset = 0;
    while let Some(open) = rest.find(['{', '}']) {
        let stray = MergeError::StrayBrace { at: template[..offset + open].chars().count() + 1 };
        if rest[open..].starts_with('}') {
            return Err(stray);
        }
        let close = rest[open + 1..].find(['{', '}']).map(|i| open + 1 + i).ok_or(stray.clone())?;
        let name = &rest[open + 1..close];
        let valid = !name.is_empty() && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !rest[close..].starts_with('}') || !valid {
            return Err(stray);
        }
        if open > 0 {
            pieces.push(Piece::Text(&rest[..open]));
        }
        pieces.push(Piece::Field(name));
        offset += close + 1;
        rest = &rest[close + 1..];
    }
    if !rest.is_empty() {
        pieces.push(Piece::Text(rest));
    }
    Ok(pieces)
}

/// The fields a template uses, each once, in order.
pub fn fields(template: &str) -> Result<Vec<String>, MergeError> {
    let mut names: Vec<String> = Vec::new();
    for piece in parse(template)? {
        if let Piece::Field(n) = piece {
            if !names.iter().any(|x| x == n) {
                names.push(n.to_string());
            }
        }
    }
    Ok(names)
}

/// A merged text and how carriers count it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merged {
    pub text: String,
    pub size: SmsSize,
}

/// Fills `template` from `values` (blank values count as missing). Every
/// field without a value is named in one [`MergeError::MissingFields`];
/// a value holding a brace is refused as missing too, so no `{…}` reaches
/// a text.
pub fn merge(template: &str, values: &BTreeMap<String, String>) -> Result<Merged, MergeError> {
    let mut text = String::with_capacity(template.len());
    let mut missing: Vec<String> = Vec::new();
    for piece in parse(template)? {
        match piece {
            Piece::Text(t) => text.push_str(t),
            Piece::Field(name) => match values.get(name).map(|v| v.trim()) {
                Some(v) if !v.is_empty() && !v.contains(['{', '}']) => text.push_str(v),
                _ => {
                    if !missing.iter().any(|m| m == name) {
                        missing.push(name.to_string());
                    }
                }
            },
        }
    }
    if !missing.is_empty() {
        return Err(MergeError::MissingFields(missing));
    }
    let size = segments::measure(&text);
    Ok(Merged { text, size })
}

/// A patient's first and last name from the one name the roster keeps:
/// "Last, First" when it has a comma, else the first word and the last.
/// A one-word name has no last name.
pub fn split_name(name: &str) -> (Option<String>, Option<String>) {
    let clean = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
    if let Some((last, first)) = name.split_once(',') {
        return (clean(first), clean(last));
    }
    let words: Vec<&str> = name.split_whitespace().collect();
    match words.as_slice() {
        [] => (None, None),
        [only] => (clean(only), None),
        [first, .., last] => (clean(first), clean(last)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::segments::SmsEncoding;

    fn values(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn fields_are_filled_and_counted_after_merging() {
        let v = values(&[("first_name", "Ana"), ("clinic_name", "North Clinic"), ("appointment_time", "9:30")]);
        let m = merge("Hi {first_name}, {clinic_name} expects you at {appointment_time}.", &v).unwrap();
        assert_eq!(m.text, "Hi Ana, North Clinic expects you at 9:30.");
        assert_eq!((m.size.encoding, m.size.units, m.size.segments), (SmsEncoding::Gsm7, 41, 1));
        // The count is of the merged text: a name outside GSM-7 makes it UCS-2.
        let m = merge("Hi {first_name}", &values(&[("first_name", "Żaneta")])).unwrap();
        assert_eq!((m.size.encoding, m.size.units), (SmsEncoding::Ucs2, 9));
        // A 152-character template becomes 2 segments once merged.
        let long = format!("{} {{first_name}}", "a".repeat(151));
        assert_eq!(merge(&long, &values(&[("first_name", "Anastasia")])).unwrap().size.segments, 2);
    }

    #[test]
    fn every_missing_field_is_named_once() {
        let v = values(&[("first_name", "Ana"), ("last_name", "  ")]);
        let e = merge("{first_name} {last_name}: {appointment_time} {last_name} {coordinator_name}", &v).unwrap_err();
        assert_eq!(
            e,
            MergeError::MissingFields(vec!["last_name".into(), "appointment_time".into(), "coordinator_name".into()])
        );
        assert!(e.to_string().contains("{last_name}, {appointment_time}, {coordinator_name}"), "{e}");
        assert_eq!(e.code(), ErrorCode::MissingMergeField);
    }

    #[test]
    fn no_literal_brace_gets_through() {
        let v = values(&[("first_name", "Ana"), ("odd", "{first_name}")]);
        for (template, at) in [
            ("Hi {first_name", 4),
            ("Hi first_name}", 14),
            ("Hi {First_Name}", 4),
            ("Hi {}", 4),
            ("Hi { first_name }", 4),
            ("Hi {{first_name}}", 4),
            ("{first_name} {a{b}", 14),
        ] {
            assert_eq!(merge(template, &v), Err(MergeError::StrayBrace { at }), "{template}");
        }
        assert_eq!(merge("Hi {odd}", &v), Err(MergeError::MissingFields(vec!["odd".into()])));
        assert_eq!(fields("{a} and {b_2} and {a}").unwrap(), vec!["a", "b_2"]);
        assert_eq!(merge("No fields at all", &v).unwrap().text, "No fields at all");
    }

    #[test]
    fn names_split_into_first_and_last() {
        let s = |n: &str| split_name(n);
        let o = |a: &str| Some(a.to_string());
        assert_eq!(s("Ana Maria Lopez"), (o("Ana"), o("Lopez")));
        assert_eq!(s("Lopez, Ana"), (o("Ana"), o("Lopez")));
        assert_eq!(s("Cher"), (o("Cher"), None));
        assert_eq!(s("  "), (None, None));
    }
}
