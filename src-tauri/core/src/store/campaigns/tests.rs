//! The campaign tables: a recipient is queued once, with its message, in
//! one transaction; caps count campaign texts per number over a day and a
//! week; replies within the window are read as answers.

use chrono::{DateTime, TimeDelta, Utc};

use super::*;
use crate::store::{attach_test_audit, test_db, Route};

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn campaign(db: &Database, caps: Caps, numbers: &[&str], now: DateTime<Utc>) -> i64 {
    db.conn()
        .execute("INSERT OR IGNORE INTO patients (id, name, name_key, created_at, updated_at) VALUES (1, 'A', 'a', 'x', 'x')", [])
        .unwrap();
    let answers = Answers::parse("1=confirm,2=cancel").unwrap();
    let c = NewCampaign {
        name: "June",
        template: "T",
        body: "Hi",
        route: Route::His,
        start_at: None,
        caps,
        answers: &answers,
        answer_window_hours: 72,
    };
    let recipients: Vec<NewRecipient> = numbers
        .iter()
        .map(|n| NewRecipient {
            patient_id: Some(1),
            ecm_patient_id: None,
            number: Some(n.to_string()),
            time_zone: None,
            merge_values: "{}".into(),
            body: Some(format!("Hi {n}")),
            skip: None,
        })
        .collect();
    db.create_campaign(&c, &recipients, "tester", now).unwrap()
}

fn outbound(to: &str) -> NewOutbound {
    NewOutbound {
        patient_id: Some(1),
        route: Route::His,
        from: String::new(),
        to: to.into(),
        intended_to: None,
        body: format!("Hi {to}"),
        external_key: None,
        is_test: false,
    }
}

fn queue_all(db: &Database, id: i64, now: DateTime<Utc>) -> usize {
    let mut n = 0;
    for r in db.due_recipients(id, now, 100).unwrap() {
        if db.queue_campaign_recipient(r.id, &outbound(&r.number), "t", "t", "queued", None, now).unwrap().is_some() {
            n += 1;
        }
    }
    n
}

#[test]
fn a_recipient_is_queued_once_with_its_message_and_outbox_row() {
    let (_d, db) = test_db();
    let now = utc("2026-06-10T15:00:00Z");
    let id = campaign(&db, Caps::default(), &["+18055550100", "+18055550101"], now);
    let r = db.due_recipients(id, now, 10).unwrap();
    assert_eq!(r.len(), 2);
    let first = db.queue_campaign_recipient(r[0].id, &outbound(&r[0].number), "t", "t", "q", None, now).unwrap();
    assert!(first.is_some());
    // Queued already: a second worker (or a process restarted) writes nothing.
    assert_eq!(db.queue_campaign_recipient(r[0].id, &outbound(&r[0].number), "t", "t", "q", None, now).unwrap(), None);
    let messages: i64 = db.conn().query_row("SELECT count(*) FROM messages", [], |r| r.get(0)).unwrap();
    let outbox: i64 = db.conn().query_row("SELECT count(*) FROM outbox", [], |r| r.get(0)).unwrap();
    assert_eq!((messages, outbox), (1, 1));
    assert_eq!(db.campaign_open_texts(id).unwrap(), 1);
    assert_eq!(db.campaign_tally(id).unwrap(), (2, 1, 0));
    // A message row that cannot be written (its ExternalKey taken) leaves the recipient pending.
    let taken = NewOutbound { external_key: Some(first.unwrap().external_key), ..outbound(&r[1].number) };
    assert!(db.queue_campaign_recipient(r[1].id, &taken, "t", "t", "q", None, now).is_err());
    assert_eq!(db.campaign_tally(id).unwrap(), (2, 1, 0));
    let counts = db.campaign_counts(id).unwrap();
    assert_eq!((counts.total, counts.pending, counts.sent, counts.failed), (2, 2, 0, 0));
}

#[test]
fn caps_count_campaign_texts_to_a_number_over_a_day_and_a_week() {
    let (_d, db) = test_db();
    let n = "+18055550100";
    let day0 = utc("2026-06-01T15:00:00Z");
    for d in 0..3 {
        let at = day0 + TimeDelta::days(d);
        let id = campaign(&db, Caps::default(), &[n], at);
        assert_eq!(queue_all(&db, id, at), 1);
    }
    let next = day0 + TimeDelta::days(2) + TimeDelta::hours(23);
    assert_eq!(db.campaign_texts_to(n, next).unwrap(), (1, 3));
    assert!(!Caps::default().allows(1, 3));
    // A week after the first: two left in the week, none in the last day.
    let later = day0 + TimeDelta::days(7) + TimeDelta::hours(1);
    assert_eq!(db.campaign_texts_to(n, later).unwrap(), (0, 2));
    assert!(Caps::default().allows(0, 2));
    assert_eq!(db.campaign_texts_to("+18055550199", later).unwrap(), (0, 0));
}

#[test]
fn a_reply_within_the_window_naming_an_answer_is_recorded_once() {
    let (_d, db) = test_db();
    let n = "+18055550100";
    let sent = utc("2026-06-10T15:00:00Z");
    let id = campaign(&db, Caps::default(), &[n], sent);
    queue_all(&db, id, sent);
    // A message for the reply to be (the answer points at it).
    let reply_id: i64 = db.conn().query_row("SELECT max(id) FROM messages", [], |r| r.get(0)).unwrap();
    let reply = |at: DateTime<Utc>, text: &str| db.record_campaign_answer(reply_id, n, text, at).unwrap();
    assert_eq!(reply(sent + TimeDelta::hours(1), "see you"), None, "an ordinary reply");
    assert_eq!(reply(sent + TimeDelta::hours(73), "1"), None, "after the window");
    assert_eq!(reply(sent + TimeDelta::hours(2), " 1 ").as_deref(), Some("confirm"));
    assert_eq!(reply(sent + TimeDelta::hours(3), "2"), None, "answered already");
    assert_eq!(db.answer_of_reply(reply_id).unwrap().as_deref(), Some("confirm"));
    assert_eq!(db.campaign_counts(id).unwrap().answers.get("confirm"), Some(&1));
}

#[test]
fn a_cancel_skips_the_rest_and_the_state_changes_only_from_where_it_is() {
    let (_d, db) = test_db();
    let now = utc("2026-06-10T15:00:00Z");
    let id = campaign(&db, Caps::default(), &["+18055550100", "+18055550101", "+18055550102"], now);
    let r = db.due_recipients(id, now, 1).unwrap();
    db.queue_campaign_recipient(r[0].id, &outbound(&r[0].number), "t", "t", "q", None, now).unwrap();
    assert!(db.set_campaign_state(id, CampaignState::Draft, CampaignState::Running, "start", "t", now).unwrap());
    assert!(!db.set_campaign_state(id, CampaignState::Draft, CampaignState::Running, "start", "t", now).unwrap());
    assert!(db.set_campaign_state(id, CampaignState::Running, CampaignState::Cancelled, "cancel", "t", now).unwrap());
    let counts = db.campaign_counts(id).unwrap();
    assert_eq!(counts.skipped.iter().filter(|s| s.reason == "cancelled").count(), 2);
    assert_eq!(db.campaign_pending(id).unwrap(), 0);
}

#[test]
fn a_text_held_for_quiet_hours_survives_a_restart_and_goes_at_the_opening() {
    let (dir, db) = test_db();
    let night = utc("2026-06-11T05:00:00Z");
    let opens = utc("2026-06-11T15:00:00Z");
    let id = campaign(&db, Caps::default(), &["+18055550100"], night);
    let r = db.due_recipients(id, night, 1).unwrap();
    let ids =
        db.queue_campaign_recipient(r[0].id, &outbound(&r[0].number), "t", "t", "q", None, night).unwrap().unwrap();
    // The worker's claim-time check holds it until the window opens.
    assert!(db.hold_for_quiet_hours(ids.outbox_id, opens, night).unwrap());
    drop(db);
    let mut db = Database::open(&dir.path().join("t.db"), &crate::rules::secret::Secret::new("ab".repeat(32))).unwrap();
    attach_test_audit(&mut db);
    let held = db.outbox_item(ids.message_id).unwrap().unwrap();
    assert_eq!(held.hold_reason, Some(crate::store::outbox::HoldReason::QuietHours));
    assert!(db.due_outbox(opens - TimeDelta::seconds(1), 10).unwrap().is_empty(), "not before the opening");
    assert!(!db.claim_attempt(ids.outbox_id, 1, "", opens - TimeDelta::seconds(1), opens).unwrap());
    assert_eq!(db.due_outbox(opens, 10).unwrap().len(), 1, "due at the opening");
    assert!(db.claim_attempt(ids.outbox_id, 1, "", opens, opens + TimeDelta::minutes(5)).unwrap());
}
