//! The hospital SMS server client: requests on the wire and successful answers.

use caredesk_core::{
    gateways::his::{
        time::HisTime,
        wire::{sender_for_wire, MessageState, MessageType, SendSmsRequest},
    },
    gateways::http::USER_AGENT,
    rules::phone::E164,
};
use serde_json::json;
use wiremock::{
    matchers::{body_json, header, method, path, query_param},
    Mock, MockServer, ResponseTemplate,
};

use crate::support::*;

fn request() -> SendSmsRequest {
    let to = E164::from_trusted("+37000000002".into());
    SendSmsRequest::new("+370 000 00001", &to, "Will You come?", 27342)
}

#[tokio::test]
async fn send_posts_the_spec_body_to_the_base_with_bearer_and_json() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/"))
        .and(header("authorization", format!("Bearer {HIS_TOKEN}").as_str()))
        .and(header("content-type", "application/json"))
        .and(header("user-agent", USER_AGENT))
        .and(body_json(json!({
            "Id": null, "From": "37000000001", "To": "37000000002", "Text": "Will You come?", "ExternalKey": 27342
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(ok_send_data()))
        .expect(1)
        .mount(&server)
        .await;
    let data = his_bearer(&format!("{}/", server.uri())).send_sms(&request()).await.unwrap();
    assert_eq!(data.id, 623178);
    assert_eq!(data.created_at.unwrap().to_wire(), "2019-11-11T08:08:21.8072824+02:00");
}

#[test]
fn wire_digits_helpers() {
    assert_eq!(sender_for_wire("+370 600 00001"), "37060000001");
    assert_eq!(sender_for_wire(" RSL_HOSP "), "RSL_HOSP");
    assert_eq!(sender_for_wire("37000000000"), "37000000000");
    let to = E164::from_trusted("+18051234567".into());
    let r = SendSmsRequest::new("RSL_HOSP", &to, "hi", 1);
    assert_eq!((r.id, r.to.as_str(), r.from.as_str()), (None, "18051234567", "RSL_HOSP"));
}

#[tokio::test]
async fn incoming_query_is_exactly_the_spec_form() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/"))
        .and(RawQuery("type=Incoming&dateFrom=2019-11-12%2011:01:26.8912252"))
        .and(header("authorization", format!("Bearer {HIS_TOKEN}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_string(fixture("his_get_incoming_response.json")))
        .expect(1)
        .mount(&server)
        .await;
    let from = HisTime::parse("2019-11-12 11:01:26.8912252").unwrap();
    let messages = his_bearer(&server.uri()).get_messages(MessageType::Incoming, &from).await.unwrap().messages;
    assert_eq!(messages.len(), 2);
    assert_eq!(
        (messages[0].id, messages[0].text.as_str(), messages[0].reply_to_message_id),
        (531977, "Yes", Some(123))
    );
    assert_eq!(messages[1].reply_to_message_id, None);
}

#[tokio::test]
async fn outgoing_uses_type_outgoing_and_reads_numeric_enums() {
    let server = MockServer::start().await;
    let body = envelope(
        json!({ "Messages": [{
            "Id": 9, "From": "37000000001", "To": "37000000002", "Type": 1,
            "CreatedAt": "2019-11-12T11:01:51.2143795", "UpdatedAt": "2019-11-12T11:02:00.0000001",
            "Text": "Reminder", "State": 2, "ReplyToMessageId": null
        }]}),
        json!(1),
        None,
    );
    Mock::given(method("GET"))
        .and(RawQuery("type=Outgoing&dateFrom=2019-11-12%2000:00:00.0000000"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .expect(1)
        .mount(&server)
        .await;
    let from = HisTime::parse("2019-11-12T00:00:00").unwrap();
    let messages = his_bearer(&server.uri()).get_messages(MessageType::Outgoing, &from).await.unwrap().messages;
    assert_eq!(messages[0].kind, MessageType::Outgoing);
    assert_eq!(messages[0].state, MessageState::Delivered);
}

#[tokio::test]
async fn an_empty_inbox_is_an_empty_list() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(envelope(json!({ "Messages": [] }), json!("OK"), None)))
        .mount(&server)
        .await;
    let from = HisTime::parse("2019-11-12T00:00:00").unwrap();
    assert!(his_bearer(&server.uri()).get_messages(MessageType::Incoming, &from).await.unwrap().messages.is_empty());
}

#[tokio::test]
async fn numbers_query_is_type_numbers() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/"))
        .and(RawQuery("type=Numbers"))
        .respond_with(ResponseTemplate::new(200).set_body_string(fixture("his_numbers_response.json")))
        .expect(1)
        .mount(&server)
        .await;
    let numbers = his_bearer(&server.uri()).numbers().await.unwrap();
    let got: Vec<(i64, &str)> = numbers.iter().map(|n| (n.operator_number_id, n.number.as_str())).collect();
    assert_eq!(got, [(4, "37000000000"), (7, "RSL_HOSP")]);
}

#[tokio::test]
async fn base_address_with_a_path_is_used_exactly() {
    for (base_path, requested) in [("/smsserver/", "/smsserver/"), ("/smsserver", "/smsserver"), ("/a/b/", "/a/b/")] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path(requested))
            .respond_with(ResponseTemplate::new(200).set_body_json(ok_send_data()))
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path(requested))
            .and(query_param("type", "Numbers"))
            .respond_with(ResponseTemplate::new(200).set_body_string(fixture("his_numbers_response.json")))
            .expect(1)
            .mount(&server)
            .await;
        let client = his_bearer(&format!("{}{base_path}", server.uri()));
        client.send_sms(&request()).await.unwrap();
        client.numbers().await.unwrap();
        server.verify().await;
    }
}

#[tokio::test]
async fn clones_share_one_client_and_do_not_leak_requests_across_paths() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(RawQuery("type=Numbers"))
        .respond_with(ResponseTemplate::new(200).set_body_string(fixture("his_numbers_response.json")))
        .expect(3)
        .mount(&server)
        .await;
    let client = his_bearer(&server.uri());
    let (a, b, c) = (client.clone(), client.clone(), client);
    let (x, y, z) = tokio::join!(a.numbers(), b.numbers(), c.numbers());
    assert!(x.is_ok() && y.is_ok() && z.is_ok());
}
