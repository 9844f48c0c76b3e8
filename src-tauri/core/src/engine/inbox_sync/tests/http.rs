//! The whole loop over real HTTP: the sandbox HIS (replies off, messages
//! injected), and a wiremock server for a page the sandbox cannot produce.
//! Every wait is bounded.

use std::{collections::BTreeMap, sync::Mutex, time::Duration};

use serde_json::json;

use crate::gateways::his::time::HisTime;
use wiremock::{
    matchers::{method, query_param},
    Mock, MockServer, ResponseTemplate,
};

use crate::{
    desk::secrets::{self, Secret},
    desk::{Desk, DeskOptions, KeyringChoice},
    engine::inbox_sync::{self, cursor, INCOMING, OUTGOING},
    engine::threads::ThreadRef,
    gateways::his::error::HisError,
    gateways::his::{
        auth::HisAuth,
        client::{HisClient, HisConfig},
        wire::SendSmsRequest,
    },
    gateways::http::{self, HttpSettings},
    rules::phone::{self, Region},
    sandbox::{demo, magic, Faults, Inbound, Sandbox, SandboxHandle, SandboxOptions, SANDBOX_HIS_TOKEN},
    store::{Accepted, NewOutbound, Route},
};

/// The longest any test waits for the sandbox to move on.
const PATIENCE: Duration = Duration::from_secs(5);

struct Env {
    _dir: tempfile::TempDir,
    desk: Mutex<Desk>,
    sb: SandboxHandle,
    his: HisClient,
}

pub(super) fn client(base: url::Url) -> HisClient {
    let http = http::client(&HttpSettings::from_timeout_secs(5)).unwrap();
    HisClient::new(HisConfig { base_url: base, auth: HisAuth::Bearer(Secret::new(SANDBOX_HIS_TOKEN)) }, http).unwrap()
}

pub(super) fn open_desk() -> (tempfile::TempDir, Desk) {
    let dir = tempfile::tempdir().unwrap();
    let mut desk = Desk::open(DeskOptions {
        data_dir: Some(dir.path().to_path_buf()),
        keyring: KeyringChoice::Given(secrets::memory_store()),
    })
    .unwrap();
    desk.seed_demo_roster().unwrap();
    // Independent of the hour the tests run at.
    desk.set_setting("sms.quiet_hours", "off").unwrap();
    (dir, desk)
}

async fn env() -> Env {
    let sb = Sandbox::start(SandboxOptions { replies: false, ..SandboxOptions::for_tests() }).await.unwrap();
    let (dir, desk) = open_desk();
    let his = client(sb.his_base_url());
    Env { _dir: dir, desk: Mutex::new(desk), sb, his }
}

impl Env {
    fn inject(&self, from: &str, text: &str) -> i64 {
        let inbound =
            Inbound { from: from.into(), to: None, text: Some(text.into()), reply_to: None, ahead_secs: None };
        self.sb.inject_inbound(inbound).unwrap().id
    }

    fn patient_id(&self, number: &str) -> i64 {
        self.desk.try_lock().unwrap().db().patients_with_number(number).unwrap()[0]
    }

    /// Inbound messages stored, by HIS id: (patient, from, body).
    fn stored(&self) -> BTreeMap<i64, (Option<i64>, String, String)> {
        let d = self.desk.try_lock().unwrap();
        let mut stmt = d
            .db()
            .conn()
            .prepare("SELECT his_id, patient_id, from_number, body FROM messages WHERE direction = 'inbound'")
            .unwrap();
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?, r.get(3)?)))).unwrap();
        rows.map(Result::unwrap).collect()
    }

    /// Sends through the HIS and records the message as `send.rs` does.
    async fn send(&self, to: &str, text: &str, key: i64) -> (i64, i64) {
        let to = phone::normalize(to, Region::default()).unwrap();
        let patient_id = self.patient_id(demo::roster()[0].phones[0].number.as_str());
        let id = {
            let d = self.desk.try_lock().unwrap();
            d.db()
                .insert_outbound(&NewOutbound {
                    patient_id: Some(patient_id),
                    route: Route::His,
                    from: magic::HOSPITAL_NUMBER.into(),
                    to: to.to_string(),
                    intended_to: None,
                    body: text.into(),
                    external_key: Some(key),
                    is_test: false,
                })
                .unwrap()
        };
        let data = self.his.send_sms(&SendSmsRequest::new(magic::HOSPITAL_NUMBER, &to, text, key)).await.unwrap();
        let d = self.desk.try_lock().unwrap();
        d.db()
            .mark_accepted(
                id,
                &Accepted {
                    state: "sent".into(),
                    server_state: Some("Accepted".into()),
                    his_id: Some(data.id),
                    server_created_at: data.created_at.map(|t| t.to_wire()),
                    ..Default::default()
                },
            )
            .unwrap();
        (id, data.id)
    }

    fn state_of(&self, id: i64) -> (String, Option<String>, Option<String>) {
        let d = self.desk.try_lock().unwrap();
        d.db()
            .conn()
            .query_row("SELECT state, server_state, server_updated_at FROM messages WHERE id = ?1", [id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .unwrap()
    }
}

#[tokio::test]
async fn replies_appear_once_in_their_threads() {
    let e = env().await;
    let ana = "+18055550100";
    let first = e.inject(&ana[1..], "Yes, see you then");
    let stranger = e.inject("18055550199", "who is this?");
    let r = inbox_sync::poll_incoming(&e.desk, &e.his).await.unwrap();
    assert_eq!((r.new, r.unmatched), (2, 1), "{r:?}");
    for _ in 0..3 {
        let r = inbox_sync::poll_incoming(&e.desk, &e.his).await.unwrap();
        assert_eq!((r.new, r.updated), (0, 0), "{r:?}");
        assert!(r.duplicates >= 2, "the overlap re-reads: {r:?}");
    }
    let stored = e.stored();
    assert_eq!(stored.len(), 2);
    assert_eq!(stored[&first], (Some(e.patient_id(ana)), ana.to_string(), "Yes, see you then".to_string()));
    assert_eq!(stored[&stranger].0, None);

    let ana_id = e.patient_id(ana);
    let d = e.desk.try_lock().unwrap();
    let rows = d.db().thread_list().unwrap();
    let unmatched = rows.iter().find(|r| r.patient_id.is_none()).unwrap();
    assert_eq!((unmatched.number.as_deref(), unmatched.unread), (Some("+18055550199"), 1));
    let ana_row = rows.iter().find(|r| r.patient_id == Some(ana_id)).unwrap();
    assert_eq!((ana_row.unread, ana_row.last_preview.as_str()), (1, "Yes, see you then"));
    assert_eq!(d.db().mark_thread_read(&ThreadRef::Patient(ana_id)).unwrap(), 1);
    let status = d.db().sync_status(INCOMING).unwrap();
    assert!(status.last_success.is_some() && status.failures == 0, "{status:?}");
}

#[tokio::test]
async fn chaos_loses_nothing_and_duplicates_nothing() {
    let e = env().await;
    e.sb.set_faults(Faults {
        duplicate_pages: true,
        shuffle_pages: true,
        same_timestamp_burst: 25,
        poll_error_rate: 0.3,
        malformed_rate: 0.1,
        ..Faults::default()
    });
    let numbers = ["18055550100", "18055550102", "18055550106", "18055550199", "447700900123"];
    let texts = ["Yes", "No", "STOP", "START", "Can you call me?", "HELP"];
    let (mut failures, mut successes) = (0, 0);
    for round in 0..30 {
        for k in 0..2 {
            let i = round * 2 + k;
            e.inject(numbers[i % numbers.len()], texts[i % texts.len()]);
        }
        match inbox_sync::poll_incoming(&e.desk, &e.his).await {
            Ok(_) => successes += 1,
            Err(err) => {
                assert!(err.downcast_ref::<HisError>().is_some(), "{err}");
                failures += 1;
                let status = e.desk.try_lock().unwrap().db().sync_status(INCOMING).unwrap();
                assert!(status.failures >= 1 && status.next_try.is_some() && status.last_error.is_some());
            }
        }
    }
    // Settle: a few successful polls with the page faults still on.
    let mut settled = 0;
    for _ in 0..60 {
        if inbox_sync::poll_incoming(&e.desk, &e.his).await.is_ok() {
            settled += 1;
            if settled == 3 {
                break;
            }
        }
    }
    assert_eq!(settled, 3, "the sandbox kept failing");
    assert!(failures > 0 && successes > 0, "faults were in effect: {failures} failures, {successes} successes");

    let server: BTreeMap<i64, String> = e.sb.state().incoming().map(|m| (m.id, m.text.clone())).collect();
    assert_eq!(server.len(), 60);
    let stored = e.stored();
    assert_eq!(stored.keys().collect::<Vec<_>>(), server.keys().collect::<Vec<_>>(), "0 lost, 0 extra");
    for (id, text) in &server {
        assert_eq!(&stored[id].2, text);
    }
    let d = e.desk.try_lock().unwrap();
    let rows: i64 = d.db().conn().query_row("SELECT count(*) FROM messages", [], |r| r.get(0)).unwrap();
    assert_eq!(rows, 60, "0 duplicated");
    // The sandbox keeps instants; its list writes them in its zone (this
    // process's, for the spec profile).
    let newest = e.sb.state().incoming().map(|m| m.updated_at).max();
    let as_listed =
        newest.map(|t| HisTime::from_local(t.instant().unwrap().with_timezone(&chrono::Local).naive_local()));
    assert_eq!(cursor::read_cursor(d.db(), INCOMING).unwrap(), as_listed);
}

#[tokio::test]
async fn stop_opts_the_number_out_once() {
    let e = env().await;
    let chloe = demo::STOP_NUMBER;
    let stop = e.inject(&chloe[1..], "STOP");
    let revoke = e.inject("18055550100", "please stop texting me");
    let r = inbox_sync::poll_incoming(&e.desk, &e.his).await.unwrap();
    assert_eq!((r.opt_outs, r.flagged), (1, 1), "{r:?}");
    // Read again by a poll and by a reconciliation: nothing more.
    inbox_sync::poll_incoming(&e.desk, &e.his).await.unwrap();
    let r = inbox_sync::reconcile_incoming(&e.desk, &e.his).await.unwrap();
    assert_eq!((r.new, r.opt_outs), (0, 0), "{r:?}");

    let d = e.desk.try_lock().unwrap();
    let db = d.db();
    assert!(db.is_opted_out(chloe).unwrap());
    assert!(!db.is_opted_out("+18055550100").unwrap(), "free text only flags");
    let log: Vec<(String, String, i64)> = {
        let mut s = db
            .conn()
            .prepare(
                "SELECT l.number, l.source, m.his_id FROM consent_log l JOIN messages m ON m.id = l.source_message_id",
            )
            .unwrap();
        s.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().map(Result::unwrap).collect()
    };
    assert_eq!(log, [(chloe.to_string(), "keyword".to_string(), stop)]);
    let flagged: Option<String> =
        db.conn().query_row("SELECT flagged FROM messages WHERE his_id = ?1", [revoke], |r| r.get(0)).unwrap();
    assert_eq!(flagged.as_deref(), Some("revocation"));
}

#[tokio::test]
async fn a_failed_or_malformed_poll_stores_nothing_and_keeps_the_cursor() {
    let e = env().await;
    e.inject("18055550100", "Yes");
    inbox_sync::poll_incoming(&e.desk, &e.his).await.unwrap();
    let cursor_before = e.desk.try_lock().unwrap().db().sync_cursor(INCOMING).unwrap();
    e.inject("18055550102", "No");
    for faults in
        [Faults { poll_error_rate: 1.0, ..Faults::default() }, Faults { malformed_rate: 1.0, ..Faults::default() }]
    {
        e.sb.set_faults(faults);
        let err = inbox_sync::poll_incoming(&e.desk, &e.his).await.unwrap_err();
        assert!(err.downcast_ref::<HisError>().is_some(), "{err}");
        assert_eq!(e.stored().len(), 1);
        assert_eq!(e.desk.try_lock().unwrap().db().sync_cursor(INCOMING).unwrap(), cursor_before);
    }
    let status = e.desk.try_lock().unwrap().db().sync_status(INCOMING).unwrap();
    assert_eq!(status.failures, 2, "{status:?}");
    e.sb.set_faults(Faults::default());
    assert_eq!(inbox_sync::poll_incoming(&e.desk, &e.his).await.unwrap().new, 1);
    assert_eq!(e.desk.try_lock().unwrap().db().sync_status(INCOMING).unwrap().failures, 0);
}

#[tokio::test]
async fn reconciliation_backfills_what_a_poll_missed() {
    let e = env().await;
    e.inject("18055550100", "first");
    inbox_sync::poll_incoming(&e.desk, &e.his).await.unwrap();
    let cursor = e.desk.try_lock().unwrap().db().sync_cursor(INCOMING).unwrap();
    // A reply the server commits an hour late: stamped before the cursor's
    // overlap, so a poll cannot see it.
    let late =
        e.sb.inject_inbound(Inbound {
            from: "18055550102".into(),
            text: Some("late".into()),
            ahead_secs: Some(-3600),
            ..Inbound::default()
        })
        .unwrap()
        .id;
    assert_eq!(inbox_sync::poll_incoming(&e.desk, &e.his).await.unwrap().new, 0);
    let r = inbox_sync::reconcile_incoming(&e.desk, &e.his).await.unwrap();
    assert_eq!(r.new, 1, "{r:?}");
    assert!(e.stored().contains_key(&late));
    assert_eq!(inbox_sync::reconcile_incoming(&e.desk, &e.his).await.unwrap().new, 0);
    assert_eq!(e.desk.try_lock().unwrap().db().sync_cursor(INCOMING).unwrap(), cursor, "the cursor never moves back");
}

#[tokio::test]
async fn a_cursor_stored_far_ahead_is_pulled_back_and_polls_see_replies_again() {
    let e = env().await;
    let id = e.inject("18055550100", "Yes");
    // A cursor far ahead (as after a server clock stepped back, or an
    // older CareDesk that followed a bad row): pulled back at the next poll.
    e.desk.try_lock().unwrap().db().set_sync_cursor(INCOMING, "2099-01-01T00:00:00.0000000").unwrap();
    assert_eq!(inbox_sync::poll_incoming(&e.desk, &e.his).await.unwrap().new, 1);
    assert!(e.stored().contains_key(&id));
    let cursor = e.desk.try_lock().unwrap().db().sync_cursor(INCOMING).unwrap().unwrap();
    assert!(cursor.as_str() < "2099", "{cursor}");
}

#[tokio::test]
async fn refresh_moves_sent_messages_to_their_final_states() {
    let e = env().await;
    let (delivered, _) = e.send("+18055550100", "Your appointment is tomorrow at 9", 9001).await;
    let (undeliverable, _) = e.send(magic::UNDELIVERABLE, "Test", 9002).await;
    let (rejected, _) = e.send(magic::REJECTED, "Test", 9003).await;
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let mut seen_states = Vec::new();
    loop {
        let r = inbox_sync::refresh_outgoing(&e.desk, &e.his).await.unwrap();
        seen_states.push(e.state_of(delivered).0);
        if r.open == 0 {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "states did not become final: {seen_states:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (state, server_state, server_updated_at) = e.state_of(delivered);
    assert_eq!((state.as_str(), server_state.as_deref()), ("delivered", Some("Delivered")));
    assert!(server_updated_at.is_some());
    assert_eq!(e.state_of(undeliverable).0, "undelivered");
    assert_eq!(e.state_of(undeliverable).1.as_deref(), Some("Undeliverable"));
    assert_eq!(e.state_of(rejected).0, "rejected");
    // Nothing open: no request at all.
    let r = inbox_sync::refresh_outgoing(&e.desk, &e.his).await.unwrap();
    assert_eq!(r, inbox_sync::RefreshReport::default());
    let status = e.desk.try_lock().unwrap().db().sync_status(OUTGOING).unwrap();
    assert!(status.last_success.is_some());
}

#[tokio::test]
async fn a_stale_enroute_never_undoes_delivered() {
    let server = MockServer::start().await;
    let (_dir, desk) = open_desk();
    let desk = Mutex::new(desk);
    let his = client(url::Url::parse(&format!("{}/", server.uri())).unwrap());
    let record = |his_id: i64, state: &str, key: i64| -> i64 {
        let d = desk.try_lock().unwrap();
        let patient_id = d.db().patients_with_number("+18055550100").unwrap()[0];
        let id = d
            .db()
            .insert_outbound(&NewOutbound {
                patient_id: Some(patient_id),
                route: Route::His,
                from: magic::HOSPITAL_NUMBER.into(),
                to: "+18055550100".into(),
                intended_to: None,
                body: "Reminder".into(),
                external_key: Some(key),
                is_test: false,
            })
            .unwrap();
        let accepted = Accepted {
            state: state.into(),
            his_id: Some(his_id),
            server_created_at: Some("2024-05-01T09:00:00.0000000+02:00".into()),
            ..Default::default()
        };
        d.db().mark_accepted(id, &accepted).unwrap();
        id
    };
    let open = record(700, "enroute", 1);
    let done = record(701, "delivered", 2);
    let msg = |id: i64, state: &str, updated: &str| {
        json!({ "Id": id, "From": magic::HOSPITAL_NUMBER, "To": "18055550100", "Type": "Outgoing",
                "CreatedAt": "2024-05-01T09:00:00.0000000", "UpdatedAt": updated, "Text": "Reminder",
                "State": state, "ReplyToMessageId": null })
    };
    let page = json!({
        "Data": { "Messages": [
            msg(700, "Delivered", "2024-05-01T09:00:05.0000000"),
            msg(701, "Enroute", "2024-05-01T09:00:01.0000000"),
            msg(700, "Enroute", "2024-05-01T09:00:01.0000000"),
            msg(701, "Accepted", "2024-05-01T09:00:00.0000000"),
        ]},
        "Status": { "StatusCode": "OK", "ErrorCode": "OK", "ErrorMessage": null }
    });
    Mock::given(method("GET"))
        .and(query_param("type", "Outgoing"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page))
        .expect(1)
        .mount(&server)
        .await;
    let r = inbox_sync::refresh_outgoing(&desk, &his).await.unwrap();
    assert_eq!((r.open, r.fetched, r.updated, r.finalized), (1, 4, 1, 1), "{r:?}");
    let state = |id: i64| -> String {
        desk.try_lock()
            .unwrap()
            .db()
            .conn()
            .query_row("SELECT state FROM messages WHERE id = ?1", [id], |r| r.get(0))
            .unwrap()
    };
    assert_eq!(state(open), "delivered");
    assert_eq!(state(done), "delivered");
    // dateFrom: before the open message's server creation time (07:00 UTC)
    // in any zone, as the server's zone is not known yet.
    let requests = server.received_requests().await.unwrap();
    let from = requests[0].url.query_pairs().find(|(k, _)| k == "dateFrom").map(|(_, v)| v.into_owned()).unwrap();
    let from = HisTime::parse(&from).unwrap();
    assert!(from <= HisTime::parse("2024-04-30T19:00:00").unwrap(), "{from}");
}
