//! Many sends through a flaky server: every message reaches it exactly once.

use std::collections::BTreeMap;

use super::*;
use crate::sandbox::Faults;

#[tokio::test]
async fn two_hundred_sends_through_5xx_and_lost_answers_arrive_exactly_once() {
    let env = Env::new().await;
    let mut ids = BTreeMap::new();
    for i in 0..200 {
        let text = format!("Reminder {i}: your visit is tomorrow");
        let q = enqueue(&env.desk, request(ANA, None, &text, Route::His)).unwrap();
        ids.insert(q.message_id, text);
    }
    env.sim().set_faults(Faults { error_5xx_rate: 0.5, accept_then_fail_rate: 0.1, ..Faults::default() });
    let rounds = env.drain_until_empty(3000).await;
    assert!(rounds > 1, "the faults did bite");

    let state = env.sim().state();
    assert_eq!(state.his_sends.len(), 200, "no duplicates, none lost");
    assert!(state.external_key_counts.values().all(|n| *n == 1), "one SMS per ExternalKey");
    for (message_id, text) in &ids {
        assert_eq!(state.sends_to(ANA_NUMBER, text), 1, "{text}");
        let item = env.item(*message_id);
        assert_eq!(item.state, "done", "{item:?}");
        let his_id: i64 = item.server_id.as_deref().unwrap().parse().unwrap();
        let send = state.his_sends.iter().find(|s| s.id == his_id).unwrap();
        assert_eq!(&send.text, text, "message {message_id} holds its own server id");
        assert_eq!(send.external_key, item.external_key);
    }
    assert_eq!(env.count("SELECT count(DISTINCT his_id) FROM messages WHERE his_id IS NOT NULL"), 200);
}

#[tokio::test]
async fn ten_sends_at_five_per_second_take_about_two_seconds() {
    let mut env = Env::new().await;
    env.limiter = SendLimiter::new(5.0);
    for i in 0..10 {
        enqueue(&env.desk, request(ANA, None, &format!("burst {i}"), Route::His)).unwrap();
    }
    let started = std::time::Instant::now();
    let mut throttled = 0;
    for _ in 0..400 {
        if pending(&env.desk).unwrap().is_empty() {
            break;
        }
        let r = env.drain().await;
        throttled += r.throttled;
        let pause = r.next_in_ms.unwrap_or(10).clamp(1, 100);
        tokio::time::sleep(Duration::from_millis(pause)).await;
    }
    let elapsed = started.elapsed();
    assert!(pending(&env.desk).unwrap().is_empty());
    assert!(elapsed >= Duration::from_millis(1500) && elapsed < Duration::from_secs(6), "{elapsed:?}");
    assert!(throttled > 0);
    assert_eq!(env.sim().state().his_sends.len(), 10);
}
