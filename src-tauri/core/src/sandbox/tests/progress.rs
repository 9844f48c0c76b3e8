//! States over time, seen over HTTP: delivery reports, magic numbers,
//! replies, ECM SMS and call statuses.

use std::time::Duration;

use serde_json::Value;

use super::*;
use crate::{
    gateways::his::wire::{MessageState, MessageType},
    sandbox::{demo, Timing},
};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[tokio::test]
async fn an_outgoing_sms_moves_accepted_enroute_delivered_and_updated_at_moves_with_it() {
    let mut options = SandboxOptions::for_tests();
    options.timing = Timing { enroute_after: ms(150), delivered_after: ms(600), ..Timing::fast() };
    options.replies = false;
    let sb = start_with(options).await;
    let id = his_send(&sb, "18055550102", "See you Monday?", 1).await;
    let mut seen: Vec<(String, String)> = Vec::new();
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while seen.last().is_none_or(|(s, _)| s != "Delivered") {
        assert!(tokio::time::Instant::now() < deadline, "no delivery: {seen:?}");
        let msgs = his_messages(&sb, "Outgoing").await;
        let m = msgs.iter().find(|m| m["Id"] == id).expect("the message");
        let now = (m["State"].as_str().unwrap().to_string(), m["UpdatedAt"].as_str().unwrap().to_string());
        if seen.last() != Some(&now) {
            seen.push(now);
        }
        tokio::time::sleep(ms(10)).await;
    }
    let states: Vec<&str> = seen.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(states, ["Accepted", "Enroute", "Delivered"]);
    assert!(seen.windows(2).all(|w| w[0].1 < w[1].1), "UpdatedAt moves on each step: {seen:?}");
}

#[tokio::test]
async fn magic_numbers_end_undeliverable_rejected_expired_or_without_a_report() {
    let sb = start().await;
    let cases = [
        (magic::UNDELIVERABLE, MessageState::Undeliverable),
        (magic::REJECTED, MessageState::Rejected),
        (magic::EXPIRED, MessageState::Expired),
    ];
    let mut ids = Vec::new();
    for (i, (number, want)) in cases.iter().enumerate() {
        ids.push((his_send(&sb, number, "x", i as i64).await, *want));
    }
    let silent = his_send(&sb, &magic::NO_REPORT[1..], "x", 9).await;
    for (id, want) in ids {
        wait_for(&sb, "a final state", |s| (s.his_message(id)?.state == want).then_some(())).await;
    }
    wait_for(&sb, "enroute", |s| (s.his_message(silent)?.state == MessageState::Enroute).then_some(())).await;
    tokio::time::sleep(ms(150)).await;
    let state = sb.state();
    assert_eq!(state.his_message(silent).unwrap().state, MessageState::Enroute);
    assert_eq!(state.incoming().count(), 0, "magic numbers never reply");
}

#[tokio::test]
async fn patients_reply_with_reply_to_message_id_from_their_own_number() {
    let sb = start().await;
    let stop = his_send(&sb, demo::STOP_NUMBER, "Flu shot Friday?", 1).await;
    let ana = his_send(&sb, "18055550100", "Flu shot Friday?", 2).await;
    wait_for(&sb, "two replies", |s| (s.incoming().count() == 2).then_some(())).await;
    let msgs = his_messages(&sb, "Incoming").await;
    let by_reply = |id: i64| msgs.iter().find(|m| m["ReplyToMessageId"] == id).cloned().unwrap_or(Value::Null);
    let (s, a) = (by_reply(stop), by_reply(ana));
    assert_eq!((s["From"].as_str(), s["Text"].as_str()), (Some("18055550103"), Some("STOP")));
    assert_eq!((a["From"].as_str(), a["Text"].as_str()), (Some("18055550100"), Some("Yes")));
    for m in [&s, &a] {
        assert_eq!(m["To"], magic::HOSPITAL_NUMBER);
        assert_eq!((m["Type"].as_str(), m["State"].as_str()), (Some("Incoming"), Some("Delivered")));
        assert!(is_his_time(m["UpdatedAt"].as_str().unwrap(), false));
    }
    // One reply per message, however long we wait.
    tokio::time::sleep(ms(150)).await;
    assert_eq!(sb.state().incoming().count(), 2);
}

#[tokio::test]
async fn no_reply_from_a_sender_name_or_when_replies_are_off() {
    let sb = start().await;
    let body = serde_json::json!({ "Id": null, "From": magic::HOSPITAL_SENDER_NAME, "To": "18055550100", "Text": "x", "ExternalKey": 1 });
    assert_eq!(his_post(&sb, &body).await.0, reqwest::StatusCode::OK);
    sb.set_replies(false);
    let quiet = his_send(&sb, "18055550102", "x", 2).await;
    wait_for(&sb, "delivery", |s| (s.his_message(quiet)?.state == MessageState::Delivered).then_some(())).await;
    tokio::time::sleep(ms(150)).await;
    let state = sb.state();
    assert!(state.his_messages.iter().all(|m| m.kind == MessageType::Outgoing && m.state == MessageState::Delivered));
    assert_eq!(state.incoming().count(), 0);
}

async fn ecm_post(sb: &SandboxHandle, path: &str, body: Value) -> Value {
    let url = sb.ecm_base_url().join(path).unwrap();
    let r =
        client().post(url).header("X-User-Token", crate::sandbox::SANDBOX_ECM_TOKEN).json(&body).send().await.unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::CREATED);
    r.json().await.unwrap()
}

#[tokio::test]
async fn ecm_sms_statuses_progress_and_magic_numbers_fail_later() {
    let sb = start().await;
    let sms = |to: &str| serde_json::json!({ "sms": { "phone_number": to, "body": "Reminder" } });
    let path = "v1/clinic/ecm/communications/patients/1001/sms";
    let ok = ecm_post(&sb, path, sms("+18055550100")).await["sms"]["id"].as_i64().unwrap();
    let undelivered = ecm_post(&sb, path, sms(magic::UNDELIVERABLE)).await["sms"]["id"].as_i64().unwrap();
    let failed = ecm_post(&sb, path, sms(magic::REJECTED)).await["sms"]["id"].as_i64().unwrap();
    let history = |id: i64| {
        move |s: &StateSnapshot| {
            let r = s.ecm_sms.iter().find(|r| r.id == id)?;
            let done = ["delivered", "undelivered", "failed"].contains(&r.status.as_str());
            done.then(|| r.history.iter().map(|h| h.status.clone()).collect::<Vec<_>>())
        }
    };
    assert_eq!(wait_for(&sb, "delivered", history(ok)).await, ["queued", "sending", "sent", "delivered"]);
    assert_eq!(wait_for(&sb, "undelivered", history(undelivered)).await, ["queued", "sending", "sent", "undelivered"]);
    assert_eq!(wait_for(&sb, "failed", history(failed)).await, ["queued", "sending", "failed"]);
    let reply = wait_for(&sb, "an ECM reply", |s| s.ecm_inbound.first().cloned()).await;
    assert_eq!((reply.reply_to_sms_id, reply.body.as_str(), reply.patient_id), (ok, "Yes", 1001));
    assert_eq!(sb.state().incoming().count(), 0, "ECM replies stay out of the HIS inbox");
}

#[tokio::test]
async fn call_statuses_progress_to_completed_busy_no_answer_or_failed() {
    let sb = start().await;
    let path = "v1/clinic/ecm/communications/patients/1004/call";
    let cases = [
        ("+18055550104", vec!["queued", "ringing", "in-progress", "completed"]),
        (magic::CALL_BUSY, vec!["queued", "ringing", "busy"]),
        (magic::CALL_NO_ANSWER, vec!["queued", "ringing", "no-answer"]),
        (magic::CALL_FAILED, vec!["queued", "failed"]),
    ];
    for (number, want) in cases {
        let v = ecm_post(&sb, path, serde_json::json!({ "call": { "phone_number": number } })).await;
        let id = v["call"]["id"].as_i64().unwrap();
        let last = *want.last().unwrap();
        let got = wait_for(&sb, last, |s| {
            let r = s.ecm_calls.iter().find(|r| r.id == id)?;
            (r.status == last).then(|| r.history.iter().map(|h| h.status.clone()).collect::<Vec<_>>())
        })
        .await;
        assert_eq!(got, want, "{number}");
    }
}
