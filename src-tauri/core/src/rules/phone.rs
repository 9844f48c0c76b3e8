//! Phone numbers: every number inside CareDesk is E.164 (`+18051234567`),
//! normalized with `phonenumber`, a Rust port of Google's libphonenumber.
//!
//! Accepted input is what spec 004 lists (E.164, national `8051234567`,
//! dashes `805-123-4567`, parentheses `(805) 123-4567`) plus the hospital SMS
//! server's international digits without `+` (`37000000002`, spec 003) when
//! they carry a country code. A number is accepted when libphonenumber calls
//! it valid, or when it has the length and general shape of its country's
//! numbers (libphonenumber's strict tables reject e.g. the NANP exchange
//! `123` used in spec 004's own examples).

use std::{fmt, str::FromStr};

use phonenumber::{country, metadata::DATABASE, Mode, PhoneNumber};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("{input:?} is not a valid phone number: {reason}")]
    Invalid { input: String, reason: String },
    #[error("{0:?} is not a known region code (use a two-letter code such as US, GB or LT)")]
    UnknownRegion(String),
}

impl crate::rules::error::CodedError for PhoneError {
    fn code(&self) -> crate::rules::error::ErrorCode {
        crate::rules::error::ErrorCode::InvalidPhone
    }
}

/// A two-letter region used for numbers written without a country code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region(country::Id);

impl Default for Region {
    fn default() -> Self {
        Region(country::Id::US)
    }
}

impl FromStr for Region {
    type Err = PhoneError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.trim()
            .to_ascii_uppercase()
            .parse::<country::Id>()
            .map(Region)
            .map_err(|_| PhoneError::UnknownRegion(s.to_string()))
    }
}

/// A phone number in E.164 form. Its `Display` is the full number: log it
/// only through [`crate::rules::redact::phone`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct E164(String);

impl E164 {
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// International digits without `+`, as the hospital SMS server writes them.
    pub fn wire_digits(&self) -> &str {
        &self.0[1..]
    }
    /// Every digit, for search by number.
    pub fn digits(&self) -> &str {
        self.wire_digits()
    }
    /// Wraps a value already known to be E.164 (read back from the database).
    pub fn from_trusted(value: String) -> Self {
        E164(value)
    }
}

impl fmt::Display for E164 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Normalizes `input` to E.164, reading numbers without a country code as
/// numbers of `region`.
pub fn normalize(input: &str, region: Region) -> Result<E164, PhoneError> {
    let invalid = |reason: &str| PhoneError::Invalid { input: input.to_string(), reason: reason.to_string() };
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(invalid("it is empty"));
    }
    if trimmed.chars().any(|c| c.is_alphabetic()) {
        return Err(invalid("it contains letters"));
    }
    if !trimmed.chars().any(|c| c.is_ascii_digit()) {
        return Err(invalid("it contains no digits"));
    }
    if let Some(bad) = trimmed.chars().find(|c| !(c.is_ascii_digit() || " +-().\u{a0}/".contains(*c))) {
        return Err(invalid(&format!("it contains the character {bad:?}")));
    }
    if trimmed.rfind('+').is_some_and(|i| i != 0) {
        return Err(invalid("a '+' may only start the number"));
    }
    let digit_count = trimmed.chars().filter(|c| c.is_ascii_digit()).count();
    if digit_count > 15 {
        return Err(invalid("it has more than 15 digits"));
    }
    let parsed = parse_any(trimmed, region).ok_or_else(|| invalid("it cannot be read as a phone number"))?;
    if !acceptable(&parsed) {
        return Err(invalid("it has the wrong length or shape for its country"));
    }
    Ok(E164(parsed.format().mode(Mode::E164).to_string()))
}

/// Parses as written; digits without `+` that do not fit the region are
/// retried as international digits (the hospital server's wire form).
fn parse_any(input: &str, region: Region) -> Option<PhoneNumber> {
    let national = phonenumber::parse(Some(region.0), input).ok().filter(acceptable);
    if national.is_some() || input.starts_with('+') {
        return national.or_else(|| phonenumber::parse(None, input).ok());
    }
    let digits: String = input.chars().filter(|c| c.is_ascii_digit()).collect();
    phonenumber::parse(None, format!("+{digits}"))
        .ok()
        .filter(acceptable)
        .or_else(|| phonenumber::parse(Some(region.0), input).ok())
}

fn acceptable(number: &PhoneNumber) -> bool {
    if number.is_valid() {
        return true;
    }
    // Not valid by the strict tables: accept the general shape of the main
    // country of its calling code (NANP for +1).
    let nsn = number.national().to_string();
    let metas = number.metadata(&DATABASE).map(|m| vec![m]).or_else(|| DATABASE.by_code(&number.code().value()));
    let Some(metas) = metas else { return false };
    let Some(meta) = metas.iter().find(|m| m.is_main_country_for_code()).or(metas.first()) else {
        return false;
    };
    let d = meta.descriptors();
    // The general descriptor often lists no lengths (its pattern is not
    // anchored), so take them from the fixed-line and mobile descriptors.
    let lengths: Vec<u16> = [Some(d.general()), d.fixed_line(), d.mobile()]
        .into_iter()
        .flatten()
        .flat_map(|x| x.possible_length().iter().copied())
        .collect();
    !lengths.is_empty() && lengths.contains(&(nsn.len() as u16)) && d.general().is_match(&nsn)
}

/// Whether two numbers as stored or as a server wrote them (E.164, `+digits`,
/// international digits, or national digits of `region`) are one number:
/// their E.164 forms are equal, or, when either does not normalize, their
/// digits are. A sender name (no digits) matches nothing.
pub fn same_number(a: &str, b: &str, region: Region) -> bool {
    match (normalize(a, region), normalize(b, region)) {
        (Ok(x), Ok(y)) => x == y,
        _ => {
            let digits = |s: &str| -> String { s.chars().filter(char::is_ascii_digit).collect() };
            let (x, y) = (digits(a), digits(b));
            !x.is_empty() && !a.chars().any(char::is_alphabetic) && !b.chars().any(char::is_alphabetic) && x == y
        }
    }
}

/// The national significant number of an E.164 number (`8051234567` for
/// `+18051234567`), for search as people type numbers.
pub fn national_digits(number: &E164) -> String {
    phonenumber::parse(None, number.as_str())
        .map(|n| n.national().to_string())
        .unwrap_or_else(|_| number.digits().to_string())
}

/// A number formatted for people, the one format CareDesk shows everywhere
/// (the UI's `formatPhone` follows the same rule with libphonenumber-js):
/// North American numbers as `+1 (805) 123-4567`, others in the
/// international format of their country (`+44 7700 900123`).
pub fn display(number: &E164) -> String {
    match phonenumber::parse(None, number.as_str()) {
        Ok(n) if n.code().value() == 1 => format!("+1 {}", n.format().mode(Mode::National)),
        Ok(n) => n.format().mode(Mode::International).to_string(),
        Err(_) => number.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn us(s: &str) -> Result<String, PhoneError> {
        normalize(s, Region::default()).map(|n| n.to_string())
    }

    #[test]
    fn display_is_the_one_format_of_the_ui() {
        let d = |s: &str| display(&E164::from_trusted(s.to_string()));
        assert_eq!(d("+18055550103"), "+1 (805) 555-0103");
        assert_eq!(d("+15005550001"), "+1 (500) 555-0001");
        assert_eq!(d("+447700900123"), "+44 7700 900123");
        assert_eq!(d("+37061234567"), "+370 612 34567");
    }

    #[test]
    fn every_format_of_spec_004_normalizes_to_the_same_e164() {
        for input in
            ["+18051234567", "8051234567", "805-123-4567", "(805) 123-4567", " 1 (805) 123-4567 ", "805.123.4567"]
        {
            assert_eq!(us(input).unwrap(), "+18051234567", "{input}");
        }
    }

    #[test]
    fn hospital_wire_digits_without_plus_are_international() {
        assert_eq!(us("37060000002").unwrap(), "+37060000002");
        assert_eq!(us("18051234567").unwrap(), "+18051234567");
    }

    #[test]
    fn region_setting_reads_national_numbers() {
        let gb: Region = "gb".parse().unwrap();
        assert_eq!(normalize("020 7946 0018", gb).unwrap().as_str(), "+442079460018");
        assert!("XX".parse::<Region>().is_err());
    }

    #[test]
    fn invalid_inputs_are_rejected_with_the_input_named() {
        for input in [
            "",
            "   ",
            "abc",
            "555-CALL-NOW",
            "12345",
            "+1 805 123 45678",
            "0000000000",
            "+999 1234567",
            "805;1234567",
            "80+51234567",
            "1234567890123456",
        ] {
            let err = us(input).expect_err(input);
            assert!(err.to_string().contains(&format!("{input:?}")), "{err}");
        }
    }

    #[test]
    fn same_number_compares_e164_forms() {
        let us = Region::default();
        let cases = [
            ("+18055550100", "+18055550100", true),
            ("+18055550100", "18055550100", true),
            ("+18055550100", "(805) 555-0100", true),
            ("+18055550100", "+18055550102", false),
            ("+18055550100", "+448055550100", false),
            ("+999", "999", true),
            ("+999", "+998", false),
            ("RSL_HOSP", "RSL_HOSP", false),
            ("", "", false),
        ];
        for (a, b, want) in cases {
            assert_eq!(same_number(a, b, us), want, "{a:?} {b:?}");
            assert_eq!(same_number(b, a, us), want, "{b:?} {a:?}");
        }
    }

    #[test]
    fn e164_wire_digits_drop_the_plus() {
        let n = normalize("+18051234567", Region::default()).unwrap();
        assert_eq!(n.wire_digits(), "18051234567");
    }
}

#[cfg(test)]
mod idempotence {
    use super::*;

    #[test]
    fn normalizing_an_e164_number_again_changes_nothing() {
        for input in ["+86 138 0013 8000", "+44 20 7946 0958", "(805) 555-0100", "+370 612 34567", "+49 30 901820"] {
            let once = normalize(input, Region::default()).unwrap();
            let twice = normalize(once.as_str(), Region::default()).unwrap();
            assert_eq!(once, twice, "{input}");
        }
    }
}
