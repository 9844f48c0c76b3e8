use super::*;
use crate::store::{test_db, test_inbound, test_patient};

const T0: &str = "2024-05-01T10:00:00.000000Z";
const T1: &str = "2024-05-01T10:01:00.000000Z";
const T2: &str = "2024-05-01T10:02:00.000000Z";

fn fhir_on(db: &Database) {
    db.set_setting("fhir.base_url", "http://127.0.0.1:1/fhir").unwrap();
}

fn with_fhir_patient(db: &Database) -> i64 {
    let p = test_patient(db, "Ana Lopez");
    db.conn().execute("UPDATE patients SET fhir_id = 'p1', fhir_status = 'active' WHERE id = ?1", [p]).unwrap();
    p
}

#[test]
fn rows_are_queued_only_while_the_fhir_link_is_on_and_in_the_same_transaction() {
    let (_d, db) = test_db();
    let p = with_fhir_patient(&db);
    test_inbound(&db, Some(p), "+18055550100", "before", T0);
    assert_eq!(db.fhir_write_counts().unwrap(), WriteCounts::default());
    fhir_on(&db);
    // A text whose transaction rolls back leaves no row either.
    db.conn().execute_batch("BEGIN").unwrap();
    test_inbound(&db, Some(p), "+18055550100", "rolled back", T0);
    db.conn().execute_batch("ROLLBACK").unwrap();
    assert_eq!(db.fhir_write_counts().unwrap().pending, 0);
    let m = test_inbound(&db, Some(p), "+18055550100", "hello", T0);
    assert_eq!(db.fhir_write_counts().unwrap().pending, 1);
    let claim = db.claim_fhir_write(T0, T1, 7).unwrap().unwrap();
    assert_eq!((claim.kind, claim.item_id, claim.revision), (WriteKind::Message, m, 1));
    let item = db.fhir_write_item(&claim).unwrap().unwrap();
    assert_eq!(item.stable_id, format!("local-{m}"));
    assert_eq!(
        (item.outbound, item.number.as_str(), item.patient_fhir_id.as_deref()),
        (false, "+18055550100", Some("p1"))
    );
    assert_eq!(item.text.as_deref(), Some("hello"));
}

#[test]
fn a_claim_is_taken_once_and_a_lapsed_one_is_free_again() {
    let (_d, db) = test_db();
    fhir_on(&db);
    let p = with_fhir_patient(&db);
    test_inbound(&db, Some(p), "+18055550100", "hello", T0);
    let first = db.claim_fhir_write(T0, T1, 1).unwrap().unwrap();
    assert_eq!(db.claim_fhir_write(T0, T1, 2).unwrap(), None, "held until T1");
    // A worker whose claim lapsed records nothing.
    let second = db.claim_fhir_write(T1, T2, 2).unwrap().unwrap();
    assert_eq!(second.id, first.id);
    assert!(!db.fhir_write_done(&first, "c1", Some("1"), None, T1).unwrap());
    assert!(db.fhir_write_done(&second, "c1", Some("1"), Some("e1"), T1).unwrap());
    assert_eq!(db.fhir_write_counts().unwrap().written, 1);
    assert_eq!(db.claim_fhir_write(T2, T2, 3).unwrap(), None);
}

#[test]
fn a_retry_waits_its_backoff_and_a_permanent_failure_is_shown_on_the_message() {
    let (_d, db) = test_db();
    fhir_on(&db);
    let p = with_fhir_patient(&db);
    let m = test_inbound(&db, Some(p), "+18055550100", "hello", T0);
    let c = db.claim_fhir_write(T0, T1, 1).unwrap().unwrap();
    assert!(db.fhir_write_retry(&c, "fhir_http", "HTTP 503", T2, T0).unwrap());
    assert_eq!(db.claim_fhir_write(T1, T2, 2).unwrap(), None, "not before T2");
    let counts = db.fhir_write_counts().unwrap();
    assert_eq!((counts.pending, counts.retrying), (1, 1));
    let mark = &db.fhir_marks(WriteKind::Message, &[m]).unwrap()[&m];
    assert_eq!((mark.state.as_str(), mark.reason.as_deref()), ("pending", Some("not yet: HTTP 503")));
    let c = db.claim_fhir_write(T2, T2, 3).unwrap().unwrap();
    assert_eq!(c.attempts, 1);
    db.fhir_write_stop(&c, "failed", Some("fhir_refused"), "refused: invalid", T2).unwrap();
    let mark = &db.fhir_marks(WriteKind::Message, &[m]).unwrap()[&m];
    assert_eq!((mark.state.as_str(), mark.reason.as_deref()), ("failed", Some("refused: invalid")));
    assert_eq!(
        db.fhir_write_failures(10).unwrap(),
        vec![("message".into(), m, "failed".into(), "refused: invalid".into())]
    );
    assert_eq!(db.retry_failed_fhir_writes(T2).unwrap(), 1);
    assert_eq!(db.fhir_write_counts().unwrap().pending, 1);
}

#[test]
fn a_state_change_while_writing_is_written_after() {
    let (_d, db) = test_db();
    fhir_on(&db);
    let p = with_fhir_patient(&db);
    db.conn()
        .execute(
            "INSERT INTO messages (patient_id, direction, route, from_number, to_number, body, state, created_at, updated_at)
             VALUES (?1, 'outbound', 'his', 'CLINIC', '+18055550100', 'hi', 'queued', ?2, ?2)",
            params![p, T0],
        )
        .unwrap();
    let m = db.conn().last_insert_rowid();
    assert_eq!(db.claim_fhir_write(T0, T1, 1).unwrap(), None, "a queued text may still be undone");
    db.conn().execute("UPDATE messages SET state = 'sent' WHERE id = ?1", [m]).unwrap();
    let c = db.claim_fhir_write(T0, T1, 1).unwrap().unwrap();
    assert_eq!(c.revision, 2);
    db.conn().execute("UPDATE messages SET state = 'delivered' WHERE id = ?1", [m]).unwrap();
    db.fhir_write_done(&c, "c1", Some("1"), None, T1).unwrap();
    let again = db.claim_fhir_write(T1, T2, 2).unwrap().expect("the delivery is written next");
    assert_eq!((again.revision, again.fhir_id.as_deref(), again.version_id.as_deref()), (3, Some("c1"), Some("1")));
    db.fhir_write_done(&again, "c1", Some("2"), None, T2).unwrap();
    let mark = &db.fhir_marks(WriteKind::Message, &[m]).unwrap()[&m];
    assert_eq!((mark.state.as_str(), mark.reference.as_deref()), ("recorded", Some("Communication/c1")));
}

#[test]
fn an_undone_text_leaves_no_row_and_claims_of_a_dead_process_are_released() {
    let (_d, db) = test_db();
    fhir_on(&db);
    let p = with_fhir_patient(&db);
    let m = test_inbound(&db, Some(p), "+18055550100", "x", T0);
    test_inbound(&db, Some(p), "+18055550100", "y", T0);
    db.claim_fhir_write(T0, T2, 1).unwrap().unwrap();
    assert_eq!(db.release_fhir_claims().unwrap(), 1);
    db.conn().execute("DELETE FROM messages WHERE id = ?1", [m]).unwrap();
    let c = db.claim_fhir_write(T0, T1, 2).unwrap().unwrap();
    assert_ne!(c.item_id, m);
    assert_eq!(db.fhir_write_counts().unwrap().pending, 1);
}

#[test]
fn encounters_are_remembered_per_conversation() {
    let (_d, db) = test_db();
    let p = with_fhir_patient(&db);
    assert_eq!(db.fhir_encounter(p).unwrap(), None);
    let mut who = Participants::default();
    who.add("Device/d1");
    who.add("Practitioner/dr1");
    let row = EncounterRow { fhir_id: "e1".into(), version_id: Some("2".into()), participants: who };
    assert!(db.fhir_write_target("https://a.example/fhir/").unwrap());
    db.put_fhir_encounter(p, &row, T0).unwrap();
    assert!(!db.fhir_write_target("https://a.example/fhir/").unwrap());
    assert_eq!(db.fhir_encounter(p).unwrap(), Some(row));
    // Another server: its conversations get their own Encounters.
    assert!(db.fhir_write_target("https://b.example/fhir/").unwrap());
    assert_eq!(db.fhir_encounter(p).unwrap(), None);
}

#[test]
fn the_thread_shows_each_items_fhir_mark() {
    let (_d, db) = test_db();
    let local = test_patient(&db, "Ben Carter");
    test_inbound(&db, Some(local), "+18055550102", "before the link", T0);
    fhir_on(&db);
    test_inbound(&db, Some(local), "+18055550102", "after", T1);
    let c = db.claim_fhir_write(T1, T2, 1).unwrap().unwrap();
    db.fhir_write_stop(&c, "skipped", None, NOT_ON_SERVER, T1).unwrap();
    let items = db.thread(local, 10).unwrap();
    assert_eq!(items[0].fhir, None, "stored while the link was off: never queued");
    let mark = items[1].fhir.as_ref().unwrap();
    assert_eq!((mark.state.as_str(), mark.reason.as_deref()), ("skipped", Some(NOT_ON_SERVER)));
}
