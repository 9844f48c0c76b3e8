//! The outbox store: one transaction per change, claims that exclude.

use crate::store::outbox::Reschedule;
use chrono::Duration;

use super::*;
use crate::store::{query_plan, test_db};

fn sms(db: &Database, route: Route, key: i64, at: DateTime<Utc>) -> QueuedIds {
    db.conn()
        .execute("INSERT OR IGNORE INTO patients (id, name, name_key, created_at, updated_at) VALUES (1, 'A', 'a', 'x', 'x')", [])
        .unwrap();
    let m = NewOutbound {
        patient_id: Some(1),
        route,
        from: String::new(),
        to: "+18055550100".into(),
        intended_to: None,
        body: format!("text {key}"),
        external_key: Some(key),
        is_test: false,
    };
    db.enqueue_sms(&m, "tester", "queued", None, at).unwrap()
}

fn count(db: &Database, sql: &str) -> i64 {
    db.conn().query_row(sql, [], |r| r.get(0)).unwrap()
}

#[test]
fn enqueue_writes_message_outbox_and_audit_together_or_nothing() {
    let (_d, db) = test_db();
    let now = Utc::now();
    let ids = sms(&db, Route::His, 1, now);
    let item = db.outbox_item(ids.message_id).unwrap().unwrap();
    assert_eq!((item.state.as_str(), item.message_state.as_str(), item.attempts), ("pending", "queued", 0));
    assert_eq!((item.external_key, item.next_attempt_at.as_str()), (1, ts(now).as_str()));
    assert_eq!(count(&db, "SELECT count(*) FROM audit_log WHERE action = 'sms.send'"), 1);
    // The same ExternalKey again: refused, and nothing of it stays.
    let again = NewOutbound {
        patient_id: Some(1),
        route: Route::His,
        from: String::new(),
        to: "+1".into(),
        intended_to: None,
        body: "x".into(),
        external_key: Some(1),
        is_test: false,
    };
    assert!(db.enqueue_sms(&again, "tester", "queued", None, now).is_err());
    assert_eq!(count(&db, "SELECT count(*) FROM messages") + count(&db, "SELECT count(*) FROM outbox"), 2);
    assert_eq!(count(&db, "SELECT count(*) FROM audit_log"), 1);
}

#[test]
fn due_rows_come_oldest_first_and_a_claim_is_exclusive() {
    let (_d, db) = test_db();
    let now = Utc::now();
    let late = sms(&db, Route::His, 1, now);
    let early = sms(&db, Route::His, 2, now - Duration::seconds(5));
    let future = sms(&db, Route::His, 3, now + Duration::seconds(60));
    let due: Vec<i64> = db.due_outbox(now, 10).unwrap().iter().map(|i| i.message_id).collect();
    assert_eq!(due, [early.message_id, late.message_id]);
    assert!(!due.contains(&future.message_id));
    let until = now + Duration::seconds(30);
    assert!(db.claim_attempt(early.outbox_id, 1, "CAREDESK", now, until).unwrap());
    assert!(!db.claim_attempt(early.outbox_id, 2, "CAREDESK", now, until).unwrap());
    assert_eq!(db.due_outbox(now, 10).unwrap().len(), 1, "an in-flight row is not due");
    let item = db.outbox_item(early.message_id).unwrap().unwrap();
    assert_eq!((item.state.as_str(), item.attempts, item.from.as_str()), ("in_flight", 1, "CAREDESK"));
    assert!(
        !db.reschedule(early.outbox_id, 2, Reschedule::Retry, "x", now, now).unwrap(),
        "only the claim's owner records"
    );
    assert!(db.reschedule(early.outbox_id, 1, Reschedule::Retry, "timeout", now + Duration::seconds(2), now).unwrap());
    let item = db.outbox_item(early.message_id).unwrap().unwrap();
    assert_eq!((item.state.as_str(), item.message_state.as_str()), ("pending", "queued"));
    assert_eq!(db.next_outbox_due(&[]).unwrap(), Some(ts(now)));
    assert_eq!(db.next_outbox_due(&[late.outbox_id]).unwrap(), Some(ts(now + Duration::seconds(2))));
}

#[test]
fn in_flight_rows_of_a_stopped_worker_become_ambiguous_or_uncertain() {
    let (_d, db) = test_db();
    let now = Utc::now();
    let his = sms(&db, Route::His, 1, now);
    let ecm = sms(&db, Route::Ecm, 2, now);
    let live = sms(&db, Route::His, 3, now);
    let gone = now - Duration::seconds(1);
    assert!(db.claim_attempt(his.outbox_id, 1, "", now, gone).unwrap());
    assert!(db.claim_attempt(ecm.outbox_id, 2, "", now, gone).unwrap());
    assert!(db.claim_attempt(live.outbox_id, 3, "", now, now + Duration::seconds(60)).unwrap());
    assert_eq!(db.void_in_flight(false, "check ECM", now).unwrap(), 2, "only claims that ran out");
    let h = db.outbox_item(his.message_id).unwrap().unwrap();
    assert_eq!((h.state.as_str(), h.ambiguous_since.as_deref()), ("ambiguous", Some(ts(now).as_str())));
    let e = db.outbox_item(ecm.message_id).unwrap().unwrap();
    assert_eq!((e.state.as_str(), e.message_state.as_str()), ("failed", "uncertain"));
    assert_eq!(e.error_message.as_deref(), Some("check ECM"));
    assert_eq!(db.void_in_flight(true, "check ECM", now).unwrap(), 1, "at startup, every one");
    let states: Vec<(i64, String)> =
        db.outbox_entries().unwrap().into_iter().map(|e| (e.message_id, e.state)).collect();
    assert_eq!(
        states,
        [
            (his.message_id, "ambiguous".into()),
            (ecm.message_id, "uncertain".into()),
            (live.message_id, "ambiguous".into())
        ]
    );
}

#[test]
fn voiding_in_flight_rows_never_scans_the_messages() {
    // At a million messages a scan of `messages` here held the desk lock for
    // seconds on every engine cycle (found by the start-up benchmark).
    let (_d, db) = test_db();
    let plan = |sql: &str| query_plan(&db, sql, []);
    let stale = "state = 'in_flight' AND (0 OR claimed_until IS NULL OR claimed_until <= 'x')";
    for sql in [
        format!("UPDATE messages SET state = 'uncertain' WHERE route = 'ecm' AND id IN (SELECT message_id FROM outbox WHERE {stale})"),
        format!(
            "UPDATE outbox SET state = 'failed' WHERE {stale}
               AND EXISTS (SELECT 1 FROM messages m WHERE m.id = outbox.message_id AND m.route = 'ecm')"
        ),
    ] {
        let p = plan(&sql);
        assert!(!p.lines().any(|l| l.trim_start().starts_with("SCAN m")), "{p}");
    }
}

/// Send later, on an injected clock: a text scheduled for 09:00 is written
/// at 08:00, the database is closed and opened again (a restart), nothing
/// is due before 09:00, it is due at 09:00 and claimed exactly once.
#[test]
fn a_scheduled_text_survives_a_restart_and_goes_once_at_its_time() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let key = crate::rules::secret::Secret::new("ab".repeat(32));
    let written = DateTime::parse_from_rfc3339("2026-12-03T08:00:00Z").unwrap().with_timezone(&Utc);
    let at = written + Duration::hours(1);
    let ids = {
        let mut db = Database::open(&path, &key).unwrap();
        crate::store::attach_test_audit(&mut db);
        db.conn()
            .execute(
                "INSERT INTO patients (id, name, name_key, created_at, updated_at) VALUES (1, 'A', 'a', 'x', 'x')",
                [],
            )
            .unwrap();
        let m = NewOutbound {
            patient_id: Some(1),
            route: Route::His,
            from: String::new(),
            to: "+18055550100".into(),
            intended_to: None,
            body: "see you at 10".into(),
            external_key: None,
            is_test: false,
        };
        let hold = HoldUntil { until: at, reason: HoldReason::Scheduled };
        db.enqueue_sms(&m, "tester", "queued", Some(hold), written).unwrap()
    };
    let mut db = Database::open(&path, &key).unwrap();
    crate::store::attach_test_audit(&mut db);
    let item = db.outbox_item(ids.message_id).unwrap().unwrap();
    assert_eq!((item.hold_reason, item.hold_until.as_deref()), (Some(HoldReason::Scheduled), Some(ts(at).as_str())));
    let entry = db.outbox_entries().unwrap().pop().unwrap();
    assert_eq!((entry.state.as_str(), entry.hold_reason), ("pending", Some(HoldReason::Scheduled)));
    for early in [written, at - Duration::seconds(1)] {
        assert!(db.due_outbox(early, 10).unwrap().is_empty(), "due at {early}");
        assert!(!db.claim_attempt(ids.outbox_id, 7, "", early, early + Duration::minutes(11)).unwrap());
    }
    assert_eq!(db.next_outbox_due(&[]).unwrap(), Some(ts(at)), "the worker wakes for it");
    let due = db.due_outbox(at, 10).unwrap();
    assert_eq!(due.iter().map(|i| i.message_id).collect::<Vec<_>>(), [ids.message_id]);
    assert!(db.claim_attempt(ids.outbox_id, 7, "", at, at + Duration::minutes(11)).unwrap());
    assert!(!db.claim_attempt(ids.outbox_id, 8, "", at, at + Duration::minutes(11)).unwrap(), "claimed twice");
    assert!(db.due_outbox(at + Duration::minutes(1), 10).unwrap().is_empty());
}
