//! Sends that may have gone: reconciled against the server, never resent
//! blindly; and sends interrupted by a crash.

use crate::store::outbox::Reschedule;
use chrono::Utc;

use super::*;
use crate::{gateways::his::wire::SendSmsRequest, rules::phone::E164, sandbox::Faults};

#[tokio::test]
async fn accepted_then_failed_is_found_on_the_server_and_not_resent() {
    let env = Env::new().await;
    let q = enqueue(&env.desk, request(ANA, None, "Lab results are in", Route::His)).unwrap();
    env.sim().set_faults(Faults { accept_then_fail_rate: 1.0, ..Faults::default() });
    let first = env.drain().await;
    assert_eq!((first.attempted, first.ambiguous, first.accepted), (1, 1, 0), "{first:?}");
    let item = env.item(q.message_id);
    assert_eq!((item.state.as_str(), item.message_state.as_str()), ("ambiguous", "sending"));
    assert!(item.ambiguous_since.is_some());
    assert_eq!(crate::engine::send::sms_outcome(&env.desk, q.message_id).unwrap().status, SendStatus::Checking);

    env.sim().set_faults(Faults::default());
    tokio::time::sleep(Duration::from_millis(30)).await;
    let second = env.drain().await;
    assert_eq!((second.attempted, second.reconciled), (0, 1), "{second:?}");
    let state = env.sim().state();
    assert_eq!(state.sends_to(ANA_NUMBER, "Lab results are in"), 1, "exactly one SMS at the server");
    let o = crate::engine::send::sms_outcome(&env.desk, q.message_id).unwrap();
    assert_status(&o, SendStatus::Accepted);
    assert_eq!(o.server_id, Some(state.his_sends[0].id.to_string()));
    assert_eq!(env.count("SELECT count(*) FROM activities"), 1);
    assert!(pending(&env.desk).unwrap().is_empty());
}

#[tokio::test]
async fn a_failed_check_stays_ambiguous_and_an_absent_send_goes_again_once() {
    let env = Env::new().await;
    let q = enqueue(&env.desk, request(ANA, None, "Call us", Route::His)).unwrap();
    // Every request fails before anything is created: the send and the check.
    env.sim().set_faults(Faults { error_5xx_rate: 1.0, ..Faults::default() });
    assert_eq!(env.drain().await.ambiguous, 1);
    tokio::time::sleep(Duration::from_millis(30)).await;
    let r = env.drain().await;
    assert_eq!((r.attempted, r.reconciled, r.retrying), (0, 0, 0), "{r:?}");
    let item = env.item(q.message_id);
    assert_eq!((item.state.as_str(), item.checks), ("ambiguous", 1));
    assert!(item.last_error.unwrap().contains("could not check"));

    env.sim().set_faults(Faults::default());
    tokio::time::sleep(Duration::from_millis(30)).await;
    let r = env.drain().await;
    assert_eq!(r.retrying, 1, "not on the server: pending again {r:?}");
    let r = env.drain().await;
    assert_eq!(r.accepted, 1, "{r:?}");
    assert_eq!(env.sim().state().sends_to(ANA_NUMBER, "Call us"), 1);
    assert_eq!(env.item(q.message_id).attempts, 2);
}

#[tokio::test]
async fn a_send_interrupted_after_it_reached_the_server_is_adopted_after_restart() {
    let mut env = Env::new().await;
    let q = enqueue(&env.desk, request(ANA, None, "Your ride is booked", Route::His)).unwrap();
    // The worker claimed the row and the request left...
    let now = Utc::now();
    let item = env.item(q.message_id);
    let lease = now + chrono::Duration::minutes(11);
    assert!(env
        .desk
        .lock()
        .unwrap()
        .db()
        .claim_attempt(item.outbox_id, 42, magic::HOSPITAL_NUMBER, now, lease)
        .unwrap());
    let request =
        SendSmsRequest::new(magic::HOSPITAL_NUMBER, &E164::from_trusted(ANA_NUMBER.into()), item.body, q.external_key);
    let taken = env.gw.his().unwrap().send_sms(&request).await.unwrap();
    // ...and CareDesk stopped before recording the answer. It starts again:
    env.desk = Mutex::new(open_desk(env.dir.path(), &env.store));
    assert_eq!(env.item(q.message_id).state, "in_flight");
    assert_eq!(recover(&env.desk).unwrap(), 1);
    let r = env.drain().await;
    assert_eq!((r.attempted, r.reconciled), (0, 1), "{r:?}");
    assert_eq!(env.sim().state().sends_to(ANA_NUMBER, "Your ride is booked"), 1);
    let o = crate::engine::send::sms_outcome(&env.desk, q.message_id).unwrap();
    assert_eq!((o.status, o.server_id), (SendStatus::Accepted, Some(taken.id.to_string())));
}

#[tokio::test]
async fn a_send_interrupted_before_it_left_goes_once_when_its_claim_runs_out() {
    let env = Env::new().await;
    let q = enqueue(&env.desk, request(ANA, None, "See you Monday", Route::His)).unwrap();
    let now = Utc::now();
    let item = env.item(q.message_id);
    {
        let d = env.desk.lock().unwrap();
        let until = now + chrono::Duration::milliseconds(20);
        assert!(d.db().claim_attempt(item.outbox_id, 7, magic::HOSPITAL_NUMBER, now, until).unwrap());
        // A second worker cannot take it while the claim holds.
        assert!(!d.db().claim_attempt(item.outbox_id, 8, magic::HOSPITAL_NUMBER, now, until).unwrap());
    }
    assert_eq!(env.drain().await, DrainReport { next_in_ms: None, ..DrainReport::default() });
    tokio::time::sleep(Duration::from_millis(40)).await;
    // No recover(): the claim ran out, so it is checked, found absent, then sent.
    env.drain_until_empty(20).await;
    assert_eq!(env.sim().state().sends_to(ANA_NUMBER, "See you Monday"), 1);
    assert_eq!(crate::engine::send::sms_outcome(&env.desk, q.message_id).unwrap().status, SendStatus::Accepted);
    // The lost worker's late answer changes nothing.
    assert!(!env.desk.lock().unwrap().db().reschedule(item.outbox_id, 7, Reschedule::Retry, "late", now, now).unwrap());
}

#[tokio::test]
async fn an_interrupted_ecm_send_becomes_uncertain() {
    let env = Env::new().await;
    let q = enqueue(&env.desk, request(ANA, None, "ECM hello", Route::Ecm)).unwrap();
    let now = Utc::now();
    let item = env.item(q.message_id);
    let lease = now + chrono::Duration::minutes(11);
    assert!(env.desk.lock().unwrap().db().claim_attempt(item.outbox_id, 1, "", now, lease).unwrap());
    assert_eq!(recover(&env.desk).unwrap(), 1);
    let o = crate::engine::send::sms_outcome(&env.desk, q.message_id).unwrap();
    assert_eq!((o.status, o.error.as_deref()), (SendStatus::Uncertain, Some(ECM_UNCERTAIN)));
    assert_eq!(env.drain().await.attempted, 0);
    assert!(env.sim().state().ecm_sms.is_empty());
}
