//! The FHIR R4 resources CareDesk reads, as small serde models: Patient,
//! RelatedPerson and Bundle (spec 000), for a roster file and for the FHIR
//! server's search pages alike. Only the elements CareDesk uses are
//! modelled; unknown elements are ignored on input, and every element is
//! optional here (a missing one is judged by [`super::roster`], which says
//! what is wrong rather than failing the whole page).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Bundle {
    #[serde(default)]
    pub entry: Vec<BundleEntry>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BundleEntry {
    #[serde(default)]
    pub full_url: Option<String>,
    #[serde(default)]
    pub resource: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct ContactPoint {
    #[serde(default)]
    pub system: Option<String>,
    #[serde(default)]
    pub value: Option<String>,
    #[serde(default, rename = "use")]
    pub use_: Option<String>,
    #[serde(default)]
    pub rank: Option<u32>,
    #[serde(default)]
    pub period: Option<Period>,
}

/// A FHIR `Period`; only its end matters here.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct Period {
    #[serde(default)]
    pub start: Option<String>,
    #[serde(default)]
    pub end: Option<String>,
}

impl ContactPoint {
    /// Whether the number is one the patient uses now: not `use: old`, and no
    /// `period.end` before `now`. An end that is not a FHIR dateTime counts as
    /// ended (nothing shows the number is still theirs).
    pub fn is_current(&self, now: chrono::DateTime<chrono::Utc>) -> bool {
        if self.use_.as_deref() == Some("old") {
            return false;
        }
        match self.period.as_ref().and_then(|p| p.end.as_deref()) {
            None => true,
            Some(end) => !ended(end.trim(), now),
        }
    }
}

/// Whether a FHIR dateTime (`2026`, `2026-11`, `2026-11-21` or a full
/// instant) lies wholly before `now`. A partial date lasts to its end.
fn ended(end: &str, now: chrono::DateTime<chrono::Utc>) -> bool {
    use chrono::Datelike;
    if let Ok(at) = chrono::DateTime::parse_from_rfc3339(end) {
        return at < now;
    }
    let today = now.date_naive();
    if let Ok(day) = chrono::NaiveDate::parse_from_str(end, "%Y-%m-%d") {
        return day < today;
    }
    let parts: Vec<&str> = end.split('-').collect();
    let num = |s: &str| s.parse::<i32>().ok();
    match parts.as_slice() {
        [y] if y.len() == 4 => num(y).is_none_or(|y| y < today.year()),
        [y, m] if y.len() == 4 && m.len() == 2 => match (num(y), num(m)) {
            (Some(y), Some(m)) => (y, m) < (today.year(), today.month() as i32),
            _ => true,
        },
        _ => true,
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct HumanName {
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub family: Option<String>,
    #[serde(default)]
    pub given: Vec<String>,
    #[serde(default, rename = "use")]
    pub use_: Option<String>,
}

impl HumanName {
    /// `text` if present, else given names then family.
    pub fn display(&self) -> Option<String> {
        if let Some(t) = self.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            return Some(t.to_string());
        }
        let parts: Vec<&str> = self
            .given
            .iter()
            .map(String::as_str)
            .chain(self.family.as_deref())
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        (!parts.is_empty()).then(|| parts.join(" "))
    }
}

/// The preferred name of a list: `official`, then `usual`, then the first.
pub fn preferred_name(names: &[HumanName]) -> Option<String> {
    let by_use = |u: &str| names.iter().find(|n| n.use_.as_deref() == Some(u)).and_then(HumanName::display);
    by_use("official").or_else(|| by_use("usual")).or_else(|| names.iter().find_map(HumanName::display))
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct Coding {
    #[serde(default)]
    pub system: Option<String>,
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub display: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct CodeableConcept {
    #[serde(default)]
    pub coding: Vec<Coding>,
    #[serde(default)]
    pub text: Option<String>,
}

impl CodeableConcept {
    pub fn display(&self) -> Option<String> {
        self.text
            .clone()
            .or_else(|| self.coding.iter().find_map(|c| c.display.clone().or_else(|| c.code.clone())))
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct Identifier {
    #[serde(default)]
    pub system: Option<String>,
    #[serde(default)]
    pub value: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct Reference {
    #[serde(default)]
    pub reference: Option<String>,
}

/// `Resource.meta`: the server's version of a resource and when it changed.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Meta {
    #[serde(default)]
    pub version_id: Option<String>,
    #[serde(default)]
    pub last_updated: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct PatientContact {
    #[serde(default)]
    pub relationship: Vec<CodeableConcept>,
    #[serde(default)]
    pub name: Option<HumanName>,
    #[serde(default)]
    pub telecom: Vec<ContactPoint>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Patient {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub meta: Option<Meta>,
    /// Absent means active (FHIR's default).
    #[serde(default)]
    pub active: Option<bool>,
    /// `deceasedBoolean`; a `deceasedDateTime` is read into
    /// [`Patient::deceased_date_time`].
    #[serde(default)]
    pub deceased_boolean: Option<bool>,
    #[serde(default)]
    pub deceased_date_time: Option<String>,
    #[serde(default)]
    pub identifier: Vec<Identifier>,
    #[serde(default)]
    pub name: Vec<HumanName>,
    #[serde(default)]
    pub telecom: Vec<ContactPoint>,
    #[serde(default)]
    pub contact: Vec<PatientContact>,
    /// Extensions; the roster reads the patient's time zone from one
    /// ([`TZ_CODE_EXTENSION`]).
    #[serde(default)]
    pub extension: Vec<Extension>,
}

/// The core extension that carries a time zone as an IANA code (FHIR R5's
/// `tz-code`, usable in R4 servers as it stands).
pub const TZ_CODE_EXTENSION: &str = "http://hl7.org/fhir/StructureDefinition/tz-code";

/// An extension with the value kinds CareDesk reads.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Extension {
    #[serde(default)]
    pub url: String,
    #[serde(default)]
    pub value_code: Option<String>,
    #[serde(default)]
    pub value_string: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct RelatedPerson {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub meta: Option<Meta>,
    /// Absent means active (FHIR's default).
    #[serde(default)]
    pub active: Option<bool>,
    #[serde(default)]
    pub patient: Option<Reference>,
    #[serde(default)]
    pub relationship: Vec<CodeableConcept>,
    #[serde(default)]
    pub name: Vec<HumanName>,
    #[serde(default)]
    pub telecom: Vec<ContactPoint>,
}

/// The current SMS numbers of a telecom list (`system: sms`, spec 000, and
/// [`ContactPoint::is_current`] at `now`), best rank first.
pub fn sms_numbers(telecom: &[ContactPoint], now: chrono::DateTime<chrono::Utc>) -> Vec<String> {
    textable_numbers(telecom, now, false)
}

/// The current numbers of a telecom list that may be texted: `system: sms`,
/// and with `phone_too` (the setting `fhir.use_phone_numbers`) `system:
/// phone` after them; each group best rank first, a number once.
pub fn textable_numbers(telecom: &[ContactPoint], now: chrono::DateTime<chrono::Utc>, phone_too: bool) -> Vec<String> {
    let of = |system: &str| {
        let mut v: Vec<&ContactPoint> =
            telecom.iter().filter(|t| t.system.as_deref() == Some(system) && t.is_current(now)).collect();
        v.sort_by_key(|t| t.rank.unwrap_or(u32::MAX));
        v
    };
    let mut all = of("sms");
    if phone_too {
        all.extend(of("phone"));
    }
    let mut out: Vec<String> = Vec::new();
    for value in all.iter().filter_map(|t| t.value.as_deref().map(str::trim)).filter(|s| !s.is_empty()) {
        if !out.iter().any(|o| o == value) {
            out.push(value.to_string());
        }
    }
    out
}

/// The ECM patient id: the value of the identifier whose system is exactly
/// `system` (the setting `fhir.ecm_identifier_system`). Without a configured
/// system no identifier is trusted as an ECM id.
pub fn ecm_patient_id(identifiers: &[Identifier], system: Option<&str>) -> Option<Result<i64, String>> {
    let system = system?;
    identifiers
        .iter()
        .find(|i| i.system.as_deref().map(str::trim) == Some(system))
        .and_then(|i| i.value.as_deref())
        .map(|v| v.trim().parse::<i64>().map_err(|_| v.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> chrono::DateTime<chrono::Utc> {
        "2026-11-21T12:00:00Z".parse().unwrap()
    }

    fn sms(value: &str, use_: Option<&str>, end: Option<&str>) -> ContactPoint {
        ContactPoint {
            system: Some("sms".into()),
            value: Some(value.into()),
            use_: use_.map(Into::into),
            rank: None,
            period: end.map(|e| Period { start: None, end: Some(e.into()) }),
        }
    }

    #[test]
    fn ended_and_old_numbers_are_not_current() {
        let cases = [
            (None, None, true),
            (Some("mobile"), None, true),
            (Some("old"), None, false),
            (None, Some("2026-11-21T11:59:59Z"), false),
            (None, Some("2026-11-21T12:00:01Z"), true),
            (None, Some("2026-11-20"), false),
            (None, Some("2026-11-21"), true),
            (None, Some("2026-10"), false),
            (None, Some("2026-11"), true),
            (None, Some("2025"), false),
            (None, Some("2026"), true),
            (None, Some("2030-01-01T00:00:00+02:00"), true),
            (None, Some("soon"), false),
        ];
        for (use_, end, current) in cases {
            assert_eq!(sms("+18055550100", use_, end).is_current(now()), current, "{use_:?} {end:?}");
        }
        let list = [sms("+1", Some("old"), None), sms("+2", None, Some("2020-01-01")), sms("+3", None, None)];
        assert_eq!(sms_numbers(&list, now()), ["+3"]);
    }

    #[test]
    fn the_ecm_id_comes_only_from_the_configured_system() {
        let ids = [
            Identifier { system: Some("urn:other:ecmx".into()), value: Some("666".into()) },
            Identifier { system: Some("urn:caredesk:ecm-patient-id".into()), value: Some("123".into()) },
        ];
        assert_eq!(ecm_patient_id(&ids, None), None, "unset: no ECM id from identifiers");
        assert_eq!(ecm_patient_id(&ids, Some("urn:caredesk:ecm-patient-id")), Some(Ok(123)));
        assert_eq!(ecm_patient_id(&ids, Some("urn:caredesk:ecm")), None, "exact match only");
        assert_eq!(ecm_patient_id(&ids[..1], Some("urn:caredesk:ecm-patient-id")), None);
    }
}
