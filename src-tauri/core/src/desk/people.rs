//! Patients and their numbers as staff add and edit them in the app or the
//! CLI, without a roster file: the checks, and the one transaction that
//! writes a change with its audit entry (and consent changes with theirs).
//!
//! - A patient has a name (not empty), an optional ECM patient id (a
//!   positive number no other patient has) and at least one current number
//!   when added.
//! - A number is normalized with [`crate::rules::phone`]; one number is listed once.
//!   Its kind is the patient's own or a contact's (a contact has an optional
//!   name and relationship).
//! - Numbers are never removed: an edit lists the numbers it adds or
//!   changes, and a number staff no longer want texted is made inactive
//!   ("no longer used"), keeping its history and consent.
//! - SMS consent is a fact about a number ([`crate::store`]'s
//!   `sms_consent`): an edit changes it only when it says so, and staff
//!   recording consent is audited like a keyword's.

use serde::{Deserialize, Serialize};

use crate::{
    desk::Desk,
    rules::error::{CoreError, ErrorCode, Result},
    rules::phone::{self, PhoneError, Region, E164},
    rules::redact,
    store::{
        now_rfc3339,
        people::{insert_patient, put_number, rank_numbers, update_patient},
        NumberChange, PatientView, PhoneKind, StaffNumber, StaffPatient,
    },
};

/// The longest patient name accepted.
pub const MAX_NAME_CHARS: usize = 200;
/// The longest contact name or relationship accepted.
pub const MAX_CONTACT_CHARS: usize = 100;

/// Why a patient or a number was refused. Each has its own code, so the
/// app shows the message beside the field it is about.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeopleError {
    #[error("the patient's name is empty: give their name")]
    NameRequired,
    #[error("the name is too long: {0} characters, at most {MAX_NAME_CHARS}")]
    NameTooLong(usize),
    #[error("the ECM patient id must be a whole number above 0, not {0}")]
    InvalidEcmId(i64),
    #[error("ECM patient id {ecm} is already patient {other}'s: each patient has their own ECM id")]
    DuplicateEcmId { ecm: i64, other: i64 },
    #[error(transparent)]
    Phone(#[from] PhoneError),
    #[error("{} is listed twice: list each number once", redact::phone(.0))]
    DuplicateNumber(String),
    #[error("give at least one phone number: the patient's own or a contact's")]
    NumberRequired,
    #[error("the contact's {field} is too long: {len} characters, at most {MAX_CONTACT_CHARS}")]
    ContactTooLong { field: &'static str, len: usize },
    #[error("{} is not one of the patient's numbers", redact::phone(.0))]
    NumberNotFound(String),
}

impl crate::rules::error::CodedError for PeopleError {
    fn code(&self) -> crate::rules::error::ErrorCode {
        PeopleError::code(self)
    }
}

impl PeopleError {
    pub fn code(&self) -> ErrorCode {
        match self {
            PeopleError::NameRequired | PeopleError::NameTooLong(_) => ErrorCode::InvalidName,
            PeopleError::InvalidEcmId(_) => ErrorCode::InvalidEcmId,
            PeopleError::DuplicateEcmId { .. } => ErrorCode::DuplicateEcmId,
            PeopleError::Phone(_) => ErrorCode::InvalidPhone,
            PeopleError::DuplicateNumber(_) => ErrorCode::DuplicateNumber,
            PeopleError::NumberRequired => ErrorCode::NumberRequired,
            PeopleError::ContactTooLong { .. } => ErrorCode::InvalidContact,
            PeopleError::NumberNotFound(_) => ErrorCode::NotFound,
        }
    }
}

/// One number as staff enter it (as typed: it is normalized here).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct PhoneForm {
    pub number: String,
    pub kind: PhoneKind,
    /// A contact's name; ignored for the patient's own number.
    #[serde(default)]
    pub name: Option<String>,
    /// A contact's relationship (son, caregiver); ignored for the patient's own number.
    #[serde(default)]
    pub relationship: Option<String>,
    /// Current, or no longer used (not texted without confirming another number).
    #[serde(default = "yes")]
    pub active: bool,
    /// SMS consent: `Some(false)` records an opt-out by staff, `Some(true)`
    /// consent given again; `None` leaves the number's consent as it is.
    #[serde(default)]
    pub sms_consent: Option<bool>,
}

fn yes() -> bool {
    true
}

/// A patient as staff enter it: added whole, or edited (its numbers listed
/// here are added or changed, the others left as they are).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct PatientForm {
    pub name: String,
    /// `None` when the patient has no ECM id (an edit clears it).
    #[serde(default)]
    pub ecm_patient_id: Option<i64>,
    #[serde(default)]
    pub phones: Vec<PhoneForm>,
}

/// A form checked: fields trimmed, numbers E.164.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Checked {
    patient: StaffPatient,
    numbers: Vec<(StaffNumber, Option<bool>)>,
}

fn cleaned(value: Option<&str>, field: &'static str) -> std::result::Result<Option<String>, PeopleError> {
    let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) else { return Ok(None) };
    let len = v.chars().count();
    if len > MAX_CONTACT_CHARS {
        return Err(PeopleError::ContactTooLong { field, len });
    }
    Ok(Some(v.to_string()))
}

/// A contact's name and relationship trimmed, empty as none, not too long.
pub fn contact_fields(
    name: Option<&str>,
    relationship: Option<&str>,
) -> std::result::Result<(Option<String>, Option<String>), PeopleError> {
    Ok((cleaned(name, "name")?, cleaned(relationship, "relationship")?))
}

fn check(form: &PatientForm, region: Region) -> std::result::Result<Checked, PeopleError> {
    let name = form.name.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() {
        return Err(PeopleError::NameRequired);
    }
    let len = name.chars().count();
    if len > MAX_NAME_CHARS {
        return Err(PeopleError::NameTooLong(len));
    }
    if let Some(ecm) = form.ecm_patient_id.filter(|e| *e <= 0) {
        return Err(PeopleError::InvalidEcmId(ecm));
    }
    let mut numbers: Vec<(StaffNumber, Option<bool>)> = Vec::with_capacity(form.phones.len());
    for p in &form.phones {
        let number = phone::normalize(&p.number, region)?;
        if numbers.iter().any(|(n, _)| n.number == number) {
            return Err(PeopleError::DuplicateNumber(number.to_string()));
        }
        let (name, relationship) = match p.kind {
            PhoneKind::Patient => (None, None),
            PhoneKind::Contact => contact_fields(p.name.as_deref(), p.relationship.as_deref())?,
        };
        numbers.push((StaffNumber { number, kind: p.kind, name, relationship, active: p.active }, p.sms_consent));
    }
    Ok(Checked { patient: StaffPatient { name, ecm_patient_id: form.ecm_patient_id }, numbers })
}

/// What the audit entry says of a number: redacted, with what changed.
fn number_detail(n: &StaffNumber, change: &NumberChange) -> Option<String> {
    let number = redact::phone(n.number.as_str());
    match change {
        NumberChange::Added => Some(format!(
            "number {number} added ({}{})",
            n.kind.as_str(),
            if n.active { "" } else { ", no longer used" }
        )),
        NumberChange::Changed(what) => Some(format!("number {number}: {}", what.join(", "))),
        NumberChange::Unchanged => None,
    }
}

impl Desk {
    /// Sets a patient's time zone (an IANA name like America/Chicago;
    /// empty or `clinic`: the clinic's zone). Quiet hours follow it. Audited.
    pub fn set_patient_time_zone(&self, reference: &str, zone: &str) -> Result<PatientView> {
        let patient = self.patient(reference)?;
        let zone = zone.trim();
        let zone = match zone {
            "" | "clinic" => None,
            z => Some(z.parse::<chrono_tz::Tz>().map(|tz| tz.name().to_string()).map_err(|_| {
                CoreError::InvalidMessage(format!("{z:?} is not a time zone name like America/Chicago"))
            })?),
        };
        self.db().set_patient_time_zone(patient.id, zone.as_deref(), &self.actor())?;
        self.patient(&patient.id.to_string())
    }

    /// Adds a patient (checked, audited as `patient.add` in the same
    /// transaction, with any consent staff record) and returns it.
    pub fn add_patient(&self, form: &PatientForm) -> Result<PatientView> {
        let checked = check(form, self.region())?;
        if !checked.numbers.iter().any(|(n, _)| n.active) {
            return Err(PeopleError::NumberRequired.into());
        }
        let id = self.write_patient(None, &checked)?;
        self.db().patient(id)?.ok_or_else(|| CoreError::PatientNotFound(id.to_string()))
    }

    /// Edits patient `id`: its name and ECM id as the form gives them, the
    /// numbers it lists added or changed (the others left as they are).
    /// Audited as `patient.edit` with what changed; nothing changed, no entry.
    pub fn edit_patient(&self, id: i64, form: &PatientForm) -> Result<PatientView> {
        if self.db().patient(id)?.is_none() {
            return Err(CoreError::PatientNotFound(id.to_string()));
        }
        let checked = check(form, self.region())?;
        self.write_patient(Some(id), &checked)?;
        self.db().patient(id)?.ok_or_else(|| CoreError::PatientNotFound(id.to_string()))
    }

    /// Makes one of the patient's numbers inactive ("no longer used").
    pub fn deactivate_number(&self, id: i64, number: &str) -> Result<PatientView> {
        let patient = self.db().patient(id)?.ok_or_else(|| CoreError::PatientNotFound(id.to_string()))?;
        let edit = PatientEdit { deactivate: vec![number.to_string()], ..Default::default() };
        let form = edit.apply_to(&patient, self.region())?;
        self.edit_patient(id, &form)
    }

    fn write_patient(&self, id: Option<i64>, checked: &Checked) -> Result<i64> {
        let (db, actor, now) = (self.db(), self.actor(), now_rfc3339());
        let action = if id.is_none() { "patient.add" } else { "patient.edit" };
        db.atomically(|c| {
            if let Some(ecm) = checked.patient.ecm_patient_id {
                if let Some((other, _)) = db.ecm_id_holder(ecm, id)? {
                    return Err(CoreError::from(PeopleError::DuplicateEcmId { ecm, other }));
                }
            }
            let (id, mut detail) = match id {
                None => {
                    let id = insert_patient(c, &checked.patient, &now)?;
                    let ecm = if checked.patient.ecm_patient_id.is_some() { " with an ECM id" } else { "" };
                    (id, vec![format!("patient {id} added{ecm}")])
                }
                Some(id) => {
                    let changed = update_patient(c, id, &checked.patient, &now)?;
                    (id, changed.iter().map(|what| format!("{what} changed")).collect())
                }
            };
            for (n, _) in &checked.numbers {
                let change = put_number(c, id, n, &now)?;
                detail.extend(number_detail(n, &change));
            }
            rank_numbers(c, id)?;
            if !detail.is_empty() {
                db.audit_on(c, &actor, action, Some(id), &detail.join("; "))?;
            }
            for (n, consent) in &checked.numbers {
                if let Some(opted_in) = consent {
                    let note = if *opted_in { "consent recorded by staff" } else { "opt-out recorded by staff" };
                    db.set_consent(n.number.as_str(), *opted_in, "staff", None, &actor, note)?;
                }
            }
            Ok::<_, CoreError>(id)
        })
    }
}

/// An edit as the CLI says it: what to change, on top of the patient as they
/// are (`caredesk patients edit ID --name … --add-phone …`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PatientEdit {
    pub name: Option<String>,
    /// `Some(None)` clears the ECM id.
    pub ecm_patient_id: Option<Option<i64>>,
    /// New numbers (or numbers made current again, with these fields).
    pub add: Vec<PhoneForm>,
    pub deactivate: Vec<String>,
    pub opt_out: Vec<String>,
    pub opt_in: Vec<String>,
}

impl PatientEdit {
    /// The whole form for [`Desk::edit_patient`]: the patient as they are,
    /// with this edit's changes. Numbers to deactivate or whose consent
    /// changes must be the patient's.
    pub fn apply_to(&self, patient: &PatientView, region: Region) -> Result<PatientForm> {
        let mut phones: Vec<PhoneForm> = patient
            .phones
            .iter()
            .map(|p| PhoneForm {
                number: p.number.clone(),
                kind: p.kind,
                name: p.name.clone(),
                relationship: p.relationship.clone(),
                active: p.active,
                sms_consent: None,
            })
            .collect();
        // Numbers added first: the same edit may make one inactive or opt it out.
        for add in &self.add {
            let number = phone::normalize(&add.number, region).map_err(PeopleError::from)?;
            let form = PhoneForm { number: number.to_string(), ..add.clone() };
            match phones.iter_mut().find(|p| p.number == number.as_str()) {
                Some(known) => *known = form,
                None => phones.push(form),
            }
        }
        for n in &self.deactivate {
            let i = position(&phones, n, region)?;
            phones[i].active = false;
        }
        for (numbers, consent) in [(&self.opt_out, false), (&self.opt_in, true)] {
            for n in numbers {
                let i = position(&phones, n, region)?;
                phones[i].sms_consent = Some(consent);
            }
        }
        Ok(PatientForm {
            name: self.name.clone().unwrap_or_else(|| patient.name.clone()),
            ecm_patient_id: self.ecm_patient_id.unwrap_or(patient.ecm_patient_id),
            phones,
        })
    }
}

/// Where the number `typed` is among `phones` (E.164); not there is [`PeopleError::NumberNotFound`].
fn position(phones: &[PhoneForm], typed: &str, region: Region) -> Result<usize> {
    let number: E164 = phone::normalize(typed, region).map_err(PeopleError::from)?;
    phones
        .iter()
        .position(|p| p.number == number.as_str())
        .ok_or_else(|| PeopleError::NumberNotFound(number.to_string()).into())
}

#[cfg(test)]
#[path = "people_tests.rs"]
mod tests;
