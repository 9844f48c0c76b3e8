//! The ECM Communications API (spec 004): the spec's own examples, phone
//! formats, and every error.

use std::collections::BTreeSet;

use reqwest::StatusCode;
use serde_json::{json, Value};

use super::*;
use crate::{
    gateways::ecm::wire::{CallResponse, SendSmsResponse},
    sandbox::SANDBOX_ECM_TOKEN,
};

fn path(patient: &str, what: &str) -> String {
    format!("v1/clinic/ecm/communications/patients/{patient}/{what}")
}

async fn post_raw(
    sb: &SandboxHandle,
    patient: &str,
    what: &str,
    body: &str,
    token: Option<&str>,
) -> (StatusCode, Value) {
    let mut req = client()
        .post(sb.ecm_base_url().join(&path(patient, what)).unwrap())
        .header("Content-Type", "application/json")
        .body(body.to_string());
    if let Some(t) = token {
        req = req.header("X-User-Token", t);
    }
    let r = req.send().await.unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn post(sb: &SandboxHandle, patient: &str, what: &str, body: Value) -> (StatusCode, Value) {
    post_raw(sb, patient, what, &body.to_string(), Some(SANDBOX_ECM_TOKEN)).await
}

fn keys(v: &Value) -> BTreeSet<&str> {
    v.as_object().unwrap().keys().map(String::as_str).collect()
}

fn is_twilio_sid(s: &str, prefix: &str) -> bool {
    s.len() == 34 && s.starts_with(prefix) && s[2..].bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

fn is_utc_millis(s: &str) -> bool {
    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.3fZ").is_ok() && s.len() == 24
}

/// Registers patient 123 of the spec's examples through the control API.
async fn register_123(sb: &SandboxHandle) {
    let r =
        control_request(sb, reqwest::Method::POST, "ecm/patients").json(&json!({ "id": 123 })).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn the_spec_curl_sms_example_is_accepted_and_answered_field_for_field() {
    let sb = start().await;
    register_123(&sb).await;
    let body = "{\n\"sms\": {\n\"phone_number\": \"+18051234567\",\n\"body\": \"Hello! This is a reminder about your appointment.\"\n}\n}";
    let (status, v) = post_raw(&sb, "123", "sms", body, Some(SANDBOX_ECM_TOKEN)).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert_eq!(keys(&v), ["activity", "message", "sms"].into());
    assert_eq!(v["message"], "SMS sent successfully");
    let sms = &v["sms"];
    assert_eq!(keys(sms), ["body", "created_at", "direction", "from", "id", "status", "to", "twilio_sid"].into());
    assert_eq!(sms["to"], "+18051234567");
    assert_eq!(sms["from"], magic::ECM_CLINIC_NUMBER);
    assert_eq!(sms["body"], "Hello! This is a reminder about your appointment.");
    assert_eq!((sms["status"].as_str(), sms["direction"].as_str()), (Some("queued"), Some("outbound")));
    assert!(sms["id"].is_i64());
    assert!(is_twilio_sid(sms["twilio_sid"].as_str().unwrap(), "SM"), "{sms}");
    assert!(is_utc_millis(sms["created_at"].as_str().unwrap()), "{sms}");
    let activity = &v["activity"];
    assert_eq!(
        keys(activity),
        ["activity_type", "assigned_to_id", "id", "patient_id", "performed_by_id", "status"].into()
    );
    assert_eq!(activity["activity_type"], "sms");
    assert_eq!(activity["status"], "created");
    assert_eq!(
        (activity["patient_id"].as_i64(), activity["performed_by_id"].as_i64(), activity["assigned_to_id"].as_i64()),
        (Some(123), Some(101), Some(101))
    );
    let typed: SendSmsResponse = serde_json::from_value(v.clone()).unwrap();
    let record = &sb.state().ecm_sms[0];
    assert_eq!(
        (record.id, record.activity_id, record.patient_id),
        (typed.sms.id.unwrap(), typed.activity.unwrap().id, 123)
    );
}

#[tokio::test]
async fn the_spec_curl_call_example_is_accepted_and_answered_field_for_field() {
    let sb = start().await;
    register_123(&sb).await;
    let body = "{\n\"call\": {\n\"phone_number\": \"+18051234567\"\n}\n}";
    let (status, v) = post_raw(&sb, "123", "call", body, Some(SANDBOX_ECM_TOKEN)).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    assert_eq!(v["message"], "Call initiated successfully");
    let call = &v["call"];
    assert_eq!(keys(call), ["created_at", "direction", "from", "id", "status", "to", "twilio_sid"].into());
    assert_eq!((call["to"].as_str(), call["from"].as_str()), (Some("+18051234567"), Some(magic::ECM_CLINIC_NUMBER)));
    assert_eq!((call["status"].as_str(), call["direction"].as_str()), (Some("queued"), Some("outbound")));
    assert!(is_twilio_sid(call["twilio_sid"].as_str().unwrap(), "CA"), "{call}");
    assert!(is_utc_millis(call["created_at"].as_str().unwrap()));
    assert_eq!(v["activity"]["activity_type"], "call");
    assert_eq!(v["activity"]["patient_id"], 123);
    let typed: CallResponse = serde_json::from_value(v).unwrap();
    assert_eq!(Some(sb.state().ecm_calls[0].id), typed.call.id);
}

#[tokio::test]
async fn every_phone_format_of_the_spec_table_is_normalized() {
    let sb = start().await;
    for number in ["+18051234567", "8051234567", "805-123-4567", "(805) 123-4567"] {
        let (status, v) = post(&sb, "1001", "sms", json!({ "sms": { "phone_number": number, "body": "Hi" } })).await;
        assert_eq!(status, StatusCode::CREATED, "{number}: {v}");
        assert_eq!(v["sms"]["to"], "+18051234567", "{number}");
        let (status, v) = post(&sb, "1001", "call", json!({ "call": { "phone_number": number } })).await;
        assert_eq!((status, v["call"]["to"].as_str()), (StatusCode::CREATED, Some("+18051234567")), "{number}");
    }
    let state = sb.state();
    assert_eq!((state.ecm_sms.len(), state.ecm_calls.len()), (4, 4));
    let ids: BTreeSet<i64> = state.ecm_sms.iter().chain(&state.ecm_calls).map(|r| r.id).collect();
    assert_eq!(ids.len(), 8, "ids are unique across SMS and calls");
}

#[tokio::test]
async fn a_missing_or_wrong_user_token_gets_401() {
    let sb = start().await;
    let body = json!({ "sms": { "phone_number": "+18055550100", "body": "Hi" } }).to_string();
    for token in [None, Some("wrong"), Some(crate::sandbox::SANDBOX_HIS_TOKEN)] {
        let (status, v) = post_raw(&sb, "1001", "sms", &body, token).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{token:?}");
        assert_eq!(v, json!({ "errors": ["Invalid or missing X-User-Token"] }));
    }
    assert!(sb.state().ecm_sms.is_empty());
}

#[tokio::test]
async fn unknown_patients_get_404() {
    let sb = start().await;
    for patient in ["123", "999", "abc", "-1"] {
        for (what, body) in [
            ("sms", json!({ "sms": { "phone_number": "+18055550100", "body": "Hi" } })),
            ("call", json!({ "call": { "phone_number": "+18055550100" } })),
        ] {
            let (status, v) = post(&sb, patient, what, body).await;
            assert_eq!(
                (status, v),
                (StatusCode::NOT_FOUND, json!({ "errors": ["Patient not found"] })),
                "{patient} {what}"
            );
        }
    }
}

#[tokio::test]
async fn sms_refusals_use_the_spec_and_twilio_wording() {
    let sb = start().await;
    let sms = |phone: Value| json!({ "sms": { "phone_number": phone, "body": "Hi" } });
    let invalid = "Failed to send SMS: The 'To' number is not a valid phone number";
    let cases = [
        (json!({ "sms": { "body": "Hi" } }), "Phone number is required"),
        (sms(json!("")), "Phone number is required"),
        (sms(json!("   ")), "Phone number is required"),
        (sms(json!(null)), "Phone number is required"),
        (sms(json!("12345")), invalid),
        (sms(json!("805-CALL-NOW")), invalid),
        (sms(json!("+999123456789")), invalid),
        (sms(json!(magic::INVALID_NUMBER)), "Failed to send SMS: The 'To' number is not a valid phone number (21211)"),
        (sms(json!(magic::UNREACHABLE)), "Failed to send SMS: The 'To' phone number cannot be reached (21214)"),
        (sms(json!("(500) 555-0003")), "Failed to send SMS: Permission to send an SMS has not been enabled for the region indicated by the 'To' number (21408)"),
        (sms(json!(magic::OPTED_OUT)), "Failed to send SMS: Attempt to send to unsubscribed recipient (21610)"),
        (json!({ "sms": { "phone_number": "+18055550100", "body": "" } }), "Failed to send SMS: Message body is required (21602)"),
    ];
    for (body, message) in cases {
        let (status, v) = post(&sb, "1001", "sms", body.clone()).await;
        assert_eq!((status, v), (StatusCode::UNPROCESSABLE_ENTITY, json!({ "errors": [message] })), "{body}");
    }
    for body in ["{not json", "{}", r#"{"sms": {}}"#, r#"{"call": {"phone_number": "+18055550100"}}"#] {
        let (status, v) = post_raw(&sb, "1001", "sms", body, Some(SANDBOX_ECM_TOKEN)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(v["errors"][0].as_str().is_some(), "{body}: {v}");
    }
    assert!(sb.state().ecm_sms.is_empty(), "nothing was created");
}

#[tokio::test]
async fn call_refusals_and_what_does_not_stop_a_call() {
    let sb = start().await;
    let call = |phone: &str| json!({ "call": { "phone_number": phone } });
    let cases = [
        ("", "Phone number is required"),
        ("12345", "Failed to initiate call: The 'To' number is not a valid phone number"),
        (magic::INVALID_NUMBER, "Failed to initiate call: The 'To' number is not a valid phone number (21211)"),
        (magic::UNREACHABLE, "Failed to initiate call: The 'To' phone number cannot be reached (21214)"),
    ];
    for (phone, message) in cases {
        let (status, v) = post(&sb, "1002", "call", call(phone)).await;
        assert_eq!((status, v), (StatusCode::UNPROCESSABLE_ENTITY, json!({ "errors": [message] })), "{phone}");
    }
    for phone in [magic::OPTED_OUT, magic::SMS_NOT_PERMITTED] {
        let (status, _) = post(&sb, "1002", "call", call(phone)).await;
        assert_eq!(status, StatusCode::CREATED, "an SMS opt-out does not block a call: {phone}");
    }
    assert_eq!(sb.state().ecm_calls.len(), 2);
}
