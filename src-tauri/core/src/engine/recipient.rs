//! Which number a send or a call goes to: one of the patient's numbers on
//! file, or another number only when staff confirm it (the request's
//! `other_number`), which the audit entry of the send or call then records.
//! Without this check any number could be filed into any patient's thread
//! and ECM record.

use crate::{
    rules::error::{CoreError, Result},
    rules::phone::{self, Region, E164},
    store::{FhirStatus, PatientView},
};

/// The number chosen, and whether it is another number than the patient's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub number: E164,
    /// Not one of the patient's numbers on file: sent because staff confirmed it.
    pub other: bool,
}

/// The patient's current numbers: a send or call may go to them without
/// confirmation (an inactive one, no longer used, needs it).
fn on_file(patient: &PatientView) -> impl Iterator<Item = &str> {
    patient.phones.iter().filter(|p| p.active).map(|p| p.number.as_str())
}

/// `to` normalized when it is one of the patient's numbers, or when
/// `other_number` confirms another one; with no `to`, the patient's
/// preferred number. A number not on file without confirmation is
/// [`CoreError::NumberNotOnFile`].
pub fn choose(patient: &PatientView, to: Option<&str>, other_number: bool, region: Region) -> Result<Recipient> {
    messageable(patient)?;
    let Some(typed) = to else {
        if other_number {
            return Err(CoreError::InvalidMessage(
                "an other number was confirmed but no number was given: give the number to use".into(),
            ));
        }
        return on_file(patient)
            .next()
            .map(|n| Recipient { number: E164::from_trusted(n.to_string()), other: false })
            .ok_or_else(|| CoreError::InvalidMessage(format!("{} has no current phone number", patient.name)));
    };
    let number = phone::normalize(typed, region)?;
    if on_file(patient).any(|n| n == number.as_str()) {
        return Ok(Recipient { number, other: false });
    }
    if other_number {
        return Ok(Recipient { number, other: true });
    }
    Err(CoreError::NumberNotOnFile { number: number.to_string(), patient: patient.id.to_string() })
}

/// A patient the FHIR server says is inactive (or deceased) or deleted gets
/// nothing, whichever number is chosen, even a confirmed other one.
pub fn messageable(patient: &PatientView) -> Result<()> {
    let standing = match patient.fhir_status {
        Some(FhirStatus::Inactive) => "inactive (active: false, or deceased)",
        Some(FhirStatus::Deleted) => "deleted",
        Some(FhirStatus::Active) | None => return Ok(()),
    };
    Err(CoreError::PatientInactive { patient: patient.id.to_string(), standing })
}

/// What the audit entry of a send or call adds for another number.
pub const OTHER_NUMBER_AUDIT: &str = "other number, not one of the patient's numbers, confirmed by staff";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{PhoneKind, PhoneView};

    fn ana() -> PatientView {
        let phone = |n: &str, kind, active| PhoneView {
            number: n.into(),
            kind,
            name: None,
            relationship: None,
            opted_out: false,
            active,
        };
        PatientView {
            id: 1,
            name: "Ana Lopez".into(),
            ecm_patient_id: Some(1001),
            fhir_id: None,
            fhir_status: None,
            phones: vec![
                phone("+18055550109", PhoneKind::Patient, false),
                phone("+18055550100", PhoneKind::Patient, true),
                phone("+18055550101", PhoneKind::Contact, true),
            ],
            time_zone: None,
        }
    }

    #[test]
    fn a_number_on_file_or_a_confirmed_other_one() {
        let us = Region::default();
        let p = ana();
        let ok = |to: Option<&str>, other: bool| choose(&p, to, other, us).map(|r| (r.number.to_string(), r.other));
        assert_eq!(ok(None, false).unwrap(), ("+18055550100".into(), false));
        assert_eq!(ok(Some("(805) 555-0101"), false).unwrap(), ("+18055550101".into(), false));
        assert_eq!(ok(Some("+18055550101"), true).unwrap(), ("+18055550101".into(), false), "on file: not other");
        assert_eq!(ok(Some("805-555-0199"), true).unwrap(), ("+18055550199".into(), true));
        let e = ok(Some("805-555-0199"), false).unwrap_err();
        assert!(matches!(e, CoreError::NumberNotOnFile { .. }), "{e}");
        assert_eq!(e.code(), crate::rules::error::ErrorCode::NumberNotOnFile);
        // The message reaches logs and scripts: the number redacted, no name.
        let text = e.to_string();
        assert!(text.contains("+1********99") && !text.contains("5550199") && !text.contains("Ana"), "{e}");
        assert!(matches!(ok(None, true).unwrap_err(), CoreError::InvalidMessage(_)));
        // A number she no longer uses is not hers to text without confirmation.
        assert!(matches!(ok(Some("+18055550109"), false).unwrap_err(), CoreError::NumberNotOnFile { .. }));
        assert_eq!(ok(Some("+18055550109"), true).unwrap(), ("+18055550109".into(), true));
        let mut gone = ana();
        gone.phones.retain(|p| !p.active);
        let e = choose(&gone, None, false, us).unwrap_err();
        assert!(e.to_string().contains("no current phone number"), "an inactive number is never the default: {e}");
        assert!(ok(Some("12345"), true).unwrap_err().downcast_ref::<crate::rules::phone::PhoneError>().is_some());
    }

    #[test]
    fn a_patient_the_fhir_server_made_inactive_or_deleted_gets_nothing() {
        let us = Region::default();
        for (status, says) in [(FhirStatus::Inactive, "inactive"), (FhirStatus::Deleted, "deleted")] {
            let p = PatientView { fhir_status: Some(status), ..ana() };
            for (to, other) in [(None, false), (Some("+18055550100"), false), (Some("805-555-0199"), true)] {
                let e = choose(&p, to, other, us).unwrap_err();
                assert_eq!(e.code(), crate::rules::error::ErrorCode::PatientInactive, "{status:?} {to:?}");
                assert!(e.to_string().contains(says) && !e.to_string().contains("Ana"), "{e}");
            }
        }
        let active = PatientView { fhir_status: Some(FhirStatus::Active), ..ana() };
        assert!(choose(&active, None, false, us).is_ok());
    }
}
