//! The local side of team mode without PostgreSQL: recording (only in team
//! mode, in the change's own transaction), joining, and applying pulled
//! changes (idempotent, in order, states forward only, this desk's waiting
//! changes first).

use chrono::Utc;
use serde_json::json;

use super::{kinds, PulledChange, ThreadStatus};
use crate::store::{test_db, test_inbound, test_patient, threads::ThreadRef, Database, NewOutbound, Route};

fn outbox_kinds(db: &Database) -> Vec<String> {
    db.team_outbox_batch(1000).unwrap().into_iter().map(|c| c.kind).collect()
}

fn joined() -> (tempfile::TempDir, Database) {
    let (d, db) = test_db();
    db.team_join("ana", "2026-01-01T00:00:00Z").unwrap();
    (d, db)
}

fn text_to(db: &Database, patient: i64, body: &str) -> i64 {
    let m = NewOutbound {
        patient_id: Some(patient),
        route: Route::His,
        from: String::new(),
        to: "+18055550100".into(),
        intended_to: None,
        body: body.into(),
        external_key: None,
        is_test: false,
    };
    db.enqueue_sms_by(&m, "tester", "Ana Ruiz", "queued", None, Utc::now()).unwrap().message_id
}

/// Pretends the log holds `db`'s waiting changes from position `from` on
/// (as desk `desk`, member `actor`), and forgets them locally, as a push does.
fn push(db: &Database, from: i64, desk: &str, actor: &str) -> Vec<PulledChange> {
    let batch = db.team_outbox_batch(1000).unwrap();
    db.team_outbox_done(&batch.iter().map(|c| c.seq).collect::<Vec<_>>()).unwrap();
    batch
        .into_iter()
        .enumerate()
        .map(|(i, c)| PulledChange {
            pos: from + i as i64,
            desk_id: desk.into(),
            desk_seq: c.seq,
            actor: actor.into(),
            kind: c.kind,
            body: c.body,
        })
        .collect()
}

fn change(pos: i64, kind: &str, body: serde_json::Value) -> PulledChange {
    PulledChange { pos, desk_id: "desk-b".into(), desk_seq: pos, actor: "ben".into(), kind: kind.into(), body }
}

fn state_of(db: &Database, gid: &str) -> String {
    db.conn().query_row("SELECT state FROM messages WHERE gid = ?1", [gid], |r| r.get(0)).unwrap()
}

#[test]
fn a_desk_alone_records_nothing_and_gives_no_ids() {
    let (_d, db) = test_db();
    let ana = test_patient(&db, "Ana");
    text_to(&db, ana, "Hi");
    test_inbound(&db, Some(ana), "+18055550100", "Yes", "2026-01-01T00:00:00Z");
    db.mark_thread_read(&ThreadRef::Patient(ana)).unwrap();
    assert!(outbox_kinds(&db).is_empty());
    let gids: i64 = db
        .conn()
        .query_row("SELECT count(gid) FROM messages UNION ALL SELECT count(gid) FROM patients", [], |r| r.get(0))
        .unwrap();
    assert_eq!(gids, 0);
    assert!(!db.team_joined().unwrap());
    let sent_by_role: Option<String> = db
        .conn()
        .query_row("SELECT sent_by_role FROM messages WHERE direction = 'outbound'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(sent_by_role, None);
}

#[test]
fn joining_gives_ids_every_desk_computes_alike_and_queues_what_the_desk_has_in_order() {
    let (_d, db) = test_db();
    db.conn()
        .execute_batch(
            "INSERT INTO patients (ecm_patient_id, name, name_key, created_at, updated_at) VALUES (1001, 'Ana', 'ana', 'x', 'x');
             INSERT INTO contact_points (patient_id, kind, number, digits, national, created_at, updated_at)
                 VALUES (1, 'patient', '+18055550100', '18055550100', '8055550100', 'x', 'x');
             INSERT INTO messages (patient_id, direction, route, from_number, to_number, body, state, his_id, created_at,
                 updated_at) VALUES (1, 'inbound', 'his', '+18055550100', 'CLINIC', 'Yes', 'received', 77, 'x', 'x');",
        )
        .unwrap();
    let joined = db.team_join("ana", "2026-01-01T00:00:00Z").unwrap().unwrap();
    assert_eq!((joined.patients, joined.numbers, joined.messages), (1, 1, 1));
    assert_eq!(outbox_kinds(&db), [kinds::PATIENT, kinds::NUMBER, kinds::MESSAGE]);
    let (p, m): (String, String) = db
        .conn()
        .query_row("SELECT p.gid, m.gid FROM patients p, messages m", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap();
    assert_eq!(p, "00000000-0000-8000-8001-0000000003e9", "derived from the ECM id");
    assert_eq!(m, "00000000-0000-8000-8000-00000000004d", "derived from the server's Id");
    assert!(db.team_join("ana", "later").unwrap().is_none(), "joined once");
}

#[test]
fn in_team_mode_each_change_is_recorded_in_its_own_transaction() {
    let (_d, db) = joined();
    let ana = test_patient(&db, "Ana");
    let id = text_to(&db, ana, "See you at 3");
    assert_eq!(outbox_kinds(&db), [kinds::PATIENT, kinds::MESSAGE]);
    let batch = db.team_outbox_batch(10).unwrap();
    assert_eq!(batch[1].body["sent_by"], "Ana Ruiz");
    assert_eq!(batch[1].body["sent_by_role"], "ana");
    assert_eq!(batch[1].body["patient_gid"], batch[0].body["gid"]);
    // A state change is a change; writing the same state again is not.
    db.conn().execute("UPDATE messages SET state = 'sent', his_id = 5 WHERE id = ?1", [id]).unwrap();
    db.conn().execute("UPDATE messages SET state = 'sent' WHERE id = ?1", [id]).unwrap();
    assert_eq!(outbox_kinds(&db).len(), 3);
    // A change rolled back leaves no change behind.
    {
        let tx = db.conn().unchecked_transaction().unwrap();
        tx.execute("UPDATE messages SET state = 'delivered' WHERE id = ?1", [id]).unwrap();
        assert_eq!(outbox_kinds(&db).len(), 4);
    }
    assert_eq!(outbox_kinds(&db).len(), 3);
    // A read is this member's, once per newer message.
    test_inbound(&db, Some(ana), "+18055550100", "Yes", "2026-01-02T00:00:00Z");
    db.mark_thread_read(&ThreadRef::Patient(ana)).unwrap();
    db.mark_thread_read(&ThreadRef::Patient(ana)).unwrap();
    let kinds: Vec<String> = outbox_kinds(&db);
    assert_eq!(kinds.iter().filter(|k| *k == kinds::READ).count(), 1, "{kinds:?}");
}

#[test]
fn changes_from_another_desk_converge_and_are_not_pushed_back() {
    let (_a, a) = joined();
    let (_b, b) = test_db();
    b.team_join("ben", "2026-01-01T00:00:00Z").unwrap();
    let ana = test_patient(&a, "Ana Lopez");
    a.conn()
        .execute(
            "INSERT INTO contact_points (patient_id, kind, number, digits, national, created_at, updated_at)
             VALUES (?1, 'patient', '+18055550100', '18055550100', '8055550100', 'x', 'x')",
            [ana],
        )
        .unwrap();
    text_to(&a, ana, "See you at 3");
    a.team_add_note(ana, "Prefers mornings", "ana", "Ana Ruiz", "tester").unwrap();
    let log = push(&a, 1, "desk-a", "ana");
    let r = b.team_apply(&log).unwrap();
    assert_eq!((r.applied, r.skipped, r.position), (log.len(), 0, log.len() as i64));
    assert!(outbox_kinds(&b).is_empty(), "what was applied is not this desk's to push");
    let on_b = b.search_patients("Ana", 10).unwrap();
    assert_eq!(on_b.len(), 1);
    assert_eq!(on_b[0].phones[0].number, "+18055550100");
    let thread = b.thread(on_b[0].id, 10).unwrap();
    assert_eq!((thread[0].text.as_str(), thread[0].sent_by.as_deref()), ("See you at 3", Some("Ana Ruiz")));
    let notes = b.team_notes(on_b[0].id).unwrap();
    assert_eq!((notes[0].text.as_str(), notes[0].author.as_str()), ("Prefers mornings", "ana"));
    // Applied again (a page read twice), or at a new position (a push
    // repeated): nothing changes.
    assert_eq!(b.team_apply(&log).unwrap().applied, 0);
    let again: Vec<PulledChange> = log.iter().map(|c| PulledChange { pos: c.pos + 100, ..c.clone() }).collect();
    let r = b.team_apply(&again).unwrap();
    assert_eq!((r.applied, r.unchanged), (0, log.len()));
    assert_eq!(b.thread(on_b[0].id, 10).unwrap().len(), 1);
    assert_eq!(b.team_notes(on_b[0].id).unwrap().len(), 1);
}

#[test]
fn a_texts_state_only_moves_forward_whatever_order_the_log_brings() {
    let (_d, db) = joined();
    let body = |state: &str| {
        json!({"gid": "g1", "direction": "outbound", "route": "his", "to": "+18055550100", "body": "Hi",
               "state": state, "created_at": "2026-01-01T00:00:00Z"})
    };
    let log = [
        change(1, kinds::MESSAGE, body("sent")),
        change(2, kinds::MESSAGE, body("delivered")),
        change(3, kinds::MESSAGE, body("enroute")),
        change(4, kinds::MESSAGE, body("queued")),
    ];
    db.team_apply(&log[..2]).unwrap();
    assert_eq!(state_of(&db, "g1"), "delivered");
    let r = db.team_apply(&log).unwrap();
    assert_eq!((r.applied, r.unchanged, r.position), (0, 2, 4));
    assert_eq!(state_of(&db, "g1"), "delivered");
}

#[test]
fn a_waiting_local_change_wins_over_an_older_one_from_the_log() {
    let (_d, db) = joined();
    let ana = test_patient(&db, "Ana");
    push(&db, 1, "desk-a", "ana");
    let gid: String = db.conn().query_row("SELECT gid FROM patients", [], |r| r.get(0)).unwrap();
    // Ben renamed her; this desk renamed her too and has not pushed yet.
    db.conn().execute("UPDATE patients SET name = 'Ana Lopez' WHERE id = ?1", [ana]).unwrap();
    let theirs = change(10, kinds::PATIENT, json!({"gid": gid, "name": "Ana L."}));
    let r = db.team_apply(std::slice::from_ref(&theirs)).unwrap();
    assert_eq!((r.shadowed, r.position), (1, 10));
    assert_eq!(db.patient(ana).unwrap().unwrap().name, "Ana Lopez");
    // Once pushed, this desk's rename comes back from the log and stays.
    let mine = push(&db, 11, "desk-a", "ana");
    db.team_apply(&mine).unwrap();
    assert_eq!(db.patient(ana).unwrap().unwrap().name, "Ana Lopez");
}

#[test]
fn thread_decisions_apply_in_version_order_and_correct_what_this_desk_asked() {
    let (_d, db) = joined();
    let ana = test_patient(&db, "Ana");
    push(&db, 1, "desk-a", "ana");
    let gid: String = db.conn().query_row("SELECT gid FROM patients", [], |r| r.get(0)).unwrap();
    let shown = db.team_assign(ana, Some("ana"), "tester").unwrap();
    assert_eq!((shown.assigned_to.as_deref(), shown.pending), (Some("ana"), true));
    // PostgreSQL decided otherwise: Ben assigned it to himself first.
    push(&db, 2, "desk-a", "ana");
    let decided = |pos, to: &str, status: &str, version| {
        change(pos, kinds::ASSIGN, json!({"patient_gid": gid, "assigned_to": to, "status": status, "version": version}))
    };
    // An older decision read late changes nothing.
    db.team_apply(&[decided(3, "ben", "open", 2), decided(4, "cy", "closed", 1)]).unwrap();
    let t = db.team_thread(ana).unwrap();
    assert_eq!((t.assigned_to.as_deref(), t.status, t.pending), (Some("ben"), ThreadStatus::Open, false));
    db.team_apply(&[decided(5, "ben", "closed", 3)]).unwrap();
    assert_eq!(db.team_thread(ana).unwrap().status, ThreadStatus::Closed);
    let listed = db.thread_list().unwrap();
    assert!(listed.is_empty() || listed[0].status.as_deref() == Some("closed"));
}

#[test]
fn this_members_reads_on_another_desk_mark_texts_read_here() {
    let (_d, db) = joined();
    let ana = test_patient(&db, "Ana");
    test_inbound(&db, Some(ana), "+18055550100", "Yes", "2026-01-01T00:00:00Z");
    test_inbound(&db, Some(ana), "+18055550100", "Later", "2026-01-03T00:00:00Z");
    push(&db, 1, "desk-a", "ana");
    let gid: String = db.conn().query_row("SELECT gid FROM patients", [], |r| r.get(0)).unwrap();
    let read = |pos, actor: &str| PulledChange {
        actor: actor.into(),
        ..change(pos, kinds::READ, json!({"patient_gid": gid, "read_up_to": "2026-01-02T00:00:00Z"}))
    };
    db.team_apply(&[read(10, "ben")]).unwrap();
    assert_eq!(db.unread_count(&ThreadRef::Patient(ana)).unwrap(), 2, "Ben's reads are his");
    db.team_apply(&[read(11, "ana")]).unwrap();
    assert_eq!(db.unread_count(&ThreadRef::Patient(ana)).unwrap(), 1, "hers are hers on every desk");
    assert!(outbox_kinds(&db).is_empty());
}

#[test]
fn an_unreadable_or_unknown_change_is_skipped_and_does_not_stop_the_log() {
    let (_d, db) = joined();
    let log = [
        change(1, kinds::MESSAGE, json!({"gid": "g1", "state": 5})),
        change(2, "something.from_a_newer_desk", json!({})),
        change(3, kinds::NOTE, json!({"gid": "n1", "patient_gid": "nobody-here", "text": "x", "at": "x"})),
        change(
            4,
            kinds::MESSAGE,
            json!({"gid": "g2", "direction": "inbound", "route": "his", "state": "received", "created_at": "x"}),
        ),
    ];
    let r = db.team_apply(&log).unwrap();
    assert_eq!((r.skipped, r.applied, r.position), (3, 1, 4));
}

#[test]
fn an_inbox_cursor_move_is_recorded_with_its_page_and_a_batch_never_splits_the_page() {
    let (_d, db) = joined();
    let _ = db.team_outbox_batch(1000).unwrap();
    let waiting_before = db.team_waiting().unwrap();
    // An inbox page: three changes in one group, the cursor last.
    let tx = db.conn().unchecked_transaction().unwrap();
    db.team_group_begin().unwrap();
    let p = test_patient(&db, "Ana Lopez");
    test_inbound(&db, Some(p), "+18055550100", "one", "2026-01-01T10:00:00Z");
    db.set_sync_cursor("his.incoming", "2026-01-01T10:00:00.1234567").unwrap();
    db.team_group_end().unwrap();
    tx.commit().unwrap();
    // A change after the page, outside any group.
    text_to(&db, p, "after");
    let all = db.team_outbox_batch(1000).unwrap();
    assert!(all.iter().any(|c| c.kind == kinds::CURSOR && c.body["cursor"] == "2026-01-01T10:00:00.1234567"));
    let page: Vec<i64> = all.iter().skip(waiting_before as usize).map(|c| c.seq).collect();
    assert!(page.len() >= 4, "{all:?}");
    // A batch that would end inside the page runs on to the page's end.
    let batch = db.team_outbox_batch(waiting_before as usize + 1).unwrap();
    assert_eq!(batch.last().unwrap().kind, kinds::CURSOR, "{batch:?}");
    assert!(batch.iter().all(|c| c.body.get("body").and_then(|b| b.as_str()) != Some("after")));
    assert_eq!(batch.len(), waiting_before as usize + page.len() - 1, "the page and no more: {batch:?}");
    // Outside a group, a batch is its limit.
    db.team_outbox_done(&batch.iter().map(|c| c.seq).collect::<Vec<_>>()).unwrap();
    let tail = db.team_outbox_batch(1).unwrap();
    assert_eq!(tail.len(), 1);
    // A desk alone records no cursor.
    let (_d2, alone) = test_db();
    alone.set_sync_cursor("his.incoming", "2026-01-01T10:00:00").unwrap();
    assert_eq!(alone.team_waiting().unwrap(), 0);
}

#[test]
fn the_teams_inbox_cursor_is_applied_and_kept() {
    let (_d, db) = joined();
    assert_eq!(db.team_cursor("his.incoming").unwrap(), None);
    let c = change(1, kinds::CURSOR, json!({ "name": "his.incoming", "cursor": "2026-01-01T10:00:00+02:00" }));
    let r = db.team_apply(std::slice::from_ref(&c)).unwrap();
    assert_eq!(r.applied, 1);
    assert_eq!(db.team_cursor("his.incoming").unwrap().as_deref(), Some("2026-01-01T10:00:00+02:00"));
    // Applying it again changes nothing, and this desk's own cursor is its own.
    let again = change(2, kinds::CURSOR, c.body.clone());
    assert_eq!(db.team_apply(&[again]).unwrap().applied, 0);
    assert_eq!(db.sync_cursor("his.incoming").unwrap(), None);
    // A pulled cursor is not pushed back.
    assert!(!outbox_kinds(&db).contains(&kinds::CURSOR.to_string()));
}
