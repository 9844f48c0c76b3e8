//! Tests of `store::fhir_roster`: a patient made from their records, again
//! and again, as the server changes them.

use super::*;
use crate::{
    rules::fhir::roster::{NumberOwner, RosterNumber},
    rules::phone::{normalize, Region},
    store::{now_rfc3339, test_db, upsert_patient, PatientInput, PhoneKind},
};

fn number(n: &str, owner: NumberOwner, name: Option<&str>) -> RosterNumber {
    RosterNumber {
        number: normalize(n, Region::default()).unwrap(),
        owner,
        name: name.map(Into::into),
        relationship: name.map(|_| "son".into()),
    }
}

fn ana(numbers: Vec<RosterNumber>, active: bool) -> FhirRecord {
    FhirRecord::Patient(RosterPatient {
        id: Some("p1".into()),
        name: "Ana Lopez".into(),
        ecm_patient_id: Some(1001),
        active,
        numbers,
        time_zone: None,
    })
}

fn son(numbers: Vec<RosterNumber>, active: bool) -> FhirRecord {
    FhirRecord::RelatedPerson(RosterRelatedPerson { id: Some("r1".into()), patient: "p1".into(), active, numbers })
}

/// Stores `records` (with version `v`) and applies patient p1, in one transaction.
fn pull(db: &mut Database, records: &[(&str, FhirRecord)], v: &str) -> PatientApply {
    let tx = db.conn_mut().transaction().unwrap();
    let now = now_rfc3339();
    for (id, r) in records {
        put_fhir_record(&tx, id, v, None, r, &now).unwrap();
    }
    let out = apply_fhir_patient(&tx, "p1", &ImportRun::new(), &now).unwrap();
    tx.commit().unwrap();
    out
}

fn current(db: &Database, id: i64) -> Vec<String> {
    db.patient(id).unwrap().unwrap().phones.into_iter().filter(|p| p.active).map(|p| p.number).collect()
}

const OWN: &str = "+18055550100";
const SON: &str = "+18055550101";
const NEW: &str = "+18055550102";

#[test]
fn a_patient_with_a_related_person_then_changes_then_deactivation() {
    let (_d, mut db) = test_db();
    let own = number(OWN, NumberOwner::Patient, None);
    let first = pull(
        &mut db,
        &[
            ("p1", ana(vec![own.clone()], true)),
            ("r1", son(vec![number(SON, NumberOwner::Contact, Some("Luis"))], true)),
        ],
        "1",
    );
    assert!(first.created && first.changed && !first.deactivated, "{first:?}");
    let id = first.patient_id.unwrap();
    assert_eq!(current(&db, id), [OWN, SON]);
    let view = db.patient(id).unwrap().unwrap();
    assert_eq!((view.fhir_id.as_deref(), view.fhir_status), (Some("p1"), Some(FhirStatus::Active)));

    // The same versions again: nothing changes.
    let again = pull(&mut db, &[("p1", ana(vec![own.clone()], true))], "1");
    assert!(!again.created && !again.changed, "{again:?}");

    // The patient's number changes on the server: the old one is history.
    let changed = pull(&mut db, &[("p1", ana(vec![number(NEW, NumberOwner::Patient, None)], true))], "2");
    assert_eq!((changed.numbers_added, changed.numbers_removed, changed.changed), (1, 1, true));
    assert_eq!(current(&db, id), [NEW, SON]);

    // The RelatedPerson ends: its number is no longer the patient's.
    let ended = pull(&mut db, &[("r1", son(vec![number(SON, NumberOwner::Contact, Some("Luis"))], false))], "3");
    assert_eq!((ended.numbers_removed, ended.deactivated), (1, false));
    assert_eq!(current(&db, id), [NEW]);

    // active: false: not messageable, shown as such; numbers kept.
    let inactive = pull(&mut db, &[("p1", ana(vec![number(NEW, NumberOwner::Patient, None)], false))], "4");
    assert!(inactive.deactivated && inactive.changed, "{inactive:?}");
    assert_eq!(db.patient(id).unwrap().unwrap().fhir_status, Some(FhirStatus::Inactive));
    let back = pull(&mut db, &[("p1", ana(vec![number(NEW, NumberOwner::Patient, None)], true))], "5");
    assert!(back.reactivated, "{back:?}");

    // Deleted on the server.
    let tx = db.conn_mut().transaction().unwrap();
    assert_eq!(mark_fhir_deleted(&tx, FhirKind::Patient, "p1", &now_rfc3339()).unwrap().as_deref(), Some("p1"));
    let gone = apply_fhir_patient(&tx, "p1", &ImportRun::new(), &now_rfc3339()).unwrap();
    assert_eq!(mark_fhir_deleted(&tx, FhirKind::Patient, "p1", &now_rfc3339()).unwrap(), None, "once");
    tx.commit().unwrap();
    assert!(gone.deactivated && gone.changed, "{gone:?}");
    assert_eq!(db.patient(id).unwrap().unwrap().fhir_status, Some(FhirStatus::Deleted));
    assert_eq!(db.fhir_live_ids(FhirKind::Patient).unwrap(), Vec::<String>::new());
}

#[test]
fn the_server_wins_but_numbers_staff_added_stay() {
    let (_d, mut db) = test_db();
    // A CSV patient with the same ECM id becomes the server's patient.
    let tx = db.conn_mut().transaction().unwrap();
    let csv = PatientInput {
        ecm_patient_id: Some(1001),
        fhir_id: None,
        name: "Ana L.".into(),
        phones: vec![ContactPointInput {
            number: normalize("+18055550199", Region::default()).unwrap(),
            kind: PhoneKind::Patient,
            name: None,
            relationship: None,
        }],
        time_zone: None,
    };
    let csv_id = upsert_patient(&tx, &csv).unwrap().id;
    tx.execute(
        "INSERT INTO contact_points (patient_id, kind, number, digits, national, rank, active, source, created_at, updated_at)
         VALUES (?1, 'contact', '+18055550188', '18055550188', '8055550188', 5, 1, 'staff', 'x', 'x')",
        [csv_id],
    )
    .unwrap();
    tx.commit().unwrap();
    let out = pull(&mut db, &[("p1", ana(vec![number(OWN, NumberOwner::Patient, None)], true))], "1");
    assert_eq!((out.patient_id, out.created), (Some(csv_id), false));
    let view = db.patient(csv_id).unwrap().unwrap();
    assert_eq!(view.name, "Ana Lopez", "the server's name");
    assert_eq!(current(&db, csv_id), [OWN, "+18055550188"], "the CSV number is history; staff's stays");
    assert_eq!(db.patient_count().unwrap(), 1);
}

#[test]
fn a_patient_without_numbers_waits_and_an_ecm_id_held_elsewhere_is_left_out() {
    let (_d, mut db) = test_db();
    let none = pull(&mut db, &[("p1", ana(vec![], true))], "1");
    assert!(none.without_numbers && none.patient_id.is_none(), "{none:?}");
    assert_eq!(db.patient_count().unwrap(), 0);
    // A RelatedPerson with a number brings the patient in.
    let with = pull(&mut db, &[("r1", son(vec![number(SON, NumberOwner::Contact, Some("Luis"))], true))], "1");
    assert!(with.created, "{with:?}");

    // Another server patient claims ECM id 1001.
    let tx = db.conn_mut().transaction().unwrap();
    let now = now_rfc3339();
    let other = FhirRecord::Patient(RosterPatient {
        id: Some("p2".into()),
        name: "Other".into(),
        ecm_patient_id: Some(1001),
        active: true,
        numbers: vec![number(NEW, NumberOwner::Patient, None)],
        time_zone: None,
    });
    put_fhir_record(&tx, "p2", "1", None, &other, &now).unwrap();
    let out = apply_fhir_patient(&tx, "p2", &ImportRun::new(), &now).unwrap();
    tx.commit().unwrap();
    assert!(out.created && out.problem.as_deref().unwrap().contains("ECM id 1001"), "{out:?}");
    assert!(!out.problem.unwrap().contains("Other"));
    let counts = db.fhir_roster_counts().unwrap();
    assert_eq!((counts.active, counts.current_numbers), (2, 2));
}

#[test]
fn the_servers_time_zone_is_the_patients_and_none_keeps_one_staff_set() {
    let (_d, mut db) = test_db();
    let zone = |db: &Database| -> Option<String> {
        db.conn().query_row("SELECT time_zone FROM patients WHERE fhir_id = 'p1'", [], |r| r.get(0)).unwrap()
    };
    let with_zone = |tz: Option<&str>| match ana(vec![number(OWN, NumberOwner::Patient, None)], true) {
        FhirRecord::Patient(p) => FhirRecord::Patient(RosterPatient { time_zone: tz.map(Into::into), ..p }),
        other => other,
    };
    pull(&mut db, &[("p1", with_zone(Some("America/Chicago")))], "1");
    assert_eq!(zone(&db).as_deref(), Some("America/Chicago"));
    pull(&mut db, &[("p1", with_zone(Some("America/Denver")))], "2");
    assert_eq!(zone(&db).as_deref(), Some("America/Denver"), "the server's change");
    db.conn().execute("UPDATE patients SET time_zone = 'Europe/Vilnius' WHERE fhir_id = 'p1'", []).unwrap();
    pull(&mut db, &[("p1", with_zone(None))], "3");
    assert_eq!(zone(&db).as_deref(), Some("Europe/Vilnius"), "no zone from the server keeps staff's");
}
