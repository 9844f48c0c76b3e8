//! Consent invitations (spec 002) over real HTTP against the sandbox: Invite
//! sends the clinic's invitation; a START reply opts the number in and earns
//! the welcome text exactly once; a reply flagged as a revocation waits for
//! staff with its due date, and their decision opts the number out.

use caredesk_core::sandbox::{Inbound, SandboxOptions};
use caredesk_tests::{configured_cli, Sim};

const ANA: &str = "+18055550100";
const BEN: &str = "+18055550102";

#[test]
fn an_invitation_answered_start_opts_in_with_one_welcome_and_a_revocation_waits_for_staff() {
    let sim = Sim::start(SandboxOptions { replies: false, ..SandboxOptions::for_tests() });
    let dir = tempfile::tempdir().unwrap();
    let cli = configured_cli(&sim, dir.path());
    cli.ok(&["config", "set", "clinic.name", "North Clinic"]);

    let consent = cli.json(&["consent", "--patient", "ecm:1001", "--json"]);
    assert_eq!(consent[0]["state"], "not_asked", "{consent}");

    let invited = cli.json(&["invite", "--patient", "ecm:1001", "--json"]);
    assert_eq!(invited["consent"]["state"], "invited", "{invited}");
    assert_eq!(invited["sent"]["to"], ANA);
    cli.ok(&["sync", "--once"]);
    let sends = sim.h().state().his_sends;
    let invitation: Vec<_> = sends.iter().filter(|s| s.to == ANA.trim_start_matches('+')).collect();
    assert_eq!(invitation.len(), 1, "{sends:?}");
    for part in ["North Clinic: reply START", "Msg & data rates may apply", "Reply STOP to opt out"] {
        assert!(invitation[0].text.contains(part), "{part:?} in {:?}", invitation[0].text);
    }
    // Invited, not answered: a second invitation is allowed (a reminder), audited.
    assert!(cli.run(&["invite", "--patient", "ecm:1001"]).ok());
    cli.ok(&["sync", "--once"]);

    sim.h()
        .inject_inbound(Inbound { from: "18055550100".into(), text: Some("Start".into()), ..Inbound::default() })
        .unwrap();
    // The first cycle reads START and queues the welcome; the next ones send it, once.
    for _ in 0..3 {
        cli.ok(&["sync", "--once"]);
    }
    let welcome = "North Clinic: you are signed up for care texts. Msg & data rates may apply. Reply STOP to opt out at any time, HELP for help.";
    assert_eq!(sim.h().state().sends_to(ANA, welcome), 1, "the welcome text, exactly once");
    let consent = cli.json(&["consent", "--patient", "ecm:1001", "--json"]);
    assert_eq!(consent[0]["state"], "opted_in", "{consent}");
    assert!(consent[0]["since"].is_string());
    let again = cli.run(&["invite", "--patient", "ecm:1001"]).expect_err();
    assert!(again.stderr.contains("opted in already"), "{}", again.stderr);

    // Ben writes something that reads like a revocation: staff review it.
    sim.h()
        .inject_inbound(Inbound {
            from: "18055550102".into(),
            text: Some("please stop texting me".into()),
            ..Inbound::default()
        })
        .unwrap();
    cli.ok(&["sync", "--once"]);
    let pending = cli.json(&["revocations", "--json"]);
    let list = pending.as_array().unwrap();
    assert_eq!(list.len(), 1, "{pending}");
    assert_eq!((list[0]["number"].as_str(), list[0]["text"].as_str()), (Some(BEN), Some("please stop texting me")));
    let due = list[0]["due"].as_str().unwrap();
    let received = chrono::DateTime::parse_from_rfc3339(list[0]["received_at"].as_str().unwrap()).unwrap();
    let days = (chrono::NaiveDate::parse_from_str(due, "%Y-%m-%d").unwrap() - received.date_naive()).num_days();
    assert!((14..=16).contains(&days), "ten business days are two weeks and a little: {days} ({due})");
    let ben = cli.json(&["consent", "--patient", "ecm:1002", "--json"]);
    assert_eq!(ben[0]["revocation"]["message_id"], list[0]["message_id"], "{ben}");

    let id = list[0]["message_id"].as_i64().unwrap().to_string();
    cli.ok(&["revocations", "resolve", &id, "--opted-out"]);
    assert_eq!(cli.json(&["revocations", "--json"]), serde_json::json!([]));
    let ben = cli.json(&["consent", "--patient", "ecm:1002", "--json"]);
    assert_eq!(ben[0]["state"], "opted_out", "{ben}");
    assert!(ben[0]["revocation"].is_null());
    let refused = cli.run(&["invite", "--patient", "ecm:1002"]).expect_err();
    assert!(refused.stderr.to_lowercase().contains("opted out"), "{}", refused.stderr);
    let twice = cli.run(&["revocations", "resolve", &id, "--not-revocation"]).expect_err();
    assert!(twice.stderr.contains("not a flagged reply waiting"), "{}", twice.stderr);
}
