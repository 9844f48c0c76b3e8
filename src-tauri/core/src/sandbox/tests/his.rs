//! The hospital SMS server (spec 003): every endpoint, every error, auth,
//! and dateFrom filtering.

use std::collections::BTreeSet;

use reqwest::StatusCode;
use serde_json::{json, Value};

use super::*;
use crate::{
    gateways::his::wire::{Envelope, MessagesData, SendSmsData},
    sandbox::{Faults, Inbound, SANDBOX_ECM_TOKEN},
};

#[tokio::test]
async fn send_sms_answers_in_the_spec_shape_at_the_root_and_under_a_path() {
    let sb = start().await;
    for base in [sb.his_base_url(), sb.base_url()] {
        let body = sms_body(
            "37000000002",
            "Reminding, that N. SURNAME is registered on 2019-11-12 (Tu) 07:00, in 321 cab. Will You come?",
            27342,
        );
        let r = client().post(base.clone()).bearer_auth(SANDBOX_HIS_TOKEN).json(&body).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{base}");
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["Status"], json!({ "StatusCode": "OK", "ErrorCode": "OK", "ErrorMessage": null }));
        assert_eq!(
            v["Data"].as_object().unwrap().keys().map(String::as_str).collect::<BTreeSet<_>>(),
            ["CreatedAt", "Id"].into()
        );
        let created = v["Data"]["CreatedAt"].as_str().unwrap();
        assert!(is_his_time(created, true), "{created}");
        let typed: Envelope<SendSmsData> = serde_json::from_value(v).unwrap();
        assert!(typed.data.unwrap().created_at.unwrap().offset.is_some());
    }
    // Not idempotent: the same ExternalKey twice made two SMS.
    let state = sb.state();
    assert_eq!(state.sends_with_key(27342), 2);
    assert_eq!(state.sends_to("+37000000002", &state.his_sends[0].text), 2);
    assert_ne!(state.his_sends[0].id, state.his_sends[1].id);
}

#[tokio::test]
async fn send_sms_refusals_carry_the_spec_error_codes() {
    let sb = start().await;
    let spec_body = json!({ "Id": null, "From": "37000000001", "To": "37000000002", "Text": "Will You come?", "ExternalKey": 27342 });
    let cases = [
        (spec_body, "InvalidMessageOwner"),
        (sms_body("123", "Hi", 1), "InvalidClientNumber"),
        (sms_body("+1 805 555 0100", "Hi", 2), "InvalidClientNumber"),
        (sms_body("1234567890123456", "Hi", 3), "InvalidClientNumber"),
        (sms_body("abcdefghij", "Hi", 4), "InvalidClientNumber"),
        (sms_body(&magic::INVALID_NUMBER[1..], "Hi", 5), "InvalidClientNumber"),
        (sms_body("18055550100", "", 6), "Internal"),
        (sms_body("18055550100", "   ", 7), "Internal"),
        (json!({ "From": magic::HOSPITAL_NUMBER, "To": "18055550100" }), "Internal"),
    ];
    for (body, code) in cases {
        let (status, v) = his_post(&sb, &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(v["Data"], Value::Null, "{v}");
        assert_eq!(v["Status"]["StatusCode"], "BadRequest", "{v}");
        assert_eq!(v["Status"]["ErrorCode"], code, "{body}: {v}");
        assert!(v["Status"]["ErrorMessage"].as_str().is_some_and(|m| !m.is_empty()), "{v}");
    }
    let r = client().post(sb.his_base_url()).bearer_auth(SANDBOX_HIS_TOKEN).body("{not json").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(sb.state().his_sends.is_empty(), "nothing was created");
}

#[tokio::test]
async fn the_sender_name_can_send_too() {
    let sb = start().await;
    let body = json!({ "Id": null, "From": magic::HOSPITAL_SENDER_NAME, "To": "+18055550100", "Text": "Hi", "ExternalKey": 9 });
    let (status, v) = his_post(&sb, &body).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let m = &sb.state().his_messages[0];
    assert_eq!((m.from.as_str(), m.to.as_str()), (magic::HOSPITAL_SENDER_NAME, "18055550100"));
}

#[tokio::test]
async fn requests_without_the_right_bearer_token_get_401() {
    let sb = start().await;
    let url = format!("{}?type=Numbers", sb.his_base_url());
    let auths = [None, Some("Bearer wrong"), Some("Basic c2FuZGJveA=="), Some(SANDBOX_HIS_TOKEN)];
    for auth in auths {
        let mut req = client().get(&url);
        if let Some(a) = auth {
            req = req.header("Authorization", a);
        }
        let r = req.send().await.unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{auth:?}");
        assert!(r.bytes().await.unwrap().is_empty());
    }
    let r = client()
        .post(sb.base_url())
        .bearer_auth(SANDBOX_ECM_TOKEN)
        .json(&sms_body("18055550100", "x", 1))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = client().get(&url).bearer_auth(SANDBOX_HIS_TOKEN).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(sb.state().his_sends.is_empty());
}

#[tokio::test]
async fn numbers_lists_the_hospital_number_and_sender_name() {
    let sb = start().await;
    let want = json!({
        "Data": { "ClientOperatorNumbers": [
            { "OperatorNumberId": 4, "Number": "15550100000" },
            { "OperatorNumberId": 7, "Number": "CAREDESK" }
        ] },
        "Status": { "StatusCode": "OK", "ErrorCode": "OK", "ErrorMessage": null }
    });
    for q in ["type=Numbers", "type=numbers"] {
        let (status, v) = his_get(&sb, q).await;
        assert_eq!((status, v), (StatusCode::OK, want.clone()), "{q}");
    }
}

#[tokio::test]
async fn get_sms_refuses_a_missing_or_bad_type_or_date_from() {
    let sb = start().await;
    for q in [
        "type=Incoming",
        "type=Incoming&dateFrom=",
        "type=Incoming&dateFrom=yesterday",
        "type=Incoming&dateFrom=12/11/2019+11:01",
        "dateFrom=2019-11-12+11:01:26.8912252",
        "type=Fax&dateFrom=2019-11-12+11:01:26.8912252",
        "",
    ] {
        let (status, v) = his_get(&sb, q).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{q}");
        assert_eq!(v["Status"]["StatusCode"], "BadRequest", "{q}");
        assert!(v["Status"]["ErrorMessage"].as_str().is_some_and(|m| !m.is_empty()), "{q}: {v}");
    }
}

#[tokio::test]
async fn get_sms_returns_every_field_of_outgoing_messages() {
    let sb = start().await;
    let id = his_send(&sb, "+18055550108", "Your visit is at 9", 41).await;
    let want_keys: BTreeSet<&str> =
        ["Id", "From", "To", "Type", "CreatedAt", "UpdatedAt", "Text", "State", "ReplyToMessageId"].into();
    for kind in ["Outgoing", "1"] {
        let msgs = his_messages(&sb, kind).await;
        assert_eq!(msgs.len(), 1, "{kind}");
        let m = &msgs[0];
        assert_eq!(m.as_object().unwrap().keys().map(String::as_str).collect::<BTreeSet<_>>(), want_keys);
        assert_eq!(m["Id"], id);
        assert_eq!((m["From"].as_str(), m["To"].as_str()), (Some(magic::HOSPITAL_NUMBER), Some("18055550108")));
        assert_eq!((m["Type"].as_str(), m["Text"].as_str()), (Some("Outgoing"), Some("Your visit is at 9")));
        assert!(["Accepted", "Enroute", "Delivered"].contains(&m["State"].as_str().unwrap()), "{m}");
        assert_eq!(m["ReplyToMessageId"], Value::Null);
        assert!(is_his_time(m["CreatedAt"].as_str().unwrap(), false), "{m}");
        assert!(is_his_time(m["UpdatedAt"].as_str().unwrap(), false), "{m}");
    }
    assert!(his_messages(&sb, "Incoming").await.is_empty());
    assert!(his_messages(&sb, "2").await.is_empty());
}

#[tokio::test]
async fn date_from_includes_equal_timestamps_and_excludes_earlier_ones() {
    let mut options = SandboxOptions::for_tests();
    options.replies = false;
    let sb = start_with(options).await;
    sb.set_faults(Faults { same_timestamp_burst: 3, ..Faults::default() });
    let inbound = |text: &str| Inbound { from: "18055550100".into(), text: Some(text.into()), ..Inbound::default() };
    let burst: Vec<_> = ["a", "b", "c"].iter().map(|t| sb.inject_inbound(inbound(t)).unwrap()).collect();
    tokio::time::sleep(std::time::Duration::from_millis(3)).await;
    let later = sb.inject_inbound(inbound("d")).unwrap();
    let stamp = burst[0].updated_at;
    assert!(burst.iter().all(|m| m.updated_at == stamp && m.created_at == burst[0].created_at));
    assert!(later.updated_at > stamp);

    let ids = |v: &Value| -> Vec<i64> {
        let data: Envelope<MessagesData> = serde_json::from_value(v.clone()).unwrap();
        data.data.unwrap().messages.iter().map(|m| m.id).collect()
    };
    let all: Vec<i64> = burst.iter().chain([&later]).map(|m| m.id).collect();
    // The same instant in each spelling: '+', "%20" and 'T'.
    let q = stamp.to_query();
    let spellings = [q.replace(' ', "+"), q.replace(' ', "%20"), stamp.to_wire()];
    for date_from in spellings {
        let (status, v) = his_get(&sb, &format!("type=Incoming&dateFrom={date_from}")).await;
        assert_eq!(status, StatusCode::OK, "{date_from}: {v}");
        assert_eq!(ids(&v), all, "{date_from}");
    }
    let tick_after = stamp.shifted(chrono::TimeDelta::nanoseconds(100));
    let (_, v) = his_get(&sb, &format!("type=Incoming&dateFrom={}", tick_after.to_query().replace(' ', "+"))).await;
    assert_eq!(ids(&v), [later.id]);
    let (_, v) = his_get(
        &sb,
        &format!(
            "type=Incoming&dateFrom={}",
            later
                .updated_at
                .shifted(chrono::TimeDelta::nanoseconds(100))
                .to_query()
                .replace(' ', "%20")
                .replace('+', "%2B")
        ),
    )
    .await;
    assert!(ids(&v).is_empty());
}
