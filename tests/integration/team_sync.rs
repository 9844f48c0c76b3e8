//! Team mode's sync against a real PostgreSQL (tests/support/pg.rs) and the
//! sandbox: three desks, each with its own data directory (its keys under
//! its own instance id in the keyring) and its own `caredesk sync`, share
//! one team database. What one desk does reaches the others with who did
//! it; PostgreSQL down for a while changes nothing but the wait; two
//! members assigning one thread at once end with one assignment everywhere;
//! a change pushed twice is in the log once.
//!
//! `CAREDESK_TEAM_OFFLINE_SECS` sets how long PostgreSQL stays down in the
//! offline test (default 20; the minute with 60).

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use caredesk_core::{
    desk::{Desk, DeskOptions},
    engine::team::{self, Session},
};
use caredesk_tests::{
    team::{runtime, DB},
    team_desks::{converge, has_note, has_text, no_duplicates, texts_of, three_desks, TeamDesk, CONVERGE},
};
use serde_json::Value;

#[test]
fn a_text_a_note_and_an_assignment_reach_every_desk_with_who_made_them() {
    let dir = tempfile::tempdir().unwrap();
    let (_pg, sim, mut desks) = three_desks(dir.path(), true);
    for d in &mut desks {
        d.start_sync();
    }
    for d in &desks {
        d.wait_connected();
    }
    let (a, b) = (&desks[0], &desks[1]);
    let sent = a.cli.json(&["send", "--patient", "ecm:1001", "--text", "See you at 3, from Ana's desk", "--json"]);
    assert_eq!(sent["status"], "accepted", "{sent}");
    a.cli.ok(&["note", "--patient", "ecm:1001", "--text", "Prefers mornings"]);
    b.cli.ok(&["assign", "--patient", "ecm:1001", "--me"]);
    let all: Vec<&TeamDesk> = desks.iter().collect();
    let shared = converge(&all, "a text, a note and an assignment", |s| {
        has_text(s, "Ana Lopez", "See you at 3, from Ana's desk", "Ana Ruiz")
            && has_note(s, "Ana Lopez", "Ana Ruiz", "Prefers mornings")
            && s["Ana Lopez"]["assigned_to"] == "ben"
            // The sandbox's patient answers: every desk read the reply
            // itself, and it is on each once.
            && texts_of(s, "Ana Lopez").iter().any(|t| t[1] == "inbound")
    });
    no_duplicates(&shared);
    assert_eq!(shared["Ben Carter"]["assigned_to"], Value::Null);
    // The thread shows who sent it, in the CLI's words too.
    let human = desks[2].cli.ok(&["thread", "--patient", "ecm:1001"]).stdout;
    assert!(human.contains("(by Ana Ruiz)"), "{human}");

    // Ben closes the thread: closed everywhere. A new reply reopens it.
    desks[1].cli.ok(&["close", "--patient", "ecm:1001"]);
    converge(&all, "the thread closed", |s| s["Ana Lopez"]["status"] == "closed");
    desks[2].cli.ok(&["send", "--patient", "ecm:1001", "--text", "Anything else?"]);
    let shared = converge(&all, "a new reply reopened the thread", |s| {
        has_text(s, "Ana Lopez", "Anything else?", "Cy Lind")
            && texts_of(s, "Ana Lopez").iter().filter(|t| t[1] == "inbound").count() == 2
            && s["Ana Lopez"]["status"] == "open"
    });
    no_duplicates(&shared);
    assert_eq!(shared["Ana Lopez"]["assigned_to"], "ben", "reopening keeps the assignment");
    // Each desk's texts carry ExternalKeys from the team's blocks (the upper
    // half of the 32-bit range): no key twice.
    let state = sim.h().state();
    assert!(state.his_sends.len() >= 2);
    assert!(state.his_sends.iter().all(|s| s.external_key >= 1 << 30), "{:?}", state.external_key_counts);
    assert!(state.external_key_counts.values().all(|&c| c == 1), "{:?}", state.external_key_counts);
}

#[test]
fn with_postgresql_down_desks_keep_working_and_converge_when_it_is_back() {
    let offline = Duration::from_secs(
        std::env::var("CAREDESK_TEAM_OFFLINE_SECS").ok().and_then(|v| v.parse().ok()).unwrap_or(20),
    );
    let dir = tempfile::tempdir().unwrap();
    let (mut pg, _sim, mut desks) = three_desks(dir.path(), true);
    for d in &mut desks {
        d.start_sync();
    }
    let all: Vec<&TeamDesk> = desks.iter().collect();
    converge(&all, "the roster joined", |s| s.as_object().unwrap().len() == 2);

    pg.stop();
    let (a, b, c) = (&desks[0], &desks[1], &desks[2]);
    // Reading, composing, sending, assigning, writing notes: all work.
    let sent =
        a.cli.json(&["send", "--patient", "ecm:1001", "--text", "Sent while the team database was down", "--json"]);
    assert_eq!(sent["status"], "accepted", "{sent}");
    b.cli.ok(&["send", "--patient", "ecm:1002", "--text", "Ben's text, also offline"]);
    b.cli.ok(&["note", "--patient", "ecm:1001", "--text", "Called her daughter"]);
    c.cli.ok(&["note", "--patient", "ecm:1002", "--text", "Needs a ride on Tuesday"]);
    c.cli.ok(&["assign", "--patient", "ecm:1002", "--to", "ben"]);
    b.cli.ok(&["close", "--patient", "ecm:1002"]);
    a.cli.ok(&["assign", "--patient", "ecm:1001", "--me"]);
    // The patient answers (the sandbox); Ana reads it.
    let deadline = Instant::now() + CONVERGE;
    while !texts_of(&a.shared(), "Ana Lopez").iter().any(|t| t[1] == "inbound") {
        assert!(Instant::now() < deadline, "no reply reached Ana's desk");
        std::thread::sleep(Duration::from_millis(300));
    }
    a.cli.ok(&["read", "--patient", "ecm:1001"]);
    a.cli.ok(&["thread", "--patient", "ecm:1002"]);
    // Each desk says what waits.
    std::thread::sleep(Duration::from_secs(2));
    for d in &desks {
        let out = d.cli.run(&["team", "status"]).expect_err();
        assert!(out.stderr.contains("waiting to be pushed"), "{}", out.stderr);
        assert!(!out.stderr.contains("this desk: 0 change"), "desk {} queued nothing: {}", d.role, out.stderr);
    }
    let before = desks[1].shared();
    assert!(!has_text(&before, "Ana Lopez", "Sent while the team database was down", "Ana Ruiz"));
    std::thread::sleep(offline);

    pg.restart();
    let shared = converge(&all, "after PostgreSQL came back", |s| {
        has_text(s, "Ana Lopez", "Sent while the team database was down", "Ana Ruiz")
            && has_text(s, "Ben Carter", "Ben's text, also offline", "Ben Okafor")
            && has_note(s, "Ana Lopez", "Ben Okafor", "Called her daughter")
            && has_note(s, "Ben Carter", "Cy Lind", "Needs a ride on Tuesday")
            && s["Ana Lopez"]["assigned_to"] == "ana"
            && s["Ben Carter"]["assigned_to"] == "ben"
            && s["Ben Carter"]["status"] == "closed"
    });
    no_duplicates(&shared);
    // 0 lost, 0 duplicated: each text, reply and note once on every desk.
    let count =
        |patient: &str, direction: &str| texts_of(&shared, patient).iter().filter(|t| t[1] == direction).count();
    assert_eq!(count("Ana Lopez", "outbound"), 1, "{shared}");
    assert_eq!(count("Ben Carter", "outbound"), 1, "{shared}");
    assert!(count("Ana Lopez", "inbound") >= 1, "{shared}");
    // Ana's read is hers, in the team database.
    let reads = pg.psql(DB, "SELECT count(*) FROM caredesk.read_state WHERE role = 'ana'").expect_ok();
    assert_eq!(reads.stdout.trim(), "1");
    for d in &desks {
        let status = d.cli.json(&["team", "status", "--json"]);
        assert_eq!(status["sync"]["waiting"], 0, "desk {}: {status}", d.role);
    }
}

#[test]
fn two_members_assigning_one_thread_at_once_end_with_one_assignment_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let (pg, _sim, mut desks) = three_desks(dir.path(), false);
    for d in &mut desks {
        d.start_sync();
    }
    // A thread (the thread list shows patients with texts or calls).
    desks[2].cli.ok(&["send", "--patient", "ecm:1001", "--text", "Your appointment is on Monday"]);
    let all: Vec<&TeamDesk> = desks.iter().collect();
    converge(&all, "a thread to assign", |s| has_text(s, "Ana Lopez", "Your appointment is on Monday", "Cy Lind"));
    // Both see the thread unassigned and assign it before hearing of the other.
    desks[0].stop_sync();
    desks[1].stop_sync();
    desks[0].cli.ok(&["assign", "--patient", "ecm:1001", "--me"]);
    desks[1].cli.ok(&["assign", "--patient", "ecm:1001", "--me"]);
    desks[0].start_sync();
    desks[1].start_sync();
    let all: Vec<&TeamDesk> = desks.iter().collect();
    let shared = converge(&all, "one assignment", |s| {
        let to = &s["Ana Lopez"]["assigned_to"];
        to == "ana" || to == "ben"
    });
    let decided = pg
        .psql(
            DB,
            "SELECT actor, body->>'accepted', body->>'assigned_to' FROM caredesk.changes
              WHERE kind = 'thread.assign' ORDER BY pos",
        )
        .expect_ok()
        .stdout;
    let rows: Vec<&str> = decided.lines().collect();
    assert_eq!(rows.len(), 2, "{decided}");
    let winner = shared["Ana Lopez"]["assigned_to"].as_str().unwrap();
    assert_eq!(rows[0], format!("{winner}|true|{winner}"), "the first to commit wins: {decided}");
    assert!(rows[1].ends_with(&format!("|false|{winner}")), "the second is told who has it: {decided}");
}

#[test]
fn a_change_pushed_twice_after_a_lost_answer_is_in_the_log_and_on_every_desk_once() {
    let dir = tempfile::tempdir().unwrap();
    let (pg, _sim, mut desks) = three_desks(dir.path(), false);
    desks[1].start_sync();
    let a = &desks[0];
    a.cli.ok(&["sync", "--once"]);
    a.cli.ok(&["note", "--patient", "ecm:1001", "--text", "Pushed twice"]);
    // Ana's desk pushes the note, PostgreSQL commits it, and the answer is
    // lost: the desk still has it waiting.
    let desk = Arc::new(Mutex::new(
        Desk::open(DeskOptions { data_dir: Some(a.cli.data_dir.clone()), ..Default::default() }).unwrap(),
    ));
    let rt = runtime();
    rt.block_on(async {
        let opts = desk.lock().unwrap().team_connection().unwrap().unwrap();
        let mut session = Session::open(&desk, &opts).await.unwrap();
        let batch = team::push_batch(&mut session, &desk).await.unwrap().expect("the note waits");
        assert_eq!((batch.appended, batch.already), (1, 0));
        // Not confirmed: the answer never came.
    });
    let waiting = desk.lock().unwrap().db().team_waiting().unwrap();
    assert_eq!(waiting, 1, "the desk does not know the push went through");
    drop(desk);
    // Pushed again by the desk's next sync: the log has it already.
    a.cli.ok(&["sync", "--once"]);
    let copies = pg
        .psql(DB, "SELECT count(*), count(DISTINCT (desk_id, desk_seq)) FROM caredesk.changes WHERE kind = 'note.add'")
        .expect_ok()
        .stdout;
    assert_eq!(copies.trim(), "1|1", "the note is in the log once");
    let status = a.cli.json(&["team", "status", "--json"]);
    assert_eq!(status["sync"]["waiting"], 0, "{status}");
    desks[2].cli.ok(&["sync", "--once"]);
    for d in &desks[1..] {
        let deadline = Instant::now() + CONVERGE;
        loop {
            let notes = d.cli.json(&["notes", "--patient", "ecm:1001", "--json"]);
            let n = notes.as_array().unwrap().iter().filter(|n| n["text"] == "Pushed twice").count();
            if n == 1 {
                break;
            }
            assert!(n < 2 && Instant::now() < deadline, "desk {}: {notes}", d.role);
            std::thread::sleep(Duration::from_millis(300));
            if d.sync.is_none() {
                d.cli.ok(&["sync", "--once"]);
            }
        }
    }
}
