//! Test mode and the override number (spec 002).

use super::*;
use crate::{
    desk::secrets::{Secret, SecretName},
    sandbox::{Sandbox, SANDBOX_ECM_TOKEN, SANDBOX_HIS_TOKEN},
};

/// A desk whose "real" servers are a sandbox of their own (`real`), so a
/// test can see that nothing reaches them.
async fn real_servers_env(settings: &[(&str, &str)]) -> (Env, SandboxHandle, Gateways) {
    let real = Sandbox::start(SandboxOptions { replies: false, ..SandboxOptions::for_tests() }).await.unwrap();
    let his = real.his_base_url().to_string();
    let ecm = real.ecm_base_url().to_string();
    let mut all = vec![
        ("servers.mode", "real"),
        ("his.base_url", his.as_str()),
        ("ecm.base_url", ecm.as_str()),
        ("his.from", magic::HOSPITAL_NUMBER),
    ];
    all.extend_from_slice(settings);
    let env = Env::with(&all).await;
    let live = {
        let d = env.desk.lock().unwrap();
        d.set_credential(SecretName::HisToken, &Secret::new(SANDBOX_HIS_TOKEN)).unwrap();
        d.set_credential(SecretName::EcmToken, &Secret::new(SANDBOX_ECM_TOKEN)).unwrap();
        GatewayPlan::from_desk(&d).unwrap()
    };
    let live = live.connect(SandboxOptions::for_tests()).await.unwrap();
    assert_eq!(live.mode, Mode::Real);
    (env, real, live)
}

#[tokio::test]
async fn test_mode_sends_nothing_to_the_real_servers() {
    let (env, real, live) = real_servers_env(&[("sms.test_mode", "true")]).await;
    // No sandbox given: send_sms starts one for the message.
    let o = send_sms_with(&env.desk, &live, request(ANA, None, "test one", Route::His), env.options()).await.unwrap();
    assert_status(&o, SendStatus::Accepted);
    assert!(o.test && o.server_id.is_some(), "{o:?}");

    // A sandbox given (the engine's): it answers, for both routes.
    let sandbox = start_test_gateways(&env.desk).await.unwrap();
    let options = SendOptions { test_gateways: Some(&sandbox), ..env.options() };
    let o = send_sms_with(&env.desk, &live, request(ANA, None, "test two", Route::His), options.clone()).await.unwrap();
    assert_status(&o, SendStatus::Accepted);
    let o = send_sms_with(&env.desk, &live, request(ANA, None, "test ecm", Route::Ecm), options).await.unwrap();
    assert_status(&o, SendStatus::Accepted);
    let seen = sandbox.sandbox().unwrap().state();
    assert_eq!((seen.sends_to(ANA_NUMBER, "test two"), seen.ecm_sms.len()), (1, 1));

    // The engine's drain without a sandbox holds test messages back.
    let q = enqueue(&env.desk, request(ANA, None, "test three", Route::His)).unwrap();
    let r = drain_with(&env.desk, Targets::new(&live), &env.limiter, 10, &env.policy).await.unwrap();
    assert_eq!(r.attempted, 0, "{r:?}");
    let held = env.item(q.message_id);
    assert_eq!(held.state, "pending");
    assert!(held.last_error.unwrap().contains("test mode"));
    assert!(Targets::new(&live).with_test(Some(&live)).is_err(), "real gateways never stand in for the sandbox");

    let state = real.state();
    assert!(state.his_sends.is_empty() && state.ecm_sms.is_empty(), "nothing reached the real servers");
    assert_eq!(env.count("SELECT count(*) FROM messages WHERE is_test = 1"), 4);
    assert_eq!(env.count("SELECT count(*) FROM activities"), 0, "test messages make no ECM activity");
    sandbox.shutdown().await;
}

#[tokio::test]
async fn without_test_mode_the_real_servers_get_it() {
    let (env, real, live) = real_servers_env(&[]).await;
    let o = send_sms_with(&env.desk, &live, request(ANA, None, "real one", Route::His), env.options()).await.unwrap();
    assert_status(&o, SendStatus::Accepted);
    assert!(!o.test);
    assert_eq!(real.state().sends_to(ANA_NUMBER, "real one"), 1);
}

#[tokio::test]
async fn the_override_number_gets_every_sms_and_the_message_keeps_the_patient() {
    const OVERRIDE: &str = "+18055550199";
    let env = Env::with(&[("sms.override_number", "(805) 555-0199")]).await;
    let o = env.send(ANA, None, "rerouted", Route::His).await;
    assert_status(&o, SendStatus::Accepted);
    assert_eq!((o.to.as_str(), o.intended_to.as_deref()), (OVERRIDE, Some(ANA_NUMBER)));
    assert!(o.describe().contains("meant for +18055550100"), "{}", o.describe());
    let state = env.sim().state();
    assert_eq!((state.sends_to(OVERRIDE, "rerouted"), state.sends_to(ANA_NUMBER, "rerouted")), (1, 0));
    let thread = env.desk.lock().unwrap().db().thread(o.patient_id.unwrap(), 10).unwrap();
    assert_eq!((thread[0].to.as_str(), thread[0].intended_to.as_deref()), (OVERRIDE, Some(ANA_NUMBER)));

    // Opt-out is the patient's: checked on the intended number.
    env.desk.lock().unwrap().db().set_consent(ANA_NUMBER, false, "keyword", None, "t", "STOP").unwrap();
    let before = env.count("SELECT count(*) FROM messages");
    let e = env.try_send(ANA, None, "rerouted again", Route::His).await.unwrap_err();
    assert!(matches!(&e, CoreError::OptedOut { number } if number == ANA_NUMBER), "{e}");
    assert_eq!(env.count("SELECT count(*) FROM messages"), before);
}

#[tokio::test]
async fn a_recipient_who_opts_out_while_queued_is_not_texted() {
    let env = Env::new().await;
    let q = enqueue(&env.desk, request(ANA, None, "queued", Route::His)).unwrap();
    env.desk.lock().unwrap().db().set_consent(ANA_NUMBER, false, "keyword", None, "t", "STOP").unwrap();
    assert_eq!(env.drain().await.failed, 1);
    let o = crate::engine::send::sms_outcome(&env.desk, q.message_id).unwrap();
    assert_eq!((o.status, o.error_code.as_deref()), (SendStatus::Refused, Some("opted_out")));
    assert!(env.sim().state().his_sends.is_empty());
}
