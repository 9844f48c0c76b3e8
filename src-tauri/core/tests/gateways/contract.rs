//! The exact JSON examples of specs 003 and 004 (copied verbatim into
//! tests/resources/), through the clients and the wire types, every field.

use caredesk_core::gateways::ecm::error::EcmRefusal;
use caredesk_core::{
    gateways::ecm::{
        self,
        wire::{Activity, CallResponse, SendSmsResponse, TwilioCode},
    },
    gateways::his::{
        time::HisTime,
        wire::{Envelope, ErrorCode, MessageState, MessageType, MessagesData, SendSmsData, SendSmsRequest},
    },
    rules::phone::E164,
};
use serde_json::Value;
use wiremock::{
    matchers::{body_json, method, path},
    Mock, MockServer, ResponseTemplate,
};

use crate::support::*;

fn time(s: &str) -> HisTime {
    HisTime::parse(s).unwrap()
}

#[tokio::test]
async fn his_send_request_and_response() {
    let spec_request = fixture_json("his_send_sms_request.json");
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(body_json(&spec_request))
        .respond_with(ResponseTemplate::new(200).set_body_string(fixture("his_send_sms_response.json")))
        .expect(1)
        .mount(&server)
        .await;
    let text = "Reminding, that N. SURNAME is registered on 2019-11-12 (Tu) 07:00, in 321 cab. Will You come?";
    let request = SendSmsRequest::new("37000000001", &E164::from_trusted("+37000000002".into()), text, 27342);
    assert_eq!(serde_json::to_value(&request).unwrap(), spec_request);
    let parsed: SendSmsRequest = serde_json::from_value(spec_request).unwrap();
    assert_eq!(parsed, request);

    let data = his_bearer(&server.uri()).send_sms(&request).await.unwrap();
    assert_eq!((data.id, data.created_at), (623178, Some(time("2019-11-11T08:08:21.8072824+02:00"))));
    assert_eq!(data.created_at.unwrap().offset.unwrap().local_minus_utc(), 7200);

    let envelope: Envelope<SendSmsData> = serde_json::from_str(&fixture("his_send_sms_response.json")).unwrap();
    assert_eq!(envelope.status.status_code, "OK");
    assert_eq!(envelope.status.error_code, ErrorCode::Ok);
    assert_eq!(envelope.status.error_message, None);
}

#[tokio::test]
async fn his_get_incoming_response() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(RawQuery("type=Incoming&dateFrom=2019-11-12%2011:01:26.8912252"))
        .respond_with(ResponseTemplate::new(200).set_body_string(fixture("his_get_incoming_response.json")))
        .expect(1)
        .mount(&server)
        .await;
    let messages = his_bearer(&server.uri())
        .get_messages(MessageType::Incoming, &time("2019-11-12 11:01:26.8912252"))
        .await
        .unwrap()
        .messages;
    let expected = [
        (531977, "37000000002", "2019-11-12T11:01:51.2143795", "2019-11-12T11:01:51.2143907", "Yes", Some(123)),
        (531978, "37000000003", "2019-11-12T11:01:55.0139225", "2019-11-12T11:01:55.0139335", "No", None),
    ];
    assert_eq!(messages.len(), expected.len());
    for (m, (id, from, created, updated, text, reply)) in messages.iter().zip(expected) {
        assert_eq!(m.id, id);
        assert_eq!(m.from, from);
        assert_eq!(m.to, "37000000001");
        assert_eq!(m.kind, MessageType::Incoming);
        assert_eq!(m.created_at, time(created));
        assert_eq!(m.created_at.to_wire(), created);
        assert_eq!(m.updated_at.to_wire(), updated);
        assert_eq!(m.created_at.offset, None);
        assert_eq!(m.text, text);
        assert_eq!(m.state, MessageState::Delivered);
        assert_eq!(m.reply_to_message_id, reply);
    }
    let envelope: Envelope<MessagesData> = serde_json::from_str(&fixture("his_get_incoming_response.json")).unwrap();
    assert_eq!((envelope.status.status_code.as_str(), envelope.status.error_code), ("OK", ErrorCode::Ok));
}

#[tokio::test]
async fn his_numbers_response() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(RawQuery("type=Numbers"))
        .respond_with(ResponseTemplate::new(200).set_body_string(fixture("his_numbers_response.json")))
        .mount(&server)
        .await;
    let numbers = his_bearer(&server.uri()).numbers().await.unwrap();
    assert_eq!(numbers.len(), 2);
    assert_eq!((numbers[0].operator_number_id, numbers[0].number.as_str()), (4, "37000000000"));
    assert_eq!((numbers[1].operator_number_id, numbers[1].number.as_str()), (7, "RSL_HOSP"));
}

fn check_activity(a: &Activity, id: i64, kind: &str) {
    assert_eq!(a.id, id);
    assert_eq!(a.activity_type, kind);
    assert_eq!(a.status, "created");
    assert_eq!(a.patient_id, Some(123));
    assert_eq!(a.performed_by_id, Some(101));
    assert_eq!(a.assigned_to_id, Some(101));
    assert_eq!((a.text_message_id, a.voice_call_id), (None, None));
}

#[tokio::test]
async fn ecm_sms_request_and_response() {
    let spec_request = fixture_json("ecm_sms_request.json");
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/clinic/ecm/communications/patients/123/sms"))
        .and(body_json(&spec_request))
        .respond_with(ResponseTemplate::new(200).set_body_string(fixture("ecm_sms_response.json")))
        .expect(1)
        .mount(&server)
        .await;
    let body = "Hello! This is a reminder about your upcoming appointment. Please reply to confirm.";
    let r: SendSmsResponse = ecm(&server.uri()).send_sms(123, "+18051234567", body).await.unwrap();
    assert_eq!(r.message.as_deref(), Some("SMS sent successfully"));
    let s = &r.sms;
    assert_eq!(s.id, Some(456));
    assert_eq!(s.twilio_sid.as_deref(), Some("SM1234567890abcdef"));
    assert_eq!(s.to.as_deref(), Some("+18051234567"));
    assert_eq!(s.from.as_deref(), Some("+18059876543"));
    assert_eq!(s.body.as_deref(), Some(body));
    assert_eq!(s.status, "queued");
    assert_eq!(s.direction.as_deref(), Some("outbound"));
    assert_eq!(s.created_at.as_deref(), Some("2024-11-27T10:00:00.000Z"));
    check_activity(r.activity.as_ref().unwrap(), 789, "sms");
}

#[tokio::test]
async fn ecm_call_request_and_response() {
    let spec_request = fixture_json("ecm_call_request.json");
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/clinic/ecm/communications/patients/123/call"))
        .and(body_json(&spec_request))
        .respond_with(ResponseTemplate::new(200).set_body_string(fixture("ecm_call_response.json")))
        .expect(1)
        .mount(&server)
        .await;
    let r: CallResponse = ecm(&server.uri()).call(123, "+18051234567").await.unwrap();
    assert_eq!(r.message.as_deref(), Some("Call initiated successfully"));
    let c = &r.call;
    assert_eq!(c.id, Some(457));
    assert_eq!(c.twilio_sid.as_deref(), Some("CA1234567890abcdef"));
    assert_eq!(c.to.as_deref(), Some("+18051234567"));
    assert_eq!(c.from.as_deref(), Some("+18059876543"));
    assert_eq!(c.status, "queued");
    assert_eq!(c.direction.as_deref(), Some("outbound"));
    assert_eq!(c.created_at.as_deref(), Some("2024-11-27T10:00:00.000Z"));
    check_activity(r.activity.as_ref().unwrap(), 790, "call");
}

#[tokio::test]
async fn ecm_error_examples() {
    // (fixture, the text, Twilio code, UI code)
    let cases = [
        ("ecm_sms_error_phone_required.json", "Phone number is required", None, "ecm_phone_required"),
        ("ecm_call_error_phone_required.json", "Phone number is required", None, "ecm_phone_required"),
        (
            "ecm_sms_error_twilio.json",
            "Failed to send SMS: The 'To' number is not a valid phone number",
            Some(TwilioCode::InvalidTo),
            "ecm_twilio_invalid_number",
        ),
        (
            "ecm_call_error_twilio.json",
            "Failed to initiate call: The 'To' number is not a valid phone number",
            Some(TwilioCode::InvalidTo),
            "ecm_twilio_invalid_number",
        ),
    ];
    for (name, text, twilio, code) in cases {
        let parsed: ecm::wire::ErrorBody = serde_json::from_str(&fixture(name)).unwrap();
        assert_eq!(parsed.errors, [text]);
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(422).set_body_string(fixture(name)))
            .mount(&server)
            .await;
        let client = ecm(&server.uri());
        let e = if name.contains("call") {
            client.call(123, "+18051234567").await.unwrap_err()
        } else {
            client.send_sms(123, "+18051234567", "Hi").await.unwrap_err()
        };
        assert_eq!(e.twilio_code(), twilio, "{name}");
        assert_eq!(e.code(), code, "{name}");
        match e {
            ecm::error::EcmError::Refused(EcmRefusal::Api { errors, status: 422, .. }) => assert_eq!(errors, [text]),
            other => panic!("{name}: {other:?}"),
        }
    }
}

#[test]
fn fixtures_are_the_spec_text() {
    // Every fixture's JSON text appears in its spec (the 003 request differs
    // only by the spec's trailing comma).
    let spec_003 = std::fs::read_to_string(format!(
        "{}/../../../shared/specs/003_da35a49fd61fa77a.txt",
        env!("CARGO_MANIFEST_DIR")
    ));
    let spec_004 = std::fs::read_to_string(format!(
        "{}/../../../shared/specs/004_8c26c2465ea8fb69.txt",
        env!("CARGO_MANIFEST_DIR")
    ));
    let (Ok(spec_003), Ok(spec_004)) = (spec_003, spec_004) else {
        return; // the specs live outside the repository; checked where they are present
    };
    for name in ["his_send_sms_response.json", "his_get_incoming_response.json", "his_numbers_response.json"] {
        assert!(spec_003.contains(fixture(name).trim_end()), "{name}");
    }
    assert!(spec_003.contains(&format!("{},", fixture("his_send_sms_request.json").trim_end())));
    for name in [
        "ecm_sms_request.json",
        "ecm_sms_response.json",
        "ecm_call_request.json",
        "ecm_call_response.json",
        "ecm_sms_error_twilio.json",
        "ecm_call_error_twilio.json",
        "ecm_sms_error_phone_required.json",
    ] {
        assert!(spec_004.contains(fixture(name).trim_end()), "{name}");
        let _: Value = fixture_json(name);
    }
}
