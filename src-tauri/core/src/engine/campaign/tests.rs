use std::sync::Mutex;

use chrono::Utc;

use super::*;
use crate::{
    desk::{
        people::{PatientForm, PhoneForm},
        test_desk,
    },
    rules::campaign::Caps,
    store::PhoneKind,
};

fn patient(desk: &Desk, name: &str, ecm: i64, number: &str) {
    let phone = PhoneForm {
        number: number.into(),
        kind: PhoneKind::Patient,
        name: None,
        relationship: None,
        active: true,
        sms_consent: None,
    };
    desk.add_patient(&PatientForm { name: name.into(), ecm_patient_id: Some(ecm), phones: vec![phone] }).unwrap();
}

#[test]
fn in_team_mode_a_campaign_is_fed_only_by_the_desk_holding_its_lock() {
    let dir = tempfile::tempdir().unwrap();
    let desk = test_desk(dir.path(), "Ana Ruiz");
    patient(&desk, "Ana Lopez", 1001, "+18055550100");
    patient(&desk, "Ben Carter", 1002, "+18055550102");
    desk.add_template("Flu", "Flu shots are in, {first_name}").unwrap();
    let req = CampaignRequest {
        name: "Flu shots".into(),
        template: "Flu".into(),
        recipients: Recipients::All,
        start_at: None,
        caps: Caps { per_day: 0, per_week: 0 },
        answers: String::new(),
        answer_window_hours: None,
        via: None,
    };
    let c = create(&desk, &req, Utc::now()).unwrap();
    act(&desk, c.id, crate::rules::campaign::Action::Start, Utc::now()).unwrap();
    desk.set_setting("team.database_url", "postgres://ana@db.clinic.example/caredesk").unwrap();
    let desk = Mutex::new(desk);
    let fed = feed(&desk, 0.0, Utc::now()).unwrap();
    assert_eq!((fed.queued, fed.progress.len()), (0, 0), "no lock, not fed here");
    desk.lock().unwrap().set_campaign_runs([c.gid.clone()].into());
    let fed = feed(&desk, 0.0, Utc::now()).unwrap();
    assert_eq!(fed.queued, 2, "{fed:?}");
}

#[test]
fn a_colleagues_campaign_is_listed_read_only_and_actions_on_it_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let desk = test_desk(dir.path(), "Ben Okafor");
    let body = serde_json::json!({"gid": "c1", "name": "Flu shots", "state": "running", "total": 2, "sent": 1,
        "pending": 1, "skipped": {"opted_out": 1}, "runs_on": "Ana Ruiz", "updated_at": "2026-01-01T10:00:00Z"});
    let change = crate::store::team::PulledChange {
        pos: 1,
        desk_id: "d".into(),
        desk_seq: 1,
        actor: "ana".into(),
        kind: crate::store::team::kinds::CAMPAIGN.into(),
        body,
    };
    desk.db().team_apply(&[change]).unwrap();
    assert!(statuses(&desk).unwrap().is_empty(), "a desk alone shows no colleague's campaign");
    desk.set_setting("team.database_url", "postgres://ben@db.clinic.example/caredesk").unwrap();
    let all = statuses(&desk).unwrap();
    assert_eq!(all.len(), 1);
    let s = &all[0];
    assert!(s.id < 0, "{s:?}");
    assert_eq!((s.runs_on.as_deref(), s.counts.sent, s.counts.skipped.len()), (Some("Ana Ruiz"), 1, 1));
    assert_eq!(status(&desk, s.id).unwrap(), *s);
    for action in [crate::rules::campaign::Action::Pause, crate::rules::campaign::Action::Cancel] {
        let e = act(&desk, s.id, action, Utc::now()).unwrap_err();
        assert_eq!(e.code(), ErrorCode::CampaignElsewhere, "{e}");
        assert!(e.to_string().contains("runs on Ana Ruiz's desk"), "{e}");
    }
    assert_eq!(crate::records::campaign_report::rows(&desk, s.id).unwrap_err().code(), ErrorCode::CampaignElsewhere);
    assert_eq!(get(&desk, -999).unwrap_err().code(), ErrorCode::NotFound);
}
