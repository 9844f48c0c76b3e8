//! The hospital SMS server client: every error shape.

use caredesk_core::gateways::his::error::HisRefusal;
use std::time::Duration;

use caredesk_core::{
    gateways::his::{
        error::HisError,
        time::HisTime,
        wire::{ErrorCode, MessageType, SendSmsRequest},
    },
    rules::phone::E164,
};
use serde_json::{json, Value};
use wiremock::{
    matchers::{method, path},
    Mock, MockServer, ResponseTemplate,
};

use crate::support::*;

fn request() -> SendSmsRequest {
    SendSmsRequest::new("37000000001", &E164::from_trusted("+37000000002".into()), "Will You come?", 1)
}

async fn send_answer(template: ResponseTemplate) -> HisError {
    let server = MockServer::start().await;
    Mock::given(method("POST")).respond_with(template).mount(&server).await;
    his_bearer(&server.uri()).send_sms(&request()).await.unwrap_err()
}

async fn get_answer(body: &str) -> HisError {
    let server = MockServer::start().await;
    Mock::given(method("GET")).respond_with(ResponseTemplate::new(200).set_body_string(body)).mount(&server).await;
    let from = HisTime::parse("2019-11-12T00:00:00").unwrap();
    his_bearer(&server.uri()).get_messages(MessageType::Incoming, &from).await.unwrap_err()
}

#[tokio::test]
async fn each_error_code_as_name_and_as_number_is_an_error_even_with_http_200() {
    // (name, number, code, ui code, permanent, may have been accepted)
    let cases = [
        ("InvalidClientNumber", 700, ErrorCode::InvalidClientNumber, "his_invalid_client_number", true, false),
        ("InvalidMessageOwner", 600, ErrorCode::InvalidMessageOwner, "his_invalid_message_owner", true, false),
        ("Internal", 500, ErrorCode::Internal, "his_internal", false, true),
    ];
    for (name, number, code, ui, permanent, accepted) in cases {
        for wire in [json!(name), json!(number), json!(number.to_string())] {
            let body = envelope(Value::Null, wire.clone(), Some("from the server"));
            let e = send_answer(ResponseTemplate::new(200).set_body_json(body)).await;
            assert_eq!(
                e,
                HisError::Refused(HisRefusal::Api { code, http_status: 200, message: Some("from the server".into()) }),
                "{wire}"
            );
            assert_eq!((e.code(), e.is_permanent(), e.may_have_been_accepted()), (ui, permanent, accepted), "{wire}");
            assert!(e.to_string().contains("from the server"), "{e}");
        }
    }
}

#[tokio::test]
async fn ok_as_name_or_number_is_success() {
    for wire in [json!("OK"), json!(1), json!("ok")] {
        let server = MockServer::start().await;
        let body = envelope(json!({ "Id": 5, "CreatedAt": "2019-11-11T08:08:21.8072824+02:00" }), wire.clone(), None);
        Mock::given(method("POST")).respond_with(ResponseTemplate::new(200).set_body_json(body)).mount(&server).await;
        assert_eq!(his_bearer(&server.uri()).send_sms(&request()).await.unwrap().id, 5, "{wire}");
    }
}

#[tokio::test]
async fn invalid_message_owner_says_to_pick_a_hospital_number() {
    let e = send_answer(ResponseTemplate::new(400).set_body_json(envelope(Value::Null, json!(600), None))).await;
    assert!(
        matches!(e, HisError::Refused(HisRefusal::Api { code: ErrorCode::InvalidMessageOwner, http_status: 400, .. })),
        "{e:?}"
    );
    let text = e.to_string();
    assert!(text.contains("his.from") && text.contains("caredesk numbers"), "{text}");
    let e = send_answer(ResponseTemplate::new(200).set_body_json(envelope(Value::Null, json!(700), None))).await;
    assert!(e.to_string().contains("recipient number was refused by the hospital SMS server"), "{e}");
}

#[tokio::test]
async fn unknown_error_code_is_kept() {
    let e = send_answer(ResponseTemplate::new(422).set_body_json(envelope(Value::Null, json!(801), Some("odd")))).await;
    assert_eq!(
        e,
        HisError::Refused(HisRefusal::Api {
            code: ErrorCode::Other(801),
            http_status: 422,
            message: Some("odd".into())
        })
    );
    assert!(e.is_permanent() && !e.may_have_been_accepted());
}

#[tokio::test]
async fn http_500_with_envelope_uses_its_code() {
    let e = send_answer(ResponseTemplate::new(500).set_body_json(envelope(
        Value::Null,
        json!("Internal"),
        Some("db down"),
    )))
    .await;
    assert_eq!(
        e,
        HisError::Refused(HisRefusal::Api {
            code: ErrorCode::Internal,
            http_status: 500,
            message: Some("db down".into())
        })
    );
    assert!(e.is_retryable() && e.may_have_been_accepted());
}

#[tokio::test]
async fn http_500_without_envelope_uses_the_http_status() {
    let e = send_answer(ResponseTemplate::new(500).set_body_string("<h1>Internal Server Error</h1>")).await;
    assert_eq!(e, HisError::Http { status: 500, body: "an HTML or XML page of 30 bytes".into() });
    assert!(e.is_retryable() && e.may_have_been_accepted() && e.code() == "his_http");
    let e = send_answer(ResponseTemplate::new(404)).await;
    assert_eq!(e, HisError::Http { status: 404, body: String::new() });
    assert!(e.is_permanent() && !e.may_have_been_accepted());
}

#[tokio::test]
async fn malformed_answers_name_the_path_and_never_panic() {
    let status_ok = json!({ "StatusCode": "OK", "ErrorCode": "OK", "ErrorMessage": null });
    let cases: Vec<(String, &str)> = vec![
        ("not json at all".into(), "."),
        ("".into(), "."),
        (r#"{"Data":{"Id":1,"#.into(), "."),
        (json!({ "Status": status_ok }).to_string(), "Data"),
        (json!({ "Data": null, "Status": status_ok }).to_string(), "Data"),
        (json!({ "Data": { "Id": "x" }, "Status": status_ok }).to_string(), "Data.Id"),
        (json!({ "Data": { "Id": 0 }, "Status": status_ok }).to_string(), "Data.Id"),
    ];
    for (body, want_path) in cases {
        let e = send_answer(ResponseTemplate::new(200).set_body_string(body.clone())).await;
        match &e {
            HisError::Malformed { path, .. } => assert_eq!(path, want_path, "{body}"),
            other => panic!("{body}: {other:?}"),
        }
        assert!(e.may_have_been_accepted() && e.is_permanent(), "{body}");
    }
}

/// A valid `Data.Id` on a 2xx is an acceptance, whatever else is odd.
#[tokio::test]
async fn a_send_with_an_id_is_accepted_whatever_else_is_odd() {
    let status_ok = json!({ "StatusCode": "OK", "ErrorCode": "OK", "ErrorMessage": null });
    for body in [
        json!({ "Data": { "Id": "623178", "CreatedAt": "2019-11-11T08:08:21" }, "Status": status_ok }),
        json!({ "Data": { "Id": 623178, "CreatedAt": "yesterday" }, "Status": status_ok }),
        json!({ "Data": { "Id": 623178 }, "Status": status_ok }),
        json!({ "Data": { "Id": 623178, "CreatedAt": "2019-11-11T08:08:21" } }),
        json!({ "data": { "id": 623178 }, "status": { "statusCode": 200, "errorCode": 0 } }),
        json!({ "Data": { "Id": 623178 }, "Status": { "StatusCode": "OK", "ErrorCode": "Queued" } }),
    ] {
        let server = MockServer::start().await;
        Mock::given(method("POST")).respond_with(ResponseTemplate::new(200).set_body_json(&body)).mount(&server).await;
        assert_eq!(his_bearer(&server.uri()).send_sms(&request()).await.unwrap().id, 623178, "{body}");
    }
}

/// An error code CareDesk does not know, in a 2xx without an Id, may mean
/// anything: the send is checked before any retry.
#[tokio::test]
async fn an_unknown_code_at_200_without_an_id_is_ambiguous() {
    for code in [json!("Weird"), json!(true), json!(42)] {
        let body = json!({ "Data": null, "Status": { "ErrorCode": code } }).to_string();
        let e = send_answer(ResponseTemplate::new(200).set_body_string(body.clone())).await;
        assert!(matches!(e, HisError::Refused(HisRefusal::Api { http_status: 200, .. })), "{body}: {e:?}");
        assert!(e.may_have_been_accepted() && e.is_retryable(), "{body}");
    }
}

#[tokio::test]
async fn unreadable_messages_are_skipped_with_a_reason_and_the_rest_read() {
    let message = |id: Value, from: Value, created: &str| {
        json!({ "Id": id, "From": from, "To": "37000000001", "Type": "Incoming",
                "CreatedAt": created, "UpdatedAt": created, "Text": "Yes", "State": "Delivered" })
    };
    let ok = message(json!(1), json!("37000000002"), "2019-11-12T11:01:51.2143795");
    let status_ok = json!({ "StatusCode": "OK", "ErrorCode": "OK", "ErrorMessage": null });
    let cases = [
        (json!({ "Messages": [ok, message(json!(2), json!(37000000003_i64), "2019-11-12T11:01:51")] }), 2, vec![]),
        (json!({ "Messages": [ok, message(json!(2), json!("1"), "12/11/2019")] }), 1, vec![(Some("2"), "CreatedAt")]),
        (json!({ "Messages": [message(json!("x"), json!("1"), "2019-11-12T11:01:51")] }), 0, vec![(Some("x"), "Id")]),
        (
            json!({ "Messages": [ok, message(json!(3), Value::Null, "2019-11-12T11:01:51")] }),
            1,
            vec![(Some("3"), "sender")],
        ),
    ];
    for (data, read, skipped) in cases {
        let body = json!({ "Data": data, "Status": status_ok }).to_string();
        let server = MockServer::start().await;
        Mock::given(method("GET")).respond_with(ResponseTemplate::new(200).set_body_string(&body)).mount(&server).await;
        let from = HisTime::parse("2019-11-12T00:00:00").unwrap();
        let page = his_bearer(&server.uri()).get_messages(MessageType::Incoming, &from).await.unwrap();
        assert_eq!(page.messages.len(), read, "{body}");
        let got: Vec<(Option<&str>, &str)> =
            page.unreadable.iter().map(|u| (u.id.as_deref(), u.reason.as_str())).collect();
        assert_eq!(got.len(), skipped.len(), "{body}");
        for ((id, reason), (want_id, word)) in got.iter().zip(&skipped) {
            assert_eq!(id, want_id, "{body}");
            assert!(reason.contains(word) && !reason.contains("12/11/2019"), "{reason}");
        }
    }
    let body = json!({ "Data": { "Messages": { "Id": 1 } }, "Status": status_ok }).to_string();
    match get_answer(&body).await {
        HisError::Malformed { path, .. } => assert_eq!(path, "Data.Messages"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn timeout_after_sending_may_have_been_accepted() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(ok_send_data()).set_delay(Duration::from_secs(3)))
        .mount(&server)
        .await;
    let client = his_bearer_with(&server.uri(), http(Duration::from_millis(300)));
    let e = client.send_sms(&request()).await.unwrap_err();
    assert_eq!(e, HisError::Timeout);
    assert!(e.may_have_been_accepted() && e.is_retryable(), "{e:?}");
}

#[tokio::test]
async fn connection_refused_was_not_accepted() {
    let e = his_bearer(&refused_base().await).send_sms(&request()).await.unwrap_err();
    assert!(matches!(e, HisError::Connect { .. }), "{e:?}");
    assert!(!e.may_have_been_accepted() && e.is_retryable(), "{e:?}");
    assert!(e.to_string().contains("his.base_url"), "{e}");
}

#[tokio::test]
async fn connection_closed_mid_response_may_have_been_accepted() {
    let e = his_bearer(&hangup_base().await).send_sms(&request()).await.unwrap_err();
    assert!(matches!(e, HisError::Transport { .. }), "{e:?}");
    assert!(e.may_have_been_accepted(), "{e:?}");
}

#[tokio::test]
async fn bearer_401_is_refused_token_without_retry() {
    let server = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(401)).expect(1).mount(&server).await;
    let e = his_bearer(&server.uri()).send_sms(&request()).await.unwrap_err();
    assert!(e.to_string().contains("the hospital SMS server refused the token his-token"), "{e}");
    assert!(e.is_permanent() && !e.may_have_been_accepted() && e.code() == "his_unauthorized");
}

#[tokio::test]
async fn redirects_are_reported_not_followed() {
    let server = MockServer::start().await;
    let elsewhere = format!("{}/elsewhere", server.uri());
    Mock::given(path("/"))
        .respond_with(ResponseTemplate::new(307).insert_header("location", elsewhere.as_str()))
        .mount(&server)
        .await;
    Mock::given(path("/elsewhere")).respond_with(ResponseTemplate::new(200)).expect(0).mount(&server).await;
    let e = his_bearer(&server.uri()).send_sms(&request()).await.unwrap_err();
    assert!(matches!(e, HisError::Http { status: 307, .. }), "{e:?}");
}

#[test]
fn bad_base_addresses_are_config_errors() {
    use caredesk_core::{
        desk::secrets::Secret,
        gateways::his::{
            auth::HisAuth,
            client::{HisClient, HisConfig},
        },
    };
    for base in ["ftp://host/", "mailto:x@y", "https://host/#frag"] {
        let config = HisConfig { base_url: base.parse().unwrap(), auth: HisAuth::Bearer(Secret::new("t")) };
        let e = HisClient::new(config, http_default()).unwrap_err();
        assert_eq!(e.code(), "his_config", "{base}");
    }
    let config = HisConfig { base_url: "https://host/".parse().unwrap(), auth: HisAuth::Bearer(Secret::new("  ")) };
    assert!(matches!(HisClient::new(config, http_default()), Err(HisError::Config(_))));
}
