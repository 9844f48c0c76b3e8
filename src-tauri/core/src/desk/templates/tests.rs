//! Templates merged for a patient with the desk's values.

use std::collections::BTreeMap;

use super::*;
use crate::{
    desk::people::{PatientForm, PhoneForm},
    rules::error::ErrorCode,
    rules::segments::SmsEncoding,
    store::PhoneKind,
};

fn open(dir: &std::path::Path) -> Desk {
    crate::desk::test_desk(dir, "Dana Ruiz")
}

fn patient(desk: &Desk, name: &str) -> String {
    let phone = PhoneForm {
        number: "805-555-0100".into(),
        kind: PhoneKind::Patient,
        name: None,
        relationship: None,
        active: true,
        sms_consent: None,
    };
    let p = desk.add_patient(&PatientForm { name: name.into(), ecm_patient_id: None, phones: vec![phone] }).unwrap();
    p.id.to_string()
}

#[test]
fn a_template_merges_with_the_patient_the_clinic_and_the_coordinator() {
    let dir = tempfile::tempdir().unwrap();
    let desk = open(dir.path());
    let ana = patient(&desk, "Ana Lopez");
    desk.add_template(
        "Reminder",
        "Hi {first_name} {last_name}, {clinic_name} at {appointment_time}. {coordinator_name}",
    )
    .unwrap();
    let none = BTreeMap::new();
    let p = desk.preview_template("reminder", &ana, &none).unwrap();
    assert_eq!((p.text, p.missing), (None, vec!["clinic_name".to_string(), "appointment_time".to_string()]));
    let e = desk.merge_template("Reminder", &ana, &none).unwrap_err();
    assert_eq!(e.code(), ErrorCode::MissingMergeField);
    assert!(e.to_string().contains("{clinic_name}, {appointment_time}"), "{e}");

    desk.set_setting("clinic.name", "North Clinic").unwrap();
    let extra = BTreeMap::from([("appointment_time".to_string(), "9:30".to_string())]);
    let p = desk.preview_template("Reminder", &ana, &extra).unwrap();
    let text = "Hi Ana Lopez, North Clinic at 9:30. Dana Ruiz";
    assert_eq!(p.text.as_deref(), Some(text));
    assert_eq!(p.size.map(|s| (s.encoding, s.segments)), Some((SmsEncoding::Gsm7, 1)));
    assert_eq!(desk.merge_template("Reminder", &ana, &extra).unwrap(), text);
}

#[test]
fn templates_are_checked_before_they_are_stored() {
    let dir = tempfile::tempdir().unwrap();
    let desk = open(dir.path());
    assert_eq!(desk.add_template("Bad", "Hi {first_name").unwrap_err().code(), ErrorCode::InvalidMessage);
    assert_eq!(desk.add_template("Empty", "  ").unwrap_err().code(), ErrorCode::InvalidMessage);
    desk.add_template("Ok", "Hi {first_name}").unwrap();
    assert_eq!(desk.edit_template("Ok", "{oops").unwrap_err().code(), ErrorCode::InvalidMessage);
    assert_eq!(desk.templates().unwrap()[0].text, "Hi {first_name}");
    desk.remove_template("ok").unwrap();
    assert!(desk.templates().unwrap().is_empty());
    let audit: Vec<String> = desk.db().audit_entries(20).unwrap().into_iter().map(|e| e.action).collect();
    assert!(audit.contains(&"template.add".to_string()) && audit.contains(&"template.remove".to_string()), "{audit:?}");
}
