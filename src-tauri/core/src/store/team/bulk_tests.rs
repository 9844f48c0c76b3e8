//! Loading a snapshot gives the store that applying the log gives: a log of
//! every kind (texts whose state moved on, a Retry, an Unmatched reply, a
//! flag, a member's reads, a consent naming a text…) applied change by
//! change on one desk, and its last word per thing loaded on another.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::{
    kinds::{self, MessageBody},
    ByMember, PulledChange, SnapshotBatch,
};
use crate::store::{test_db, Database};

const P1: &str = "00000000-0000-4000-8000-000000000001";
const P2: &str = "00000000-0000-4000-8000-000000000002";
const P3: &str = "00000000-0000-4000-8000-000000000003";

fn gid(n: u32) -> String {
    format!("00000000-0000-4000-9000-{n:012}")
}

fn at(minute: u32) -> String {
    format!("2026-02-01T10:{minute:02}:00.000000Z")
}

fn text(n: u32, patient: Option<&str>, direction: &str, state: &str, minute: u32) -> Value {
    let number = if patient.is_some() { "+18055550101" } else { "+19005550199" };
    let (from, to) = if direction == "inbound" { (number, "37060000001") } else { ("37060000001", number) };
    json!({"gid": gid(n), "patient_gid": patient, "direction": direction, "route": "his", "from": from, "to": to,
           "body": format!("text {n}"), "state": state, "his_id": 5000 + n, "created_at": at(minute),
           "server_created_at": format!("2026-02-01T12:{minute:02}:00"), "sent_by": (direction == "outbound").then_some("Ben Okafor"),
           "sent_by_role": (direction == "outbound").then_some("ben")})
}

/// A log of every kind a desk applies, as `(kind, actor, body)`.
fn log() -> Vec<(&'static str, &'static str, Value)> {
    let mut retried = text(4, Some(P2), "outbound", "failed", 4);
    retried["route"] = json!("ecm");
    retried["his_id"] = Value::Null;
    retried["ecm_sms_id"] = json!(77);
    let mut retry = text(5, Some(P2), "outbound", "queued", 5);
    retry["route"] = json!("ecm");
    retry["his_id"] = Value::Null;
    let mut retry_sent = retry.clone();
    retry_sent["state"] = json!("sent");
    retry_sent["twilio_sid"] = json!("SM123");
    let mut retried_again = retried.clone();
    retried_again["retried_as_gid"] = json!(gid(5));
    let mut help = text(6, Some(P3), "inbound", "received", 6);
    help["flagged"] = json!("help");
    let mut unmatched_reply = text(7, None, "outbound", "delivered", 7);
    unmatched_reply["unmatched_reply"] = json!(true);
    let mut delivered = text(2, Some(P1), "outbound", "delivered", 2);
    delivered["server_updated_at"] = json!("2026-02-01T12:09:00");
    vec![
        (kinds::PATIENT, "ana", json!({"gid": P1, "name": "Ana  Lopez", "ecm_patient_id": 1001, "created_at": at(0)})),
        (kinds::PATIENT, "ana", json!({"gid": P2, "name": "Ben Carter", "fhir_id": "pat-2", "created_at": at(0)})),
        (kinds::PATIENT, "ben", json!({"gid": P3, "name": "Cy Lind", "created_at": at(0)})),
        (kinds::PATIENT, "ben", json!({"gid": P3, "name": "Cy M. Lind", "created_at": at(0)})),
        (
            kinds::NUMBER,
            "ana",
            json!({"patient_gid": P1, "number": "+18055550101", "kind": "patient", "source": "import"}),
        ),
        (
            kinds::NUMBER,
            "ana",
            json!({"patient_gid": P1, "number": "+18055550102", "kind": "contact", "name": "Rosa", "relationship": "daughter",
                   "rank": 1, "source": "staff"}),
        ),
        (
            kinds::NUMBER,
            "ben",
            json!({"patient_gid": P2, "number": "+18055550103", "kind": "patient", "source": "link"}),
        ),
        (
            kinds::NUMBER,
            "ben",
            json!({"patient_gid": P2, "number": "+18055550103", "kind": "patient", "active": false, "source": "link"}),
        ),
        (kinds::NUMBER, "ben", json!({"patient_gid": "no-such-patient", "number": "+18055550104", "kind": "patient"})),
        (kinds::MESSAGE, "ana", text(1, Some(P1), "inbound", "received", 1)),
        (kinds::MESSAGE, "ben", text(2, Some(P1), "outbound", "sending", 2)),
        (kinds::MESSAGE, "ben", text(3, Some(P1), "inbound", "received", 3)),
        (kinds::MESSAGE, "ben", retried),
        (kinds::MESSAGE, "ben", retry),
        (kinds::MESSAGE, "ben", retried_again),
        (kinds::MESSAGE, "ben", retry_sent),
        (kinds::MESSAGE, "ana", help),
        (kinds::MESSAGE, "ana", text(8, None, "inbound", "received", 8)),
        (kinds::MESSAGE, "ana", unmatched_reply),
        (kinds::MESSAGE, "ana", delivered),
        (
            kinds::CALL,
            "ben",
            json!({"gid": gid(20), "patient_gid": P1, "direction": "outbound", "to": "+18055550101", "status": "completed",
                   "placed_by": "Ben Okafor", "placed_by_role": "ben", "created_at": at(9)}),
        ),
        (
            kinds::CONSENT,
            "ana",
            json!({"number": "+18055550101", "state": "opted_out", "source": "keyword", "source_message_gid": gid(3)}),
        ),
        (kinds::ASSIGN, "ben", json!({"patient_gid": P1, "assigned_to": "ben", "status": "open", "version": 2})),
        (kinds::STATUS, "ana", json!({"patient_gid": P2, "assigned_to": null, "status": "closed", "version": 3})),
        (kinds::NOTE, "ben", json!({"gid": gid(30), "patient_gid": P1, "text": "Prefers mornings", "at": at(10)})),
        (kinds::READ, "ana", json!({"patient_gid": P1, "read_up_to": at(1), "last_message_gid": gid(1)})),
        (kinds::READ, "ben", json!({"patient_gid": P3, "read_up_to": at(6)})),
    ]
}

/// A desk of member `ana` with the team's members' names.
fn desk() -> (tempfile::TempDir, Database) {
    let (dir, db) = test_db();
    db.team_join("ana", "2026-01-01T00:00:00Z").unwrap();
    db.set_team_members(&[("ana".into(), "Ana Ruiz".into()), ("ben".into(), "Ben Okafor".into())]).unwrap();
    (dir, db)
}

fn pulled(log: &[(&str, &str, Value)]) -> Vec<PulledChange> {
    log.iter()
        .enumerate()
        .map(|(i, (kind, actor, body))| PulledChange {
            pos: i as i64 + 1,
            desk_id: "desk-b".into(),
            desk_seq: i as i64,
            actor: actor.to_string(),
            kind: kind.to_string(),
            body: body.clone(),
        })
        .collect()
}

fn de<T: serde::de::DeserializeOwned>(v: &Value) -> T {
    serde_json::from_value(v.clone()).unwrap()
}

/// The log's last word per thing, as the team database's state tables
/// keep it: copies of a text merged, anything else the newest.
fn snapshot(log: &[(&str, &str, Value)]) -> Vec<SnapshotBatch> {
    let mut texts: BTreeMap<String, MessageBody> = BTreeMap::new();
    let mut last: BTreeMap<(String, String), (String, Value)> = BTreeMap::new();
    let mut order = Vec::new();
    for (kind, actor, body) in log {
        if *kind == kinds::MESSAGE {
            let m: MessageBody = de(body);
            match texts.get_mut(&m.gid) {
                Some(had) => {
                    had.merge(&m);
                }
                None => {
                    order.push(m.gid.clone());
                    texts.insert(m.gid.clone(), m);
                }
            }
        } else if let Some(entity) = kinds::entity(kind, body, actor) {
            // A thread's assignment and status are one row.
            let kind = if *kind == kinds::ASSIGN || *kind == kinds::STATUS { "thread" } else { kind };
            last.insert((kind.to_string(), entity), (actor.to_string(), body.clone()));
        }
    }
    let of = |k: &'static str| last.iter().filter(move |((kind, _), _)| kind == k).map(|(_, v)| v.clone());
    vec![
        SnapshotBatch::Patients(of(kinds::PATIENT).map(|(_, b)| de(&b)).collect()),
        SnapshotBatch::Numbers(of(kinds::NUMBER).map(|(_, b)| de(&b)).collect()),
        SnapshotBatch::Messages(order.iter().map(|g| texts[g].clone()).collect()),
        SnapshotBatch::Calls(of(kinds::CALL).map(|(_, b)| de(&b)).collect()),
        SnapshotBatch::Threads(of("thread").map(|(_, b)| de(&b)).collect()),
        SnapshotBatch::Notes(of(kinds::NOTE).map(|(role, b)| ByMember { body: de(&b), role }).collect()),
        SnapshotBatch::Consent(of(kinds::CONSENT).map(|(role, b)| ByMember { body: de(&b), role }).collect()),
        SnapshotBatch::Reads(of(kinds::READ).map(|(role, b)| ByMember { body: de(&b), role }).collect()),
    ]
}

#[test]
fn a_snapshot_loaded_gives_the_store_the_log_applied_gives() {
    let log = log();
    let (_a, applied) = desk();
    let r = applied.team_apply(&pulled(&log)).unwrap();
    assert_eq!((r.skipped, r.position), (1, log.len() as i64), "{r:?}");
    let (_b, loaded) = desk();
    assert!(loaded.team_snapshot_possible().unwrap());
    let mut bulk = loaded.team_bulk_join().unwrap();
    for batch in snapshot(&log) {
        bulk.add(batch).unwrap();
    }
    let report = bulk.finish(log.len() as i64).unwrap();
    assert_eq!((report.patients, report.messages, report.skipped), (3, 8, 1), "{report:?}");

    let (want, got) = (applied.team_shared_rows().unwrap(), loaded.team_shared_rows().unwrap());
    let missing: Vec<&String> = want.iter().filter(|l| !got.contains(l)).collect();
    let extra: Vec<&String> = got.iter().filter(|l| !want.contains(l)).collect();
    assert!(missing.is_empty() && extra.is_empty(), "missing {missing:#?}\nextra {extra:#?}");
    // What the app shows: the thread list, with this member's unread counts.
    let list = |db: &Database| -> Vec<(String, i64)> {
        db.thread_listing("", 100).unwrap().patients.into_iter().map(|t| (t.patient.name, t.unread)).collect()
    };
    assert_eq!(list(&applied), list(&loaded));
    // Latest first; Ana read the first reply on another desk, Ben's reads are his.
    let want = [("Ana  Lopez", 1), ("Cy M. Lind", 1), ("Ben Carter", 0)].map(|(n, u)| (n.to_string(), u));
    assert_eq!(list(&loaded), want);
    assert!(!loaded.team_snapshot_possible().unwrap(), "a desk that holds the team's data follows the log");
}

#[test]
fn a_desk_with_data_of_its_own_does_not_load_a_snapshot() {
    let (_d, db) = desk();
    db.team_apply(&pulled(&log()[..1])).unwrap();
    assert!(!db.team_snapshot_possible().unwrap(), "it applied the log already");
    let (_e, own) = desk();
    crate::store::test_patient(&own, "Dee");
    assert!(!own.team_snapshot_possible().unwrap(), "it has its own patients to push");
    assert!(own.team_bulk_join().is_err());
}

#[test]
fn a_load_cut_short_stores_nothing() {
    let (_d, db) = desk();
    let mut bulk = db.team_bulk_join().unwrap();
    bulk.add(snapshot(&log()).remove(0)).unwrap();
    drop(bulk);
    assert!(db.team_snapshot_possible().unwrap(), "rolled back: still a new desk");
    let indexes: i64 = db
        .conn()
        .query_row("SELECT count(*) FROM sqlite_master WHERE name = 'messages_thread'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(indexes, 1, "the indexes dropped for the load are back");
}
