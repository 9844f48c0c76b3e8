//! What a Patient or RelatedPerson means for CareDesk's roster: a name, the
//! ECM id, whether the patient may be texted, and the numbers that may be,
//! each the patient's own or a contact's with name and relationship.
//!
//! One mapping for both ways a roster arrives: a FHIR file (`records::import`)
//! and the clinic's FHIR server (`engine::fhir_sync`). A resource that
//! cannot be a roster entry at all (no id where one is needed, no name, not
//! the shape of its type) is an `Err` with the reason; a number that cannot
//! be read is a [`Mapped::problems`] entry beside what could be read, and
//! each caller decides (the file import rejects the row, the server sync
//! keeps the readable numbers and reports the rest).

use serde::{Deserialize, Serialize};

use super::resources::{self, ContactPoint, Patient, RelatedPerson};
use crate::rules::phone::{self, Region, E164};

/// What the mapping reads besides the resource.
#[derive(Debug, Clone)]
pub struct RosterOptions {
    /// Numbers written without a country code (`phone.default_region`).
    pub region: Region,
    /// `fhir.ecm_identifier_system`: the identifier system of the ECM id;
    /// `None`, no identifier is taken as one.
    pub ecm_identifier_system: Option<String>,
    /// `fhir.use_phone_numbers`: `system: phone` telecoms may be texted too
    /// (after the `sms` ones).
    pub use_phone_numbers: bool,
    /// Telecoms whose `period.end` is before this have ended.
    pub now: chrono::DateTime<chrono::Utc>,
}

/// Whose number it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NumberOwner {
    /// The patient's own.
    Patient,
    /// A contact's: `Patient.contact[]` or a RelatedPerson.
    Contact,
}

/// One number that may be texted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterNumber {
    pub number: E164,
    pub owner: NumberOwner,
    /// A contact's name.
    #[serde(default)]
    pub name: Option<String>,
    /// A contact's relationship to the patient ("son", "caregiver").
    #[serde(default)]
    pub relationship: Option<String>,
}

/// A Patient as the roster reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterPatient {
    /// `Patient.id`; a file may leave it out, a server never does.
    pub id: Option<String>,
    pub name: String,
    pub ecm_patient_id: Option<i64>,
    /// False for `active: false` or a deceased patient: nothing is sent to them.
    pub active: bool,
    /// Own numbers first, then `Patient.contact[]`'s, in the resource's order.
    pub numbers: Vec<RosterNumber>,
    /// The patient's own time zone (IANA name) from the `tz-code`
    /// extension, for quiet hours; `None`: not given (or unreadable).
    #[serde(default)]
    pub time_zone: Option<String>,
}

/// A RelatedPerson as the roster reads it: contact numbers of one patient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterRelatedPerson {
    pub id: Option<String>,
    /// The id of the Patient it points at (`RelatedPerson.patient`).
    pub patient: String,
    /// False for `active: false`: its numbers are no longer the patient's.
    pub active: bool,
    pub numbers: Vec<RosterNumber>,
}

/// A mapped resource and what in it could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapped<T> {
    pub value: T,
    /// Each number or identifier that could not be read.
    pub problems: Vec<Problem>,
}

/// A value of a resource that could not be read: where it was, the value,
/// and why. Its `Display` quotes the value (for a file being fixed by the
/// person importing it); [`Problem::without_value`] does not (for reports
/// of a server's resources, which reach the screen and the store).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// `Patient.telecom`, `Patient.contact[0].telecom`, `Patient.identifier`.
    pub place: String,
    pub value: String,
    pub reason: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {:?} {}", self.place, self.value, self.reason)
    }
}

impl Problem {
    /// Where and why, without the value.
    pub fn without_value(&self) -> String {
        format!("{}: a value that {}", self.place, self.reason)
    }
}

/// The server's version of a resource, for telling a resource seen again
/// (a page re-read in the overlap of an incremental pull) from a new version.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Version {
    /// `meta.versionId`.
    pub version_id: Option<String>,
    /// `meta.lastUpdated`, as the server wrote it.
    pub last_updated: Option<String>,
}

impl Version {
    pub fn of(meta: Option<&resources::Meta>) -> Version {
        Version {
            version_id: meta.and_then(|m| m.version_id.clone()).filter(|v| !v.trim().is_empty()),
            last_updated: meta.and_then(|m| m.last_updated.clone()).filter(|v| !v.trim().is_empty()),
        }
    }

    /// What identifies this version: the versionId, else the lastUpdated
    /// instant; `None` when the server gives neither (then only the content
    /// tells versions apart).
    pub fn key(&self) -> Option<String> {
        self.version_id
            .as_ref()
            .map(|v| format!("v:{v}"))
            .or_else(|| self.last_updated.as_ref().map(|l| format!("t:{l}")))
    }
}

/// A Patient resource (JSON) as a roster entry. `Err` says why it cannot be
/// one: not a Patient's shape (with the path of the bad element), no name.
pub fn patient(value: &serde_json::Value, options: &RosterOptions) -> Result<Mapped<RosterPatient>, String> {
    let p: Patient = typed(value, "Patient")?;
    map_patient(&p, options)
}

/// [`patient`] of a typed Patient.
pub fn map_patient(p: &Patient, options: &RosterOptions) -> Result<Mapped<RosterPatient>, String> {
    let name = resources::preferred_name(&p.name).ok_or("Patient has no name")?;
    let mut problems = Vec::new();
    let ecm_patient_id = match resources::ecm_patient_id(&p.identifier, options.ecm_identifier_system.as_deref()) {
        None => None,
        Some(Ok(n)) => Some(n),
        Some(Err(v)) => {
            problems.push(Problem {
                place: "Patient.identifier (ECM id)".into(),
                value: v,
                reason: "is not a whole number".into(),
            });
            None
        }
    };
    let mut numbers = numbers_of(&p.telecom, options, "Patient.telecom", &mut problems, |number| RosterNumber {
        number,
        owner: NumberOwner::Patient,
        name: None,
        relationship: None,
    });
    for (i, c) in p.contact.iter().enumerate() {
        let name = c.name.as_ref().and_then(|n| n.display());
        let relationship = c.relationship.iter().find_map(|r| r.display());
        let place = format!("Patient.contact[{i}].telecom");
        numbers.extend(numbers_of(&c.telecom, options, &place, &mut problems, |number| RosterNumber {
            number,
            owner: NumberOwner::Contact,
            name: name.clone(),
            relationship: relationship.clone(),
        }));
    }
    let deceased = p.deceased_boolean == Some(true) || p.deceased_date_time.as_deref().is_some_and(|d| !d.is_empty());
    let active = p.active != Some(false) && !deceased;
    let id = p.id.clone().filter(|i| !i.trim().is_empty());
    let time_zone = time_zone_of(p, &mut problems);
    Ok(Mapped { value: RosterPatient { id, name, ecm_patient_id, active, numbers, time_zone }, problems })
}

/// The patient's time zone from the `tz-code` extension: an IANA name this
/// computer knows, else a problem and none.
fn time_zone_of(p: &Patient, problems: &mut Vec<Problem>) -> Option<String> {
    let ext = p.extension.iter().find(|e| e.url == resources::TZ_CODE_EXTENSION)?;
    let code = ext.value_code.as_deref().or(ext.value_string.as_deref())?.trim();
    match code.parse::<chrono_tz::Tz>() {
        Ok(zone) => Some(zone.name().to_string()),
        Err(_) => {
            problems.push(Problem {
                place: "Patient.extension (tz-code)".into(),
                value: code.to_string(),
                reason: "is not a time zone (an IANA name like America/Chicago)".into(),
            });
            None
        }
    }
}

/// A RelatedPerson resource (JSON) as contact numbers of its Patient. `Err`
/// when it is not a RelatedPerson's shape or points at no Patient.
pub fn related_person(
    value: &serde_json::Value,
    options: &RosterOptions,
) -> Result<Mapped<RosterRelatedPerson>, String> {
    let rp: RelatedPerson = typed(value, "RelatedPerson")?;
    map_related_person(&rp, options)
}

/// [`related_person`] of a typed RelatedPerson.
pub fn map_related_person(rp: &RelatedPerson, options: &RosterOptions) -> Result<Mapped<RosterRelatedPerson>, String> {
    let patient = rp
        .patient
        .as_ref()
        .and_then(|r| r.reference.as_deref())
        .and_then(patient_id_of)
        .ok_or("RelatedPerson has no patient reference (RelatedPerson.patient)")?;
    let name = resources::preferred_name(&rp.name);
    let relationship = rp.relationship.iter().find_map(|r| r.display());
    let mut problems = Vec::new();
    let numbers = numbers_of(&rp.telecom, options, "RelatedPerson.telecom", &mut problems, |number| RosterNumber {
        number,
        owner: NumberOwner::Contact,
        name: name.clone(),
        relationship: relationship.clone(),
    });
    let id = rp.id.clone().filter(|i| !i.trim().is_empty());
    Ok(Mapped { value: RosterRelatedPerson { id, patient, active: rp.active != Some(false), numbers }, problems })
}

/// The Patient id a reference names: `Patient/123`, an absolute
/// `https://server/fhir/Patient/123`, or either with `/_history/2`.
pub fn patient_id_of(reference: &str) -> Option<String> {
    let r = reference.trim();
    let r = r.split_once("/_history/").map_or(r, |(before, _)| before);
    let segments: Vec<&str> = r.split('/').collect();
    match segments.as_slice() {
        [.., "Patient", id] if valid_id(id) => Some(id.to_string()),
        _ => None,
    }
}

/// A FHIR id: 1 to 64 of `A-Z a-z 0-9 - .`.
pub fn valid_id(id: &str) -> bool {
    (1..=64).contains(&id.len()) && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
}

/// The resource as `T`, or why not: its `resourceType`, else the path of the
/// first element of the wrong shape (values left out: they may be PHI).
fn typed<T: serde::de::DeserializeOwned>(value: &serde_json::Value, resource_type: &str) -> Result<T, String> {
    match value.get("resourceType").and_then(|t| t.as_str()) {
        Some(t) if t == resource_type => {}
        Some(other) => return Err(format!("expected a {resource_type}, found a {other:?}")),
        None => return Err(format!("expected a {resource_type}, found no resourceType")),
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let inner = e.inner().to_string();
        // serde quotes the offending value; only its kind is kept.
        let kind = inner.split(['"', '`']).next().unwrap_or("").trim().trim_end_matches(':');
        format!("{resource_type}.{} is malformed ({kind})", e.path())
    })
}

fn numbers_of(
    telecom: &[ContactPoint],
    options: &RosterOptions,
    place: &str,
    problems: &mut Vec<Problem>,
    make: impl Fn(E164) -> RosterNumber,
) -> Vec<RosterNumber> {
    let mut out: Vec<RosterNumber> = Vec::new();
    for value in resources::textable_numbers(telecom, options.now, options.use_phone_numbers) {
        match phone::normalize(&value, options.region) {
            Ok(number) if !out.iter().any(|n| n.number == number) => out.push(make(number)),
            Ok(_) => {}
            Err(e) => problems.push(Problem {
                place: place.to_string(),
                value,
                reason: match e {
                    phone::PhoneError::Invalid { reason, .. } => format!("is not a phone number: {reason}"),
                    other => format!("is not a phone number: {other}"),
                },
            }),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn options() -> RosterOptions {
        RosterOptions {
            region: Region::default(),
            ecm_identifier_system: Some("urn:caredesk:ecm-patient-id".into()),
            use_phone_numbers: false,
            now: "2026-11-21T12:00:00Z".parse().unwrap(),
        }
    }

    fn numbers(m: &[RosterNumber]) -> Vec<(&str, NumberOwner)> {
        m.iter().map(|n| (n.number.as_str(), n.owner)).collect()
    }

    #[test]
    fn a_patients_time_zone_comes_from_the_tz_code_extension() {
        let tz = |value: serde_json::Value| {
            let p = serde_json::json!({"resourceType": "Patient", "id": "p", "name": [{"text": "Ana Lopez"}],
                "telecom": [{"system": "sms", "value": "+18055550100"}],
                "extension": [{"url": "http://example.org/other", "valueCode": "Europe/Paris"}, value]});
            patient(&p, &options()).unwrap()
        };
        let m = tz(serde_json::json!({"url": resources::TZ_CODE_EXTENSION, "valueCode": "America/Chicago"}));
        assert_eq!((m.value.time_zone.as_deref(), m.problems.len()), (Some("America/Chicago"), 0));
        let m = tz(serde_json::json!({"url": resources::TZ_CODE_EXTENSION, "valueCode": "Mars/Olympus"}));
        assert_eq!(m.value.time_zone, None);
        assert!(m.problems[0].reason.contains("not a time zone"), "{:?}", m.problems);
        let m = tz(serde_json::json!({"url": "http://example.org/none"}));
        assert_eq!((m.value.time_zone, m.problems.len()), (None, 0), "another extension is no zone");
    }

    #[test]
    fn a_patient_case_table() {
        use NumberOwner::{Contact as C, Patient as P};
        // (what the case is, the Patient's elements, numbers, active, problems)
        type Case = (&'static str, serde_json::Value, Vec<(&'static str, NumberOwner)>, bool, usize);
        let cases: Vec<Case> = vec![
            (
                "an own sms number",
                json!({"telecom": [{"system": "sms", "value": "+18055550100"}]}),
                vec![("+18055550100", P)],
                true,
                0,
            ),
            (
                "phone and email are not texted",
                json!({"telecom": [{"system": "phone", "value": "+18055550101"}, {"system": "email", "value": "a@b.c"}]}),
                vec![],
                true,
                0,
            ),
            (
                "a contact's number",
                json!({"contact": [{"name": {"text": "Luis"}, "relationship": [{"text": "son"}], "telecom": [{"system": "sms", "value": "805-555-0102"}]}]}),
                vec![("+18055550102", C)],
                true,
                0,
            ),
            (
                "ended, old and future-ended numbers",
                json!({"telecom": [
                {"system": "sms", "value": "+18055550103", "period": {"end": "2026-01-01"}},
                {"system": "sms", "value": "+18055550104", "use": "old"},
                {"system": "sms", "value": "+18055550105", "period": {"end": "2027-01-01"}}]}),
                vec![("+18055550105", P)],
                true,
                0,
            ),
            (
                "rank orders the numbers",
                json!({"telecom": [{"system": "sms", "value": "+18055550106", "rank": 2}, {"system": "sms", "value": "+18055550107", "rank": 1}]}),
                vec![("+18055550107", P), ("+18055550106", P)],
                true,
                0,
            ),
            (
                "a number written twice is once",
                json!({"telecom": [{"system": "sms", "value": "+18055550108"}, {"system": "sms", "value": "(805) 555-0108"}]}),
                vec![("+18055550108", P)],
                true,
                0,
            ),
            (
                "an unreadable number is a problem, the rest is kept",
                json!({"telecom": [{"system": "sms", "value": "call me"}, {"system": "sms", "value": "+18055550109"}]}),
                vec![("+18055550109", P)],
                true,
                1,
            ),
            (
                "active: false",
                json!({"active": false, "telecom": [{"system": "sms", "value": "+18055550110"}]}),
                vec![("+18055550110", P)],
                false,
                0,
            ),
            ("active: true", json!({"active": true}), vec![], true, 0),
            ("deceased", json!({"deceasedBoolean": true}), vec![], false, 0),
            ("deceased at a time", json!({"deceasedDateTime": "2026-01-02"}), vec![], false, 0),
            ("not deceased", json!({"deceasedBoolean": false}), vec![], true, 0),
            (
                "an ECM id that is no number",
                json!({"identifier": [{"system": "urn:caredesk:ecm-patient-id", "value": "x1"}]}),
                vec![],
                true,
                1,
            ),
        ];
        for (what, extra, want, active, problems) in cases {
            let mut value = json!({"resourceType": "Patient", "id": "p1", "name": [{"text": "Ana Lopez"}]});
            value.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
            let m = patient(&value, &options()).unwrap_or_else(|e| panic!("{what}: {e}"));
            assert_eq!(numbers(&m.value.numbers), want, "{what}");
            assert_eq!(m.value.active, active, "{what}");
            assert_eq!(m.problems.len(), problems, "{what}: {:?}", m.problems);
            for p in &m.problems {
                assert!(!p.to_string().contains("Ana"), "{what}: problems never quote the name");
                assert!(!p.without_value().contains(&p.value), "{what}: {p}");
            }
        }
    }

    #[test]
    fn phone_numbers_only_when_the_setting_allows_and_after_sms() {
        let value = json!({"resourceType": "Patient", "id": "p1", "name": [{"text": "Ana"}],
            "telecom": [{"system": "phone", "value": "+18055550111"}, {"system": "sms", "value": "+18055550112"},
                        {"system": "phone", "value": "+18055550112"}]});
        let off = patient(&value, &options()).unwrap();
        assert_eq!(numbers(&off.value.numbers), [("+18055550112", NumberOwner::Patient)]);
        let on = patient(&value, &RosterOptions { use_phone_numbers: true, ..options() }).unwrap();
        assert_eq!(
            numbers(&on.value.numbers),
            [("+18055550112", NumberOwner::Patient), ("+18055550111", NumberOwner::Patient)]
        );
    }

    #[test]
    fn resources_that_cannot_be_roster_entries_say_why() {
        let cases = [
            (json!({"resourceType": "Patient", "id": "p"}), "no name"),
            (json!({"resourceType": "Observation", "id": "p"}), "found a \"Observation\""),
            (json!({"id": "p"}), "no resourceType"),
            (json!({"resourceType": "Patient", "name": "Ana Lopez"}), "Patient.name is malformed"),
            (
                json!({"resourceType": "Patient", "name": [{"text": "A"}], "telecom": [{"system": 5}]}),
                "Patient.telecom[0].system",
            ),
            (json!({"resourceType": "Patient", "name": [{"text": "A"}], "active": "no"}), "Patient.active"),
        ];
        for (value, says) in cases {
            let e = patient(&value, &options()).unwrap_err();
            assert!(e.contains(says), "{value}: {e}");
            assert!(!e.contains("Ana Lopez"), "{e}");
        }
    }

    #[test]
    fn a_related_person_is_contact_numbers_of_the_patient_it_points_at() {
        let rp = json!({"resourceType": "RelatedPerson", "id": "r1", "patient": {"reference": "Patient/p1"},
            "name": [{"text": "Maria Diaz"}], "relationship": [{"coding": [{"code": "CAREGIVER", "display": "caregiver"}]}],
            "telecom": [{"system": "sms", "value": "805-555-0120"}, {"system": "sms", "value": "+18055550121", "period": {"end": "2020"}}]});
        let m = related_person(&rp, &options()).unwrap();
        assert_eq!((m.value.patient.as_str(), m.value.active), ("p1", true));
        assert_eq!(numbers(&m.value.numbers), [("+18055550120", NumberOwner::Contact)]);
        assert_eq!(
            (m.value.numbers[0].name.as_deref(), m.value.numbers[0].relationship.as_deref()),
            (Some("Maria Diaz"), Some("caregiver"))
        );
        let mut inactive = rp.clone();
        inactive["active"] = json!(false);
        assert!(!related_person(&inactive, &options()).unwrap().value.active);
        let mut orphan = rp.clone();
        orphan.as_object_mut().unwrap().remove("patient");
        assert!(related_person(&orphan, &options()).unwrap_err().contains("no patient reference"));
    }

    #[test]
    fn patient_references_in_every_form() {
        let cases = [
            ("Patient/p1", Some("p1")),
            ("https://fhir.example/r4/Patient/p-1.a", Some("p-1.a")),
            ("Patient/p1/_history/3", Some("p1")),
            (" Patient/p1 ", Some("p1")),
            ("Group/g1", None),
            ("Patient/", None),
            ("Patient/bad id", None),
            ("#contained", None),
            ("p1", None),
        ];
        for (reference, want) in cases {
            assert_eq!(patient_id_of(reference).as_deref(), want, "{reference}");
        }
    }

    #[test]
    fn versions_are_told_apart_by_version_id_then_time() {
        let v = |id: Option<&str>, at: Option<&str>| Version {
            version_id: id.map(Into::into),
            last_updated: at.map(Into::into),
        };
        assert_eq!(v(Some("3"), Some("2026-01-01T00:00:00Z")).key().as_deref(), Some("v:3"));
        assert_eq!(v(None, Some("2026-01-01T00:00:00Z")).key().as_deref(), Some("t:2026-01-01T00:00:00Z"));
        assert_eq!(v(None, None).key(), None);
    }
}
