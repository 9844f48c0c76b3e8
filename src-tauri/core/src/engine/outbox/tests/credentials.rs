//! Credentials that fail pause the route: the queue waits, nothing is
//! marked failed, and a new secret sends everything once.

use super::*;
use crate::{
    desk::secrets::{Secret, SecretName},
    sandbox::{Sandbox, SANDBOX_HIS_TOKEN},
};

/// A desk in real mode whose hospital SMS server is a sandbox.
async fn real_env() -> (Env, SandboxHandle) {
    let server = Sandbox::start(SandboxOptions { replies: false, ..SandboxOptions::for_tests() }).await.unwrap();
    let his = server.his_base_url().to_string();
    let env =
        Env::with(&[("servers.mode", "real"), ("his.base_url", his.as_str()), ("his.from", magic::HOSPITAL_NUMBER)])
            .await;
    env.desk.lock().unwrap().set_credential(SecretName::HisToken, &Secret::new(SANDBOX_HIS_TOKEN)).unwrap();
    (env, server)
}

async fn live(env: &Env) -> Gateways {
    let plan = GatewayPlan::from_desk(&env.desk.lock().unwrap()).unwrap();
    plan.connect(SandboxOptions::for_tests()).await.unwrap()
}

async fn drain_on(env: &Env, gw: &Gateways) -> DrainReport {
    drain_with(&env.desk, Targets::new(gw), &env.limiter, 1000, &env.policy).await.unwrap()
}

#[tokio::test]
async fn a_token_that_expires_mid_queue_pauses_the_route_and_a_new_one_sends_everything_once() {
    let (env, server) = real_env().await;
    let gw = live(&env).await;
    let texts: Vec<String> = (0..10).map(|i| format!("Reminder {i}: your visit is tomorrow")).collect();
    let mut ids = Vec::new();
    for t in &texts {
        ids.push(enqueue(&env.desk, request(ANA, None, t, Route::His)).unwrap().message_id);
    }
    // Three go out; then the server stops taking the token.
    let limited = drain_with(&env.desk, Targets::new(&gw), &env.limiter, 3, &env.policy).await.unwrap();
    assert_eq!(limited.accepted, 3, "{limited:?}");
    server.rotate_credentials("the-new-token", crate::sandbox::SANDBOX_AZURE_CLIENT_SECRET);
    for _ in 0..5 {
        let r = drain_on(&env, &gw).await;
        assert_eq!((r.accepted, r.failed), (0, 0), "{r:?}");
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    // Nothing failed; every message waits, saying why; the route is paused.
    assert_eq!(env.count("SELECT count(*) FROM messages WHERE state IN ('failed', 'uncertain')"), 0);
    let waiting = pending(&env.desk).unwrap();
    assert_eq!(waiting.len(), 7);
    for w in &waiting {
        assert_eq!(w.state, "pending");
        let note = w.last_error.as_deref().unwrap_or_default();
        assert!(note.starts_with("waiting: the hospital SMS server refused"), "{note}");
    }
    let pause = env.desk.lock().unwrap().db().route_pause(Route::His).unwrap().expect("paused");
    assert_eq!(pause.code, "his_unauthorized");
    let overview = crate::engine::inbox_sync::overview(env.desk.lock().unwrap().db()).unwrap();
    assert!(overview.warnings().iter().any(|w| w.contains("paused")), "{:?}", overview.warnings());
    let outcome = crate::engine::send::sms_outcome(&env.desk, ids[9]).unwrap();
    assert_eq!((outcome.status, outcome.attempts), (SendStatus::Queued, 0), "{outcome:?}");
    // Each waiting text says so in the thread.
    let thread = env.desk.lock().unwrap().db().thread(outcome.patient_id.unwrap(), 100).unwrap();
    let waiting: Vec<_> = thread.iter().filter(|i| i.paused).collect();
    assert_eq!(waiting.len(), 7, "{thread:#?}");
    assert!(waiting.iter().all(|i| i.note.as_deref().is_some_and(|n| n.starts_with("waiting: "))));

    // A new secret: the route resumes and everything goes, once.
    env.desk.lock().unwrap().set_credential(SecretName::HisToken, &Secret::new("the-new-token")).unwrap();
    assert!(env.desk.lock().unwrap().db().route_pause(Route::His).unwrap().is_none());
    let gw = live(&env).await;
    let r = drain_on(&env, &gw).await;
    assert_eq!(r.accepted, 7, "{r:?}");
    assert!(pending(&env.desk).unwrap().is_empty());
    let thread = env.desk.lock().unwrap().db().thread(outcome.patient_id.unwrap(), 100).unwrap();
    assert!(thread.iter().all(|i| !i.paused && i.note.is_none()), "{thread:#?}");
    let state = server.state();
    assert_eq!(state.his_sends.len(), 10);
    for t in &texts {
        assert_eq!(state.sends_to(ANA_NUMBER, t), 1, "{t}");
    }
    gw.shutdown().await;
    server.shutdown().await;
}

#[tokio::test]
async fn a_paused_route_probes_now_and_then_and_resumes_when_the_server_takes_the_token_again() {
    let (env, server) = real_env().await;
    let gw = live(&env).await;
    for i in 0..3 {
        enqueue(&env.desk, request(ANA, None, &format!("probe {i}"), Route::His)).unwrap();
    }
    server.rotate_credentials("elsewhere", crate::sandbox::SANDBOX_AZURE_CLIENT_SECRET);
    let r = drain_on(&env, &gw).await;
    assert_eq!((r.paused, r.accepted), (3, 0), "{r:?}");
    // Before the probe is due nothing is tried; the server's log stays empty.
    assert_eq!(drain_on(&env, &gw).await.attempted, 0);
    // The server takes the old token again (a 401 that was its own mistake).
    server.rotate_credentials(SANDBOX_HIS_TOKEN, crate::sandbox::SANDBOX_AZURE_CLIENT_SECRET);
    tokio::time::sleep(env.policy.pause_probe + Duration::from_millis(50)).await;
    let mut sent = 0;
    for _ in 0..5 {
        sent += drain_on(&env, &gw).await.accepted;
        if sent == 3 {
            break;
        }
    }
    assert_eq!(sent, 3, "the probe went, the route resumed and the rest followed");
    assert!(env.desk.lock().unwrap().db().route_pause(Route::His).unwrap().is_none());
    gw.shutdown().await;
    server.shutdown().await;
}
