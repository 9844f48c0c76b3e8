//! Sends that go, sends that are refused, and sends that are retried.

use super::*;
use crate::sandbox::Faults;

#[tokio::test]
async fn a_normal_send_is_accepted_once_with_its_activity() {
    let env = Env::new().await;
    let o = env.send(ANA, None, "Visit at 9", Route::His).await;
    assert_status(&o, SendStatus::Accepted);
    assert_eq!((o.state.as_str(), o.attempts, o.test, o.intended_to.as_deref()), ("sent", 1, false, None));
    let state = env.sim().state();
    assert_eq!(state.sends_to(ANA_NUMBER, "Visit at 9"), 1);
    let send = &state.his_sends[0];
    assert_eq!(o.server_id, Some(send.id.to_string()));
    assert_eq!(send.from, magic::HOSPITAL_NUMBER);
    let item = env.item(o.message_id);
    assert_eq!(state.sends_with_key(item.external_key), 1, "the message's own ExternalKey went out");
    assert_eq!((item.state.as_str(), item.from.as_str()), ("done", magic::HOSPITAL_NUMBER));
    assert_eq!(env.count("SELECT count(*) FROM activities WHERE activity_type = 'sms'"), 1);
    assert_eq!(env.count("SELECT count(*) FROM audit_log WHERE action = 'sms.send'"), 1);
    assert!(pending(&env.desk).unwrap().is_empty());
    assert_eq!(env.drain().await, DrainReport { next_in_ms: None, ..DrainReport::default() });

    let e = env.send(ANA, None, "Hello by ECM", Route::Ecm).await;
    assert_status(&e, SendStatus::Accepted);
    assert_eq!(e.state, "sent", "ECM's `queued` is kept as the server state");
    let ecm = env.sim().state().ecm_sms;
    assert_eq!(ecm.len(), 1);
    assert_eq!(e.server_id, Some(ecm[0].id.to_string()));
    assert_eq!(env.count("SELECT count(*) FROM activities WHERE ecm_activity_id IS NOT NULL"), 1);
}

#[tokio::test]
async fn bad_input_is_refused_before_anything_is_stored() {
    let env = Env::new().await;
    let cases = [
        request(ANA, None, "   ", Route::His),
        request(ANA, None, &"x".repeat(crate::engine::send::MAX_TEXT_CHARS + 1), Route::His),
        request(ANA, Some("12345"), "hi", Route::His),
        request("ecm:4040", None, "hi", Route::His),
    ];
    for req in cases {
        assert!(enqueue(&env.desk, req.clone()).is_err(), "{req:?}");
        assert!(send_sms_with(&env.desk, &env.gw, req, env.options()).await.is_err());
    }
    env.desk.lock().unwrap().db().set_consent(ANA_NUMBER, false, "keyword", None, "t", "STOP").unwrap();
    let e = env.try_send(ANA, None, "hi", Route::His).await.unwrap_err();
    assert!(matches!(e, CoreError::OptedOut { .. }), "{e}");
    assert_eq!(env.count("SELECT count(*) FROM messages"), 0);
    assert_eq!(env.count("SELECT count(*) FROM outbox"), 0);
}

#[tokio::test]
async fn a_number_not_on_file_needs_confirmation_and_is_audited() {
    let env = Env::new().await;
    let stranger = "+18055550177";
    let unconfirmed = SmsRequest { other_number: false, ..request(ANA, Some(stranger), "hi", Route::His) };
    let e = enqueue(&env.desk, unconfirmed.clone()).unwrap_err();
    assert!(matches!(e, CoreError::NumberNotOnFile { .. }), "{e}");
    let e = send_sms_with(&env.desk, &env.gw, unconfirmed, env.options()).await.unwrap_err();
    assert_eq!(e.code(), crate::rules::error::ErrorCode::NumberNotOnFile);
    assert_eq!(env.count("SELECT count(*) FROM messages"), 0, "nothing filed in the patient's thread");
    assert_eq!(env.sim().state().his_sends.len(), 0);

    // The patient's own number needs no confirmation and is not audited as other.
    let own = SmsRequest { other_number: false, ..request(ANA, Some("(805) 555-0100"), "own", Route::His) };
    assert_status(&send_sms_with(&env.desk, &env.gw, own, env.options()).await.unwrap(), SendStatus::Accepted);
    // Confirmed: sent, and the audit entry says another number was used, without the number in clear.
    let o = env.send(ANA, Some(stranger), "confirmed", Route::His).await;
    assert_status(&o, SendStatus::Accepted);
    let audit = env.desk.lock().unwrap().db().audit_entries(10).unwrap();
    let sends: Vec<&str> = audit.iter().filter(|a| a.action == "sms.send").map(|a| a.detail.as_str()).collect();
    assert_eq!(sends.len(), 2, "{sends:?}");
    assert!(!sends[0].contains(crate::engine::recipient::OTHER_NUMBER_AUDIT), "{}", sends[0]);
    assert!(sends[1].contains(crate::engine::recipient::OTHER_NUMBER_AUDIT), "{}", sends[1]);
    assert!(!sends[1].contains("5550177"), "the audit detail shows the number redacted: {}", sends[1]);
}

#[tokio::test]
async fn permanent_hospital_server_errors_stop_at_once() {
    let env = Env::with(&[("his.from", "NOT_OURS")]).await;
    let o = env.send(ANA, None, "hi", Route::His).await;
    assert_status(&o, SendStatus::Refused);
    assert_eq!((o.error_code.as_deref(), o.attempts), (Some("his_invalid_message_owner"), 1));
    assert!(o.error.as_deref().unwrap().contains("caredesk numbers"), "{o:?}");
    assert_eq!(env.item(o.message_id).message_state, "failed");

    let env2 = Env::new().await;
    let o = env2.send(ANA, Some(magic::INVALID_NUMBER), "hi", Route::His).await;
    assert_status(&o, SendStatus::Refused);
    assert_eq!((o.error_code.as_deref(), o.attempts), (Some("his_invalid_client_number"), 1));

    tokio::time::sleep(Duration::from_millis(30)).await;
    for env in [&env, &env2] {
        assert_eq!(env.drain().await.attempted, 0, "never retried");
        assert!(pending(&env.desk).unwrap().is_empty());
        assert!(env.sim().state().his_sends.is_empty());
    }
}

#[tokio::test]
async fn ecm_twilio_errors_stop_at_once_and_21610_opts_the_number_out() {
    let env = Env::new().await;
    for (number, code) in [
        (magic::INVALID_NUMBER, "ecm_twilio_invalid_number"),
        (magic::UNREACHABLE, "ecm_twilio_unreachable"),
        (magic::SMS_NOT_PERMITTED, "ecm_twilio_not_permitted"),
        (magic::OPTED_OUT, "ecm_twilio_opted_out"),
    ] {
        let o = env.send(ANA, Some(number), "hi", Route::Ecm).await;
        assert_status(&o, SendStatus::Refused);
        assert_eq!((o.error_code.as_deref(), o.attempts), (Some(code), 1), "{number}");
    }
    {
        let d = env.desk.lock().unwrap();
        assert!(d.db().is_opted_out(magic::OPTED_OUT).unwrap());
        assert!(!d.db().is_opted_out(magic::UNREACHABLE).unwrap());
    }
    let e = env.try_send(ANA, Some(magic::OPTED_OUT), "again", Route::His).await.unwrap_err();
    assert!(matches!(e, CoreError::OptedOut { .. }), "{e}");
    tokio::time::sleep(Duration::from_millis(30)).await;
    assert_eq!(env.drain().await.attempted, 0);
    assert!(env.sim().state().ecm_sms.is_empty());
}

#[tokio::test]
async fn an_ecm_patient_ecm_does_not_know_is_refused() {
    let env = Env::new().await;
    env.desk
        .lock()
        .unwrap()
        .import_patients("x.csv", "ecm_patient_id,name,phone\n777,Not In Ecm,+18055550190\n", &mut |_| {})
        .unwrap();
    let o = env.send("ecm:777", None, "hi", Route::Ecm).await;
    assert_status(&o, SendStatus::Refused);
    assert_eq!(o.error_code.as_deref(), Some("ecm_patient_not_found"));
    assert!(o.error.unwrap().contains("777"));
}

#[tokio::test]
async fn an_ambiguous_ecm_send_is_uncertain_and_never_resent() {
    let env = Env::new().await;
    env.sim().set_faults(Faults { accept_then_fail_rate: 1.0, ..Faults::default() });
    let o = env.send(ANA, None, "maybe", Route::Ecm).await;
    assert_status(&o, SendStatus::Uncertain);
    assert!(o.error.as_deref().unwrap().starts_with(ECM_UNCERTAIN), "{o:?}");
    env.sim().set_faults(Faults::default());
    tokio::time::sleep(Duration::from_millis(30)).await;
    assert_eq!(env.drain().await.attempted, 0);
    assert_eq!(env.sim().state().ecm_sms.len(), 1, "ECM did send it, once");
    let open = pending(&env.desk).unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!((open[0].state.as_str(), open[0].next_attempt_at.as_deref()), ("uncertain", None));
}

#[tokio::test]
async fn a_refused_connection_is_retried_with_backoff_and_reported_as_retrying() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", closed.local_addr().unwrap());
    drop(closed);
    let env =
        Env::with(&[("servers.mode", "real"), ("his.base_url", &url), ("his.from", magic::HOSPITAL_NUMBER)]).await;
    env.desk
        .lock()
        .unwrap()
        .set_credential(crate::desk::secrets::SecretName::HisToken, &crate::desk::secrets::Secret::new("t"))
        .unwrap();
    let plan = GatewayPlan::from_desk(&env.desk.lock().unwrap()).unwrap();
    let gw = plan.connect(SandboxOptions::for_tests()).await.unwrap();
    let options = SendOptions { wait: Duration::from_millis(300), ..env.options() };
    let o = send_sms_with(&env.desk, &gw, request(ANA, None, "later", Route::His), options).await.unwrap();
    assert_status(&o, SendStatus::Retrying);
    assert!(o.attempts >= 2, "retried within the wait: {o:?}");
    assert!(o.error.as_deref().unwrap().contains("could not reach"), "{o:?}");
    assert!(o.next_attempt_at.is_some() && o.state == "queued", "{o:?}");
    let open = pending(&env.desk).unwrap();
    assert_eq!((open.len(), open[0].state.as_str()), (1, "pending"));
    assert!(open[0].last_error.is_some());
}

#[tokio::test]
async fn an_accepted_send_is_recorded_with_its_activity_or_not_at_all() {
    let env = Env::new().await;
    env.desk
        .lock()
        .unwrap()
        .db()
        .conn()
        .execute_batch(
            "CREATE TEMP TRIGGER no_activity BEFORE INSERT ON activities BEGIN SELECT RAISE(ABORT, 'disk full'); END;",
        )
        .unwrap();
    let _ = env.try_send(ANA, None, "Visit at 9", Route::His).await;
    assert_eq!(env.sim().state().sends_to(ANA_NUMBER, "Visit at 9"), 1, "the server took it");
    let sent_without_activity = "SELECT count(*) FROM messages m WHERE m.state = 'sent'
         AND NOT EXISTS (SELECT 1 FROM activities a WHERE a.text_message_id = m.id)";
    assert_eq!(env.count(sent_without_activity), 0, "an accepted send without its PRTF activity");
    assert_eq!(env.count("SELECT count(*) FROM outbox WHERE state = 'done'"), 0);
}
