//! Outreach from the CLI (issue 17): templates managed by name, a send from
//! a template (a missing merge field stops it, naming the field), and a
//! text sent later that waits in the outbox as scheduled until cancelled.
//! The real binary, a real keyring, the built-in sandbox.

use caredesk_tests::{require_keyring, Cli};
use serde_json::Value;

fn fresh() -> (tempfile::TempDir, Cli) {
    require_keyring();
    let dir = tempfile::tempdir().unwrap();
    let cli = Cli::new(&dir.path().join("data"));
    cli.ok(&["config", "set", "clinic.time_zone", "America/Los_Angeles"]);
    caredesk_tests::quiet_hours_off(&cli);
    cli.ok(&["patients", "add", "--name", "Odile Marsh", "--ecm-id", "4242", "--phone", "(805) 555-0170"]);
    (dir, cli)
}

fn names(list: &Value) -> Vec<&str> {
    list.as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect()
}

#[test]
fn templates_are_managed_by_name_and_merged_for_a_send() {
    let (_dir, cli) = fresh();
    let added = cli.json(&["templates", "add", "Reminder", "--text", "Hi {first_name}, {clinic_name} here.", "--json"]);
    assert_eq!(added["gid"].as_str().map(str::len), Some(36));
    cli.ok(&["templates", "add", "Call back", "--text", "Please call us, {first_name}."]);
    assert_eq!(names(&cli.json(&["templates", "list", "--json"])), ["Call back", "Reminder"]);
    let bad = cli.run(&["templates", "add", "Broken", "--text", "Hi {first_name"]).expect_err();
    assert!(bad.stderr.contains("brace"), "{}", bad.stderr);

    // No clinic.name yet: the send stops and names the field; nothing is queued.
    let e = cli.run(&["send", "--patient", "ecm:4242", "--template", "reminder", "--json"]).expect_err();
    assert!(e.stderr.contains("{clinic_name}"), "{}", e.stderr);
    assert_eq!(cli.json(&["outbox", "--json"]), Value::Array(vec![]));

    cli.ok(&["config", "set", "clinic.name", "North Clinic"]);
    let sent = cli.json(&["send", "--patient", "ecm:4242", "--template", "Reminder", "--via", "his", "--json"]);
    assert_eq!(sent["status"], "accepted", "{sent}");
    let thread = cli.json(&["thread", "--patient", "ecm:4242", "--json"]);
    assert!(thread.to_string().contains("Hi Odile, North Clinic here."), "{thread}");

    cli.ok(&["templates", "edit", "call BACK", "--text", "Call {clinic_name}"]);
    cli.ok(&["templates", "remove", "Reminder"]);
    let left = cli.json(&["templates", "--json"]);
    assert_eq!((names(&left), left[0]["text"].as_str()), (vec!["Call back"], Some("Call {clinic_name}")));
}

#[test]
fn a_text_sent_later_waits_as_scheduled_until_cancelled() {
    let (_dir, cli) = fresh();
    let at = "2099-12-03 09:00"; // 17:00 UTC (PST)
                                 // Exit status 4: queued, not sent yet.
    let run = cli.run(&["send", "--patient", "ecm:4242", "--text", "See you soon", "--at", at, "--json"]);
    assert_eq!(run.code, Some(4), "{}", run.stderr);
    let queued: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!((queued["status"].as_str(), queued["hold_reason"].as_str()), (Some("queued"), Some("scheduled")));
    assert_eq!(queued["hold_until"].as_str().map(|t| &t[..19]), Some("2099-12-03T17:00:00"));
    let id = queued["message_id"].as_i64().unwrap().to_string();
    let outbox = cli.json(&["outbox", "--json"]);
    assert_eq!((outbox[0]["hold_reason"].as_str(), outbox[0]["state"].as_str()), (Some("scheduled"), Some("pending")));
    // A time that has passed, or one the clocks skip, is refused.
    let past = cli.run(&["send", "--patient", "ecm:4242", "--text", "x", "--at", "2020-01-01 09:00"]).expect_err();
    assert!(past.stderr.contains("has passed"), "{}", past.stderr);
    let gap = cli.run(&["send", "--patient", "ecm:4242", "--text", "x", "--at", "2099-03-08 02:30"]).expect_err();
    assert!(gap.stderr.contains("skip"), "{}", gap.stderr);

    cli.ok(&["outbox", "cancel", &id]);
    assert_eq!(cli.json(&["outbox", "--json"]), Value::Array(vec![]));
}
