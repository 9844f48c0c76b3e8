//! The `caredesk` CLI as a script would use it: real binary, real keyring,
//! a fresh data directory per test.

use caredesk_tests::{require_keyring, write_file, Cli, ROSTER_CSV};
use serde_json::json;

fn fresh() -> (tempfile::TempDir, Cli) {
    require_keyring();
    let dir = tempfile::tempdir().unwrap();
    let cli = Cli::new(&dir.path().join("data"));
    caredesk_tests::quiet_hours_off(&cli);
    (dir, cli)
}

#[test]
fn csv_import_reports_bad_rows_and_reimport_updates_without_duplicates() {
    let (dir, cli) = fresh();
    let file = write_file(dir.path(), "roster.csv", ROSTER_CSV);
    let first = cli.json(&["patients", "import", file.to_str().unwrap(), "--json"]);
    assert_eq!(first["total_rows"], 5);
    assert_eq!(first["created"], 2);
    assert_eq!(first["updated"], 1, "the second Farnsworth row merges into the first");
    let rejected = first["rejected"].as_array().unwrap();
    assert_eq!(rejected.len(), 2);
    assert_eq!(rejected[0]["row"], 5);
    assert!(rejected[0]["message"].as_str().unwrap().contains("\"12345\""));
    assert_eq!(rejected[1]["row"], 6);
    assert!(rejected[1]["message"].as_str().unwrap().contains("name"));

    let again = cli.json(&["patients", "import", file.to_str().unwrap(), "--json"]);
    assert_eq!((again["created"].as_u64(), again["updated"].as_u64()), (Some(0), Some(3)));

    let list = cli.json(&["patients", "list", "--json"]);
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2, "re-import must not duplicate: {list:?}");
    let phil = list.iter().find(|p| p["ecm_patient_id"] == 9102).unwrap();
    assert_eq!(
        phil["phones"],
        json!([
            {"number": "+14155550177", "kind": "patient", "name": null, "relationship": null, "opted_out": false, "active": true},
            {"number": "+14155550178", "kind": "contact", "name": "Bartholomew Farnsworth", "relationship": "caregiver", "opted_out": false, "active": true}
        ])
    );
    let keys: Vec<&str> = list[0].as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["id", "name", "ecm_patient_id", "fhir_id", "fhir_status", "phones", "time_zone"]);
    assert_eq!(
        (&list[0]["fhir_id"], &list[0]["fhir_status"]),
        (&json!(null), &json!(null)),
        "a CSV patient is not the FHIR server's"
    );
    assert!(list[0]["id"].is_i64());
}

#[test]
fn import_progress_and_human_summary() {
    let (dir, cli) = fresh();
    let file = write_file(dir.path(), "roster.csv", ROSTER_CSV);
    let mut cmd = cli.command(&["patients", "import", file.to_str().unwrap()]);
    cmd.env("CAREDESK_PROGRESS", "1");
    let out = caredesk_tests::run_with_limit(cmd, None, std::time::Duration::from_secs(60)).expect_ok();
    assert!(out.stdout.contains("5 rows: 2 created, 1 updated, 2 rejected"), "{}", out.stdout);
    assert!(out.stdout.contains("row 5: phone: \"12345\""), "{}", out.stdout);
    assert!(out.stderr.contains("importing: 5/5 rows (100%)"), "{}", out.stderr);
}

#[test]
fn fhir_bundle_import_with_contacts_related_persons_and_reimport() {
    let (dir, cli) = fresh();
    let bundle = json!({
        "resourceType": "Bundle", "type": "collection",
        "entry": [
            {"resource": {"resourceType": "Patient", "id": "pat-1",
                "identifier": [{"system": "urn:caredesk:ecm-patient-id", "value": "555"}],
                "name": [{"given": ["Odalys"], "family": "Kettering"}],
                "telecom": [{"system": "sms", "value": "+18055550160"}, {"system": "phone", "value": "+18055550199"}],
                "contact": [{"name": {"text": "Rafe Kettering"}, "relationship": [{"text": "son"}],
                             "telecom": [{"system": "sms", "value": "(805) 555-0161"}]}]}},
            {"resource": {"resourceType": "RelatedPerson", "id": "rp-1", "patient": {"reference": "Patient/pat-1"},
                "name": [{"text": "Ines Carer"}], "relationship": [{"coding": [{"code": "CAREGIVER", "display": "caregiver"}]}],
                "telecom": [{"system": "sms", "value": "805-555-0162"}]}},
            {"resource": {"resourceType": "Patient", "id": "pat-2", "name": [{"text": "Bad Number"}],
                "telecom": [{"system": "sms", "value": "call me"}]}}
        ]
    });
    let file = write_file(dir.path(), "bundle.json", &bundle.to_string());
    // The ECM id is taken only from the configured identifier system.
    cli.ok(&["config", "set", "fhir.ecm_identifier_system", "urn:caredesk:ecm-patient-id"]);
    let s = cli.json(&["patients", "import", file.to_str().unwrap(), "--json"]);
    assert_eq!((s["created"].as_u64(), s["rejected"][0]["row"].as_u64()), (Some(1), Some(3)));
    assert!(s["rejected"][0]["message"].as_str().unwrap().contains("call me"));
    let s2 = cli.json(&["patients", "import", file.to_str().unwrap(), "--json"]);
    assert_eq!((s2["created"].as_u64(), s2["updated"].as_u64()), (Some(0), Some(1)));

    let list = cli.json(&["patients", "list", "--json"]);
    assert_eq!(list.as_array().unwrap().len(), 1);
    let p = &list[0];
    assert_eq!((p["name"].as_str(), p["ecm_patient_id"].as_i64()), (Some("Odalys Kettering"), Some(555)));
    let numbers: Vec<(&str, &str)> = p["phones"]
        .as_array()
        .unwrap()
        .iter()
        .map(|ph| (ph["number"].as_str().unwrap(), ph["kind"].as_str().unwrap()))
        .collect();
    assert_eq!(numbers, [("+18055550160", "patient"), ("+18055550161", "contact"), ("+18055550162", "contact")]);
    assert_eq!(p["phones"][2]["relationship"], "caregiver");

    // A single Patient resource works too.
    let single = write_file(
        dir.path(),
        "one.json",
        r#"{"resourceType":"Patient","name":[{"text":"Solo Patient"}],"telecom":[{"system":"sms","value":"+14155550101"}]}"#,
    );
    cli.ok(&["patients", "import", single.to_str().unwrap()]);
    let found = cli.json(&["patients", "list", "--json", "--search", "solo"]);
    assert_eq!(found[0]["name"], "Solo Patient");
}

#[test]
fn config_set_get_unset_list_and_clear_errors() {
    let (_dir, cli) = fresh();
    assert_eq!(cli.ok(&["config", "get", "sms.via"]).stdout.trim(), "his");
    cli.ok(&["config", "set", "sms.via", "ECM"]);
    assert_eq!(cli.ok(&["config", "get", "sms.via"]).stdout.trim(), "ecm");
    cli.ok(&["config", "set", "user.name", "Dana Coordinator"]);
    let listed = cli.json(&["config", "list", "--json"]);
    let user = listed.as_array().unwrap().iter().find(|s| s["key"] == "user.name").unwrap();
    assert_eq!(user["value"], "Dana Coordinator");
    cli.ok(&["config", "unset", "sms.via"]);
    assert_eq!(cli.ok(&["config", "get", "sms.via"]).stdout.trim(), "his");

    let bad = cli.run(&["config", "set", "http.timeout_secs", "forever"]).expect_err();
    assert!(bad.stderr.contains("http.timeout_secs") && bad.stderr.contains("forever"), "{}", bad.stderr);
    let unknown = cli.run(&["config", "set", "no.such.key", "1"]).expect_err();
    assert!(
        unknown.stderr.contains("unknown setting") && unknown.stderr.contains("his.base_url"),
        "{}",
        unknown.stderr
    );
    let secret = cli.run(&["config", "set", "ecm.token", "abc"]).expect_err();
    assert!(secret.stderr.contains("credentials set ecm-token"), "{}", secret.stderr);
    assert!(cli.run(&["config", "get", "his.base_url"]).expect_err().stderr.contains("not set"));
}

#[test]
fn credentials_come_from_stdin_and_are_never_printed() {
    let (_dir, cli) = fresh();
    let out = cli.run_stdin(&["credentials", "set", "ecm-token"], "tok-QuartzWalrus-991\n").expect_ok();
    assert!(!out.stdout.contains("QuartzWalrus") && !out.stderr.contains("QuartzWalrus"));
    let listed = cli.json(&["credentials", "list", "--json"]);
    assert_eq!(
        listed,
        json!([
            {"name": "his-token", "stored": false, "description": listed[0]["description"]},
            {"name": "his-client-secret", "stored": false, "description": listed[1]["description"]},
            {"name": "ecm-token", "stored": true, "description": listed[2]["description"]},
            {"name": "team-password", "stored": false, "description": listed[3]["description"]},
            {"name": "fhir-token", "stored": false, "description": listed[4]["description"]},
            {"name": "fhir-client-secret", "stored": false, "description": listed[5]["description"]}
        ])
    );
    assert!(!cli.run(&["credentials", "list"]).stdout.contains("QuartzWalrus"));
    cli.run_stdin(&["credentials", "set", "his-token"], "").expect_err();
    cli.run(&["credentials", "set", "password"]).expect_err();
    assert!(cli.ok(&["credentials", "delete", "ecm-token"]).stdout.contains("deleted"));
    assert!(cli.ok(&["credentials", "delete", "ecm-token"]).stdout.contains("was not stored"));
}

#[test]
fn errors_go_to_stderr_with_a_nonzero_exit() {
    let (dir, cli) = fresh();
    let out = cli.run(&["patients", "import", dir.path().join("missing.csv").to_str().unwrap()]).expect_err();
    assert!(out.stdout.is_empty() && out.stderr.starts_with("error: "), "{out:?}");
    let txt = write_file(dir.path(), "roster.txt", "x");
    assert!(cli.run(&["patients", "import", txt.to_str().unwrap()]).expect_err().stderr.contains(".csv or .json"));
    let no_name = write_file(dir.path(), "bad.csv", "phone\n8055550100\n");
    assert!(cli
        .run(&["patients", "import", no_name.to_str().unwrap()])
        .expect_err()
        .stderr
        .contains("\"name\" column"));
}

#[test]
fn without_a_keyring_it_refuses_to_start_and_says_how_to_get_one() {
    let dir = tempfile::tempdir().unwrap();
    let cli = Cli::new(&dir.path().join("data"));
    let mut cmd = cli.command(&["patients", "list"]);
    cmd.env_remove("DBUS_SESSION_BUS_ADDRESS").env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus");
    let out = caredesk_tests::run_with_limit(cmd, None, std::time::Duration::from_secs(60)).expect_err();
    assert!(
        out.stderr.contains("no OS keyring is available") && out.stderr.contains("gnome-keyring"),
        "{}",
        out.stderr
    );
    assert!(!dir.path().join("data").join("caredesk.db").exists(), "no plaintext (or any) database may be created");
}

#[test]
fn send_exit_status_says_what_became_of_the_message() {
    // No server configured: the built-in sandbox answers (its magic numbers refuse).
    let (_dir, cli) = fresh();
    let accepted = cli.run(&["send", "--patient", "ecm:1001", "--text", "exit codes", "--via", "his"]);
    assert_eq!(accepted.code, Some(0), "{accepted:?}");
    assert!(accepted.stdout.contains("accepted by his"), "{}", accepted.stdout);
    // A magic number of the sandbox, not the patient's: confirmed as another number.
    let refused = cli.run(&[
        "send",
        "--patient",
        "ecm:1001",
        "--to",
        "+15005550001",
        "--other-number",
        "--text",
        "x",
        "--via",
        "ecm",
    ]);
    assert_eq!(refused.code, Some(3), "{refused:?}");
    assert!(refused.stdout.starts_with("not sent: ") && refused.stdout.contains("21211"), "{}", refused.stdout);
    assert!(refused.stderr.contains("error: ") && refused.stderr.contains("21211"), "{}", refused.stderr);
    let json = cli.run(&[
        "send",
        "--patient",
        "ecm:1001",
        "--to",
        "+15005550001",
        "--other-number",
        "--text",
        "x",
        "--via",
        "ecm",
        "--json",
    ]);
    assert_eq!(json.code, Some(3), "{json:?}");
    let outcome: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(outcome["status"], "refused");
    let bad = cli.run(&["send", "--patient", "ecm:1001", "--text", "  "]);
    assert_eq!(bad.code, Some(1), "{bad:?}");
    let usage = cli.run(&["send", "--text", "x"]);
    assert_eq!(usage.code, Some(2), "{usage:?}");
    let help = cli.ok(&["send", "--help"]).stdout;
    for code in ["0  accepted", "3  refused", "4  queued or retrying", "5  checking", "6  uncertain"] {
        assert!(help.contains(code), "{code} missing from:\n{help}");
    }
}

#[test]
fn a_number_not_the_patients_is_refused_unless_confirmed_and_then_audited() {
    // No server configured: the built-in sandbox answers; ecm:1001 is Ana
    // Lopez (+18055550100, and her son Luis at +18055550101).
    let (_dir, cli) = fresh();
    let stranger = "805-555-0177";
    for args in [
        vec!["send", "--patient", "ecm:1001", "--to", stranger, "--text", "not for Ana", "--via", "his"],
        vec!["call", "--patient", "ecm:1001", "--to", stranger],
    ] {
        let run = cli.run(&args);
        assert_eq!(run.code, Some(1), "{args:?}: {run:?}");
        assert!(
            run.stderr.contains("error: +1********77 is not one of the patient's numbers")
                && !run.stderr.contains("5550177")
                && !run.stderr.contains("Ana Lopez")
                && run.stderr.contains("hint: add --other-number"),
            "{}",
            run.stderr
        );
    }
    let thread = cli.json(&["thread", "--patient", "ecm:1001", "--json"]);
    assert_eq!(thread, json!([]), "nothing was filed in Ana's thread");
    // --other-number needs --to.
    assert_eq!(cli.run(&["send", "--patient", "ecm:1001", "--other-number", "--text", "x"]).code, Some(2));

    // Her son's number is hers on file: no confirmation.
    cli.ok(&["send", "--patient", "ecm:1001", "--to", "+18055550101", "--text", "to Luis", "--via", "his"]);
    // Confirmed: sent and called, and each audit entry says another number was used.
    let sent = cli.json(&[
        "send",
        "--patient",
        "ecm:1001",
        "--to",
        stranger,
        "--other-number",
        "--text",
        "meant for this number",
        "--via",
        "his",
        "--json",
    ]);
    assert_eq!((sent["status"].as_str(), sent["to"].as_str()), (Some("accepted"), Some("+18055550177")), "{sent}");
    cli.ok(&["call", "--patient", "ecm:1001", "--to", stranger, "--other-number"]);
    let audit = cli.json(&["audit", "--json"]);
    let entries: Vec<(&str, &str)> = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "sms.send" || e["action"] == "call.place")
        .map(|e| (e["action"].as_str().unwrap(), e["detail"].as_str().unwrap()))
        .collect();
    assert_eq!(entries.len(), 3, "{entries:?}");
    assert!(!entries[0].1.contains("other number"), "Luis is on file: {}", entries[0].1);
    for (action, detail) in &entries[1..] {
        assert!(detail.contains("other number, not one of the patient's numbers"), "{action}: {detail}");
        assert!(!detail.contains("5550177"), "{action}: the number is redacted in the detail: {detail}");
    }
}

#[test]
fn a_reimport_with_a_changed_number_texts_the_new_one_and_marks_the_old_no_longer_used() {
    // No server configured: the built-in sandbox answers.
    let (dir, cli) = fresh();
    let first = write_file(dir.path(), "a.csv", "ecm_patient_id,name,phone\n1001,Ana Lopez,+18055550100\n");
    cli.ok(&["patients", "import", first.to_str().unwrap()]);
    let changed = write_file(dir.path(), "b.csv", "ecm_patient_id,name,phone\n1001,Ana Lopez,+18055550111\n");
    cli.ok(&["patients", "import", changed.to_str().unwrap()]);

    let list = cli.json(&["patients", "list", "--json"]);
    let ana = list.as_array().unwrap().iter().find(|p| p["ecm_patient_id"] == 1001).unwrap();
    let phones: Vec<(&str, bool)> = ana["phones"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["number"].as_str().unwrap(), p["active"].as_bool().unwrap()))
        .collect();
    assert_eq!(phones, [("+18055550111", true), ("+18055550100", false)], "{ana}");
    let human = cli.ok(&["patients", "list"]).stdout;
    let old_line = human.lines().find(|l| l.contains("+18055550100")).unwrap();
    assert!(old_line.contains("[no longer used]"), "{human}");
    assert!(!human.lines().find(|l| l.contains("+18055550111")).unwrap().contains("no longer"), "{human}");

    // The default number is the new one.
    let sent = cli.json(&["send", "--patient", "ecm:1001", "--text", "new phone?", "--via", "his", "--json"]);
    assert_eq!(sent["to"], "+18055550111", "{sent}");
    // The old number is sent to only when confirmed as another number.
    let run = cli.run(&["send", "--patient", "ecm:1001", "--to", "+18055550100", "--text", "old phone?"]);
    assert_eq!(run.code, Some(1), "{run:?}");
    cli.ok(&["send", "--patient", "ecm:1001", "--to", "+18055550100", "--other-number", "--text", "old phone?"]);
}

#[test]
fn thread_search_lists_the_matching_texts_and_audits_the_count_only() {
    // No server configured: the built-in sandbox answers; ecm:1001 is Ana Lopez.
    let (_dir, cli) = fresh();
    for text in ["Your Café voucher", "See you Friday", "cafe opens at 9"] {
        cli.ok(&["send", "--patient", "ecm:1001", "--text", text, "--via", "his"]);
    }
    let found = cli.json(&["thread", "--patient", "ecm:1001", "--search", "CAFE", "--json"]);
    let texts: Vec<&str> = found.as_array().unwrap().iter().map(|m| m["text"].as_str().unwrap()).collect();
    assert_eq!(texts, ["Your Café voucher", "cafe opens at 9"], "case and accents aside, in thread order");
    let none = cli.ok(&["thread", "--patient", "ecm:1001", "--search", "zebra"]).stdout;
    assert!(none.starts_with("Ana Lopez (0 items)"), "{none}");

    let audit = cli.json(&["audit", "--json"]);
    let searches: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "thread.search")
        .map(|e| e["detail"].as_str().unwrap())
        .collect();
    assert_eq!(searches.len(), 2, "{audit}");
    assert!(searches.contains(&"2 texts found") && searches.contains(&"0 texts found"), "{searches:?}");
    assert!(!audit.to_string().to_lowercase().contains("zebra"), "the search text is never audited");
}
