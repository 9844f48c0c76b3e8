//! The ECM Communications API client against mocked HTTP.

use caredesk_core::gateways::ecm::error::EcmRefusal;
use std::time::Duration;

use caredesk_core::{
    gateways::ecm::{error::EcmError, wire::TwilioCode},
    gateways::http::USER_AGENT,
};
use serde_json::json;
use wiremock::{
    matchers::{body_json, header, method, path},
    Mock, MockServer, ResponseTemplate,
};

use crate::support::*;

const SMS_PATH: &str = "/v1/clinic/ecm/communications/patients/123/sms";
const CALL_PATH: &str = "/v1/clinic/ecm/communications/patients/123/call";

/// One Send SMS to patient 123 against a server answering `status` and `body`.
async fn sms_send(
    status: u16,
    body: serde_json::Value,
) -> Result<caredesk_core::gateways::ecm::wire::SendSmsResponse, EcmError> {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(SMS_PATH))
        .respond_with(ResponseTemplate::new(status).set_body_json(body))
        .mount(&server)
        .await;
    ecm(&server.uri()).send_sms(123, "+18051234567", "Hello").await
}

async fn sms_answer(status: u16, body: serde_json::Value) -> EcmError {
    sms_send(status, body).await.unwrap_err()
}

#[tokio::test]
async fn send_sms_posts_exact_json_with_the_user_token() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(SMS_PATH))
        .and(header("x-user-token", ECM_TOKEN))
        .and(header("content-type", "application/json"))
        .and(header("user-agent", USER_AGENT))
        .and(body_json(json!({ "sms": { "phone_number": "+18051234567", "body": "Hello there" } })))
        .respond_with(ResponseTemplate::new(201).set_body_string(fixture("ecm_sms_response.json")))
        .expect(1)
        .mount(&server)
        .await;
    let r = ecm(&server.uri()).send_sms(123, "+18051234567", "Hello there").await.unwrap();
    assert_eq!((r.sms.id, r.sms.status.as_str()), (Some(456), "queued"));
    assert_eq!(r.activity.unwrap().id, 789);
}

#[tokio::test]
async fn call_posts_exact_json_with_the_user_token() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(CALL_PATH))
        .and(header("x-user-token", ECM_TOKEN))
        .and(header("content-type", "application/json"))
        .and(body_json(json!({ "call": { "phone_number": "+18051234567" } })))
        .respond_with(ResponseTemplate::new(200).set_body_string(fixture("ecm_call_response.json")))
        .expect(1)
        .mount(&server)
        .await;
    let r = ecm(&server.uri()).call(123, "+18051234567").await.unwrap();
    assert_eq!((r.call.id, r.call.twilio_sid.as_deref()), (Some(457), Some("CA1234567890abcdef")));
}

#[tokio::test]
async fn base_url_path_prefix_is_kept() {
    for base in ["/api", "/api/"] {
        let server = MockServer::start().await;
        Mock::given(path(format!("/api{SMS_PATH}")))
            .respond_with(ResponseTemplate::new(200).set_body_string(fixture("ecm_sms_response.json")))
            .expect(1)
            .mount(&server)
            .await;
        let client = ecm(&format!("{}{base}", server.uri()));
        assert_eq!(client.endpoint(123, "sms").path(), format!("/api{SMS_PATH}"));
        client.send_sms(123, "+18051234567", "Hi").await.unwrap();
    }
}

#[tokio::test]
async fn each_twilio_code_by_number_and_by_wording() {
    let cases = [
        (
            "Failed to send SMS: The 'To' number is not a valid phone number",
            TwilioCode::InvalidTo,
            "ecm_twilio_invalid_number",
            "Fix",
        ),
        (
            "Failed to send SMS: [HTTP 400] 21211 : Invalid 'To' Phone Number",
            TwilioCode::InvalidTo,
            "ecm_twilio_invalid_number",
            "Fix",
        ),
        (
            "Failed to send SMS: The 'To' phone number cannot be reached",
            TwilioCode::Unreachable,
            "ecm_twilio_unreachable",
            "call",
        ),
        ("Failed to send SMS: error 21214", TwilioCode::Unreachable, "ecm_twilio_unreachable", "another number"),
        (
            "Failed to send SMS: Attempt to send to unsubscribed recipient",
            TwilioCode::OptedOut,
            "ecm_twilio_opted_out",
            "START",
        ),
        ("Failed to send SMS: Message blocked (21610)", TwilioCode::OptedOut, "ecm_twilio_opted_out", "START"),
        (
            "Failed to send SMS: Permission to send an SMS has not been enabled for the region",
            TwilioCode::NotPermitted,
            "ecm_twilio_not_permitted",
            "clinic admin",
        ),
        ("Failed to send SMS: code 21408", TwilioCode::NotPermitted, "ecm_twilio_not_permitted", "region"),
    ];
    for (text, twilio, code, advice) in cases {
        for status in [400, 422, 500] {
            let e = sms_answer(status, json!({ "errors": [text] })).await;
            assert_eq!(e.twilio_code(), Some(twilio), "{text}");
            assert_eq!(e.code(), code, "{text}");
            assert!(e.advice().unwrap().contains(advice), "{text}: {:?}", e.advice());
            assert!(e.is_permanent() && !e.may_have_been_accepted(), "{text} {status}");
            assert!(e.to_string().contains(&twilio.code().to_string()), "{e}");
        }
    }
}

#[tokio::test]
async fn patient_not_found_names_the_patient() {
    let e = sms_answer(404, json!({ "errors": ["Patient not found"] })).await;
    assert_eq!(
        e,
        EcmError::Refused(EcmRefusal::Api {
            status: 404,
            errors: vec!["Patient not found".into()],
            twilio: None,
            patient_id: 123
        })
    );
    assert!(e.to_string().contains("ECM has no patient 123; check the patient's ECM id"), "{e}");
    assert!(e.is_permanent() && e.code() == "ecm_patient_not_found");
}

#[tokio::test]
async fn phone_number_required_and_invalid() {
    let e = sms_answer(422, fixture_json("ecm_sms_error_phone_required.json")).await;
    assert_eq!(e.code(), "ecm_phone_required");
    assert!(e.to_string().contains("Phone number is required") && e.is_permanent(), "{e}");
    let e = sms_answer(422, json!({ "errors": ["Invalid phone number"] })).await;
    assert_eq!((e.code(), e.twilio_code()), ("ecm_invalid_phone", None));
}

#[tokio::test]
async fn unauthorized_says_check_ecm_token() {
    for status in [401, 403] {
        let e = sms_answer(status, json!({ "errors": ["Not authorized"] })).await;
        assert_eq!(e, EcmError::Refused(EcmRefusal::Unauthorized { status }));
        assert!(e.to_string().contains("check ecm-token") && e.is_permanent() && !e.may_have_been_accepted());
    }
}

#[tokio::test]
async fn server_errors_are_retryable_and_may_have_gone_out() {
    let e = sms_answer(500, json!({ "errors": ["Internal error"] })).await;
    assert!(matches!(e, EcmError::Refused(EcmRefusal::Api { status: 500, twilio: None, .. })), "{e:?}");
    assert!(e.is_retryable() && e.may_have_been_accepted());
    let server = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(500).set_body_string("oops")).mount(&server).await;
    let e = ecm(&server.uri()).call(123, "+18051234567").await.unwrap_err();
    assert_eq!(e, EcmError::Http { status: 500, body: "a text body of 4 bytes".into() });
    assert!(e.is_retryable() && e.may_have_been_accepted());
}

#[tokio::test]
async fn errors_in_a_success_status_are_errors() {
    let e = sms_answer(200, fixture_json("ecm_sms_error_twilio.json")).await;
    assert_eq!(e.twilio_code(), Some(TwilioCode::InvalidTo));
}

#[tokio::test]
async fn malformed_success_bodies_name_the_path() {
    let cases = [(json!({ "message": "ok" }), "."), (json!({ "sms": "queued" }), "sms"), (json!("queued"), ".")];
    for (body, want) in cases {
        match sms_answer(200, body.clone()).await {
            EcmError::Malformed { path, .. } => assert_eq!(path, want, "{body}"),
            other => panic!("{body}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn timeout_and_refused_connection() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(3)))
        .mount(&server)
        .await;
    let e = ecm_with(&server.uri(), http(Duration::from_millis(300)))
        .send_sms(123, "+18051234567", "Hi")
        .await
        .unwrap_err();
    assert_eq!(e, EcmError::Timeout);
    assert!(e.may_have_been_accepted() && e.is_retryable());
    let e = ecm(&refused_base().await).send_sms(123, "+18051234567", "Hi").await.unwrap_err();
    assert!(matches!(e, EcmError::Connect { .. }) && !e.may_have_been_accepted(), "{e:?}");
    let e = ecm(&hangup_base().await).call(123, "+18051234567").await.unwrap_err();
    assert!(matches!(e, EcmError::Transport { .. }) && e.may_have_been_accepted(), "{e:?}");
}

#[test]
fn bad_configuration_is_refused() {
    use caredesk_core::{desk::secrets::Secret, gateways::ecm::client::EcmClient};
    for base in ["ftp://host/", "https://host/?x=1", "mailto:a@b"] {
        let e = EcmClient::new(base.parse().unwrap(), Secret::new("t"), http_default()).unwrap_err();
        assert_eq!(e.code(), "ecm_config", "{base}");
    }
    let e = EcmClient::new("https://host/".parse().unwrap(), Secret::new(" "), http_default()).unwrap_err();
    assert_eq!(e.code(), "ecm_config");
}

async fn sms_accepted(status: u16, body: serde_json::Value) -> caredesk_core::gateways::ecm::wire::SendSmsResponse {
    sms_send(status, body).await.unwrap()
}

#[tokio::test]
async fn success_bodies_with_string_ids_odd_ids_or_a_bad_activity_are_accepted() {
    let logs = LogCapture::default();
    let _guard = logs.install();
    let r = sms_accepted(
        201,
        json!({
            "message": "SMS sent successfully",
            "sms": { "id": "456", "status": "queued", "to": "+18051234567", "body": "Hello" },
            "activity": { "id": "789", "activity_type": "sms", "status": "created", "patient_id": "123",
                "performed_by_id": "101", "assigned_to_id": 101 }
        }),
    )
    .await;
    assert_eq!(r.sms.id, Some(456));
    let a = r.activity.unwrap();
    assert_eq!((a.id, a.patient_id, a.performed_by_id, a.assigned_to_id), (789, Some(123), Some(101), Some(101)));

    let r = sms_accepted(200, json!({ "sms": { "id": "SMabc" } })).await;
    assert_eq!((r.sms.id, r.sms.status.as_str(), r.sms.to.as_deref()), (None, "queued", None));
    let r = sms_accepted(200, json!({ "message": "SMS sent successfully", "sms": { "id": 456 }, "activity": "oops" }))
        .await;
    assert_eq!((r.sms.id, r.activity), (Some(456), None));

    let text = logs.text();
    assert!(text.contains("sms.id is not a number") && text.contains("activity CareDesk cannot read"), "{text}");
    for secret in ["SMabc", "oops", "8051234567", "Hello", ECM_TOKEN] {
        assert!(!text.contains(secret), "the log holds {secret:?}: {text}");
    }
}

#[tokio::test]
async fn a_call_answer_without_an_id_is_still_a_placed_call() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(CALL_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "call": { "status": "ringing" } })))
        .mount(&server)
        .await;
    let r = ecm(&server.uri()).call(123, "+18051234567").await.unwrap();
    assert_eq!((r.call.id, r.call.status.as_str(), r.activity), (None, "ringing", None));
}

const PROBE_PATH: &str = "/v1/clinic/ecm/communications/patients/0/sms";

async fn probe_answer(template: ResponseTemplate) -> Result<(), EcmError> {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(PROBE_PATH))
        .and(header("x-user-token", ECM_TOKEN))
        .and(body_json(json!({})))
        .respond_with(template)
        .expect(1)
        .mount(&server)
        .await;
    ecm(&server.uri()).probe().await
}

#[tokio::test]
async fn probe_passes_on_ecms_json_refusals() {
    for (status, body) in [
        (404, json!({ "errors": ["Patient not found"] })),
        (422, json!({ "errors": ["param is missing or the value is empty: sms"] })),
        (400, json!({ "errors": ["param is missing or the value is empty: sms"] })),
    ] {
        let r = probe_answer(ResponseTemplate::new(status).set_body_json(&body)).await;
        assert_eq!(r, Ok(()), "{status} {body}");
    }
}

#[tokio::test]
async fn probe_fails_on_an_html_404_with_a_clear_error() {
    let html = format!("<html><head><title>404 Not Found</title></head><body>nginx {ECM_TOKEN}</body></html>");
    let e = probe_answer(ResponseTemplate::new(404).set_body_raw(html, "text/html")).await.unwrap_err();
    assert!(matches!(e, EcmError::Refused(EcmRefusal::NotEcm { status: 404, .. })), "{e:?}");
    assert_eq!(e.code(), "ecm_not_found");
    let text = e.to_string();
    assert!(
        text.contains("ecm.base_url does not look like the ECM Communications API")
            && text.contains(&format!("{PROBE_PATH} answered HTTP 404 without ECM's JSON errors"))
            && text.contains("check ecm.base_url (and any path prefix)"),
        "{text}"
    );
    assert!(!text.contains(ECM_TOKEN), "{text}");
    // A web app answering 200 to every path is not ECM either.
    let e = probe_answer(ResponseTemplate::new(200).set_body_raw("<!doctype html><html></html>", "text/html"))
        .await
        .unwrap_err();
    assert_eq!(e.code(), "ecm_not_found", "{e:?}");
}

#[tokio::test]
async fn probe_with_a_wrong_path_prefix_is_not_ecm() {
    let server = MockServer::start().await;
    Mock::given(path(format!("/api{PROBE_PATH}")))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({ "errors": ["Patient not found"] })))
        .mount(&server)
        .await;
    assert_eq!(ecm(&format!("{}/api/", server.uri())).probe().await, Ok(()));
    // Without the prefix wiremock answers an empty 404, like a server with no such route.
    let e = ecm(&server.uri()).probe().await.unwrap_err();
    assert!(matches!(e, EcmError::Refused(EcmRefusal::NotEcm { status: 404, .. })), "{e:?}");
}

#[tokio::test]
async fn probe_401_is_unauthorized_and_5xx_is_a_server_error() {
    let e = probe_answer(
        ResponseTemplate::new(401).set_body_json(json!({ "errors": ["Invalid or missing X-User-Token"] })),
    )
    .await
    .unwrap_err();
    assert_eq!(e, EcmError::Refused(EcmRefusal::Unauthorized { status: 401 }));
    let e = probe_answer(ResponseTemplate::new(503).set_body_string("busy")).await.unwrap_err();
    assert!(matches!(e, EcmError::Http { status: 503, .. }) && e.is_retryable(), "{e:?}");
}
