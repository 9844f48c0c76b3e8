use chrono_tz::Tz;

use super::*;
use crate::store::{inbox::NewInbound, test_db, NewActivity, NewOutbound, Route};

#[test]
fn status_follows_the_message_or_call() {
    let s = |kind, dir, state, server, err| status_of(kind, dir, state, server, err);
    let word = |w: &str, r: Option<&str>| (w.to_string(), r.map(str::to_string));
    for (got, want) in [
        (s("sms", "outbound", Some("queued"), None, None), word("sending", None)),
        (s("sms", "outbound", Some("sent"), Some("Sent"), None), word("sent", None)),
        (s("sms", "outbound", Some("enroute"), None, None), word("sent", None)),
        (s("sms", "outbound", Some("delivered"), None, None), word("delivered", None)),
        (
            s("sms", "outbound", Some("failed"), None, Some("the number is not mobile")),
            word("failed", Some("the number is not mobile")),
        ),
        (s("sms", "outbound", Some("undelivered"), Some("Undelivered"), None), word("failed", Some("Undelivered"))),
        (
            s("sms", "outbound", Some("uncertain"), None, Some("no answer in 30 s")),
            word("uncertain", Some("no answer in 30 s")),
        ),
        (s("sms", "outbound", Some("undone"), None, None), word("undone", None)),
        (s("sms", "inbound", Some("received"), None, None), word("received", None)),
        (s("call", "outbound", Some("queued"), None, None), word("placed", None)),
        (s("call", "outbound", Some("no-answer"), None, None), word("placed", Some("no answer"))),
        (
            s("call", "outbound", Some("failed"), None, Some("ECM refused: 403")),
            word("failed", Some("ECM refused: 403")),
        ),
        (s("call", "outbound", Some("initiating"), None, None), word("placing", None)),
    ] {
        assert_eq!(got, want);
    }
}

#[test]
fn by_is_a_person_the_patient_or_caredesk_with_the_ecm_id_apart() {
    let by = |dir, person, performed| by_of(dir, person, performed);
    let of = |n: &str, id: Option<&str>| (n.to_string(), id.map(str::to_string));
    assert_eq!(by("outbound", Some("Dana Coordinator"), "101"), of("Dana Coordinator", Some("101")));
    assert_eq!(by("outbound", Some("Dana Coordinator"), "dana"), of("Dana Coordinator", None));
    assert_eq!(by("inbound", None, "system"), of(BY_PATIENT, None));
    // Older rows: a name stored as the performer is kept; an id alone or
    // "system" never shows as a name.
    assert_eq!(by("outbound", None, "dana"), of("dana", None));
    assert_eq!(by("outbound", None, "101"), of(BY_CAREDESK, Some("101")));
    assert_eq!(by("outbound", Some("  "), "system"), of(BY_CAREDESK, None));
}

fn la() -> Tz {
    "America/Los_Angeles".parse().unwrap()
}

fn outbound(db: &Database, patient: i64, person: &str, at: &str) -> i64 {
    let m = NewOutbound {
        patient_id: Some(patient),
        route: Route::His,
        from: "CAREDESK".into(),
        to: "+18055550100".into(),
        intended_to: None,
        body: "Your appointment is confirmed".into(),
        external_key: None,
        is_test: false,
    };
    let now = crate::rules::clinic_zone::instant(at).unwrap();
    let id = db.enqueue_sms_by(&m, "dana", person, "queued", None, now).unwrap().message_id;
    db.conn().execute("UPDATE messages SET created_at = ?1 WHERE id = ?2", rusqlite::params![at, id]).unwrap();
    id
}

fn seeded() -> (tempfile::TempDir, Database, i64) {
    let (d, mut db) = test_db();
    db.conn()
        .execute("INSERT INTO patients (name, name_key, ecm_patient_id, created_at, updated_at) VALUES ('Ana', 'ana', 55, 'x', 'x')", [])
        .unwrap();
    let p = db.conn().last_insert_rowid();
    // Delivered, with ECM's activity (performed by ECM user 101), at 23:30 Pacific.
    let delivered = outbound(&db, p, "Dana Coordinator", "2026-11-21T07:30:00Z");
    db.conn().execute("UPDATE messages SET state = 'delivered' WHERE id = ?1", [delivered]).unwrap();
    db.insert_activity(&NewActivity {
        ecm_activity_id: Some(789),
        activity_type: "sms",
        direction: "outbound",
        status: "created".into(),
        patient_id: Some(p),
        performed_by_id: "101".into(),
        assigned_to_id: "101".into(),
        text_message_id: Some(delivered),
        voice_call_id: None,
        occurred_at: "2026-11-21T07:30:00.000Z".into(),
    })
    .unwrap();
    // Failed, no activity, at 00:30 Pacific the next day.
    let failed = outbound(&db, p, "Sam Nurse", "2026-11-21T08:30:00Z");
    db.conn()
        .execute(
            "UPDATE messages SET state = 'failed', error_message = 'the number cannot get texts' WHERE id = ?1",
            [failed],
        )
        .unwrap();
    // The reply, at 16:30 Pacific on the 21st (00:30 UTC on the 22nd).
    db.insert_inbound(&NewInbound {
        patient_id: Some(p),
        from: "+18055550100",
        to: "CAREDESK",
        body: "Thanks",
        his_id: 900,
        reply_to_his_id: None,
        server_state: "Received",
        flagged: None,
        created_at: "2026-11-22T00:30:00Z",
        server_created_at: "2026-11-22 00:30:00",
        server_updated_at: "2026-11-22 00:30:00",
    })
    .unwrap();
    // A call ECM refused.
    let call = db.insert_call(p, "+18055550100").unwrap();
    db.set_call_placed_by(call, "Dana Coordinator").unwrap();
    db.mark_call_failed(call, "ECM refused the call: 403").unwrap();
    db.conn().execute("UPDATE calls SET created_at = '2026-11-21T23:30:00Z' WHERE id = ?1", [call]).unwrap();
    (d, db, p)
}

#[test]
fn rows_say_where_each_text_and_call_stands_and_who_did_it() {
    let (_d, db, _p) = seeded();
    let rows = activities(&db, &ActivityFilter::default(), la()).unwrap();
    type Seen<'a> = (&'a str, &'a str, Option<&'a str>, &'a str, Option<&'a str>);
    let seen: Vec<Seen<'_>> = rows
        .iter()
        .map(|r| {
            (
                r.activity_type.as_str(),
                r.status.as_str(),
                r.status_reason.as_deref(),
                r.by.as_str(),
                r.ecm_user_id.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        vec![
            ("sms", "delivered", None, "Dana Coordinator", Some("101")),
            ("sms", "failed", Some("the number cannot get texts"), "Sam Nurse", None),
            ("call", "failed", Some("ECM refused the call: 403"), "Dana Coordinator", None),
            ("sms", "received", None, BY_PATIENT, None),
        ]
    );
    assert_eq!(rows[0].ecm_status.as_deref(), Some("created"));
    assert_eq!(rows[1].activity_id, None, "a failed text has no ECM activity, and still shows");
}

#[test]
fn days_are_clinic_days_in_rows_and_the_filter() {
    let (_d, db, _p) = seeded();
    let days = |from: Option<&str>, to: Option<&str>| -> Vec<String> {
        let f = ActivityFilter { from: from.map(Into::into), to: to.map(Into::into), ..Default::default() };
        activities(&db, &f, la()).unwrap().into_iter().map(|r| r.clinic_day.unwrap()).collect()
    };
    // 23:30 on the 20th; 00:30, 15:30 (23:30 UTC) and 16:30 (00:30 UTC next day) on the 21st.
    assert_eq!(days(None, None), ["2026-11-20", "2026-11-21", "2026-11-21", "2026-11-21"]);
    assert_eq!(days(Some("2026-11-20"), Some("2026-11-20")), ["2026-11-20"]);
    assert_eq!(days(Some("2026-11-21"), Some("2026-11-21")).len(), 3, "UTC midnight does not split the 21st");
    assert!(days(Some("2026-11-22"), None).is_empty());
    let rows = activities(&db, &ActivityFilter::default(), la()).unwrap();
    assert_eq!(rows[0].occurred_at.as_deref(), Some("2026-11-21T07:30:00Z"));
    assert_eq!(rows[0].occurred_at_local.as_deref(), Some("2026-11-20T23:30:00-08:00"));
    let per_day = crate::records::activity_log::per_day(&rows);
    assert_eq!(
        per_day,
        vec![
            crate::records::activity_log::DayCount { day: "2026-11-20".into(), sms: 1, calls: 0 },
            crate::records::activity_log::DayCount { day: "2026-11-21".into(), sms: 2, calls: 1 },
        ]
    );
    // In UTC the same rows fall on other days.
    let utc: Vec<String> = activities(&db, &ActivityFilter::default(), Tz::UTC)
        .unwrap()
        .into_iter()
        .map(|r| r.clinic_day.unwrap())
        .collect();
    assert_eq!(utc, ["2026-11-21", "2026-11-21", "2026-11-21", "2026-11-22"]);
}
