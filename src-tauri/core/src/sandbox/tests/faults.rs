//! Every fault mode, observable from the client's side and in the state.

use std::{
    collections::BTreeSet,
    time::{Duration, Instant},
};

use reqwest::StatusCode;
use serde_json::{json, Value};

use super::*;
use crate::sandbox::{Answer, Faults, Inbound, SANDBOX_ECM_TOKEN};

/// What a client got: a status and a body that parsed as JSON, or nothing usable.
async fn outcome(r: Result<reqwest::Response, reqwest::Error>) -> Option<(StatusCode, Option<Value>)> {
    let r = r.ok()?;
    let status = r.status();
    let bytes = r.bytes().await.ok()?;
    Some((status, serde_json::from_slice(&bytes).ok()))
}

async fn send(sb: &SandboxHandle, key: i64) -> Option<(StatusCode, Option<Value>)> {
    let r = client()
        .post(sb.his_base_url())
        .bearer_auth(SANDBOX_HIS_TOKEN)
        .json(&sms_body("18055550108", "Hi", key))
        .send()
        .await;
    outcome(r).await
}

fn inject(sb: &SandboxHandle, n: usize) -> Vec<i64> {
    (0..n)
        .map(|i| {
            sb.inject_inbound(Inbound { from: "18055550100".into(), text: Some(format!("m{i}")), ..Inbound::default() })
                .unwrap()
                .id
        })
        .collect()
}

fn page_ids(v: &Value) -> Vec<i64> {
    v["Data"]["Messages"].as_array().unwrap().iter().map(|m| m["Id"].as_i64().unwrap()).collect()
}

const SINCE: &str = "type=Incoming&dateFrom=2000-01-01+00:00:00.0000000";

#[tokio::test]
async fn latency_delays_every_answer() {
    let sb = start().await;
    sb.set_faults(Faults { latency_ms: 200, ..Faults::default() });
    let t = Instant::now();
    assert_eq!(his_get(&sb, "type=Numbers").await.0, StatusCode::OK);
    assert!(t.elapsed() >= Duration::from_millis(200), "{:?}", t.elapsed());
}

#[tokio::test]
async fn a_5xx_comes_before_anything_is_created() {
    let sb = start().await;
    sb.set_faults(Faults { error_5xx_rate: 1.0, ..Faults::default() });
    let mut statuses = BTreeSet::new();
    for key in 0..12 {
        let (status, _) = send(&sb, key).await.expect("an answer");
        assert!(status.is_server_error(), "{status}");
        statuses.insert(status.as_u16());
        let r = client()
            .post(sb.ecm_base_url().join("v1/clinic/ecm/communications/patients/1001/call").unwrap())
            .header("X-User-Token", SANDBOX_ECM_TOKEN)
            .json(&json!({ "call": { "phone_number": "+18055550100" } }))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_server_error());
    }
    assert!(statuses.len() > 1, "500, 502 and 503 all occur: {statuses:?}");
    let state = sb.state();
    assert!(state.his_sends.is_empty() && state.ecm_calls.is_empty());
}

#[tokio::test]
async fn poll_errors_hit_only_get_sms() {
    let sb = start().await;
    sb.set_faults(Faults { poll_error_rate: 1.0, ..Faults::default() });
    for _ in 0..4 {
        assert!(his_get(&sb, SINCE).await.0.is_server_error());
    }
    assert_eq!(send(&sb, 1).await.unwrap().0, StatusCode::OK);
}

#[tokio::test]
async fn a_timeout_hangs_past_the_client_timeout_and_creates_nothing() {
    let mut options = SandboxOptions::for_tests();
    options.hang_for = Duration::from_secs(30);
    let sb = start_with(options).await;
    sb.set_faults(Faults { timeout_rate: 1.0, ..Faults::default() });
    let impatient = reqwest::Client::builder().timeout(Duration::from_millis(300)).build().unwrap();
    let err = impatient
        .post(sb.his_base_url())
        .bearer_auth(SANDBOX_HIS_TOKEN)
        .json(&sms_body("18055550108", "Hi", 1))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    // A second request is still hanging when the sandbox shuts down: shutdown cuts it short.
    let hanging =
        tokio::spawn(client().get(format!("{}?type=Numbers", sb.his_base_url())).bearer_auth(SANDBOX_HIS_TOKEN).send());
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(sb.state().his_sends.is_empty());
    let t = Instant::now();
    sb.shutdown().await;
    assert!(t.elapsed() < Duration::from_secs(3), "shutdown took {:?}", t.elapsed());
    let got = tokio::time::timeout(Duration::from_secs(3), hanging).await.expect("the hung request ends").unwrap();
    assert!(outcome(got).await.is_none_or(|(_, body)| body.is_none()), "no usable answer");
}

#[tokio::test]
async fn malformed_bodies_are_cut_json_but_the_sms_exists() {
    let sb = start().await;
    sb.set_faults(Faults { malformed_rate: 1.0, ..Faults::default() });
    let (status, body) = send(&sb, 77).await.expect("an answer");
    assert_eq!((status, body), (StatusCode::OK, None));
    let (status, v) = his_get(&sb, "type=Numbers").await;
    assert_eq!((status, v), (StatusCode::OK, Value::Null), "not JSON");
    let state = sb.state();
    assert_eq!(state.sends_with_key(77), 1);
    assert_eq!(state.his_sends[0].answer, Answer::Malformed);
}

#[tokio::test]
async fn accept_then_fail_creates_the_sms_yet_answers_with_a_failure() {
    let sb = start().await;
    sb.set_faults(Faults { accept_then_fail_rate: 1.0, ..Faults::default() });
    for key in 0..16 {
        match send(&sb, key).await {
            None => {}
            Some((status, _)) => assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{key}"),
        }
    }
    let state = sb.state();
    assert_eq!(state.his_sends.len(), 16, "every SMS was created");
    let answers: BTreeSet<String> = state.his_sends.iter().map(|s| format!("{:?}", s.answer)).collect();
    assert_eq!(answers, ["Dropped".to_string(), "Error500".to_string()].into());
    let r = client()
        .post(sb.ecm_base_url().join("v1/clinic/ecm/communications/patients/1001/sms").unwrap())
        .header("X-User-Token", SANDBOX_ECM_TOKEN)
        .json(&json!({ "sms": { "phone_number": "+18055550100", "body": "Hi" } }))
        .send()
        .await;
    assert!(outcome(r).await.is_none_or(|(status, _)| status.is_server_error()));
    let sms = &sb.state().ecm_sms[0];
    assert!(matches!(sms.answer, Answer::Dropped | Answer::Error500), "{sms:?}");
    // Refused requests are not "accepted": nothing to fail after.
    let (status, _) = his_post(&sb, &sms_body("123", "x", 99)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn duplicate_pages_repeat_messages_within_a_page() {
    let sb = start().await;
    let ids = inject(&sb, 5);
    sb.set_faults(Faults { duplicate_pages: true, ..Faults::default() });
    let (_, v) = his_get(&sb, SINCE).await;
    let got = page_ids(&v);
    assert!(got.len() > ids.len(), "{got:?}");
    assert_eq!(got.iter().copied().collect::<BTreeSet<_>>(), ids.iter().copied().collect());
    sb.set_faults(Faults::default());
    assert_eq!(page_ids(&his_get(&sb, SINCE).await.1), ids);
}

#[tokio::test]
async fn shuffled_pages_come_out_of_order() {
    let sb = start().await;
    let ids = inject(&sb, 6);
    sb.set_faults(Faults { shuffle_pages: true, ..Faults::default() });
    for _ in 0..3 {
        let got = page_ids(&his_get(&sb, SINCE).await.1);
        assert_ne!(got, ids);
        let mut sorted = got.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, ids);
    }
}

#[tokio::test]
async fn a_same_timestamp_burst_set_over_http_stamps_n_messages_alike() {
    let sb = start().await;
    let r = control_request(&sb, reqwest::Method::POST, "faults")
        .json(&json!({ "same_timestamp_burst": 3 }))
        .send()
        .await
        .unwrap();
    let now: Faults = r.json().await.unwrap();
    assert_eq!(now, Faults { same_timestamp_burst: 3, ..Faults::default() });
    let mut ids = Vec::new();
    for key in 0..4 {
        ids.push(his_send(&sb, "18055550108", "Hi", key).await);
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let state = sb.state();
    let stamp = |i: usize| {
        let m = state.his_message(ids[i]).unwrap();
        (m.created_at, state.his_sends[i].created_at)
    };
    assert!(stamp(0) == stamp(1) && stamp(1) == stamp(2));
    assert_ne!(stamp(2).0, stamp(3).0);
}

#[tokio::test]
async fn faults_from_the_options_apply_from_the_start_until_cleared_over_http() {
    let mut options = SandboxOptions::for_tests();
    options.faults = Faults { error_5xx_rate: 1.0, ..Faults::default() };
    let sb = start_with(options).await;
    assert!(his_get(&sb, "type=Numbers").await.0.is_server_error());
    let r = control_request(&sb, reqwest::Method::POST, "faults").json(&json!({})).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(his_get(&sb, "type=Numbers").await.0, StatusCode::OK);
    let now: Faults = control_request(&sb, reqwest::Method::GET, "faults").send().await.unwrap().json().await.unwrap();
    assert_eq!(now, Faults::default());
}
