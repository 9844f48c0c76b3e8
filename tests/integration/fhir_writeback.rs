//! The FHIR write-back against a real FHIR R4 server (SEKMET, started per
//! test on 127.0.0.1) behind a fault proxy (tests/support/fault_proxy.rs),
//! with texts sent and received and a call placed through the sandbox:
//! 503s, writes whose answer is lost (dropped, or held past the client's
//! timeout) and a `caredesk sync` killed (SIGKILL) while it drains the
//! queue. Then, searched on the server by identifier: exactly one
//! Communication per text and call (duplicates 0), its status the text's
//! state, its references resolving; one Encounter per conversation with the
//! coordinator who wrote in it and the contact (RelatedPerson) in spec
//! 001's extension; every resource valid for an independent validator
//! (fhir.resources, tests/support/fhir_validate.py); texts of patients the
//! server does not manage not written, and the thread saying why.
//!
//! Run inside tests/support/with-keyring.sh (the CLI keeps its tokens in the keyring).

use std::{
    collections::{BTreeMap, BTreeSet},
    path::PathBuf,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use caredesk_core::sandbox::{Inbound, SandboxOptions};
use caredesk_tests::{
    configured_cli,
    fault_proxy::{Fault, FaultProxy},
    fhir::FhirServer,
    run_with_limit, ChildGuard, Cli, Sim,
};
use serde_json::{json, Value};

const ECM_SYSTEM: &str = "urn:caredesk:ecm-patient-id";
const A_NUMBER: &str = "+18055550200";
const A_CONTACT: &str = "+18055550202";
const B_NUMBER: &str = "+18055550201";
const STRANGER: &str = "+18055559999";
/// Ana Lopez of the CSV roster: not on the FHIR server.
const CSV_NUMBER: &str = "+18055550100";
const COORDINATOR: &str = "Practitioner/coord-1";

fn seed(server: &FhirServer) {
    let patient = |id: &str, given: &str, number: &str, ecm: Option<&str>| {
        let mut p = json!({"resourceType": "Patient", "id": id,
            "name": [{"given": [given], "family": "Fhirson"}], "telecom": [{"system": "sms", "value": number}]});
        if let Some(ecm) = ecm {
            p["identifier"] = json!([{"system": ECM_SYSTEM, "value": ecm}]);
        }
        p
    };
    server.put_all(&[
        patient("pat-a", "Alma", A_NUMBER, None),
        patient("pat-b", "Bruno", B_NUMBER, Some("1003")),
        json!({"resourceType": "RelatedPerson", "id": "rp-a", "patient": {"reference": "Patient/pat-a"},
               "name": [{"text": "Carla Fhirson"}], "relationship": [{"text": "daughter"}],
               "telecom": [{"system": "sms", "value": A_CONTACT}]}),
        json!({"resourceType": "Practitioner", "id": "coord-1", "name": [{"text": "Care Coordinator"}]}),
    ]);
}

fn run(cli: &Cli, args: &[&str], limit: u64) -> caredesk_tests::Run {
    run_with_limit(cli.command(args), None, Duration::from_secs(limit))
}

/// CareDesk's id of the patient with FHIR id `fhir_id` (or the name).
fn patient_id(cli: &Cli, key: &str, value: &str) -> String {
    let list = cli.json(&["patients", "list", "--json"]);
    let p = list.as_array().unwrap().iter().find(|p| p[key] == value).unwrap_or_else(|| panic!("{value} in {list:#}"));
    p["id"].to_string()
}

fn queue(cli: &Cli) -> Value {
    cli.json(&["fhir", "status", "--json"])["write_queue"].clone()
}

/// Communications on the server with this identifier.
fn by_identifier(server: &FhirServer, system: &str, value: &str) -> Vec<Value> {
    let (status, bundle) =
        server.request(reqwest::Method::GET, &format!("Communication?identifier={system}|{value}&_count=50"), None);
    assert_eq!(status, 200, "{bundle}");
    bundle["entry"].as_array().cloned().unwrap_or_default().into_iter().map(|e| e["resource"].clone()).collect()
}

/// The validator's python: `CAREDESK_FHIR_VALIDATOR_PY` (tasks.sh), else
/// the venv under target/.
fn validator_python() -> PathBuf {
    if let Some(p) = std::env::var_os("CAREDESK_FHIR_VALIDATOR_PY") {
        return PathBuf::from(p);
    }
    let venv = caredesk_tests::target_dir().parent().unwrap().join("fhir-validator-venv/bin/python");
    assert!(
        venv.exists(),
        "the FHIR validator is not installed ({} is missing): run ./tasks.sh test, or\n  \
         python3 -m venv target/fhir-validator-venv && target/fhir-validator-venv/bin/pip install fhir.resources==6.4.0 pydantic==1.10.21",
        venv.display()
    );
    venv
}

fn validate(resources: &[Value], dir: &std::path::Path) -> String {
    let file = dir.join("resources.json");
    std::fs::write(&file, serde_json::to_string_pretty(resources).unwrap()).unwrap();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("support/fhir_validate.py");
    let mut cmd = Command::new(validator_python());
    cmd.arg(script).arg(&file).stdin(Stdio::null());
    let out = run_with_limit(cmd, None, Duration::from_secs(120));
    assert!(out.ok(), "the independent validator refused CareDesk's resources:\n{}{}", out.stdout, out.stderr);
    out.stdout
}

#[test]
fn every_text_and_call_is_recorded_once_through_faults_and_a_kill() {
    let server = FhirServer::start();
    seed(&server);
    let sim = Sim::start(SandboxOptions { replies: false, ..SandboxOptions::for_tests() });
    let dir = tempfile::tempdir().unwrap();
    let cli = configured_cli(&sim, dir.path());
    cli.ok(&["config", "set", "fhir.base_url", &server.base_url]);
    cli.ok(&["config", "set", "fhir.page_size", "1"]);
    cli.ok(&["config", "set", "fhir.ecm_identifier_system", ECM_SYSTEM]);
    cli.run_stdin(&["credentials", "set", "fhir-token"], &server.token).expect_ok();
    let pulled = cli.json(&["fhir", "pull", "--json"]);
    assert_eq!(pulled["patients_new"].as_u64(), Some(2), "{pulled:#}");
    let pages = pulled["pages"].as_u64().unwrap();
    eprintln!("FIGURES pull: {} patients pulled, {} pages", pulled["patients_new"], pages);

    // Writes go through the fault proxy from now on.
    let proxy = FaultProxy::start(server.port, "/fhir");
    cli.ok(&["config", "set", "fhir.base_url", &proxy.base_url]);
    cli.run_stdin(&["credentials", "set", "fhir-token"], &server.token).expect_ok();
    for (k, v) in [
        ("sms.undo_seconds", "0"),
        ("sync.interval_secs", "1"),
        ("http.timeout_secs", "2"),
        ("fhir.coordinator_reference", COORDINATOR),
    ] {
        cli.ok(&["config", "set", k, v]);
    }
    let a = patient_id(&cli, "fhir_id", "pat-a");
    let b = patient_id(&cli, "fhir_id", "pat-b");
    let ana = patient_id(&cli, "name", "Ana Lopez");

    // Texts out (to a patient, to a patient's contact, to a CSV patient), a call.
    cli.ok(&["send", "--patient", &a, "--text", "Alma, your visit is on Monday"]);
    cli.ok(&["send", "--patient", &a, "--to", A_CONTACT, "--text", "Carla, please remind Alma"]);
    cli.ok(&["send", "--patient", &b, "--text", "Bruno, bring your card"]);
    cli.ok(&["send", "--patient", &ana, "--text", "Ana, see you soon"]);
    cli.ok(&["call", "--patient", &b]);
    // Texts in, from each of them and from a stranger.
    for (from, text) in [
        (A_NUMBER, "Thanks, Monday works"),
        (A_CONTACT, "I will remind her"),
        (B_NUMBER, "OK"),
        (CSV_NUMBER, "Thank you"),
        (STRANGER, "Who is this?"),
    ] {
        sim.h().inject_inbound(Inbound { from: from.into(), text: Some(text.into()), ..Inbound::default() }).unwrap();
    }

    // Faults on the first writes; every write slowed, so the kill lands mid-queue.
    let delay = Duration::from_secs(3);
    proxy.set_write_faults(vec![
        Some(Fault::Unavailable),
        Some(Fault::DropAnswer),
        None,
        Some(Fault::DelayAnswer(delay)),
        None,
        Some(Fault::DropAnswer),
        None,
        Some(Fault::Unavailable),
        None,
        Some(Fault::DelayAnswer(delay)),
    ]);
    proxy.slow_writes(Duration::from_millis(700));
    let mut sync = ChildGuard::spawn(cli.command(&["sync"]).stdout(Stdio::null()).stderr(Stdio::null()));
    let started = Instant::now();
    while server.all("Communication").len() < 3 {
        assert!(started.elapsed() < Duration::from_secs(120), "no Communication written within 2 minutes");
        std::thread::sleep(Duration::from_millis(200));
    }
    sync.kill_now();
    let mid = queue(&cli);
    eprintln!("FIGURES killed mid-queue: {mid}");
    assert!(mid["pending"].as_u64().unwrap() > 0, "the kill came after the queue was drained: {mid:#}");

    // Another run finishes the queue (its backoff waits honoured: runs again).
    proxy.slow_writes(Duration::ZERO);
    let started = Instant::now();
    let mut runs = 0;
    loop {
        runs += 1;
        run(&cli, &["sync", "--once"], 120);
        let q = queue(&cli);
        let outbound_open = [&a, &b].iter().any(|p| {
            cli.json(&["thread", "--patient", p, "--json"])
                .as_array()
                .unwrap()
                .iter()
                .any(|i| i["kind"] == "sms" && matches!(i["state"].as_str(), Some("queued" | "sending")))
        });
        if q["pending"] == 0 && !outbound_open {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(180),
            "the queue did not drain: {q:#}\n{:#}\n{:#}",
            cli.json(&["thread", "--patient", &a, "--json"]),
            cli.json(&["thread", "--patient", &b, "--json"])
        );
        std::thread::sleep(Duration::from_millis(700));
    }
    let q = queue(&cli);
    eprintln!("FIGURES after {runs} more sync run(s): {q}");
    assert_eq!((q["pending"].as_u64(), q["failed"].as_u64()), (Some(0), Some(0)), "{q:#}");
    let stats = proxy.stats();
    eprintln!("FIGURES proxy: {stats:?}");
    assert!(stats.unavailable >= 1 && stats.dropped >= 1 && stats.delayed >= 1, "{stats:?}");
    assert_eq!(proxy.faults_left(), 0, "every planned fault was met");

    // Exactly one Communication per text and call, its status the item's state.
    let mut expected = 0;
    let mut by_conversation: BTreeMap<String, usize> = BTreeMap::new();
    for (p, fhir_id) in [(&a, "pat-a"), (&b, "pat-b")] {
        let thread = cli.json(&["thread", "--patient", p, "--json"]);
        for item in thread.as_array().unwrap() {
            let (system, kind) = if item["kind"] == "call" {
                ("urn:caredesk:call", caredesk_core::rules::fhir::writeback::Medium::Phone)
            } else {
                ("urn:caredesk:message", caredesk_core::rules::fhir::writeback::Medium::Sms)
            };
            let found = by_identifier(&server, system, &format!("local-{}", item["id"]));
            assert_eq!(found.len(), 1, "{item:#}: {found:#?}");
            let want = caredesk_core::rules::fhir::writeback::communication_status(
                kind,
                item["state"].as_str().unwrap(),
                None,
            )
            .unwrap();
            assert_eq!(found[0]["status"], want.status, "{item:#}");
            assert_eq!(found[0]["subject"]["reference"], format!("Patient/{fhir_id}"));
            assert_eq!(item["fhir"]["state"], "recorded", "{item:#}");
            assert_eq!(item["fhir"]["reference"], format!("Communication/{}", found[0]["id"].as_str().unwrap()));
            if item["kind"] == "sms" {
                assert_eq!(found[0]["payload"][0]["contentString"], item["text"]);
            }
            expected += 1;
            *by_conversation.entry(fhir_id.to_string()).or_default() += 1;
        }
    }
    let communications = server.all("Communication");
    assert_eq!(expected, 7, "4 texts of pat-a, 2 texts and a call of pat-b");
    let identifiers: BTreeSet<String> = communications
        .iter()
        .map(|c| format!("{}|{}", c["identifier"][0]["system"], c["identifier"][0]["value"]))
        .collect();
    let duplicates = communications.len() - identifiers.len();
    eprintln!("FIGURES Communications written: {}, duplicates: {duplicates}", communications.len());
    assert_eq!((communications.len(), duplicates), (expected, 0));

    // The CSV patient's and the stranger's texts are not written, and say why.
    let thread = cli.json(&["thread", "--patient", &ana, "--json"]);
    for item in thread.as_array().unwrap() {
        assert_eq!(item["fhir"]["state"], "skipped", "{item:#}");
        assert_eq!(item["fhir"]["reason"], "patient not on the FHIR server");
    }
    assert_eq!(q["skipped"].as_u64(), Some(3), "Ana's two texts and the stranger's: {q:#}");
    assert_eq!(q["written"].as_u64(), Some(7), "{q:#}");

    // One Encounter per conversation, with who took part.
    let encounters = server.all("Encounter");
    eprintln!("FIGURES Encounters: {}", encounters.len());
    assert_eq!(encounters.len(), 2, "{encounters:#?}");
    for e in &encounters {
        let subject = e["subject"]["reference"].as_str().unwrap();
        let who = caredesk_core::rules::fhir::writeback::Participants::of_encounter(e);
        assert_eq!(who.participants, vec![COORDINATOR.to_string()], "{e:#}");
        let others: Vec<String> = if subject == "Patient/pat-a" { vec!["RelatedPerson/rp-a".into()] } else { vec![] };
        assert_eq!(who.others, others, "{e:#}");
        assert_eq!((e["status"].as_str(), e["class"]["code"].as_str()), (Some("in-progress"), Some("VR")));
        let id = e["id"].as_str().unwrap();
        let members =
            communications.iter().filter(|c| c["encounter"]["reference"] == format!("Encounter/{id}")).count();
        assert_eq!(members, by_conversation[subject.trim_start_matches("Patient/")], "{subject}");
    }

    // Every reference resolves; the contact's texts name the RelatedPerson.
    let mut refs = BTreeSet::new();
    for c in &communications {
        for r in [&c["subject"], &c["sender"], &c["recipient"][0], &c["encounter"]] {
            refs.insert(r["reference"].as_str().unwrap().to_string());
        }
    }
    assert!(refs.contains("RelatedPerson/rp-a") && refs.contains(COORDINATOR), "{refs:?}");
    for r in &refs {
        let (status, body) = server.request(reqwest::Method::GET, r, None);
        assert_eq!(status, 200, "{r} does not resolve: {body}");
    }

    // An independent validator accepts every resource CareDesk wrote.
    let mut all = communications.clone();
    all.extend(encounters);
    let report = validate(&all, dir.path());
    eprintln!("FIGURES validator: {}", report.lines().last().unwrap_or_default());
    drop(sim);
}
