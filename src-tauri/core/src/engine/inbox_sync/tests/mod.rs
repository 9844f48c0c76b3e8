//! Inbox sync tests: page application over a test database (unit and
//! property tests), and the whole loop over real HTTP against the sandbox
//! ([`http`]).

mod http;
mod prop;
mod real_servers;

use chrono::{DateTime, FixedOffset, Utc};

use super::{cursor, merge::ApplyContext, ServerClock, INCOMING};
use crate::{
    gateways::his::{
        time::HisTime,
        wire::{HisMessage, MessageState, MessageType},
    },
    rules::phone::{self, Region},
    store::{
        test_db, upsert_patient, Accepted, ContactPointInput, Database, NewOutbound, PatientInput, PhoneKind, Route,
    },
};

pub(super) fn ctx() -> ApplyContext {
    let now = DateTime::parse_from_rfc3339("2030-01-01T00:00:00Z").unwrap().with_timezone(&Utc);
    let utc = FixedOffset::east_opt(0).unwrap();
    ApplyContext { region: Region::default(), clock: ServerClock::fixed(now, utc, chrono::TimeDelta::zero()) }
}

pub(super) fn incoming(id: i64, from: &str, text: &str, at: &str) -> HisMessage {
    HisMessage {
        id,
        from: from.into(),
        to: "15550100000".into(),
        kind: MessageType::Incoming,
        created_at: HisTime::parse(at).unwrap(),
        updated_at: HisTime::parse(at).unwrap(),
        text: text.into(),
        state: MessageState::Delivered,
        reply_to_message_id: None,
        external_key: None,
    }
}

pub(super) fn add_patient(db: &mut Database, name: &str, number: &str) -> i64 {
    let input = PatientInput {
        ecm_patient_id: None,
        fhir_id: Some(name.into()),
        name: name.into(),
        phones: vec![ContactPointInput {
            number: phone::normalize(number, Region::default()).unwrap(),
            kind: PhoneKind::Patient,
            name: None,
            relationship: None,
        }],
        time_zone: None,
    };
    let tx = db.conn_mut().transaction().unwrap();
    let id = upsert_patient(&tx, &input).unwrap().id;
    tx.commit().unwrap();
    id
}

fn outbound(db: &Database, patient_id: i64, to: &str, his_id: i64, state: &str) -> i64 {
    let id = db
        .insert_outbound(&NewOutbound {
            patient_id: Some(patient_id),
            route: Route::His,
            from: "15550100000".into(),
            to: to.into(),
            intended_to: None,
            body: "Your appointment is tomorrow".into(),
            external_key: Some(his_id + 1_000),
            is_test: false,
        })
        .unwrap();
    db.mark_accepted(
        id,
        &Accepted {
            state: state.into(),
            server_state: Some("Accepted".into()),
            his_id: Some(his_id),
            server_created_at: Some("2024-01-01T09:00:00.0000000+00:00".into()),
            ..Default::default()
        },
    )
    .unwrap();
    id
}

fn count(db: &Database, sql: &str) -> i64 {
    db.conn().query_row(sql, [], |r| r.get(0)).unwrap()
}

fn row(db: &Database, his_id: i64) -> (Option<i64>, String, String, Option<String>, Option<String>) {
    db.conn()
        .query_row(
            "SELECT patient_id, from_number, state, server_state, flagged FROM messages WHERE his_id = ?1",
            [his_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .unwrap()
}

#[test]
fn a_page_stores_replies_once_and_moves_the_cursor() {
    let (_d, mut db) = test_db();
    let ana = add_patient(&mut db, "Ana", "+18055550100");
    let page = vec![
        incoming(2, "18055550100", "See you", "2024-01-01T10:00:01"),
        incoming(1, "18055550100", "Yes", "2024-01-01T10:00:00"),
        incoming(2, "18055550100", "See you", "2024-01-01T10:00:01"),
        incoming(3, "18055550199", "who is this?", "2024-01-01T10:00:01"),
    ];
    let r = super::apply_incoming_page(&db, &page, &ctx()).unwrap();
    assert_eq!((r.fetched, r.new, r.duplicates, r.unmatched, r.updated), (4, 3, 1, 1, 0));
    assert_eq!(row(&db, 1), (Some(ana), "+18055550100".into(), "received".into(), Some("Delivered".into()), None));
    assert_eq!(row(&db, 3).0, None);
    assert_eq!(cursor::read_cursor(&db, INCOMING).unwrap(), HisTime::parse("2024-01-01T10:00:01"));
    // Ana's thread reads in server order, whatever the page order.
    let thread: Vec<String> = db.thread(ana, 10).unwrap().into_iter().map(|t| t.text).collect();
    assert_eq!(thread, ["Yes", "See you"]);

    let again = super::apply_incoming_page(&db, &page, &ctx()).unwrap();
    assert_eq!((again.new, again.updated, again.duplicates), (0, 0, 4));
    assert_eq!(count(&db, "SELECT count(*) FROM messages"), 3);
}

#[test]
fn a_newer_copy_updates_and_an_older_one_is_ignored() {
    let (_d, db) = test_db();
    let first = incoming(7, "18055550100", "Yes", "2024-01-01T10:00:00");
    super::apply_incoming_page(&db, std::slice::from_ref(&first), &ctx()).unwrap();
    let mut seen = first.clone();
    seen.state = MessageState::Seen;
    seen.updated_at = HisTime::parse("2024-01-01T10:03:00").unwrap();
    let r = super::apply_incoming_page(&db, &[seen], &ctx()).unwrap();
    assert_eq!((r.new, r.updated), (0, 1));
    // The old copy comes again (a stale page): nothing changes, the cursor stays.
    let r = super::apply_incoming_page(&db, &[first], &ctx()).unwrap();
    assert_eq!((r.updated, r.duplicates), (0, 1));
    assert_eq!(row(&db, 7).3.as_deref(), Some("Seen"));
    assert_eq!(cursor::read_cursor(&db, INCOMING).unwrap(), HisTime::parse("2024-01-01T10:03:00"));
    assert_eq!(count(&db, "SELECT count(*) FROM messages"), 1);
}

#[test]
fn consent_applies_once_per_new_message() {
    let (_d, mut db) = test_db();
    add_patient(&mut db, "Chloe", "+18055550103");
    let stop = incoming(10, "18055550103", " Stop! ", "2024-01-01T10:00:00");
    let r = super::apply_incoming_page(&db, std::slice::from_ref(&stop), &ctx()).unwrap();
    assert_eq!(r.opt_outs, 1);
    assert!(db.is_opted_out("+18055550103").unwrap());
    let start = incoming(11, "18055550103", "START", "2024-01-01T10:05:00");
    let r = super::apply_incoming_page(&db, std::slice::from_ref(&start), &ctx()).unwrap();
    assert_eq!(r.opt_ins, 1);
    // The STOP read again (overlap, reconciliation) must not opt out again.
    let r = super::apply_incoming_page(&db, &[stop, start], &ctx()).unwrap();
    assert_eq!((r.opt_outs, r.opt_ins, r.duplicates), (0, 0, 2));
    assert!(!db.is_opted_out("+18055550103").unwrap());
    let log: Vec<(String, i64)> = {
        let mut s = db
            .conn()
            .prepare("SELECT l.new_state, m.his_id FROM consent_log l JOIN messages m ON m.id = l.source_message_id ORDER BY l.id")
            .unwrap();
        s.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect()
    };
    assert_eq!(log, [("opted_out".to_string(), 10), ("opted_in".to_string(), 11)]);

    // Free text is flagged, never acted on; HELP is flagged.
    let page = [
        incoming(12, "18055550103", "please stop texting me", "2024-01-01T10:06:00"),
        incoming(13, "18055550103", "HELP", "2024-01-01T10:07:00"),
    ];
    let r = super::apply_incoming_page(&db, &page, &ctx()).unwrap();
    assert_eq!((r.flagged, r.opt_outs), (2, 0));
    assert_eq!(row(&db, 12).4.as_deref(), Some("revocation"));
    assert_eq!(row(&db, 13).4.as_deref(), Some("help"));
    assert!(!db.is_opted_out("+18055550103").unwrap());
}

#[test]
fn replies_join_the_thread_of_the_message_they_answer() {
    let (_d, mut db) = test_db();
    let elena = add_patient(&mut db, "Elena", "+18055550106");
    let frank = add_patient(&mut db, "Frank", "+18055550106");
    outbound(&db, elena, "+18055550106", 500, "delivered");
    outbound(&db, frank, "+18055550106", 501, "delivered");
    let mut to_elena = incoming(20, "18055550106", "Yes", "2023-12-31T00:00:00");
    to_elena.reply_to_message_id = Some(500);
    let plain = incoming(21, "18055550106", "Who is asking?", "2030-06-01T00:00:00");
    super::apply_incoming_page(&db, &[to_elena, plain], &ctx()).unwrap();
    assert_eq!(row(&db, 20).0, Some(elena), "reply-to beats the most recently messaged");
    assert_eq!(row(&db, 21).0, Some(frank), "shared number: the most recently messaged");
    // Times are clamped: after the message answered, not after now.
    let at = |his_id: i64| -> String {
        db.conn().query_row("SELECT created_at FROM messages WHERE his_id = ?1", [his_id], |r| r.get(0)).unwrap()
    };
    let sent_at: String =
        db.conn().query_row("SELECT created_at FROM messages WHERE his_id = 500", [], |r| r.get(0)).unwrap();
    assert!(at(20) > sent_at, "{} after {sent_at}", at(20));
    assert_eq!(at(21), "2030-01-01T00:00:00.000000Z");
}

#[test]
fn a_reply_from_another_phone_is_filed_by_its_own_number_not_by_reply_to() {
    let (_d, mut db) = test_db();
    let ana = add_patient(&mut db, "Ana", "+18055550100");
    let ben = add_patient(&mut db, "Ben", "+18055550102");
    outbound(&db, ana, "+18055550100", 700, "delivered");
    let reply = |id: i64, from: &str| {
        let mut m = incoming(id, from, "Yes, that works", "2024-01-01T10:00:00");
        m.reply_to_message_id = Some(700);
        m
    };
    let page = [reply(30, "18055550100"), reply(31, "18055550102"), reply(32, "18055550199"), reply(33, "8055550100")];
    let r = super::apply_incoming_page(&db, &page, &ctx()).unwrap();
    assert_eq!(row(&db, 30).0, Some(ana), "from the number the message went to: its thread");
    assert_eq!(row(&db, 31).0, Some(ben), "from Ben's phone: Ben's thread, not Ana's");
    assert_eq!(row(&db, 32).0, None, "from a stranger's phone: unmatched, not Ana's");
    assert_eq!(row(&db, 33).0, Some(ana), "the same number written nationally: E.164 forms compared");
    assert_eq!(r.unmatched, 1);
    let ana_thread: Vec<i64> = db
        .thread(ana, 10)
        .unwrap()
        .into_iter()
        .filter(|t| t.direction == "inbound")
        .map(|t| t.server_id.unwrap().parse().unwrap())
        .collect();
    assert_eq!(ana_thread, [30, 33]);
}

#[test]
fn outgoing_states_only_move_forward() {
    let (_d, mut db) = test_db();
    let ana = add_patient(&mut db, "Ana", "+18055550100");
    let a = outbound(&db, ana, "+18055550100", 600, "sent");
    let b = outbound(&db, ana, "+18055550100", 601, "sent");
    let out = |id: i64, state: MessageState, at: &str| HisMessage {
        kind: MessageType::Outgoing,
        state,
        updated_at: HisTime::parse(at).unwrap(),
        ..incoming(id, "15550100000", "x", "2024-01-01T09:00:00")
    };
    let page = [
        out(600, MessageState::Delivered, "2024-01-01T09:00:05"),
        out(600, MessageState::Enroute, "2024-01-01T09:00:01"),
        out(601, MessageState::Enroute, "2024-01-01T09:00:01"),
        out(999, MessageState::Delivered, "2024-01-01T09:00:01"),
    ];
    let r = super::apply_outgoing_page(&db, &page).unwrap();
    assert_eq!((r.fetched, r.updated, r.finalized, r.unknown), (4, 2, 1, 1));
    let state = |id: i64| -> (String, String, String) {
        db.conn()
            .query_row("SELECT state, server_state, server_updated_at FROM messages WHERE id = ?1", [id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .unwrap()
    };
    assert_eq!(state(a), ("delivered".into(), "Delivered".into(), "2024-01-01T09:00:05.0000000".into()));
    assert_eq!(state(b).0, "enroute");
    // A late page saying Enroute, Accepted or Unknown never undoes Delivered.
    for late in [MessageState::Enroute, MessageState::Accepted, MessageState::Unknown, MessageState::None] {
        let r = super::apply_outgoing_page(&db, &[out(600, late, "2024-01-01T09:00:09")]).unwrap();
        assert_eq!(r.updated, 0);
    }
    assert_eq!(state(a).0, "delivered");
    let r = super::apply_outgoing_page(&db, &[out(601, MessageState::Undeliverable, "2024-01-01T09:01:00")]).unwrap();
    assert_eq!((r.updated, r.finalized), (1, 1));
    assert_eq!(state(b).0, "undelivered");
}

/// The entry points can run on a multi-threaded runtime (`tokio::spawn`):
/// the desk's lock is never held across an `.await`. Checked at compile time.
#[allow(dead_code)]
fn entry_points_are_send(
    desk: &'static std::sync::Mutex<crate::desk::Desk>,
    his: &'static crate::gateways::his::client::HisClient,
) {
    fn send<T: Send>(_: T) {}
    send(super::poll_incoming(desk, his));
    send(super::reconcile_incoming(desk, his));
    send(super::refresh_outgoing(desk, his));
}
