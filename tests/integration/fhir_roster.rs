//! The roster from a real FHIR R4 server (SEKMET, started per test on
//! 127.0.0.1: tests/support/fhir.rs): a full pull of a few hundred Patients
//! and RelatedPersons over several pages compared with what the server
//! holds, incremental pulls that see exactly what changed on the server
//! (edits, additions, `active: false`, deletions), a full pull that finds a
//! deletion by reading, `caredesk fhir check`, bearer and client-credentials
//! sign-in, a paging link to another origin, the engine's own interval and
//! the client's conditional writes for the write-back.
//!
//! Run inside tests/support/with-keyring.sh (the CLI keeps fhir-token in the
//! keyring).

use std::{
    collections::{BTreeMap, BTreeSet},
    process::Command,
    sync::{mpsc, Arc, Mutex},
    time::{Duration, Instant},
};

use caredesk_tests::{fhir::FhirServer, require_keyring, run_with_limit, Cli, Run};
use serde_json::{json, Value};

const ECM_SYSTEM: &str = "urn:caredesk:ecm-patient-id";
/// Patients seeded in bulk, besides the special ones.
const BULK: usize = 240;
const PAGE: &str = "50";

// ---------------------------------------------------------------- seed data

fn patient(id: &str, given: &str, family: &str, telecom: Value) -> Value {
    json!({"resourceType": "Patient", "id": id,
           "name": [{"use": "official", "given": [given], "family": family}], "telecom": telecom})
}

fn sms(number: &str) -> Value {
    json!({"system": "sms", "value": number})
}

fn related(id: &str, patient: &str, name: &str, number: &str) -> Value {
    json!({"resourceType": "RelatedPerson", "id": id, "patient": {"reference": format!("Patient/{patient}")},
           "name": [{"text": name}], "relationship": [{"coding": [{"code": "CAREGIVER", "display": "caregiver"}]}],
           "telecom": [sms(number)]})
}

fn bulk_patient(i: usize) -> Value {
    let mut p = patient(
        &format!("pat-{i:03}"),
        &format!("Given{i}"),
        &format!("Family{i}"),
        json!([sms(&format!("+1805556{i:04}"))]),
    );
    if i.is_multiple_of(2) {
        p["identifier"] = json!([{"system": ECM_SYSTEM, "value": (10_000 + i).to_string()}]);
    }
    if i.is_multiple_of(3) {
        p["contact"] = json!([{"name": {"text": format!("Contact{i}")}, "relationship": [{"text": "daughter"}],
                               "telecom": [sms(&format!("+1805557{i:04}"))]}]);
    }
    p
}

/// A few hundred Patients and RelatedPersons: contacts, an inactive
/// patient, a deleted one, ended numbers, a number that is no number, a
/// patient with only a `phone` telecom, an inactive RelatedPerson; then,
/// a second later, one more of each (so a cursor lies after the bulk).
fn seed(server: &FhirServer) {
    let mut all: Vec<Value> = (0..BULK).map(bulk_patient).collect();
    all.extend((0..60).map(|i| {
        related(&format!("rp-{i:03}"), &format!("pat-{:03}", i * 4), &format!("Carer{i}"), &format!("+1805558{i:04}"))
    }));
    let mut inactive = patient("pat-inactive", "Ina", "Active", json!([sms("+18055590001")]));
    inactive["active"] = json!(false);
    all.push(inactive);
    all.push(patient(
        "pat-ended",
        "Enda",
        "Ended",
        json!([
        {"system": "sms", "value": "+18055590002", "period": {"start": "2019-01-01", "end": "2020-01-01"}},
        sms("+18055590003")]),
    ));
    all.push(patient(
        "pat-ended-only",
        "Olly",
        "Ended",
        json!([
        {"system": "sms", "value": "+18055590004", "period": {"end": "2021-06-30T00:00:00Z"}}]),
    ));
    all.push(patient("pat-phone-only", "Phil", "Phone", json!([{"system": "phone", "value": "+18055590005"}])));
    all.push(patient("pat-badnum", "Bad", "Number", json!([sms("call me"), sms("+18055590006")])));
    all.push(patient("pat-deleted", "Del", "Eted", json!([sms("+18055590007")])));
    let mut rp_inactive = related("rp-inactive", "pat-001", "Former Carer", "+18055590008");
    rp_inactive["active"] = json!(false);
    all.push(rp_inactive);
    server.put_all(&all);
    server.delete("Patient", "pat-deleted");
    std::thread::sleep(Duration::from_millis(1300));
    server.put(&patient("pat-late", "Late", "Comer", json!([sms("+18055590009")])));
    server.put(&related("rp-late", "pat-late", "Late Carer", "+18055590010"));
}

// ------------------------------------------- the roster, on both sides

/// One patient of a roster: name, ECM id, standing, current numbers
/// (number, kind, contact name, relationship).
type Entry = (String, Option<i64>, String, BTreeSet<(String, String, String, String)>);

/// The roster the server's resources make, worked out here independently
/// of CareDesk's mapping: current `sms` numbers (valid E.164 only) of the
/// Patient, its contacts and its active RelatedPersons; patients without
/// any are not in the roster. `deleted` adds patients known deleted.
fn expected(server: &FhirServer, deleted: &BTreeMap<String, Entry>) -> BTreeMap<String, Entry> {
    let now = chrono::Utc::now().date_naive().to_string();
    let current = |telecom: &Value| -> Vec<String> {
        telecom
            .as_array()
            .into_iter()
            .flatten()
            .filter(|t| t["system"] == "sms")
            .filter(|t| t["period"]["end"].as_str().is_none_or(|end| end[..10] >= *now))
            .filter_map(|t| t["value"].as_str())
            .filter(|v| v.starts_with('+'))
            .map(String::from)
            .collect()
    };
    let mut related: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for rp in server.all("RelatedPerson") {
        if rp["active"] != false {
            let pid = rp["patient"]["reference"].as_str().unwrap().trim_start_matches("Patient/").to_string();
            related.entry(pid).or_default().push(rp);
        }
    }
    let mut out = deleted.clone();
    for p in server.all("Patient") {
        let id = p["id"].as_str().unwrap().to_string();
        let n = &p["name"][0];
        let name = format!("{} {}", n["given"][0].as_str().unwrap(), n["family"].as_str().unwrap());
        let ecm = p["identifier"][0]["value"].as_str().map(|v| v.parse().unwrap());
        let mut numbers = BTreeSet::new();
        for number in current(&p["telecom"]) {
            numbers.insert((number, "patient".into(), String::new(), String::new()));
        }
        for c in p["contact"].as_array().into_iter().flatten() {
            for number in current(&c["telecom"]) {
                let rel = c["relationship"][0]["text"].as_str().unwrap_or_default().to_string();
                numbers.insert((number, "contact".into(), c["name"]["text"].as_str().unwrap().into(), rel));
            }
        }
        for rp in related.get(&id).into_iter().flatten() {
            for number in current(&rp["telecom"]) {
                let rel = rp["relationship"][0]["coding"][0]["display"].as_str().unwrap().to_string();
                numbers.insert((number, "contact".into(), rp["name"][0]["text"].as_str().unwrap().into(), rel));
            }
        }
        if numbers.is_empty() {
            continue;
        }
        let status = if p["active"] == false { "inactive" } else { "active" };
        out.insert(id, (name, ecm, status.into(), numbers));
    }
    out
}

/// CareDesk's roster: every patient, by FHIR id, with their current numbers.
fn caredesk_roster(cli: &Cli) -> BTreeMap<String, Entry> {
    let list = cli.json(&["patients", "list", "--json"]);
    let mut out = BTreeMap::new();
    for p in list.as_array().unwrap() {
        let id = p["fhir_id"].as_str().unwrap_or_else(|| panic!("a patient without fhir_id: {p}")).to_string();
        let numbers = p["phones"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|ph| ph["active"] == true)
            .map(|ph| {
                let s = |k: &str| ph[k].as_str().unwrap_or_default().to_string();
                (s("number"), s("kind"), s("name"), s("relationship"))
            })
            .collect();
        let status = p["fhir_status"].as_str().unwrap_or("(none)").to_string();
        let entry = (p["name"].as_str().unwrap().to_string(), p["ecm_patient_id"].as_i64(), status, numbers);
        assert!(out.insert(id.clone(), entry).is_none(), "{id} twice");
    }
    out
}

#[track_caller]
fn assert_same(have: &BTreeMap<String, Entry>, want: &BTreeMap<String, Entry>) {
    let missing: Vec<&String> = want.keys().filter(|k| !have.contains_key(*k)).collect();
    let extra: Vec<&String> = have.keys().filter(|k| !want.contains_key(*k)).collect();
    let differ: Vec<(&String, &Entry, &Entry)> =
        want.iter().filter_map(|(k, w)| have.get(k).filter(|h| *h != w).map(|h| (k, h, w))).collect();
    assert!(
        missing.is_empty() && extra.is_empty() && differ.is_empty(),
        "CareDesk's roster differs from the server's:\nmissing {missing:?}\nextra {extra:?}\ndiffer (have, want) {differ:#?}"
    );
}

/// The FHIR ids whose entries differ between two rosters.
fn changed(before: &BTreeMap<String, Entry>, after: &BTreeMap<String, Entry>) -> BTreeSet<String> {
    before.keys().chain(after.keys()).filter(|k| before.get(*k) != after.get(*k)).cloned().collect()
}

// ------------------------------------------------------------- the CLI

/// A CLI pointed at `server` with its bearer token, pages of 50, the ECM
/// identifier system set.
fn configured(server: &FhirServer, dir: &std::path::Path) -> Cli {
    require_keyring();
    let cli = Cli::new(&dir.join("data"));
    caredesk_tests::quiet_hours_off(&cli);
    cli.ok(&["config", "set", "fhir.base_url", &server.base_url]);
    cli.ok(&["config", "set", "fhir.page_size", PAGE]);
    cli.ok(&["config", "set", "fhir.ecm_identifier_system", ECM_SYSTEM]);
    cli.run_stdin(&["credentials", "set", "fhir-token"], &server.token).expect_ok();
    cli
}

/// `caredesk ARGS` with a one-second overlap, so an incremental pull of a
/// server seeded seconds ago reads only what changed.
fn run(cli: &Cli, args: &[&str]) -> Run {
    let mut c: Command = cli.command(args);
    c.env("CAREDESK_FHIR_OVERLAP_SECS", "1");
    run_with_limit(c, None, Duration::from_secs(120))
}

#[track_caller]
fn pull(cli: &Cli, args: &[&str]) -> Value {
    let out = run(cli, &[&["fhir", "pull", "--json"], args].concat()).expect_ok();
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.stdout))
}

/// [pages, new, updated, deactivated, deleted, numbers added, numbers no
/// longer used, patients the server has without a number to text]
fn counts(r: &Value) -> [u64; 8] {
    let n = |k: &str| r[k].as_u64().unwrap_or_else(|| panic!("{k} in {r}"));
    [
        n("pages"),
        n("patients_new"),
        n("patients_updated"),
        n("patients_deactivated"),
        n("patients_deleted"),
        n("numbers_added"),
        n("numbers_removed"),
        r["roster"]["without_numbers"].as_u64().unwrap(),
    ]
}

#[test]
fn a_full_pull_then_incremental_pulls_see_exactly_the_servers_changes() {
    let server = FhirServer::start();
    seed(&server);
    let dir = tempfile::tempdir().unwrap();
    let cli = configured(&server, dir.path());

    // The first pull is full: 246 Patients in 5 pages of 50, 62 RelatedPersons in 2.
    let started = Instant::now();
    let first = pull(&cli, &[]);
    let took = started.elapsed();
    assert_eq!((first["full"].as_bool(), first["complete"].as_bool()), (Some(true), Some(true)), "{first:#}");
    let numbers_first = (BULK + BULK.div_ceil(3) + 60 + 5) as u64;
    assert_eq!(counts(&first), [7, 244, 0, 1, 0, numbers_first, 0, 2], "{first:#}");
    assert_eq!(first["resources"].as_u64(), Some(246 + 62));
    let problems = first["problems"].to_string();
    assert!(problems.contains("Patient/pat-badnum: Patient.telecom: a value that is not a phone number"), "{problems}");
    assert!(
        !problems.contains("Bad Number") && !problems.contains("call me"),
        "a report quotes no content: {problems}"
    );
    assert_eq!(first["problems_total"].as_u64(), Some(1), "{problems}");
    let before = caredesk_roster(&cli);
    assert_same(&before, &expected(&server, &BTreeMap::new()));
    assert!(
        !before.contains_key("pat-deleted")
            && !before.contains_key("pat-ended-only")
            && !before.contains_key("pat-phone-only")
    );
    assert_eq!(before["pat-inactive"].2, "inactive");
    eprintln!("first pull: {} patients, {} pages, in {took:?}", before.len(), first["pages"]);

    // Changes on the server: a name, a number, a new contact, two new
    // patients (one reachable only through its RelatedPerson), active:
    // false, a deleted patient, a deleted and a new RelatedPerson.
    let mut p = bulk_patient(10);
    p["name"][0]["family"] = json!("Renamed");
    server.put(&p);
    let mut p = bulk_patient(11);
    p["telecom"] = json!([sms("+18055590011")]);
    server.put(&p);
    let mut p = bulk_patient(13);
    p["contact"] =
        json!([{"name": {"text": "New Contact"}, "relationship": [{"text": "son"}], "telecom": [sms("+18055590013")]}]);
    server.put(&p);
    server.put(&patient("pat-new-1", "Nova", "One", json!([sms("+18055590021")])));
    server.put(&patient("pat-new-2", "Nova", "Two", json!([])));
    server.put(&related("rp-new-1", "pat-new-2", "Nova's Carer", "+18055590022"));
    let mut p = bulk_patient(20);
    p["active"] = json!(false);
    server.put(&p);
    let mut gone = before.clone();
    let mut was = gone.remove("pat-021").unwrap();
    was.2 = "deleted".into();
    server.delete("Patient", "pat-021");
    server.delete("RelatedPerson", "rp-007");
    server.put(&related("rp-new-2", "pat-030", "Second Carer", "+18055590030"));

    let second = pull(&cli, &[]);
    assert_eq!((second["full"].as_bool(), second["complete"].as_bool()), (Some(false), Some(true)), "{second:#}");
    // One page of each type; 010, 011, 013, 020, 021, 028 (lost rp-007) and 030 updated.
    assert_eq!(counts(&second), [2, 2, 7, 2, 1, 5, 2, 2], "{second:#}");
    assert_eq!(second["unchanged"].as_u64(), Some(2), "pat-late and rp-late, read again in the overlap: {second:#}");
    let after = caredesk_roster(&cli);
    let deleted: BTreeMap<String, Entry> = [("pat-021".to_string(), was)].into_iter().collect();
    assert_same(&after, &expected(&server, &deleted));
    let want: BTreeSet<String> =
        ["pat-010", "pat-011", "pat-013", "pat-020", "pat-021", "pat-028", "pat-030", "pat-new-1", "pat-new-2"]
            .into_iter()
            .map(String::from)
            .collect();
    assert_eq!(changed(&before, &after), want, "exactly the patients changed on the server");

    // Nothing changed since: nothing changes.
    let third = pull(&cli, &[]);
    assert_eq!(counts(&third), [2, 0, 0, 0, 0, 0, 0, 2], "{third:#}");
    assert_eq!(caredesk_roster(&cli), after);

    // A deletion on a server between full pulls, found by the full pull's reads.
    server.delete("Patient", "pat-022");
    let full = pull(&cli, &["--full"]);
    assert_eq!(full["full"].as_bool(), Some(true));
    assert_eq!(counts(&full)[..5], [7, 0, 1, 1, 1], "{full:#}");
    assert_eq!(caredesk_roster(&cli)["pat-022"].2, "deleted");

    // Inactive and deleted patients get nothing, and say why.
    for fhir_id in ["pat-020", "pat-021"] {
        let id = cli
            .json(&["patients", "list", "--json"])
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["fhir_id"] == fhir_id)
            .unwrap()["id"]
            .to_string();
        let out = cli.run(&["send", "--patient", &id, "--text", "hello"]).expect_err();
        assert!(
            out.stderr.contains("on the clinic's FHIR server")
                && out.stderr.contains(if fhir_id == "pat-020" { "inactive" } else { "deleted" }),
            "{}",
            out.stderr
        );
    }
    let human = cli.ok(&["patients", "list", "--search", "Given20"]).stdout;
    assert!(human.contains("[inactive on the FHIR server: not texted]"), "{human}");

    let status = cli.json(&["fhir", "status", "--json"]);
    assert!(status["last_pull_at"].is_string() && status["last_full_pull_at"].is_string(), "{status:#}");
    assert_eq!(status["roster"]["deleted"].as_i64(), Some(2), "{status:#}");
    assert_eq!(status["roster"]["inactive"].as_i64(), Some(2), "{status:#}");
    assert_eq!(status["write_queue"]["pending"].as_u64(), Some(0));
    let audit = cli.ok(&["audit", "--limit", "50"]).stdout;
    assert!(audit.contains("fhir.pull") && !audit.contains("Given10"), "pulls are audited by counts only: {audit}");
}

#[test]
fn fhir_check_reports_what_the_server_supports_and_what_is_wrong() {
    let server = FhirServer::start();
    let dir = tempfile::tempdir().unwrap();
    let cli = configured(&server, dir.path());
    let out = cli.json(&["fhir", "check", "--json"]);
    assert_eq!(out["ok"], true, "{out:#}");
    let needs: BTreeMap<String, String> = out["check"]["needs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["what"].as_str().unwrap().to_string(), n["supported"].as_str().unwrap().to_string()))
        .collect();
    for need in [
        "Patient search",
        "Patient search with _lastUpdated",
        "Patient search with _count",
        "RelatedPerson search",
        "Patient and RelatedPerson history (finds deletions between full pulls)",
        "Communication conditional create (If-None-Exist)",
        "Communication update",
        "Encounter create",
        "Encounter conditional create (If-None-Exist)",
    ] {
        assert_eq!(needs.get(need).map(String::as_str), Some("yes"), "{need}: {needs:#?}");
    }
    assert_eq!(out["check"]["fhir_version"], "4.0.1");
    let human = cli.ok(&["fhir", "check"]).stdout;
    assert!(
        human.contains("yes         Patient search with _lastUpdated") && human.contains("The roster can be pulled"),
        "{human}"
    );

    // A token the server does not know: refused, with what to do.
    cli.run_stdin(&["credentials", "set", "fhir-token"], "not-the-token").expect_ok();
    let e = cli.run(&["fhir", "check"]).expect_err();
    assert!(e.stderr.contains("refused the token fhir-token") && !e.stderr.contains("not-the-token"), "{}", e.stderr);
    // An address that is not the FHIR base.
    cli.ok(&["config", "set", "fhir.base_url", &format!("http://127.0.0.1:{}/nothing", server.port)]);
    cli.run_stdin(&["credentials", "set", "fhir-token"], &server.token).expect_ok();
    let e = cli.run(&["fhir", "check"]).expect_err();
    assert!(e.stderr.contains("does not look like a FHIR server"), "{}", e.stderr);
    // Plain http:// to another computer is refused before anything is sent.
    let e = cli.run(&["config", "set", "fhir.base_url", "http://fhir.clinic.example/r4"]).expect_err();
    assert!(e.stderr.contains("unencrypted"), "{}", e.stderr);
}

#[test]
fn client_credentials_get_a_token_from_the_token_endpoint() {
    let server = FhirServer::start();
    server.put(&patient("p1", "Ana", "Lopez", json!([sms("+18055550100")])));
    let dir = tempfile::tempdir().unwrap();
    require_keyring();
    let cli = Cli::new(&dir.path().join("data"));
    cli.ok(&["config", "set", "fhir.base_url", &server.base_url]);
    cli.ok(&["config", "set", "fhir.auth", "client_credentials"]);
    cli.ok(&["config", "set", "fhir.token_url", &server.token_url()]);
    cli.ok(&["config", "set", "fhir.client_id", caredesk_tests::fhir::CLIENT_ID]);
    cli.ok(&["config", "set", "fhir.scope", "system/*.read"]);
    cli.run_stdin(&["credentials", "set", "fhir-client-secret"], "wrong-secret").expect_ok();
    let e = cli.run(&["fhir", "pull"]).expect_err();
    assert!(e.stderr.contains("invalid_client") && e.stderr.contains("fhir-client-secret"), "{}", e.stderr);
    assert!(!e.stderr.contains("wrong-secret"), "{}", e.stderr);
    cli.run_stdin(&["credentials", "set", "fhir-client-secret"], &server.client_secret).expect_ok();
    let r = pull(&cli, &[]);
    assert_eq!(r["patients_new"].as_u64(), Some(1), "{r:#}");
    assert_eq!(cli.json(&["patients", "list", "--json"])[0]["fhir_id"], "p1");
}

#[test]
fn a_paging_link_to_another_origin_is_not_followed() {
    // The server names itself "localhost" in its links; CareDesk knows it as 127.0.0.1.
    let server = FhirServer::start_with("localhost");
    let many: Vec<Value> = (0..60).map(bulk_patient).collect();
    server.put_all(&many);
    let dir = tempfile::tempdir().unwrap();
    let cli = configured(&server, dir.path());
    let out = run(&cli, &["fhir", "pull", "--json"]).expect_err();
    assert!(out.stderr.contains("the pull stopped before the last page"), "{}", out.stderr);
    let r: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!((r["complete"].as_bool(), r["patients_new"].as_u64()), (Some(false), Some(50)), "{r:#}");
    let notes = r["notes"].to_string();
    assert!(notes.contains("paging link leads to another server (http://localhost:"), "{notes}");
    // Nothing was cursored past the page not read: the next pull is full again.
    assert_eq!(cli.json(&["fhir", "status", "--json"])["patient_cursor"], Value::Null);
}

#[test]
fn the_engine_pulls_on_its_own_interval_and_on_demand_without_holding_the_desk() {
    use caredesk_core::{
        desk::{secrets, Desk, DeskOptions, KeyringChoice},
        engine::{self, EngineEvent},
    };
    let server = FhirServer::start();
    let many: Vec<Value> = (0..120).map(bulk_patient).collect();
    server.put_all(&many);
    let dir = tempfile::tempdir().unwrap();
    let desk = Desk::open(DeskOptions {
        data_dir: Some(dir.path().into()),
        keyring: KeyringChoice::Given(secrets::memory_store()),
    })
    .unwrap();
    desk.set_setting("fhir.base_url", &server.base_url).unwrap();
    desk.set_setting("fhir.page_size", "10").unwrap();
    desk.set_setting("fhir.pull_interval_secs", "1").unwrap();
    desk.set_credential(secrets::SecretName::FhirToken, &secrets::Secret::new(&server.token)).unwrap();
    let desk = Arc::new(Mutex::new(desk));

    let (tx, rx) = mpsc::channel::<EngineEvent>();
    let tx = Mutex::new(tx);
    let on_event: Arc<dyn Fn(EngineEvent) + Send + Sync> = Arc::new(move |e| {
        let _ = tx.lock().unwrap().send(e);
    });
    // No messaging servers: the cycle fails each time; the FHIR task runs beside it.
    let source: engine::GatewaySource = Arc::new(|| {
        Box::pin(async { Err(caredesk_core::rules::error::CoreError::Io("no servers in this test".into())) })
    });
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let handle = rt.block_on(async { engine::spawn(desk.clone(), source, on_event) });

    // While the first pull runs (12 pages), the desk stays free for others.
    let reader = {
        let desk = desk.clone();
        std::thread::spawn(move || {
            let (mut reads, mut worst) = (0u32, Duration::ZERO);
            let until = Instant::now() + Duration::from_secs(20);
            while Instant::now() < until {
                let asked = Instant::now();
                let n = desk.lock().unwrap().patients("", 5).unwrap().len();
                worst = worst.max(asked.elapsed());
                reads += 1;
                if n == 5 && reads > 50 {
                    break;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            (reads, worst)
        })
    };
    let finished =
        |rx: &mpsc::Receiver<EngineEvent>, what: &str| -> (usize, Box<caredesk_core::engine::fhir_sync::PullReport>) {
            let deadline = Instant::now() + Duration::from_secs(60);
            let mut progress = 0;
            loop {
                match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                    Ok(EngineEvent::FhirPullProgress { .. }) => progress += 1,
                    Ok(EngineEvent::FhirPullFinished { report }) => return (progress, report),
                    Ok(EngineEvent::FhirPullFailed { error }) => panic!("{what}: {error}"),
                    Ok(_) => {}
                    Err(e) => panic!("{what}: no pull finished: {e}"),
                }
            }
        };
    let (progress, first) = finished(&rx, "first pull");
    assert_eq!((first.patients_new, first.pages), (120, 13), "{first:?}");
    assert!((1..=13).contains(&progress), "progress at most once a second: {progress}");
    let (reads, worst) = reader.join().unwrap();
    assert!(reads > 13 && worst < Duration::from_secs(2), "{reads} reads, the slowest waited {worst:?}");

    // On its interval: a patient added on the server arrives by itself.
    server.put(&patient("pat-interval", "Inter", "Val", json!([sms("+18055591001")])));
    let started = Instant::now();
    let report = loop {
        let (_, r) = finished(&rx, "a pull on the interval");
        if r.patients_new > 0 {
            break r;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "the new patient never came");
    };
    assert_eq!(report.patients_new, 1, "{report:?}");

    // On demand, full (a pull on the interval may still end first).
    desk.lock().unwrap().set_setting("fhir.pull_interval_secs", "0").unwrap();
    handle.pull_fhir_now(true);
    let asked = loop {
        let (_, r) = finished(&rx, "a pull asked for");
        if r.full {
            break r;
        }
    };
    assert!(asked.complete && asked.unchanged == 121, "{asked:?}");
    assert_eq!(desk.lock().unwrap().db().patient_count().unwrap(), 121);
    rt.block_on(handle.stop(Duration::from_secs(10)));
}

#[test]
fn the_clients_writes_are_conditional_and_versioned() {
    use caredesk_core::{
        gateways::fhir::{FhirAuth, FhirClient, FhirConfig, Read},
        rules::secret::Secret,
    };
    let server = FhirServer::start();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let client = FhirClient::new(
        FhirConfig { base_url: server.base_url.parse().unwrap(), auth: FhirAuth::Bearer(Secret::new(&server.token)) },
        caredesk_core::gateways::http::client(&Default::default()).unwrap(),
    )
    .unwrap();
    let message = json!({"resourceType": "Communication", "status": "in-progress",
        "identifier": [{"system": "urn:caredesk:message", "value": "42"}],
        "medium": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationMode", "code": "SMSWRIT"}]}],
        "payload": [{"contentString": "See you at 10"}]});
    let condition = "identifier=urn:caredesk:message|42";
    let first = rt.block_on(client.create(&message, Some(condition))).unwrap();
    let again = rt.block_on(client.create(&message, Some(condition))).unwrap();
    assert!(first.created && !again.created, "{first:?} {again:?}");
    assert_eq!((first.id.as_str(), first.version_id.as_deref()), (again.id.as_str(), Some("1")));
    assert_eq!(server.all("Communication").len(), 1, "a repeated conditional create makes no second resource");

    let mut done = first.resource.clone().unwrap();
    done["status"] = json!("completed");
    let updated = rt.block_on(client.update(&done, Some("1"))).unwrap();
    assert_eq!((updated.created, updated.version_id.as_deref()), (false, Some("2")));
    let stale = rt.block_on(client.update(&done, Some("1"))).unwrap_err();
    assert_eq!(stale.code(), "fhir_precondition_failed", "{stale}");
    match rt.block_on(client.read("Communication", &first.id)).unwrap() {
        Read::Found(c) => assert_eq!(c["status"], "completed"),
        other => panic!("{other:?}"),
    }
    server.delete("Communication", &first.id);
    assert_eq!(rt.block_on(client.read("Communication", &first.id)).unwrap(), Read::Gone);
    assert_eq!(rt.block_on(client.read("Communication", "never-was")).unwrap(), Read::NotFound);
}
