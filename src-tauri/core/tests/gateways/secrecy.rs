//! Tokens, secrets, full phone numbers and message texts never show in
//! Debug, Display or the logs.

use caredesk_core::{
    gateways::his::{
        auth::HisAuth,
        client::{HisClient, HisConfig},
        wire::SendSmsRequest,
    },
    rules::phone::E164,
};
use serde_json::json;
use wiremock::{
    matchers::{method, path},
    Mock, MockServer, ResponseTemplate,
};

use crate::support::*;

const PATIENT_NUMBER: &str = "+18051234567";
const TEXT: &str = "Your biopsy results are ready";

fn assert_clean(what: &str, text: &str) {
    for secret in [HIS_TOKEN, ECM_TOKEN, CLIENT_SECRET, "aad-live-token", "8051234567", TEXT] {
        assert!(!text.contains(secret), "{what} contains {secret:?}: {text}");
    }
}

#[tokio::test]
async fn clients_debug_without_secrets() {
    let server = MockServer::start().await;
    let bearer = his_bearer(&server.uri());
    let azure = his_azure(&server);
    let ecm = ecm(&server.uri());
    assert_clean("bearer client", &format!("{bearer:?}"));
    assert_clean("azure client", &format!("{azure:?}"));
    assert_clean("ecm client", &format!("{ecm:?}"));
    assert!(format!("{bearer:?}").contains(&server.uri()), "Debug still says where it points");
    let config =
        HisConfig { base_url: server.uri().parse().unwrap(), auth: HisAuth::Azure(azure_config(server.uri())) };
    assert_clean("his config", &format!("{config:?}"));
}

#[tokio::test]
async fn errors_that_echo_secrets_do_not_repeat_them() {
    let server = MockServer::start().await;
    Mock::given(path(token_path()))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "error": "invalid_client",
            "error_description": format!("AADSTS7000215: Invalid client secret provided: {CLIENT_SECRET}")
        })))
        .mount(&server)
        .await;
    Mock::given(path("/his/"))
        .respond_with(
            ResponseTemplate::new(500).set_body_string(format!("bad token {HIS_TOKEN} for {PATIENT_NUMBER}: {TEXT}")),
        )
        .mount(&server)
        .await;
    Mock::given(path("/his-api/"))
        .respond_with(ResponseTemplate::new(200).set_body_json(envelope(
            serde_json::Value::Null,
            json!(700),
            Some(&format!("Invalid client number 18051234567 (token {HIS_TOKEN})")),
        )))
        .mount(&server)
        .await;
    Mock::given(path("/v1/clinic/ecm/communications/patients/1/sms"))
        .respond_with(ResponseTemplate::new(422).set_body_json(json!({
            "errors": [format!("Token {ECM_TOKEN} cannot text {PATIENT_NUMBER}")]
        })))
        .mount(&server)
        .await;
    Mock::given(path("/v1/clinic/ecm/communications/patients/1/call"))
        .respond_with(ResponseTemplate::new(502).set_body_string(format!("{ECM_TOKEN} {PATIENT_NUMBER}")))
        .mount(&server)
        .await;

    let request = SendSmsRequest::new("RSL_HOSP", &E164::from_trusted(PATIENT_NUMBER.into()), TEXT, 1);
    let errors = [
        format!("{0} {0:?}", his_azure(&server).numbers().await.unwrap_err()),
        format!("{0} {0:?}", his_bearer(&format!("{}/his/", server.uri())).send_sms(&request).await.unwrap_err()),
        format!("{0} {0:?}", his_bearer(&format!("{}/his-api/", server.uri())).send_sms(&request).await.unwrap_err()),
        format!("{0} {0:?}", ecm(&server.uri()).send_sms(1, PATIENT_NUMBER, TEXT).await.unwrap_err()),
        format!("{0} {0:?}", ecm(&server.uri()).call(1, PATIENT_NUMBER).await.unwrap_err()),
    ];
    for e in errors {
        assert_clean("error", &e);
    }
}

#[tokio::test]
async fn logs_carry_no_token_number_or_text() {
    let logs = LogCapture::default();
    let _guard = logs.install();
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(token_path()))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body("aad-live-token", 3600)))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/sms/"))
        .respond_with(ResponseTemplate::new(200).set_body_json(ok_send_data()))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/clinic/ecm/communications/patients/1/sms"))
        .respond_with(ResponseTemplate::new(200).set_body_string(fixture("ecm_sms_response.json")))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/clinic/ecm/communications/patients/2/sms"))
        .respond_with(
            ResponseTemplate::new(422).set_body_json(json!({ "errors": [format!("Cannot text {PATIENT_NUMBER}")] })),
        )
        .mount(&server)
        .await;

    let request = SendSmsRequest::new("+18059876543", &E164::from_trusted(PATIENT_NUMBER.into()), TEXT, 1);
    his_azure(&server).send_sms(&request).await.unwrap();
    let bad = HisConfig {
        base_url: format!("{}/nowhere/", server.uri()).parse().unwrap(),
        auth: HisAuth::Bearer(caredesk_core::desk::secrets::Secret::new(HIS_TOKEN)),
    };
    HisClient::new(bad, http_default()).unwrap().send_sms(&request).await.unwrap_err();
    ecm(&server.uri()).send_sms(1, PATIENT_NUMBER, TEXT).await.unwrap();
    ecm(&server.uri()).send_sms(2, PATIENT_NUMBER, TEXT).await.unwrap_err();

    let text = logs.text();
    assert!(text.contains("sending an SMS") && text.contains("+1********67"), "the capture works: {text}");
    assert_clean("logs", &text);
}
