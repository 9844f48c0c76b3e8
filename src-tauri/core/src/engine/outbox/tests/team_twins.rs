//! Team mode: the check before a retry never adopts a colleague's identical
//! text (issue 15). Ana's desk sent "See you Monday" to Ana Lopez and does
//! not know whether it arrived; Ben's desk sent the same words to the same
//! number, and the hospital SMS server lists Ben's. While Ben's text is in
//! flight (the team's log brought it, without its server Id yet) Ana's check
//! waits; once Ben's Id is known it is not Ana's, so Ana's text goes.

use serde_json::json;

use super::*;
use crate::{
    gateways::his::wire::SendSmsRequest,
    rules::phone::E164,
    sandbox::Faults,
    store::team::{kinds, PulledChange},
};

const WORDS: &str = "See you Monday at 9";

/// Ben's text as the team's log brings it to Ana's desk.
fn bens_text(env: &Env, gid: &str, his_id: Option<i64>, state: &str, pos: i64) -> PulledChange {
    let d = env.desk.lock().unwrap();
    let patient_gid: String =
        d.db().conn().query_row("SELECT gid FROM patients WHERE ecm_patient_id = 1001", [], |r| r.get(0)).unwrap();
    PulledChange {
        pos,
        desk_id: "7d8f4a7e-0000-4000-8000-00000000b0b0".into(),
        desk_seq: pos,
        actor: "ben".into(),
        kind: kinds::MESSAGE.into(),
        body: json!({
            "gid": gid, "patient_gid": patient_gid, "direction": "outbound", "route": "his",
            "from": magic::HOSPITAL_NUMBER, "to": ANA_NUMBER, "body": WORDS, "state": state, "his_id": his_id,
            "sent_by": "Ben Okafor", "sent_by_role": "ben", "created_at": crate::store::now_rfc3339(),
        }),
    }
}

#[tokio::test]
async fn a_colleagues_identical_text_in_flight_is_never_adopted() {
    let env = Env::with(&[("team.database_url", "postgres://ana@127.0.0.1:5432/caredesk")]).await;
    {
        let d = env.desk.lock().unwrap();
        d.db().team_join("ana", &crate::store::now_rfc3339()).unwrap();
        d.db().set_team_link("connected", None, None, &crate::store::now_rfc3339()).unwrap();
    }
    // Ana's send: refused with a 500, which may have been carried out.
    let q = enqueue(&env.desk, request(ANA, None, WORDS, Route::His)).unwrap();
    env.sim().set_faults(Faults { error_5xx_rate: 1.0, ..Faults::default() });
    assert_eq!(env.drain().await.ambiguous, 1);
    env.sim().set_faults(Faults::default());

    // Ben's desk sends the same words; the server takes it. Ana's desk has
    // heard of Ben's text, not yet of its server Id.
    let bens = SendSmsRequest::new(magic::HOSPITAL_NUMBER, &E164::from_trusted(ANA_NUMBER.into()), WORDS, 777);
    let taken = env.gw.his().unwrap().send_sms(&bens).await.unwrap();
    let gid = "0b0b0b0b-1111-4222-8333-444444444444";
    let change = bens_text(&env, gid, None, "sending", 1);
    env.desk.lock().unwrap().db().team_apply(&[change]).unwrap();
    tokio::time::sleep(Duration::from_millis(30)).await;
    let r = env.drain().await;
    assert_eq!((r.reconciled, r.attempted), (0, 0), "Ana's check waits for Ben's answer: {r:?}");
    let item = env.item(q.message_id);
    assert_eq!(item.state, "ambiguous");
    assert!(item.last_error.unwrap_or_default().contains("same text"), "says why it waits");

    // Ben's desk hears the server's Id: that text is Ben's. Ana's is not on
    // the server, so it goes, once.
    let change = bens_text(&env, gid, Some(taken.id), "sent", 2);
    env.desk.lock().unwrap().db().team_apply(&[change]).unwrap();
    tokio::time::sleep(Duration::from_millis(30)).await;
    env.drain_until_empty(5).await;
    let o = crate::engine::send::sms_outcome(&env.desk, q.message_id).unwrap();
    assert_status(&o, SendStatus::Accepted);
    assert_ne!(o.server_id, Some(taken.id.to_string()), "Ben's text was never taken for Ana's");
    assert_eq!(env.sim().state().sends_to(ANA_NUMBER, WORDS), 2, "Ben's and Ana's");
}

#[tokio::test]
async fn while_the_team_log_is_not_followed_a_text_is_matched_by_its_key_alone() {
    let env = Env::with(&[("team.database_url", "postgres://ana@127.0.0.1:5432/caredesk")]).await;
    {
        let d = env.desk.lock().unwrap();
        d.db().team_join("ana", &crate::store::now_rfc3339()).unwrap();
        d.db()
            .set_team_link("offline", Some("the team database is out of reach"), None, &crate::store::now_rfc3339())
            .unwrap();
    }
    let q = enqueue(&env.desk, request(ANA, None, WORDS, Route::His)).unwrap();
    env.sim().set_faults(Faults { error_5xx_rate: 1.0, ..Faults::default() });
    assert_eq!(env.drain().await.ambiguous, 1);
    env.sim().set_faults(Faults::default());
    // A text with the same words on the server, sent by a desk Ana's cannot
    // hear from (no ExternalKey listed: matched by words only).
    let other = SendSmsRequest::new(magic::HOSPITAL_NUMBER, &E164::from_trusted(ANA_NUMBER.into()), WORDS, 778);
    env.gw.his().unwrap().send_sms(&other).await.unwrap();
    tokio::time::sleep(Duration::from_millis(30)).await;
    let r = env.drain().await;
    assert_eq!((r.reconciled, r.attempted), (0, 0), "{r:?}");
    let item = env.item(q.message_id);
    assert_eq!(item.state, "ambiguous", "neither adopted nor sent again");
    assert!(item.last_error.unwrap_or_default().contains("team's log"));
    assert_eq!(env.sim().state().sends_to(ANA_NUMBER, WORDS), 1);
}
