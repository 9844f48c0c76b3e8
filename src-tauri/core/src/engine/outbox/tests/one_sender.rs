//! One sender per data directory: a second process on it hands its sends
//! to the first and never voids the first one's claims.

use super::*;

#[tokio::test]
async fn a_second_process_hands_its_send_to_the_sender_and_never_voids_its_claims() {
    let env = Env::new().await;
    assert_eq!(take_sending(&env.desk).unwrap(), None, "the first desk becomes the sender");
    // The sender has a message in hand.
    let q = enqueue(&env.desk, request(ANA, None, "In hand", Route::His)).unwrap();
    let item = env.item(q.message_id);
    let now = Utc::now();
    let lease = now + chrono::Duration::minutes(11);
    assert!(env
        .desk
        .lock()
        .unwrap()
        .db()
        .claim_attempt(item.outbox_id, 9, magic::HOSPITAL_NUMBER, now, lease)
        .unwrap());

    // A second process opens the same data directory ...
    let mut second = open_desk(env.dir.path(), &env.store);
    second.set_role("caredesk send");
    let second = Mutex::new(second);
    let holder = take_sending(&second).unwrap().expect("the first desk holds the sender lock");
    assert!(holder.0.contains(&format!("pid {}", std::process::id())), "{holder}");
    // ... and its start did not void the claim of the live sender.
    assert_eq!(env.item(q.message_id).state, "in_flight");

    // Its send is handed over: the sender's drain sends it, once.
    let options = SendOptions { wait: Duration::from_secs(10), ..env.options() };
    let handed = send_sms_with(&second, &env.gw, request(ANA, None, "Handed over", Route::His), options);
    let drains = async {
        for _ in 0..100 {
            tokio::time::sleep(Duration::from_millis(20)).await;
            env.drain().await;
        }
    };
    let (outcome, ()) = tokio::join!(handed, drains);
    let outcome = outcome.unwrap();
    assert_status(&outcome, SendStatus::Accepted);
    assert!(outcome.handed_to.as_deref().is_some_and(|h| h.contains("a CareDesk process")), "{outcome:?}");
    assert!(outcome.describe().contains("handed to"), "{}", outcome.describe());
    assert_eq!(env.sim().state().sends_to(ANA_NUMBER, "Handed over"), 1);
    assert_eq!(env.sim().state().sends_to(ANA_NUMBER, "In hand"), 0, "the claimed one was not touched");

    // The sender ends: the second one takes over and recovers its claim.
    let Env { desk, gw, .. } = env;
    drop(desk);
    assert_eq!(take_sending(&second).unwrap(), None);
    let state = second.lock().unwrap().db().outbox_item(q.message_id).unwrap().unwrap().state;
    assert_ne!(state, "in_flight", "recovered once the sender was gone");
    gw.shutdown().await;
}
