//! Polls against servers that are not the spec's example: an unreadable
//! message in a page, a message stamped in the future, every sandbox
//! profile, and replies shown in the order they happened on a server in
//! another zone with a clock off the desk's.

use std::sync::Mutex;

use chrono::{FixedOffset, TimeDelta, Utc};
use serde_json::json;
use wiremock::{matchers::method, Mock, MockServer, ResponseTemplate};

use super::incoming;
use crate::{
    desk::Desk,
    engine::inbox_sync::{self, clock::ServerClock, cursor, merge::ApplyContext, INCOMING},
    gateways::his::{client::HisClient, time::HisTime},
    rules::phone::Region,
    sandbox::{Inbound, Profile, Sandbox, SandboxOptions},
};

fn client(base: &str) -> HisClient {
    super::http::client(url::Url::parse(base).unwrap())
}

fn desk() -> (tempfile::TempDir, Mutex<Desk>) {
    let (dir, desk) = super::http::open_desk();
    (dir, Mutex::new(desk))
}

fn inbound_count(desk: &Mutex<Desk>) -> i64 {
    desk.lock()
        .unwrap()
        .db()
        .conn()
        .query_row("SELECT count(*) FROM messages WHERE direction = 'inbound'", [], |r| r.get(0))
        .unwrap()
}

fn page(messages: serde_json::Value) -> serde_json::Value {
    json!({ "Data": { "Messages": messages }, "Status": { "StatusCode": "OK", "ErrorCode": "OK", "ErrorMessage": null } })
}

fn reply(id: i64, from: serde_json::Value, at: &str) -> serde_json::Value {
    json!({ "Id": id, "From": from, "To": "37060000001", "Type": "Incoming", "CreatedAt": at, "UpdatedAt": at,
            "Text": "Yes", "State": "Delivered", "ReplyToMessageId": null })
}

#[tokio::test]
async fn one_unreadable_message_is_reported_while_the_others_are_stored_and_the_cursor_moves() {
    let server = MockServer::start().await;
    let bad = reply(531978, serde_json::Value::Null, "2024-05-01T10:00:02");
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page(json!([
            reply(531977, json!("18055550100"), "2024-05-01T10:00:01"),
            bad,
            reply(531979, json!("18055550102"), "2024-05-01T10:00:03"),
        ]))))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    let (_dir, desk) = desk();
    desk.lock().unwrap().set_setting("his.time_zone", "UTC").unwrap();
    let his = client(&server.uri());
    let r = inbox_sync::poll_incoming(&desk, &his).await.unwrap();
    assert_eq!((r.fetched, r.new, r.unreadable), (2, 2, 1), "{r:?}");
    assert_eq!(inbound_count(&desk), 2);
    let cursor = cursor::read_cursor(desk.lock().unwrap().db(), INCOMING).unwrap();
    assert_eq!(cursor, HisTime::parse("2024-05-01T10:00:03"), "the cursor moves past the bad one");
    // The sync status names it, with the reason and without its content.
    let overview = inbox_sync::overview(desk.lock().unwrap().db()).unwrap();
    assert_eq!(overview.unreadable.len(), 1);
    assert_eq!(overview.unreadable[0].his_id, "531978");
    assert!(overview.unreadable[0].reason.contains("no sender"), "{:?}", overview.unreadable);
    let warnings = overview.warnings().join("\n");
    assert!(warnings.contains("531978") && !warnings.contains("Yes"), "{warnings}");
    assert!(overview.incoming.last_error.is_none(), "the poll itself worked: {:?}", overview.incoming);
    // Read again: counted, not stored twice, still reported.
    let r = inbox_sync::poll_incoming(&desk, &his).await.unwrap();
    assert_eq!((r.new, r.unreadable), (0, 1), "{r:?}");
    assert_eq!(inbox_sync::overview(desk.lock().unwrap().db()).unwrap().unreadable[0].seen, 2);
    // The server fixes the row: stored, and no longer reported.
    server.reset().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page(json!([reply(
            531978,
            json!("18055550104"),
            "2024-05-01T10:00:05"
        )]))))
        .mount(&server)
        .await;
    let r = inbox_sync::poll_incoming(&desk, &his).await.unwrap();
    assert_eq!((r.new, r.unreadable), (1, 0), "{r:?}");
    assert!(inbox_sync::overview(desk.lock().unwrap().db()).unwrap().unreadable.is_empty());
}

#[tokio::test]
async fn a_message_stamped_two_days_ahead_does_not_blind_the_polls_that_follow() {
    let sb = Sandbox::start(SandboxOptions { replies: false, ..SandboxOptions::for_tests() }).await.unwrap();
    let (_dir, desk) = desk();
    let his = client(sb.his_base_url().as_str());
    let inject = |from: &str, text: &str, ahead: Option<i64>| {
        sb.inject_inbound(Inbound {
            from: from.into(),
            text: Some(text.into()),
            ahead_secs: ahead,
            ..Inbound::default()
        })
        .unwrap()
        .id
    };
    inject("18055550100", "first", None);
    assert_eq!(inbox_sync::poll_incoming(&desk, &his).await.unwrap().new, 1);
    let future = inject("18055550102", "from the future", Some(2 * 24 * 3600));
    assert_eq!(inbox_sync::poll_incoming(&desk, &his).await.unwrap().new, 1, "the odd message itself is stored");
    let cursor = cursor::read_cursor(desk.lock().unwrap().db(), INCOMING).unwrap().unwrap();
    let future_stamp = sb.state().his_message(future).unwrap().updated_at;
    assert!(
        cursor.local < future_stamp.instant().unwrap().naive_utc() - TimeDelta::days(1),
        "cursor {cursor} followed it"
    );
    // Later replies come through the regular polls, not only the backfill.
    for i in 0..3 {
        let id = inject("18055550104", &format!("later {i}"), None);
        let r = inbox_sync::poll_incoming(&desk, &his).await.unwrap();
        assert_eq!(r.new, 1, "reply {id} by a regular poll: {r:?}");
    }
    assert_eq!(inbound_count(&desk), 5);
    sb.shutdown().await;
}

#[tokio::test]
async fn every_profile_delivers_every_reply_once() {
    for profile in Profile::ALL {
        let options = SandboxOptions {
            replies: false,
            profile,
            server_zone: FixedOffset::east_opt(9 * 3600),
            ..SandboxOptions::for_tests()
        };
        let sb = Sandbox::start(options).await.unwrap();
        let (_dir, desk) = desk();
        let his = client(sb.his_base_url().as_str());
        // An empty inbox first (a .NET server writes `null`).
        assert_eq!(inbox_sync::poll_incoming(&desk, &his).await.unwrap().new, 0, "{}", profile.name());
        for i in 0..6 {
            sb.inject_inbound(Inbound {
                from: "18055550100".into(),
                text: Some(format!("reply {i}")),
                ..Inbound::default()
            })
            .unwrap();
            inbox_sync::poll_incoming(&desk, &his).await.unwrap();
        }
        inbox_sync::reconcile_incoming(&desk, &his).await.unwrap();
        assert_eq!(inbound_count(&desk), 6, "{}", profile.name());
        let numbers = his.numbers().await.unwrap();
        assert_eq!(numbers.len(), 2, "{}", profile.name());
        sb.shutdown().await;
    }
}

#[test]
fn a_reply_from_a_skewed_server_in_another_zone_sorts_after_the_message_it_answers() {
    let (_dir, desk) = desk();
    let d = desk.lock().unwrap();
    let db = d.db();
    let now = Utc::now();
    // The server is 7 minutes behind, at UTC+05:30, and writes no offsets.
    let zone = FixedOffset::east_opt(5 * 3600 + 1800).unwrap();
    let clock = ServerClock::fixed(now, zone, TimeDelta::minutes(-7));
    let ctx = ApplyContext { region: Region::default(), clock: clock.clone() };
    // The desk sent 30 s ago; the patient answered 10 s ago (server time).
    let answered = clock.wall(now + clock.skew - TimeDelta::seconds(10));
    let at = HisTime::from_local(answered).to_wire();
    crate::engine::inbox_sync::apply_incoming_page(db, &[incoming(9001, "18055550100", "Yes", &at)], &ctx).unwrap();
    let stored: String =
        db.conn().query_row("SELECT created_at FROM messages WHERE his_id = 9001", [], |r| r.get(0)).unwrap();
    let stored = chrono::DateTime::parse_from_rfc3339(&stored).unwrap().with_timezone(&Utc);
    let off = (stored - (now - TimeDelta::seconds(10))).num_milliseconds().abs();
    assert!(off < 5, "stored at {stored}, {off} ms from when it happened on the desk's clock");
}
