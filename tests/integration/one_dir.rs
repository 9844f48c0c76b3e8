//! Processes sharing one data directory, with a real Secret Service:
//! - the CLI and the app's engine at once (one sender; the others hand
//!   their sends to it; starting the app never voids the CLI's sends);
//! - `caredesk rekey` killed at every step and at random moments;
//! - `caredesk backup` and `restore` on another keyring entry.

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use caredesk_core::{
    desk::Desk,
    desk::DeskOptions,
    engine::routes::GatewayPlan,
    engine::{self, GatewaySource},
    sandbox::{Faults, SandboxOptions},
};
use caredesk_tests::{ChildGuard, Cli, Sim};

fn configured(sim: &Sim, dir: &tempfile::TempDir) -> Cli {
    let cli = caredesk_tests::configured_cli(sim, dir.path());
    cli.ok(&["config", "set", "servers.mode", "real"]);
    cli.ok(&["config", "set", "sync.interval_secs", "1"]);
    cli.ok(&["config", "set", "sms.rate_per_sec", "0"]);
    cli
}

/// The app's engine (the loop the app runs, without its window) on the
/// same data directory, started and stopped as the app is.
fn start_app_engine(rt: &tokio::runtime::Runtime, cli: &Cli) -> engine::EngineHandle {
    let mut desk = Desk::open(DeskOptions { data_dir: Some(cli.data_dir.clone()), ..Default::default() }).unwrap();
    desk.set_role("the CareDesk app");
    let desk = Arc::new(Mutex::new(desk));
    let plan_desk = desk.clone();
    let source: GatewaySource = Arc::new(move || {
        let plan = GatewayPlan::from_desk(&plan_desk.lock().unwrap());
        Box::pin(async move { plan?.connect(SandboxOptions::default()).await.map(Arc::new) })
    });
    let _guard = rt.enter();
    engine::spawn(desk, source, Arc::new(|_| {}))
}

#[test]
fn the_cli_and_the_app_on_one_data_directory_send_each_sms_once() {
    let sim = Sim::start(SandboxOptions { replies: false, ..SandboxOptions::for_tests() });
    let dir = tempfile::tempdir().unwrap();
    let cli = configured(&sim, &dir);
    // Slow servers: sends are in flight while the app starts and stops.
    sim.h().set_faults(Faults { latency_ms: 150, ..Faults::default() });
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();

    let mut sync = ChildGuard::spawn(
        cli.command(&["sync"]).stdout(std::process::Stdio::null()).stderr(std::process::Stdio::piped()),
    );
    let mut texts = Vec::new();
    let mut handed = 0;
    for round in 0..6 {
        // The app starts while the CLI is sending, and closes again.
        let app = start_app_engine(&rt, &cli);
        let sends: Vec<_> = (0..3)
            .map(|i| {
                let (via, patient) = if i % 2 == 0 { ("his", "ecm:1001") } else { ("ecm", "ecm:1002") };
                let text = format!("round {round} message {i}");
                texts.push((via, text.clone()));
                let mut cmd = cli.command(&["send", "--patient", patient, "--text", &text, "--via", via, "--json"]);
                cmd.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
                std::thread::spawn(move || {
                    let out = cmd.output().unwrap();
                    String::from_utf8_lossy(&out.stdout).to_string()
                })
            })
            .collect();
        for s in sends {
            let out = s.join().unwrap();
            if out.contains("\"handed_to\": \"caredesk sync") || out.contains("\"handed_to\": \"the CareDesk app") {
                handed += 1;
            }
        }
        rt.block_on(app.stop(Duration::from_secs(10)));
        if round == 3 {
            // The CLI stops (SIGKILL, mid-work): the next process takes over.
            let _ = std::process::Command::new("kill").args(["-KILL", &sync.id().to_string()]).status();
            sync.stop(Duration::from_secs(1));
            let app = start_app_engine(&rt, &cli);
            std::thread::sleep(Duration::from_secs(2));
            rt.block_on(app.stop(Duration::from_secs(10)));
            sync = ChildGuard::spawn(
                cli.command(&["sync"]).stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null()),
            );
        }
    }
    // Everything goes out.
    let deadline = Instant::now() + Duration::from_secs(60);
    while !cli.json(&["outbox", "--json"]).as_array().is_some_and(Vec::is_empty) {
        assert!(Instant::now() < deadline, "the outbox did not drain: {}", cli.json(&["outbox", "--json"]));
        std::thread::sleep(Duration::from_millis(300));
    }
    sync.stop(Duration::from_secs(10));
    let state = sim.h().state();
    let mut duplicates = 0;
    let mut missing = 0;
    for (via, text) in &texts {
        let n = match *via {
            "his" => state.his_sends.iter().filter(|s| &s.text == text).count(),
            _ => state.ecm_sms.iter().filter(|s| s.body.as_deref() == Some(text.as_str())).count(),
        };
        duplicates += n.saturating_sub(1);
        missing += usize::from(n == 0);
    }
    let uncertain = cli.json(&["thread", "--patient", "ecm:1002", "--json"]).to_string().matches("uncertain").count();
    println!(
        "{} sends by 18 CLI processes while the app engine started 7 times and the CLI sender was killed once: {handed} handed to the sender, {duplicates} duplicate SMS, {missing} missing, {uncertain} uncertain",
        texts.len()
    );
    assert_eq!((duplicates, missing), (0, 0));
    assert_eq!(uncertain, 0, "no live sender's ECM send was voided into uncertainty");
    assert!(handed > 0, "sends were handed to the running sender");
}

fn patient_count(cli: &Cli) -> usize {
    cli.json(&["patients", "list", "--json"]).as_array().map(Vec::len).unwrap_or(0)
}

#[test]
fn rekey_killed_at_any_point_leaves_a_database_one_key_opens() {
    let sim = Sim::start(SandboxOptions { replies: false, ..SandboxOptions::for_tests() });
    let dir = tempfile::tempdir().unwrap();
    let cli = configured(&sim, &dir);
    let patients = patient_count(&cli);
    assert_eq!(patients, 2);
    // At each step, as a kill there would.
    for step in ["copied", "renamed", "stored"] {
        let mut cmd = cli.command(&["rekey"]);
        cmd.env("CAREDESK_REKEY_STOP_AT", step);
        let run = caredesk_tests::run_with_limit(cmd, None, Duration::from_secs(60));
        assert!(!run.ok(), "{step}: the rekey was stopped");
        assert_eq!(patient_count(&cli), patients, "after a stop at {step}");
    }
    // At moments spread over a whole rekey (a process start included).
    let started = Instant::now();
    cli.ok(&["rekey"]);
    let whole = started.elapsed();
    let mut killed = 0;
    for round in 0..12u32 {
        let at = whole * round / 11;
        let mut child = ChildGuard::spawn(
            cli.command(&["rekey"]).stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null()),
        );
        std::thread::sleep(at);
        if child.0.as_mut().unwrap().try_wait().unwrap().is_none() {
            let _ = child.0.as_mut().unwrap().kill();
            killed += 1;
        }
        child.stop(Duration::from_secs(5));
        assert_eq!(patient_count(&cli), patients, "after a kill at {at:?}");
    }
    cli.ok(&["rekey"]);
    assert_eq!(patient_count(&cli), patients);
    let audit = cli.ok(&["audit"]).stdout;
    println!("rekey: 3 stops at each step, and {killed} of 12 runs killed between 0 and {whole:?} (one whole rekey): the database opened every time");
    assert!(audit.contains("database.rekey"), "{audit}");
}

#[test]
fn a_backup_restores_into_a_new_data_directory_with_its_passphrase() {
    let sim = Sim::start(SandboxOptions { replies: false, ..SandboxOptions::for_tests() });
    let dir = tempfile::tempdir().unwrap();
    let cli = configured(&sim, &dir);
    let file = dir.path().join("caredesk.backup");
    let f = file.to_str().unwrap();
    cli.run_stdin(&["backup", f], "too short").expect_err();
    let out = cli.run_stdin(&["backup", f], "a long backup passphrase\n").expect_ok().stdout;
    assert!(out.contains("2 patients"), "{out}");
    let again = cli.run_stdin(&["backup", f], "a long backup passphrase\n").expect_err();
    assert!(again.stderr.contains("already exists"), "{}", again.stderr);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let other = Cli::new(&dir.path().join("other"));
    let wrong = other.run_stdin(&["restore", f], "not the passphrase\n").expect_err();
    assert!(wrong.stderr.contains("passphrase"), "{}", wrong.stderr);
    other.run_stdin(&["restore", f], "a long backup passphrase\n").expect_ok();
    assert_eq!(patient_count(&other), 2);
    let in_use = cli.run_stdin(&["restore", f], "a long backup passphrase\n").expect_err();
    assert!(in_use.stderr.contains("already has a database"), "{}", in_use.stderr);
}
