//! Staff adding and editing patients: each check has its code, each change
//! its audit entry in the change's transaction, and a re-import leaves the
//! numbers staff added alone.

use super::*;
use crate::{records::import::FhirOptions, store::PhoneView};

fn open(dir: &std::path::Path) -> Desk {
    crate::desk::test_desk(dir, "Dana")
}

fn own(number: &str) -> PhoneForm {
    PhoneForm {
        number: number.into(),
        kind: PhoneKind::Patient,
        name: None,
        relationship: None,
        active: true,
        sms_consent: None,
    }
}

fn contact(number: &str, name: &str, relationship: &str) -> PhoneForm {
    PhoneForm {
        kind: PhoneKind::Contact,
        name: Some(name.into()),
        relationship: Some(relationship.into()),
        ..own(number)
    }
}

fn ana() -> PatientForm {
    PatientForm {
        name: "  Ana   Lopez ".into(),
        ecm_patient_id: Some(1001),
        phones: vec![contact("(805) 555-0101", "Luis Lopez", "son"), own("805-555-0100")],
    }
}

fn numbers(p: &PatientView) -> Vec<(&str, PhoneKind, bool)> {
    p.phones.iter().map(|p: &PhoneView| (p.number.as_str(), p.kind, p.active)).collect()
}

fn entries(desk: &Desk) -> Vec<(String, Option<i64>, String)> {
    desk.db().audit_entries(50).unwrap().into_iter().map(|e| (e.action, e.patient_id, e.detail)).collect()
}

#[test]
fn a_patient_added_by_staff_is_stored_normalized_and_audited() {
    let dir = tempfile::tempdir().unwrap();
    let desk = open(dir.path());
    let before = entries(&desk).len();
    let p = desk.add_patient(&ana()).unwrap();
    assert_eq!((p.name.as_str(), p.ecm_patient_id), ("Ana Lopez", Some(1001)));
    // The patient's own number first: the default recipient.
    assert_eq!(numbers(&p), [("+18055550100", PhoneKind::Patient, true), ("+18055550101", PhoneKind::Contact, true)]);
    assert_eq!((p.phones[1].name.as_deref(), p.phones[1].relationship.as_deref()), (Some("Luis Lopez"), Some("son")));
    assert_eq!(desk.patient("ecm:1001").unwrap().id, p.id);
    assert_eq!(desk.db().search_patients("805 555 0101", 5).unwrap().len(), 1, "searchable by the contact's number");

    let log = entries(&desk);
    assert_eq!(log.len(), before + 1);
    let (action, patient, detail) = log.last().unwrap();
    assert_eq!((action.as_str(), *patient), ("patient.add", Some(p.id)));
    assert!(detail.contains("added with an ECM id") && detail.contains("(patient)"), "{detail}");
    assert!(!detail.contains("5550100") && !detail.contains("Lopez"), "numbers redacted, no names: {detail}");
    assert!(desk.db().verify_audit().unwrap().problem.is_none());
}

#[test]
fn bad_input_is_refused_with_a_code_per_field_and_nothing_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let desk = open(dir.path());
    let first = desk.add_patient(&ana()).unwrap();
    let count = desk.db().patient_count().unwrap();
    let audited = entries(&desk).len();
    let with = |f: fn(&mut PatientForm)| {
        let mut form = ana();
        form.ecm_patient_id = Some(2002);
        f(&mut form);
        form
    };
    let cases: Vec<(&str, PatientForm, ErrorCode, &str)> = vec![
        ("empty name", with(|f| f.name = "   ".into()), ErrorCode::InvalidName, "name is empty"),
        ("long name", with(|f| f.name = "x".repeat(201)), ErrorCode::InvalidName, "201 characters"),
        ("ECM id 0", with(|f| f.ecm_patient_id = Some(0)), ErrorCode::InvalidEcmId, "above 0"),
        ("taken ECM id", with(|f| f.ecm_patient_id = Some(1001)), ErrorCode::DuplicateEcmId, "already patient"),
        ("bad number", with(|f| f.phones[1].number = "555".into()), ErrorCode::InvalidPhone, "\"555\""),
        ("letters", with(|f| f.phones[1].number = "call me".into()), ErrorCode::InvalidPhone, "letters"),
        (
            "one number twice",
            with(|f| f.phones[0].number = "+1 805 555 0100".into()),
            ErrorCode::DuplicateNumber,
            "listed twice",
        ),
        ("no number", with(|f| f.phones.clear()), ErrorCode::NumberRequired, "at least one"),
        (
            "only old numbers",
            with(|f| f.phones.iter_mut().for_each(|p| p.active = false)),
            ErrorCode::NumberRequired,
            "at least one",
        ),
        (
            "long relationship",
            with(|f| f.phones[0].relationship = Some("r".repeat(101))),
            ErrorCode::InvalidContact,
            "relationship is too long",
        ),
    ];
    for (what, form, code, words) in cases {
        let e = desk.add_patient(&form).unwrap_err();
        assert_eq!(e.code(), code, "{what}: {e}");
        assert!(e.to_string().contains(words), "{what}: {e}");
    }
    // The same checks on an edit, and the ECM id a patient already has is theirs to keep.
    let mut taken = ana();
    taken.name = "Ben Carter".into();
    taken.ecm_patient_id = Some(1002);
    taken.phones = vec![own("+18055550102")];
    let ben = desk.add_patient(&taken).unwrap();
    let e = desk.edit_patient(ben.id, &PatientForm { ecm_patient_id: Some(1001), ..taken.clone() }).unwrap_err();
    assert_eq!(e.code(), ErrorCode::DuplicateEcmId, "{e}");
    assert!(e.to_string().contains(&format!("patient {}", first.id)), "{e}");
    assert!(desk.edit_patient(ben.id, &taken).is_ok(), "its own ECM id is no conflict");
    assert_eq!(desk.edit_patient(999, &taken).unwrap_err().code(), ErrorCode::NotFound);
    assert_eq!(desk.db().patient_count().unwrap(), count + 1, "only Ben was added");
    assert_eq!(
        entries(&desk).len(),
        audited + 1,
        "a refused change writes no entry; an edit that changes nothing neither"
    );
}

#[test]
fn an_edit_changes_what_it_lists_and_the_audit_entry_says_what() {
    let dir = tempfile::tempdir().unwrap();
    let desk = open(dir.path());
    let p = desk.add_patient(&ana()).unwrap();
    let form = PatientForm {
        name: "Ana María Lopez".into(),
        ecm_patient_id: Some(1010),
        phones: vec![
            PhoneForm { active: false, ..own("+18055550100") },
            PhoneForm { relationship: Some("grandson".into()), ..contact("+18055550101", "Luis Lopez", "son") },
            own("(805) 555-0111"),
        ],
    };
    let edited = desk.edit_patient(p.id, &form).unwrap();
    assert_eq!((edited.name.as_str(), edited.ecm_patient_id), ("Ana María Lopez", Some(1010)));
    assert_eq!(
        numbers(&edited),
        [
            ("+18055550111", PhoneKind::Patient, true),
            ("+18055550101", PhoneKind::Contact, true),
            ("+18055550100", PhoneKind::Patient, false),
        ],
        "the new own number is the default; the old one no longer used, kept"
    );
    assert_eq!(edited.phones[1].relationship.as_deref(), Some("grandson"));
    assert_eq!(desk.db().search_patients("maría", 5).unwrap().len(), 1, "the new name is searchable");
    let (action, patient, detail) = entries(&desk).pop().unwrap();
    assert_eq!((action.as_str(), patient), ("patient.edit", Some(p.id)));
    for part in ["name changed", "ECM id changed", "no longer used", "relationship changed", "added (patient)"] {
        assert!(detail.contains(part), "{part} in {detail}");
    }
    // A send goes to a current number only: the deactivated one needs confirming.
    let e = crate::engine::recipient::choose(&edited, Some("+18055550100"), false, Region::default()).unwrap_err();
    assert_eq!(e.code(), ErrorCode::NumberNotOnFile);

    // Deactivating through the CLI's way, and the number it names must be hers.
    let after = desk.deactivate_number(p.id, "805-555-0101").unwrap();
    assert!(!after.phones.iter().find(|n| n.number == "+18055550101").unwrap().active);
    assert_eq!(desk.deactivate_number(p.id, "+18055550199").unwrap_err().code(), ErrorCode::NotFound);
}

#[test]
fn consent_changes_only_when_the_form_says_so_and_is_audited_as_staffs() {
    let dir = tempfile::tempdir().unwrap();
    let desk = open(dir.path());
    // A number that opted out (STOP) before staff added it stays opted out.
    desk.db().set_consent("+18055550100", false, "keyword", None, "system", "replied STOP").unwrap();
    let p = desk.add_patient(&ana()).unwrap();
    assert!(p.phones[0].opted_out, "adding a number does not opt it back in");
    let mut form = ana();
    form.phones[0].sms_consent = Some(false); // Luis says no more texts.
    let p = desk.edit_patient(p.id, &form).unwrap();
    let luis = p.phones.iter().find(|n| n.number == "+18055550101").unwrap();
    assert!(luis.opted_out);
    let (action, patient, detail) = entries(&desk).pop().unwrap();
    assert_eq!((action.as_str(), patient), ("consent.change", Some(p.id)));
    assert!(detail.contains("opted_out (staff)"), "{detail}");
    // Consent given again, recorded by staff.
    form.phones[0].sms_consent = Some(true);
    assert!(!desk.edit_patient(p.id, &form).unwrap().phones.iter().any(|n| n.number == "+18055550101" && n.opted_out));
}

#[test]
fn a_failed_audit_entry_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let desk = open(dir.path());
    desk.db()
        .conn()
        .execute_batch(
            "CREATE TEMP TRIGGER no_audit BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'disk full'); END;",
        )
        .unwrap();
    assert!(desk.add_patient(&ana()).is_err());
    assert_eq!(desk.db().patient_count().unwrap(), 0, "the patient rolled back with its entry");
}

#[test]
fn a_reimport_leaves_numbers_staff_added_or_linked_alone() {
    let dir = tempfile::tempdir().unwrap();
    let mut desk = open(dir.path());
    let csv = "ecm_patient_id,name,phone\n1001,Ana Lopez,+18055550100\n";
    let fhir = FhirOptions {
        region: Region::default(),
        ecm_identifier_system: None,
        use_phone_numbers: false,
        now: chrono::Utc::now(),
    };
    let import = |desk: &mut Desk| {
        crate::records::import::import(desk.db_mut(), "r.csv", csv, Region::default(), &fhir, &mut |_| {}, "Dana")
            .unwrap()
    };
    import(&mut desk);
    let id = desk.patient("ecm:1001").unwrap().id;
    let edit = PatientEdit { add: vec![contact("+18055550101", "Luis", "son")], ..Default::default() };
    let form = edit.apply_to(&desk.patient("ecm:1001").unwrap(), Region::default()).unwrap();
    desk.edit_patient(id, &form).unwrap();
    crate::engine::threads::link_number(desk.db(), "+18055550199", id, &Default::default(), "Dana", Region::default())
        .unwrap();
    import(&mut desk);
    let p = desk.patient("ecm:1001").unwrap();
    assert_eq!(
        numbers(&p),
        [
            ("+18055550100", PhoneKind::Patient, true),
            ("+18055550101", PhoneKind::Contact, true),
            ("+18055550199", PhoneKind::Contact, true),
        ],
        "the roster governs only the numbers it lists"
    );
}

#[test]
fn the_cli_edit_is_the_patient_as_they_are_with_its_changes() {
    let view = PatientView {
        id: 1,
        name: "Ana".into(),
        ecm_patient_id: Some(7),
        fhir_id: None,
        fhir_status: None,
        phones: vec![PhoneView {
            number: "+18055550100".into(),
            kind: PhoneKind::Patient,
            name: None,
            relationship: None,
            opted_out: false,
            active: true,
        }],
        time_zone: None,
    };
    let edit = PatientEdit {
        ecm_patient_id: Some(None),
        add: vec![contact("805 555 0101", "Luis", "son")],
        // The number it adds may be opted out in the same edit.
        opt_out: vec!["(805) 555-0100".into(), "8055550101".into()],
        ..Default::default()
    };
    let form = edit.apply_to(&view, Region::default()).unwrap();
    assert_eq!((form.name.as_str(), form.ecm_patient_id), ("Ana", None));
    assert_eq!(form.phones.len(), 2);
    assert_eq!((form.phones[0].sms_consent, form.phones[0].active), (Some(false), true));
    assert_eq!((form.phones[1].number.as_str(), form.phones[1].sms_consent), ("+18055550101", Some(false)));
    let unknown = PatientEdit { deactivate: vec!["+18055550199".into()], ..Default::default() };
    assert_eq!(unknown.apply_to(&view, Region::default()).unwrap_err().code(), ErrorCode::NotFound);
}
