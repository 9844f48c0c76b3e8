//! The control API over HTTP, and the handle's lifecycle.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};

use super::*;
use crate::{
    gateways::his::wire::{HisMessage, MessageType},
    sandbox::{demo, Faults, SANDBOX_ECM_TOKEN},
};

async fn control(sb: &SandboxHandle, path: &str, body: Option<Value>) -> (StatusCode, Value) {
    let req = control_request(sb, reqwest::Method::POST, path);
    let req = match body {
        Some(b) => req.json(&b),
        None => req,
    };
    let r = req.send().await.unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn http_state(sb: &SandboxHandle) -> StateSnapshot {
    control_request(sb, reqwest::Method::GET, "state").send().await.unwrap().json().await.unwrap()
}

#[tokio::test]
async fn state_shows_messages_key_counts_ecm_records_and_token_requests() {
    let mut options = SandboxOptions::for_tests();
    options.replies = false;
    let still = Duration::from_secs(600);
    options.timing =
        crate::sandbox::Timing { enroute_after: still, delivered_after: still, ecm_sms_step: still, ..options.timing };
    let sb = start_with(options).await;
    his_send(&sb, "18055550100", "a", 5).await;
    his_send(&sb, "18055550100", "a", 5).await;
    his_send(&sb, "18055550102", "b", 6).await;
    let ecm = sb.ecm_base_url().join("v1/clinic/ecm/communications/patients/1002/sms").unwrap();
    let r = client()
        .post(ecm)
        .header("X-User-Token", SANDBOX_ECM_TOKEN)
        .json(&json!({ "sms": { "phone_number": "8055550102", "body": "c" } }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let token_url = sb.azure_token_url();
    client().post(token_url).form(&[("grant_type", "client_credentials")]).send().await.unwrap();
    for kind in ["Incoming", "Outgoing", "Incoming"] {
        his_messages(&sb, kind).await;
    }
    assert_eq!(his_get(&sb, "type=Numbers").await.0, StatusCode::OK);

    let raw: Value = control_request(&sb, reqwest::Method::GET, "state").send().await.unwrap().json().await.unwrap();
    assert_eq!(raw["external_key_counts"], json!({ "5": 2, "6": 1 }));
    assert_eq!(raw["his_messages"][0]["Type"], "Outgoing", "HIS messages keep their wire field names");
    let state = http_state(&sb).await;
    assert_eq!(state, sb.state(), "HTTP and in-process views agree");
    assert_eq!((state.sends_with_key(5), state.sends_with_key(6), state.sends_with_key(7)), (2, 1, 0));
    assert_eq!(state.sends_to("+18055550100", "a"), 2);
    assert_eq!(state.his_messages.len(), 3);
    assert_eq!(state.ecm_sms.len(), 1);
    assert_eq!((state.ecm_sms[0].patient_id, state.ecm_sms[0].to.as_str()), (1002, "+18055550102"));
    assert_eq!(state.token_requests, 1);
    assert_eq!(state.inbox_reads, 2, "only the Incoming reads count");
    assert!(state.ecm_patients.contains(&1008) && !state.ecm_patients.contains(&123));
}

#[tokio::test]
async fn inbound_injection_lands_in_the_incoming_inbox() {
    let sb = start().await;
    let id = his_send(&sb, "18055550104", "Lab results are in", 1).await;
    let (status, v) =
        control(&sb, "inbound", Some(json!({ "from": "+18055550104", "text": "Thanks!", "reply_to": id }))).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let made: HisMessage = serde_json::from_value(v).unwrap();
    assert_eq!(
        (made.kind, made.reply_to_message_id, made.to.as_str()),
        (MessageType::Incoming, Some(id), magic::HOSPITAL_NUMBER)
    );
    let (_, v) = control(&sb, "inbound", Some(json!({ "from": demo::STOP_NUMBER }))).await;
    assert_eq!(
        (v["Text"].as_str(), v["ReplyToMessageId"].clone()),
        (Some("STOP"), Value::Null),
        "scripted text, no reply id"
    );
    let inbox = his_messages(&sb, "Incoming").await;
    let mine = inbox.iter().find(|m| m["Id"] == made.id).expect("in the inbox");
    assert_eq!(
        (mine["From"].as_str(), mine["Text"].as_str(), mine["ReplyToMessageId"].as_i64()),
        (Some("18055550104"), Some("Thanks!"), Some(id))
    );
    for bad in
        [json!({ "from": "abc", "text": "x" }), json!({ "from": "18055550104", "to": "19999999999", "text": "x" })]
    {
        let (status, v) = control(&sb, "inbound", Some(bad.clone())).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        assert!(v["error"].is_string());
    }
}

#[tokio::test]
async fn the_hostile_patient_sends_markup_only_when_asked() {
    let sb = start().await;
    let id = his_send(&sb, demo::HOSTILE_NUMBER, "Appointment Tuesday?", 1).await;
    wait_for(&sb, "Gus's usual answer", |s| s.incoming().find(|m| m.reply_to_message_id == Some(id)).cloned()).await;
    assert!(sb.state().incoming().all(|m| m.text == "No"), "no markup unless asked");
    let (status, v) = control(&sb, "hostile", None).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(v["Text"], demo::HOSTILE_TEXT);
    let inbox = his_messages(&sb, "Incoming").await;
    let hostile = inbox.iter().find(|m| m["Text"] == demo::HOSTILE_TEXT).expect("in the inbox");
    assert_eq!((hostile["From"].as_str(), hostile["ReplyToMessageId"].as_i64()), (Some("18055550107"), Some(id)));
    assert_eq!(sb.send_hostile().text, demo::HOSTILE_TEXT);
}

#[tokio::test]
async fn replies_and_ecm_patients_are_switchable_and_reset_clears_everything() {
    let sb = start().await;
    assert_eq!(control(&sb, "replies", Some(json!({ "enabled": false }))).await.0, StatusCode::NO_CONTENT);
    assert!(!sb.state().replies);
    assert_eq!(control(&sb, "ecm/patients", Some(json!({ "id": 123 }))).await.0, StatusCode::NO_CONTENT);
    let ecm = sb.ecm_base_url().join("v1/clinic/ecm/communications/patients/123/call").unwrap();
    let r = client()
        .post(ecm)
        .header("X-User-Token", SANDBOX_ECM_TOKEN)
        .json(&json!({ "call": { "phone_number": "+18051234567" } }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    his_send(&sb, "18055550100", "x", 1).await;
    sb.set_faults(Faults { shuffle_pages: true, ..Faults::default() });
    assert_eq!(control(&sb, "reset", None).await.0, StatusCode::NO_CONTENT);
    let state = http_state(&sb).await;
    assert!(state.his_messages.is_empty() && state.his_sends.is_empty() && state.ecm_calls.is_empty());
    assert_eq!(state.faults, Faults::default());
    assert!(state.replies, "back to the options' setting");
    assert!(!state.ecm_patients.contains(&123));
    let newer = his_send(&sb, "18055550100", "x", 1).await;
    assert!(newer > 623_178, "ids are never reused");
}

async fn refused(addr: std::net::SocketAddr) -> bool {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
    loop {
        if tokio::net::TcpStream::connect(addr).await.is_err() {
            return true;
        }
        if tokio::time::Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn shutdown_and_drop_stop_the_server() {
    let sb = start().await;
    let addr = sb.addr();
    assert_eq!(his_get(&sb, "type=Numbers").await.0, StatusCode::OK);
    let t = std::time::Instant::now();
    sb.shutdown().await;
    assert!(t.elapsed() < Duration::from_secs(3));
    assert!(tokio::net::TcpStream::connect(addr).await.is_err(), "the port refuses after shutdown");

    let sb = start().await;
    let addr = sb.addr();
    assert!(tokio::net::TcpStream::connect(addr).await.is_ok());
    drop(sb);
    assert!(refused(addr).await, "the port refuses after drop");
}

#[tokio::test]
async fn urls_point_at_the_right_places() {
    let sb = start().await;
    let port = sb.addr().port();
    assert_eq!(sb.base_url().as_str(), format!("http://127.0.0.1:{port}/"));
    assert_eq!(sb.his_base_url().as_str(), format!("http://127.0.0.1:{port}/his/"));
    assert_eq!(sb.ecm_base_url().as_str(), format!("http://127.0.0.1:{port}/"));
    assert_eq!(sb.azure_authority(), format!("http://127.0.0.1:{port}/{{0}}"));
    assert!(crate::rules::config::validate("his.azure.authority", &sb.azure_authority()).is_ok());
    assert!(crate::rules::config::validate("his.base_url", sb.his_base_url().as_str()).is_ok());
    let taken = Sandbox::start(SandboxOptions { port: Some(port), ..SandboxOptions::for_tests() }).await;
    assert!(matches!(taken, Err(crate::sandbox::SandboxError::Bind { .. })));
}

#[tokio::test]
async fn control_needs_the_token_and_a_loopback_host() {
    let sb = start().await;
    let port = sb.addr().port();
    let state = sb.base_url().join("__sandbox/state").unwrap();
    let token = sb.control_token().unwrap().to_string();
    assert_eq!(token.len(), 64, "32 random bytes in hex");

    let status = |r: reqwest::Response| r.status();
    assert_eq!(status(client().get(state.clone()).send().await.unwrap()), StatusCode::UNAUTHORIZED);
    let wrong = client().get(state.clone()).header(crate::sandbox::control::TOKEN_HEADER, "x".repeat(64));
    assert_eq!(status(wrong.send().await.unwrap()), StatusCode::UNAUTHORIZED);
    let reset = sb.base_url().join("__sandbox/reset").unwrap();
    assert_eq!(status(client().post(reset).send().await.unwrap()), StatusCode::UNAUTHORIZED, "POSTs too");

    // DNS rebinding: a page on evil.example resolved to 127.0.0.1 sends its own Host.
    for host in [format!("evil.example:{port}"), "127.0.0.1".to_string(), format!("127.0.0.1:{}", port + 1)] {
        let r = client()
            .get(state.clone())
            .header(reqwest::header::HOST, &host)
            .header(crate::sandbox::control::TOKEN_HEADER, &token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{host}");
    }
    for host in [format!("localhost:{port}"), format!("[::1]:{port}"), format!("127.0.0.1:{port}")] {
        let r = client()
            .get(state.clone())
            .header(reqwest::header::HOST, &host)
            .header(crate::sandbox::control::TOKEN_HEADER, &token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{host}");
    }
}

#[tokio::test]
async fn without_a_token_there_is_no_control_api() {
    // What the test-mode stand-in and CLI one-shot commands start.
    let sb = start_with(SandboxOptions { control_token: None, ..SandboxOptions::default() }).await;
    assert_eq!(sb.control_token(), None);
    for path in ["state", "faults", "reset", "inbound"] {
        let url = sb.base_url().join(&format!("__sandbox/{path}")).unwrap();
        let r = client().get(url).header(crate::sandbox::control::TOKEN_HEADER, "anything").send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
    }
    assert_eq!(SandboxOptions::default().control_token, None, "off unless asked for");
}
