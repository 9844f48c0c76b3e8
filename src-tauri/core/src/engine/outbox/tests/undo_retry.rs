//! Undo send (the hold before the worker may take a text) and Retry (a
//! failed text sent again).

use chrono::Utc;

use super::*;
use crate::{rules::error::ErrorCode, store::outbox::ts};

/// A text to Ana held for `delay`, as the app's Send records it.
fn held(env: &Env, text: &str, route: Route, delay: Duration) -> Enqueued {
    let d = env.desk.lock().unwrap();
    enqueue_with(&d, &request(ANA, None, text, route), Hold { delay, ..Hold::default() }).unwrap()
}

fn hold_of(env: &Env, message_id: i64) -> chrono::DateTime<Utc> {
    crate::store::outbox::parse_ts(env.item(message_id).hold_until.as_deref().expect("held")).unwrap()
}

#[tokio::test]
async fn the_worker_does_not_claim_a_held_text_before_its_hold_and_does_after() {
    let env = Env::new().await;
    let q = held(&env, "Held a moment", Route::His, Duration::from_secs(30));
    let item = env.item(q.message_id);
    let hold = hold_of(&env, q.message_id);
    // Due at once by its schedule (as after any reschedule): the hold alone keeps it.
    env.desk
        .lock()
        .unwrap()
        .db()
        .conn()
        .execute(
            "UPDATE outbox SET next_attempt_at = ?1 WHERE id = ?2",
            rusqlite::params![ts(Utc::now()), item.outbox_id],
        )
        .unwrap();
    let before = hold - chrono::Duration::milliseconds(1);
    let lease = hold + chrono::Duration::minutes(11);
    {
        let d = env.desk.lock().unwrap();
        assert!(d.db().due_outbox(before, 10).unwrap().is_empty(), "not due within its hold");
        assert!(!d.db().claim_attempt(item.outbox_id, 1, "", before, lease).unwrap(), "no claim within its hold");
    }
    let r = env.drain().await;
    assert_eq!((r.attempted, r.accepted), (0, 0), "{r:?}");
    assert_eq!(env.sim().state().sends_to(ANA_NUMBER, "Held a moment"), 0);
    let outcome = crate::engine::send::sms_outcome(&env.desk, q.message_id).unwrap();
    assert_eq!((outcome.status, outcome.hold_until.clone()), (SendStatus::Queued, Some(ts(hold))), "{outcome:?}");
    let d = env.desk.lock().unwrap();
    assert_eq!(d.db().due_outbox(hold, 10).unwrap().len(), 1, "due once its hold has passed");
    assert!(d.db().claim_attempt(item.outbox_id, 2, "", hold, lease).unwrap(), "claimed once its hold has passed");
}

#[tokio::test]
async fn a_held_text_goes_out_once_when_its_hold_has_passed() {
    let env = Env::new().await;
    let q = held(&env, "After the delay", Route::His, Duration::from_millis(150));
    assert_eq!(env.drain().await.attempted, 0);
    assert!(env.drain().await.next_in_ms.is_some_and(|ms| ms <= 150), "the worker wakes for it");
    tokio::time::sleep(Duration::from_millis(170)).await;
    env.drain_until_empty(20).await;
    assert_eq!(env.sim().state().sends_to(ANA_NUMBER, "After the delay"), 1);
    assert_eq!(crate::engine::send::sms_outcome(&env.desk, q.message_id).unwrap().status, SendStatus::Accepted);
}

#[tokio::test]
async fn undo_within_the_hold_deletes_the_text_and_audits_it_and_nothing_is_sent() {
    let env = Env::new().await;
    let q = held(&env, "Oops, wrong patient", Route::His, Duration::from_millis(100));
    let item = env.item(q.message_id);
    let undone = undo_send(&env.desk.lock().unwrap(), q.message_id).unwrap();
    assert_eq!((undone.text.as_str(), undone.to.as_str(), undone.via), ("Oops, wrong patient", ANA_NUMBER, Route::His));
    assert_eq!(env.count(&format!("SELECT count(*) FROM messages WHERE id = {}", q.message_id)), 0);
    assert_eq!(env.count("SELECT count(*) FROM outbox"), 0);
    assert_eq!(env.count("SELECT count(*) FROM audit_log WHERE action = 'sms.undo'"), 1);
    tokio::time::sleep(Duration::from_millis(120)).await;
    let later = Utc::now() + chrono::Duration::minutes(1);
    let claimed = env.desk.lock().unwrap().db().claim_attempt(item.outbox_id, 1, "", later, later).unwrap();
    assert!(!claimed, "nothing left to claim");
    assert_eq!(env.drain().await.attempted, 0);
    assert_eq!(env.sim().state().sends_to(ANA_NUMBER, "Oops, wrong patient"), 0);
    // Undone twice: not in the outbox any more.
    let again = undo_send(&env.desk.lock().unwrap(), q.message_id).unwrap_err();
    assert_eq!(again.code(), ErrorCode::NotFound, "{again}");
}

#[tokio::test]
async fn undo_after_the_worker_claimed_the_text_fails_typed_and_the_text_goes_out() {
    let env = Env::new().await;
    let q = held(&env, "Too late to undo", Route::His, Duration::from_millis(30));
    let item = env.item(q.message_id);
    let hold = hold_of(&env, q.message_id);
    let token = 9;
    assert!(env
        .desk
        .lock()
        .unwrap()
        .db()
        .claim_attempt(item.outbox_id, token, magic::HOSPITAL_NUMBER, hold, hold + chrono::Duration::minutes(11))
        .unwrap());
    let e = undo_send(&env.desk.lock().unwrap(), q.message_id).unwrap_err();
    assert_eq!(e.code(), ErrorCode::TooLateToUndo, "{e}");
    assert!(
        matches!(e.downcast_ref(), Some(OutboxActionError::TooLateToUndo { state, .. }) if state == "in_flight"),
        "{e:?}"
    );
    assert_eq!(env.item(q.message_id).state, "in_flight", "the failed undo changed nothing");
    // That worker's attempt is cut short (its claim released): checked, then sent, once.
    assert!(env.desk.lock().unwrap().db().release_claim(item.outbox_id, token, ECM_UNCERTAIN, Utc::now()).unwrap());
    tokio::time::sleep(Duration::from_millis(40)).await;
    env.drain_until_empty(20).await;
    assert_eq!(env.sim().state().sends_to(ANA_NUMBER, "Too late to undo"), 1);
    let e = undo_send(&env.desk.lock().unwrap(), q.message_id).unwrap_err();
    assert_eq!(e.code(), ErrorCode::TooLateToUndo, "sent: {e}");
}

#[tokio::test]
async fn a_hold_that_passed_while_closed_goes_out_once_at_the_next_start() {
    let mut env = Env::new().await;
    let q = held(&env, "Sent after a restart", Route::His, Duration::from_millis(100));
    // CareDesk closes within the hold, and opens again after it.
    drop(std::mem::replace(&mut env.desk, Mutex::new(open_desk(env.dir.path(), &env.store))));
    env.desk = Mutex::new(open_desk(env.dir.path(), &env.store));
    assert_eq!(env.item(q.message_id).state, "pending", "the hold is in the database");
    tokio::time::sleep(Duration::from_millis(120)).await;
    assert_eq!(recover(&env.desk).unwrap(), 0);
    env.drain_until_empty(20).await;
    env.drain().await;
    assert_eq!(env.sim().state().sends_to(ANA_NUMBER, "Sent after a restart"), 1);
    assert_eq!(crate::engine::send::sms_outcome(&env.desk, q.message_id).unwrap().status, SendStatus::Accepted);
}

#[tokio::test]
async fn retry_sends_a_refused_text_again_once_and_refuses_what_went_or_may_have() {
    // ECM does not know this patient yet: it refuses the text for good.
    let options = SandboxOptions { replies: false, ecm_patients: vec![], ..SandboxOptions::for_tests() };
    let env = Env::with_sandbox(&[], options).await;
    let ana_ecm = 1001;
    let refused = env.send(ANA, None, "Your appointment moved", Route::Ecm).await;
    assert_status(&refused, SendStatus::Refused);
    env.sim().register_ecm_patient(ana_ecm);
    let retry = retry_message(&env.desk.lock().unwrap(), refused.message_id, Duration::ZERO).unwrap();
    assert_ne!(retry.message_id, refused.message_id, "a new message");
    let e = retry_message(&env.desk.lock().unwrap(), refused.message_id, Duration::ZERO).unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotRetryable, "retried twice: {e}");
    env.drain_until_empty(20).await;
    let ecm_sent = |text: &str| env.sim().state().ecm_sms.iter().filter(|s| s.body.as_deref() == Some(text)).count();
    assert_eq!(ecm_sent("Your appointment moved"), 1, "sent once");
    assert_eq!(crate::engine::send::sms_outcome(&env.desk, retry.message_id).unwrap().status, SendStatus::Accepted);
    assert_eq!(env.count("SELECT count(*) FROM audit_log WHERE detail LIKE '%Retry of message%'"), 1);
    // Accepted: not retried.
    let e = retry_message(&env.desk.lock().unwrap(), retry.message_id, Duration::ZERO).unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotRetryable, "{e}");
    // Uncertain (ECM may have sent it): not retried either.
    let q = enqueue(&env.desk, request(ANA, None, "Maybe sent", Route::Ecm)).unwrap();
    let now = Utc::now();
    let item = env.item(q.message_id);
    assert!(env
        .desk
        .lock()
        .unwrap()
        .db()
        .claim_attempt(item.outbox_id, 1, "", now, now + chrono::Duration::minutes(11))
        .unwrap());
    assert_eq!(recover(&env.desk).unwrap(), 1);
    let e = retry_message(&env.desk.lock().unwrap(), q.message_id, Duration::ZERO).unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotRetryable, "{e}");
    assert!(e.to_string().contains("may have been sent"), "{e}");
}
