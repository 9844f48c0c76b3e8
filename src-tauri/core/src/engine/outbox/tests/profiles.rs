//! Sends through servers that are not the spec's example (the sandbox's
//! profiles): each SMS reaches the server once, and a send that may have
//! gone is found whatever the server did to it.

use chrono::FixedOffset;

use super::*;
use crate::{
    engine::inbox_sync,
    sandbox::{Faults, Profile},
};

fn on(profile: Profile) -> SandboxOptions {
    SandboxOptions {
        replies: false,
        profile,
        // The server three hours east of UTC; the tests' desk is wherever
        // the process's TZ puts it.
        server_zone: FixedOffset::east_opt(3 * 3600),
        ..SandboxOptions::for_tests()
    }
}

/// Sends `texts` with every answer lost after the server took the SMS, then
/// drains with a clean server until the outbox is empty.
async fn lost_answers(env: &Env, texts: &[&str]) {
    for t in texts {
        enqueue(&env.desk, request(ANA, None, t, Route::His)).unwrap();
    }
    env.sim().set_faults(Faults { accept_then_fail_rate: 1.0, ..Faults::default() });
    let r = env.drain().await;
    assert_eq!(r.ambiguous, texts.len(), "{r:?}");
    env.sim().set_faults(Faults::default());
    for _ in 0..200 {
        if pending(&env.desk).unwrap().is_empty() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        env.drain().await;
    }
    panic!("the outbox did not drain: {:?}", pending(&env.desk).unwrap());
}

#[tokio::test]
async fn a_dotnet_server_takes_32_bit_keys_camel_case_and_numeric_enums() {
    let env = Env::with_sandbox(&[], on(Profile::Dotnet)).await;
    for i in 0..5 {
        let o = env.send(ANA, None, &format!("Reminder {i}"), Route::His).await;
        assert_status(&o, SendStatus::Accepted);
    }
    let state = env.sim().state();
    assert_eq!(state.his_sends.len(), 5);
    assert!(state.his_sends.iter().all(|s| (1..=i64::from(i32::MAX)).contains(&s.external_key)), "{state:?}");
    // Delivery states arrive as numbers (some unlisted), lists in UTC.
    tokio::time::sleep(Duration::from_millis(80)).await;
    let r = inbox_sync::refresh_outgoing(&env.desk, env.gw.his().unwrap()).await.unwrap();
    assert_eq!((r.fetched, r.unreadable), (5, 0), "{r:?}");
    assert_eq!(env.count("SELECT count(*) FROM messages WHERE state = 'delivered'"), 5);
    // The list's zone was learnt from the list itself, not the +03:00 answers.
    let row = env.desk.lock().unwrap().db().server_clock("his").unwrap();
    assert_eq!(
        (row.list_offset, row.list_source.as_deref(), row.answer_offset),
        (Some(0), Some("list"), Some(3 * 3600))
    );
}

#[tokio::test]
async fn a_lost_answer_is_found_on_every_profile_and_never_resent() {
    for profile in Profile::ALL {
        let mut env = Env::with_sandbox(&[], on(profile)).await;
        // The check waits longer than the lagging server takes to list.
        env.policy.settle = Duration::from_millis(700);
        let texts = ["Sveiki, Šimkutė! Jūsų vizitas rytoj 09:00, 321 kab.", "Grüße aus Łódź: bis morgen um 10"];
        lost_answers(&env, &texts).await;
        let state = env.sim().state();
        for t in texts {
            assert_eq!(state.sends_to(ANA_NUMBER, t), 1, "{}: {t}", profile.name());
        }
        assert_eq!(state.his_sends.len(), 2, "{}", profile.name());
        let adopted = env.count("SELECT count(*) FROM messages WHERE direction = 'outbound' AND his_id IS NOT NULL");
        assert_eq!(adopted, 2, "{}: both adopted with their server ids", profile.name());
    }
}

#[tokio::test]
async fn a_check_that_does_not_wait_for_a_lagging_server_would_send_twice() {
    // The guarantee rests on `his.outgoing_lag_secs`: shown by breaking it.
    let env = Env::with_sandbox(&[], SandboxOptions { list_lag: Duration::from_secs(5), ..on(Profile::Lagging) }).await;
    lost_answers(&env, &["Please call the clinic"]).await;
    assert_eq!(env.sim().state().sends_to(ANA_NUMBER, "Please call the clinic"), 2, "settle 1 ms < lag 400 ms");
}
