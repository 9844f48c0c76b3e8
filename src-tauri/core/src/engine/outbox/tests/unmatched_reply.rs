//! Staff reply to an unmatched number from the Unmatched inbox: through the
//! outbox like every send (held for the undo delay, sent once), marked and
//! audited as a reply to an unmatched number, with opt-out still checked.

use super::*;
use crate::{
    engine::send::reply_to_unmatched,
    rules::error::ErrorCode,
    rules::phone::Region,
    store::{test_inbound, LinkContact},
};

const STRANGER: &str = "+16175550123";

fn wrote(env: &Env, from: &str, text: &str) {
    test_inbound(env.desk.lock().unwrap().db(), None, from, text, "2026-01-01T10:00:00.000000Z");
}

fn reply_entries(env: &Env) -> Vec<crate::store::AuditEntry> {
    let d = env.desk.lock().unwrap();
    let all = d.db().audit_entries(100).unwrap();
    all.into_iter().filter(|e| e.action == "sms.send" && e.detail.contains(UNMATCHED_REPLY_AUDIT)).collect()
}

#[tokio::test]
async fn a_reply_waits_out_the_undo_delay_then_goes_once_marked_and_audited() {
    let env = Env::new().await;
    wrote(&env, STRANGER, "Who is this?");
    let held = SendOptions { undo_delay: Duration::from_millis(200), ..env.options() };
    let o = reply_to_unmatched(&env.desk, &env.gw, "(617) 555-0123", "This is the clinic", held).await.unwrap();
    assert_status(&o, SendStatus::Queued);
    assert!(o.hold_until.is_some(), "held for Undo: {o:?}");
    assert_eq!((o.patient_id, o.route, o.to.as_str()), (None, Route::His, STRANGER));
    assert_eq!(env.drain().await.attempted, 0, "not within the undo delay");
    assert_eq!(env.sim().state().sends_to(STRANGER, "This is the clinic"), 0);

    // The Unmatched view shows it beside the text it answers, with its countdown.
    {
        let d = env.desk.lock().unwrap();
        let t = d.db().unmatched_thread(STRANGER, 10).unwrap();
        assert_eq!(t.iter().map(|i| i.text.as_str()).collect::<Vec<_>>(), ["Who is this?", "This is the clinic"]);
        assert!(t[1].unmatched_reply && t[1].hold_until.is_some(), "{:?}", t[1]);
    }
    tokio::time::sleep(Duration::from_millis(220)).await;
    env.drain_until_empty(20).await;
    env.drain().await;
    assert_eq!(env.sim().state().sends_to(STRANGER, "This is the clinic"), 1, "sent exactly once");
    let item = env.item(o.message_id);
    assert_eq!((item.state.as_str(), item.patient_id), ("done", None));
    let entries = reply_entries(&env);
    assert_eq!(entries.len(), 1, "audited once as a reply to an unmatched number");
    assert_eq!(entries[0].patient_id, None);
    assert!(entries[0].detail.contains("+1********23") && !entries[0].detail.contains("5550123"));
    assert_eq!(env.count("SELECT count(*) FROM messages WHERE unmatched_reply = 1"), 1);
    assert_eq!(env.count("SELECT count(*) FROM activities WHERE patient_id IS NULL AND direction = 'outbound'"), 1);

    // Linked later: the reply moves to the patient's thread with the texts, still marked.
    let d = env.desk.lock().unwrap();
    let ana = d.patient(ANA).unwrap().id;
    let linked =
        crate::engine::threads::link_number(d.db(), STRANGER, ana, &LinkContact::default(), "Dana", Region::default())
            .unwrap();
    assert_eq!(linked.moved, 2);
    let thread = d.db().thread(ana, 10).unwrap();
    assert!(thread.iter().any(|i| i.text == "This is the clinic" && i.unmatched_reply));
    assert!(d.db().unmatched_thread(STRANGER, 10).unwrap().is_empty());
    assert_eq!(
        d.db()
            .conn()
            .query_row("SELECT count(*) FROM activities WHERE patient_id IS NULL", [], |r| r.get::<_, i64>(0))
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn a_reply_can_be_undone_and_nothing_reaches_the_server() {
    let env = Env::new().await;
    wrote(&env, STRANGER, "Hello?");
    let held = SendOptions { undo_delay: Duration::from_secs(30), ..env.options() };
    let o = reply_to_unmatched(&env.desk, &env.gw, STRANGER, "Oops", held).await.unwrap();
    let back = undo_send(&env.desk.lock().unwrap(), o.message_id).unwrap();
    assert_eq!((back.patient_id, back.to.as_str(), back.text.as_str()), (None, STRANGER, "Oops"));
    env.drain().await;
    assert_eq!(env.sim().state().sends_to(STRANGER, "Oops"), 0);
}

#[tokio::test]
async fn a_reply_is_refused_when_the_number_opted_out_is_a_patients_or_never_wrote() {
    let env = Env::new().await;
    wrote(&env, STRANGER, "STOP");
    env.desk.lock().unwrap().db().set_consent(STRANGER, false, "keyword", None, "system", "replied STOP").unwrap();
    let refuse = |number: &'static str, text: &'static str| {
        let env = &env;
        async move { reply_to_unmatched(&env.desk, &env.gw, number, text, env.options()).await.unwrap_err() }
    };
    assert_eq!(refuse(STRANGER, "Still there?").await.code(), ErrorCode::OptedOut);
    let e = refuse("+16175550999", "Hi").await;
    assert!(e.to_string().contains("not in the Unmatched inbox"), "{e}");
    // Ana's own number wrote from her old thread... it is hers: reply from her thread.
    wrote(&env, ANA_NUMBER, "late text");
    let e = refuse(ANA_NUMBER, "Hi Ana").await;
    assert!(e.to_string().contains("one of a patient's numbers"), "{e}");
    assert_eq!(refuse(STRANGER, "  ").await.code(), ErrorCode::InvalidMessage);
    assert_eq!(refuse("CAREDESK", "Hi").await.code(), ErrorCode::InvalidPhone, "a sender name cannot be texted");
    assert_eq!(env.count("SELECT count(*) FROM outbox"), 0, "nothing was queued");
    assert!(reply_entries(&env).is_empty());
}

#[tokio::test]
async fn a_failed_reply_can_be_retried_as_a_new_reply_to_the_same_number() {
    let env = Env::new().await;
    // The sandbox's hospital server refuses this number for good (InvalidClientNumber).
    wrote(&env, magic::INVALID_NUMBER, "Hi?");
    let o = reply_to_unmatched(&env.desk, &env.gw, magic::INVALID_NUMBER, "Who is this?", env.options()).await.unwrap();
    assert_status(&o, SendStatus::Refused);
    let again = retry_message(&env.desk.lock().unwrap(), o.message_id, Duration::ZERO).unwrap();
    assert_eq!((again.patient_id, again.to.as_str()), (None, magic::INVALID_NUMBER));
    assert_eq!(reply_entries(&env).len(), 2, "the retry is audited as a reply to an unmatched number too");
    let d = env.desk.lock().unwrap();
    let thread = d.db().unmatched_thread(magic::INVALID_NUMBER, 10).unwrap();
    assert!(thread.iter().any(|i| i.id == o.message_id && i.retried), "{thread:?}");
}
