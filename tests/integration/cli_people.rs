//! `caredesk patients add` and `patients edit`, and a linked number that is
//! one of the patient's numbers: the real binary, a real keyring, the
//! built-in sandbox answering the sends.

use caredesk_tests::{require_keyring, Cli};
use serde_json::{json, Value};

fn fresh() -> (tempfile::TempDir, Cli) {
    require_keyring();
    let dir = tempfile::tempdir().unwrap();
    let cli = Cli::new(&dir.path().join("data"));
    caredesk_tests::quiet_hours_off(&cli);
    (dir, cli)
}

fn phones(patient: &Value) -> Vec<(String, String, bool, bool)> {
    patient["phones"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["number"].as_str().unwrap().to_string(),
                p["kind"].as_str().unwrap().to_string(),
                p["active"].as_bool().unwrap(),
                p["opted_out"].as_bool().unwrap(),
            )
        })
        .collect()
}

fn actions(cli: &Cli) -> Vec<String> {
    let audit = cli.json(&["audit", "--json"]);
    audit.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap().to_string()).collect()
}

#[test]
fn patients_add_normalizes_audits_and_the_patient_is_textable() {
    let (_dir, cli) = fresh();
    let added = cli.json(&[
        "patients",
        "add",
        "--name",
        "Odile  Marsh",
        "--ecm-id",
        "4242",
        "--phone",
        "(805) 555-0170",
        "--contact-name",
        "Remy Marsh",
        "--contact-relationship",
        "son",
        "--contact-phone",
        "805.555.0171",
        "--json",
    ]);
    assert_eq!((added["name"].as_str(), added["ecm_patient_id"].as_i64()), (Some("Odile Marsh"), Some(4242)));
    assert_eq!(
        added["phones"],
        json!([
            {"number": "+18055550170", "kind": "patient", "name": null, "relationship": null, "opted_out": false, "active": true},
            {"number": "+18055550171", "kind": "contact", "name": "Remy Marsh", "relationship": "son", "opted_out": false, "active": true}
        ])
    );
    let list = cli.json(&["patients", "list", "--json"]);
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0], added, "patients list shows what add printed");
    let human = cli.ok(&["patients", "add", "--name", "Pia Stone", "--phone", "+14155550190"]).stdout;
    assert!(human.starts_with("added:") && human.contains("Pia Stone") && human.contains("+14155550190"), "{human}");

    // Textable at once, through the sandbox, to the patient's number by default.
    let sent =
        cli.json(&["send", "--patient", "ecm:4242", "--text", "Welcome to the clinic", "--via", "his", "--json"]);
    assert_eq!((sent["status"].as_str(), sent["to"].as_str()), (Some("accepted"), Some("+18055550170")), "{sent}");
    assert_eq!(actions(&cli).iter().filter(|a| *a == "patient.add").count(), 2);
    assert!(cli.ok(&["audit", "verify"]).stdout.starts_with("OK:"));
}

#[test]
fn patients_add_refuses_bad_input_with_a_reason_and_stores_nothing() {
    let (_dir, cli) = fresh();
    cli.ok(&["patients", "add", "--name", "Odile Marsh", "--ecm-id", "4242", "--phone", "+18055550170"]);
    let cases: [(&[&str], &str); 4] = [
        (&["--name", "Bad Number", "--phone", "555"], "\"555\" is not a valid phone number"),
        (&["--name", "Twin", "--ecm-id", "4242", "--phone", "+18055550172"], "ECM patient id 4242 is already patient"),
        (&["--name", "  ", "--phone", "+18055550172"], "name is empty"),
        (&["--name", "Zero", "--ecm-id", "0", "--phone", "+18055550172"], "above 0"),
    ];
    for (args, words) in cases {
        let run = cli.run(&[&["patients", "add"][..], args].concat());
        assert_eq!(run.code, Some(1), "{args:?}: {run:?}");
        assert!(run.stderr.contains(words), "{args:?}: {}", run.stderr);
    }
    // A number is required (usage error).
    assert_eq!(cli.run(&["patients", "add", "--name", "No Phone"]).code, Some(2));
    assert_eq!(cli.json(&["patients", "list", "--json"]).as_array().unwrap().len(), 1, "nothing else was stored");
}

#[test]
fn patients_edit_changes_numbers_and_consent_and_a_linked_number_is_the_patients() {
    let (_dir, cli) = fresh();
    cli.ok(&["patients", "add", "--name", "Odile Marsh", "--ecm-id", "4242", "--phone", "+18055550170"]);
    let edited = cli.json(&[
        "patients",
        "edit",
        "ecm:4242",
        "--name",
        "Odile Marsh-Lee",
        "--ecm-id",
        "4243",
        "--add-phone",
        "805-555-0175",
        "--add-contact-phone",
        "805-555-0171",
        "--add-contact-name",
        "Remy",
        "--add-contact-relationship",
        "son",
        "--deactivate-phone",
        "+18055550170",
        "--opt-out",
        "805-555-0171",
        "--json",
    ]);
    assert_eq!((edited["name"].as_str(), edited["ecm_patient_id"].as_i64()), (Some("Odile Marsh-Lee"), Some(4243)));
    let own = |n: &str, active, opted_out| (n.to_string(), "patient".to_string(), active, opted_out);
    let son = |n: &str, active, opted_out| (n.to_string(), "contact".to_string(), active, opted_out);
    assert_eq!(
        phones(&edited),
        [own("+18055550175", true, false), son("+18055550171", true, true), own("+18055550170", false, false)]
    );
    // The number made no longer used needs --other-number; the opted-out one is refused.
    let old = cli.run(&["send", "--patient", "ecm:4243", "--to", "+18055550170", "--text", "old?"]);
    assert_eq!(old.code, Some(1), "{old:?}");
    let son_send = cli.run(&["send", "--patient", "ecm:4243", "--to", "+18055550171", "--text", "hi Remy"]);
    assert!(son_send.stderr.contains("opted out"), "{son_send:?}");
    // An edit naming a number that is not hers is refused.
    let run = cli.run(&["patients", "edit", "ecm:4243", "--deactivate-phone", "+18055550199"]);
    assert!(run.code == Some(1) && run.stderr.contains("is not one of the patient's numbers"), "{run:?}");
    let human = cli.ok(&["patients", "edit", "ecm:4243", "--opt-in", "+18055550171"]).stdout;
    assert!(human.starts_with("saved:") && !human.contains("[opted out]"), "{human}");

    // A number linked from Unmatched is one of hers: listed, and textable without --other-number.
    let linked = cli.ok(&["link", "--number", "617-555-0123", "--patient", "ecm:4243", "--relationship", "neighbor"]);
    assert!(linked.stdout.contains("now one of their numbers"), "{}", linked.stdout);
    let list = cli.json(&["patients", "list", "--json", "--search", "617 555 0123"]);
    let phone = list[0]["phones"].as_array().unwrap().iter().find(|p| p["number"] == "+16175550123").cloned();
    let phone = phone.expect("the linked number is listed");
    assert_eq!((phone["kind"].as_str(), phone["relationship"].as_str()), (Some("contact"), Some("neighbor")));
    let sent = cli.json(&["send", "--patient", "ecm:4243", "--to", "+16175550123", "--text", "hello", "--json"]);
    assert_eq!(sent["status"], "accepted", "{sent}");
    let audit = cli.json(&["audit", "--json"]);
    let last_send = audit.as_array().unwrap().iter().rev().find(|e| e["action"] == "sms.send").unwrap();
    assert!(!last_send["detail"].as_str().unwrap().contains("other number"), "{last_send}");

    let seen = actions(&cli);
    for action in ["patient.add", "patient.edit", "consent.change", "number.link"] {
        assert!(seen.iter().any(|a| a == action), "{action} in {seen:?}");
    }
    assert!(cli.ok(&["audit", "verify"]).stdout.starts_with("OK:"));
}
