//! The crash suite, once per server profile (`spec`, `dotnet`, `skewed`,
//! `transliterating`, `lagging`): real `caredesk send` and `caredesk sync`
//! processes, configured against a sandbox (with sends that fail after
//! acceptance, failing polls and simulated replies), are killed with
//! SIGKILL at random points, round after round. Then CareDesk is restarted
//! and settles: the database passes `PRAGMA integrity_check`, every message
//! it recorded is on the server exactly once and accepted, the server holds
//! no SMS CareDesk does not know, and every reply on the server is stored
//! exactly once. The counts are printed per profile.
//!
//! The CareDesk processes run with `TZ=America/Los_Angeles` (and so does
//! this binary, which has its own `main` to set it before any thread
//! starts); each server keeps its times elsewhere (see `server_zone`).
//! Arguments: profile names to run (all by default), and the names of the
//! other tests (`check`, `sigterm`) to run only those.
//!
//! The restart is the app's: `outbox::recover` (what the app's engine runs
//! at start) and then `caredesk sync --once` until the outbox is empty.
//! `caredesk sync` alone does not recover: a send killed in flight keeps its
//! claim for the outbox lease (11 minutes) before any process looks at it
//! again. `recover` also releases the claim of a reconciliation check killed
//! half-way (the last test below): after it, no claim is left.

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    path::Path,
    sync::Mutex,
    time::{Duration, Instant},
};

use caredesk_core::{
    desk::paths,
    desk::secrets::{platform_store, Credentials},
    desk::Desk,
    desk::DeskOptions,
    engine::outbox,
    gateways::his::wire::MessageType,
    sandbox::{self, magic, Faults, Inbound, Profile, SandboxOptions},
    store::Database,
};
use caredesk_tests::{require_keyring, write_file, ChildGuard, Cli, Rng, Sim, DESK_TZ};

/// Kill rounds per profile.
const ROUNDS: usize = 25;
/// `caredesk send` processes started in each round, next to one `caredesk sync`.
const SENDS_PER_ROUND: usize = 3;
/// Replies injected in each round.
const REPLIES_PER_ROUND: usize = 2;

/// Demo patients whose simulated replies are never a consent keyword (a
/// STOP would opt the number out and refuse later sends).
const PATIENTS: [(i64, &str); 5] = [
    (1001, "+18055550100"),
    (1002, "+18055550102"),
    (1004, "+18055550104"),
    (1006, "+18055550106"),
    (1007, "+18055550107"),
];

fn crash_faults() -> Faults {
    Faults { accept_then_fail_rate: 0.2, poll_error_rate: 0.1, ..Faults::default() }
}

/// Where each profile's server keeps its time (none is the desk's).
fn server_zone(profile: Profile) -> Option<chrono::FixedOffset> {
    match profile {
        Profile::Spec | Profile::Lagging => chrono::FixedOffset::east_opt(2 * 3600),
        Profile::Transliterating => chrono::FixedOffset::east_opt(9 * 3600),
        Profile::Dotnet | Profile::Skewed => None,
    }
}

fn sandbox_options(profile: Profile, replies: bool, faults: Faults) -> SandboxOptions {
    SandboxOptions { replies, faults, profile, server_zone: server_zone(profile), ..SandboxOptions::for_tests() }
}

/// A CLI on a fresh data directory configured for the sandbox as real servers.
fn configured(sim: &Sim, dir: &Path) -> Cli {
    let cli = Cli::new(&dir.join("data"));
    let h = sim.h();
    caredesk_tests::quiet_hours_off(&cli);
    cli.ok(&["config", "set", "his.base_url", h.his_base_url().as_str()]);
    cli.ok(&["config", "set", "his.from", magic::HOSPITAL_NUMBER]);
    cli.ok(&["config", "set", "ecm.base_url", h.ecm_base_url().as_str()]);
    cli.ok(&["config", "set", "http.timeout_secs", "2"]);
    cli.ok(&["config", "set", "sync.interval_secs", "1"]);
    cli.ok(&["config", "set", "sms.rate_per_sec", "0"]);
    cli.ok(&["config", "set", "sms.via", "his"]);
    // The sandbox's lagging server lists a send 0.4 s after taking it.
    cli.ok(&["config", "set", "his.outgoing_lag_secs", "1"]);
    cli.run_stdin(&["credentials", "set", "his-token"], sandbox::SANDBOX_HIS_TOKEN).expect_ok();
    cli.run_stdin(&["credentials", "set", "ecm-token"], sandbox::SANDBOX_ECM_TOKEN).expect_ok();
    let mut roster = String::from("ecm_patient_id,name,phone\n");
    for (i, (id, number)) in PATIENTS.iter().enumerate() {
        roster.push_str(&format!("{id},Crash Patient {i},{number}\n"));
    }
    let roster = write_file(dir, "roster.csv", &roster);
    cli.ok(&["patients", "import", roster.to_str().unwrap()]);
    cli
}

fn spawn(cli: &Cli, args: &[&str], log: &Path) -> ChildGuard {
    caredesk_tests::spawn_logged(cli, args, log)
}

fn kill(guard: &mut ChildGuard) -> bool {
    caredesk_tests::kill_running(guard)
}

/// What the app does at start, before its engine's first cycle: rows left
/// in flight by a crash become ambiguous. Returns how many. No CareDesk
/// process may be running.
fn app_start_recovery(data_dir: &Path) -> usize {
    let desk = Desk::open(DeskOptions { data_dir: Some(data_dir.to_path_buf()), ..Default::default() }).unwrap();
    outbox::recover(&Mutex::new(desk)).unwrap()
}

fn open_database(data_dir: &Path) -> Database {
    let creds = Credentials::new(platform_store().unwrap(), paths::instance_id(data_dir).unwrap());
    let key = creds.database_key().unwrap().expect("the database key is in the keyring");
    Database::open(&data_dir.join(paths::DATABASE_FILE), &key).unwrap()
}

/// Ambiguous rows still claimed (by a check whose process was killed): their
/// claim is made to run out now, as it would after the lease. Returns how
/// many. No CareDesk process may be running.
fn expire_stale_check_claims(data_dir: &Path) -> usize {
    let db = open_database(data_dir);
    db.conn()
        .execute(
            "UPDATE outbox SET claimed_until = '2000-01-01T00:00:00.000000Z'
              WHERE state = 'ambiguous' AND claim_token IS NOT NULL",
            [],
        )
        .unwrap()
}

fn open_rows(cli: &Cli) -> Vec<serde_json::Value> {
    cli.json(&["outbox", "--json"]).as_array().cloned().unwrap_or_default()
}

/// SIGKILL rounds against one profile's server; returns the problems found
/// (empty: none).
fn sigkill_during_sends_and_sync_loses_nothing_and_sends_nothing_twice(profile: Profile) -> Vec<String> {
    let started = Instant::now();
    let sim = Sim::start(sandbox_options(profile, true, crash_faults()));
    let dir = tempfile::tempdir().unwrap();
    let cli = configured(&sim, dir.path());
    let log = dir.path().join("processes.log");
    let mut rng = Rng(0x0c4a_5e5d_e5c0_ffee);

    let (mut started_sends, mut kills, mut processes, mut injected) = (0usize, 0usize, 0usize, 0usize);
    for round in 0..ROUNDS {
        let mut children = vec![spawn(&cli, &["sync"], &log)];
        for k in 0..SENDS_PER_ROUND {
            let (id, _) = PATIENTS[(round * SENDS_PER_ROUND + k) % PATIENTS.len()];
            let patient = format!("ecm:{id}");
            let text = format!("Šimkutė, vizitas {round}-{k} rytoj");
            children.push(spawn(&cli, &["send", "--patient", &patient, "--text", &text, "--via", "his"], &log));
            started_sends += 1;
        }
        for _ in 0..REPLIES_PER_ROUND {
            let (_, number) = PATIENTS[injected % PATIENTS.len()];
            let text = format!("crash reply {injected}: on my way");
            sim.h()
                .inject_inbound(Inbound {
                    from: number.into(),
                    to: None,
                    text: Some(text),
                    reply_to: None,
                    ahead_secs: None,
                })
                .unwrap();
            injected += 1;
        }
        std::thread::sleep(Duration::from_millis(rng.between(30, 500)));
        for child in &mut children {
            processes += 1;
            if kill(child) {
                kills += 1;
            }
        }
    }
    let rounds_took = started.elapsed();

    // Restart. The CLI alone finds what was killed in flight still claimed.
    sim.h().set_faults(Faults::default());
    let _ = cli.run(&["sync", "--once"]);
    let stuck: Vec<serde_json::Value> =
        open_rows(&cli).into_iter().filter(|r| r["state"].as_str() == Some("in_flight")).collect();
    // The app's start: rows left in flight become ambiguous, to be checked
    // against the server before any retry (no CareDesk process runs now).
    let recovered = app_start_recovery(&cli.data_dir);
    // A check of an ambiguous send killed half-way must not keep its claim
    // through the app's recovery (see `a_reconciliation_check_killed_half_way_is_redone_after_restart`).
    let checks_left_claimed = expire_stale_check_claims(&cli.data_dir);
    let mut problems = Vec::new();
    if checks_left_claimed != 0 {
        problems.push(format!("{checks_left_claimed} claims of killed checks survived the app's recovery"));
    }
    let mut tries = 0;
    loop {
        tries += 1;
        let run = cli.run(&["sync", "--once"]);
        let open = open_rows(&cli);
        if open.is_empty() {
            break;
        }
        if tries >= 40 {
            problems.push(format!(
                "the outbox did not drain after {tries} sync runs: {open:#?}\nlast sync:\n{}{}",
                run.stdout, run.stderr
            ));
            break;
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    // No more replies: a last clean poll stores everything on the server.
    sim.h().set_replies(false);
    std::thread::sleep(Duration::from_millis(150));
    cli.ok(&["sync", "--once"]);
    let state = sim.h().state();

    // The database, opened directly with its key from the keyring.
    let db = open_database(&cli.data_dir);
    let integrity = db.integrity_check().unwrap();
    let conn = db.conn();
    let fk_problems: i64 = conn.query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| r.get(0)).unwrap();
    let open_outbox: i64 = conn
        .query_row("SELECT count(*) FROM outbox WHERE state IN ('pending', 'in_flight', 'ambiguous')", [], |r| r.get(0))
        .unwrap();

    // Sends: what CareDesk recorded is on the server exactly once, accepted,
    // under the server id it recorded.
    let mut recorded: Vec<(i64, String, String, String, Option<i64>)> = Vec::new();
    {
        let mut stmt = conn
            .prepare("SELECT id, to_number, body, state, his_id FROM messages WHERE direction = 'outbound' ORDER BY id")
            .unwrap();
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))).unwrap();
        for row in rows {
            recorded.push(row.unwrap());
        }
    }
    let sends_by_id: HashMap<i64, &sandbox::HisSend> = state.his_sends.iter().map(|s| (s.id, s)).collect();
    let (mut duplicates, mut lost, mut accepted) = (0usize, 0usize, 0usize);
    for (id, to, body, db_state, his_id) in &recorded {
        let n = state.sends_to(to, body);
        let matches = his_id.and_then(|h| sends_by_id.get(&h)).is_some_and(|s| &s.text == body);
        let settled = !["queued", "sending", "failed", "uncertain"].contains(&db_state.as_str());
        match n {
            1 if settled && matches => accepted += 1,
            0 => {
                lost += 1;
                problems.push(format!("message {id} {body:?} is not on the server; recorded as {db_state}"));
            }
            1 => {
                lost += 1;
                problems.push(format!(
                    "message {id} {body:?} is on the server once but recorded as {db_state}, his_id {his_id:?}"
                ));
            }
            n => {
                duplicates += n - 1;
                let keys: Vec<i64> = state
                    .his_sends
                    .iter()
                    .filter(|s| s.to == to.trim_start_matches('+') && &s.text == body)
                    .map(|s| s.external_key)
                    .collect();
                problems.push(format!(
                    "message {id} {body:?} was sent {n} times (ExternalKeys {keys:?}); recorded as {db_state}, his_id {his_id:?}"
                ));
            }
        }
    }
    // The server holds nothing CareDesk does not know it sent.
    let known: HashSet<(String, String)> =
        recorded.iter().map(|(_, to, body, _, _)| (to.trim_start_matches('+').to_string(), body.clone())).collect();
    let unknown: Vec<&sandbox::HisSend> =
        state.his_sends.iter().filter(|s| !known.contains(&(s.to.clone(), s.text.clone()))).collect();
    for s in &unknown {
        problems
            .push(format!("the server sent {:?} to {} (id {}), which CareDesk has no record of", s.text, s.to, s.id));
    }

    // Replies: each incoming message on the server is stored exactly once.
    let mut stored: BTreeMap<i64, i64> = BTreeMap::new();
    {
        let mut stmt =
            conn.prepare("SELECT his_id, count(*) FROM messages WHERE direction = 'inbound' GROUP BY his_id").unwrap();
        let rows = stmt.query_map([], |r| Ok((r.get::<_, Option<i64>>(0)?, r.get::<_, i64>(1)?))).unwrap();
        for row in rows {
            let (his_id, n) = row.unwrap();
            stored.insert(his_id.expect("every inbound row has a server id"), n);
        }
    }
    let incoming: Vec<_> = state.his_messages.iter().filter(|m| m.kind == MessageType::Incoming).collect();
    let incoming_ids: HashSet<i64> = incoming.iter().map(|m| m.id).collect();
    let (mut missing, mut dup_replies) = (0usize, 0usize);
    for m in &incoming {
        match stored.get(&m.id).copied().unwrap_or(0) {
            1 => {}
            0 => {
                missing += 1;
                problems.push(format!("reply {} {:?} is not stored", m.id, m.text));
            }
            n => {
                dup_replies += n as usize - 1;
                problems.push(format!("reply {} is stored {n} times", m.id));
            }
        }
    }
    let phantoms: Vec<&i64> = stored.keys().filter(|id| !incoming_ids.contains(id)).collect();
    let stored_total: i64 = stored.values().sum();

    let name = profile.name();
    println!(
        "crash [{name}]: rounds {ROUNDS}, kills {kills} (of {processes} processes), sends started {started_sends}, \
         sends recorded {}, server sms {}, duplicates {duplicates}, lost {lost}, unknown to CareDesk {}; \
         replies {} stored {stored_total}, missing {missing}, duplicate {dup_replies}; integrity {integrity}",
        recorded.len(),
        state.his_sends.len(),
        unknown.len(),
        incoming.len(),
    );
    println!(
        "crash [{name}]: left in flight after the CLI restarted: {} (claims hold for the outbox lease); \
         recovered at app start: {recovered}; sync runs to drain: {tries}; rounds {:.1} s, total {:.1} s",
        stuck.len(),
        rounds_took.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    let mut check = |ok: bool, what: String| {
        if !ok {
            problems.push(what);
        }
    };
    check(integrity == "ok", format!("integrity check: {integrity}"));
    check(fk_problems == 0, format!("{fk_problems} foreign key problems"));
    check(open_outbox == 0, format!("{open_outbox} rows left open in the outbox"));
    check((duplicates, lost, missing, dup_replies) == (0, 0, 0, 0), "duplicates, lost or missing messages".into());
    check(phantoms.is_empty(), format!("inbound rows the server does not have: {phantoms:?}"));
    check(accepted == recorded.len(), format!("{accepted} of {} recorded messages accepted", recorded.len()));
    check(state.his_sends.len() == recorded.len(), "not one SMS on the server per recorded message".into());
    check(kills > ROUNDS, format!("only {kills} processes were killed while running"));
    check(!recorded.is_empty() && recorded.len() <= started_sends, format!("{} messages recorded", recorded.len()));
    check(incoming.len() >= ROUNDS * REPLIES_PER_ROUND, format!("only {} replies on the server", incoming.len()));
    problems
}

/// A check of an ambiguous send (the server's Outgoing list read before any
/// retry) is killed while its request is under way. After a restart the
/// message must be checked again and settled at once, not left claimed by
/// a process that no longer exists.
fn a_reconciliation_check_killed_half_way_is_redone_after_restart() {
    let sim = Sim::start(SandboxOptions { replies: false, ..SandboxOptions::for_tests() });
    let dir = tempfile::tempdir().unwrap();
    let cli = configured(&sim, dir.path());
    cli.ok(&["config", "set", "http.timeout_secs", "20"]);
    let log = dir.path().join("processes.log");
    let state_of = |sql: &str| -> bool {
        let db = open_database(&cli.data_dir);
        db.conn().query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap() > 0
    };
    let wait_for = |what: &str, sql: &str| {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !state_of(sql) {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(50));
        }
    };

    // The server takes the SMS but the answer is lost: the send is ambiguous.
    sim.h().set_faults(Faults { accept_then_fail_rate: 1.0, ..Faults::default() });
    let mut send = spawn(&cli, &["send", "--patient", "ecm:1001", "--text", "checked twice?", "--via", "his"], &log);
    wait_for("an ambiguous send", "SELECT count(*) FROM outbox WHERE state = 'ambiguous' AND claim_token IS NULL");
    // Its check (after the settle time) hangs on a slow server and the
    // process is killed during it.
    sim.h().set_faults(Faults { latency_ms: 15_000, ..Faults::default() });
    wait_for(
        "the check under way",
        "SELECT count(*) FROM outbox WHERE state = 'ambiguous' AND claim_token IS NOT NULL",
    );
    assert!(kill(&mut send), "the send was still checking");

    // Restart as the app does; the server answers normally again.
    sim.h().set_faults(Faults::default());
    app_start_recovery(&cli.data_dir);
    let mut open = Vec::new();
    for _ in 0..5 {
        let _ = cli.run(&["sync", "--once"]);
        open = open_rows(&cli);
        if open.is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    assert!(open.is_empty(), "the interrupted check was not redone after the restart: {open:#?}");
    assert_eq!(sim.h().state().sends_to("+18055550100", "checked twice?"), 1, "sent exactly once");
}

/// `caredesk sync` stops at once on SIGTERM (and on Ctrl+C, SIGINT) while a
/// cycle is under way (a send hangs on a slow server), and releases the
/// message it had in hand: nothing waits out the outbox lease, and the
/// message goes once.
fn sync_stops_promptly_on_sigterm_and_releases_its_claim() {
    for signal in ["TERM", "INT"] {
        sync_stops_promptly_on(signal);
    }
}

fn sync_stops_promptly_on(signal: &str) {
    let sim = Sim::start(SandboxOptions { replies: false, ..SandboxOptions::for_tests() });
    let dir = tempfile::tempdir().unwrap();
    let cli = configured(&sim, dir.path());
    let log = dir.path().join("processes.log");
    cli.ok(&["config", "set", "http.timeout_secs", "30"]);
    // A message waits in the outbox (queued as the app queues it), and the
    // server becomes very slow.
    {
        let desk = Desk::open(DeskOptions { data_dir: Some(cli.data_dir.clone()), ..Default::default() }).unwrap();
        let req = caredesk_core::engine::send::SmsRequest {
            patient: "ecm:1001".into(),
            to: None,
            text: "stop me gently".into(),
            via: Some(caredesk_core::store::Route::His),
            other_number: false,
        };
        outbox::enqueue(&Mutex::new(desk), req).unwrap();
    }
    sim.h().set_faults(Faults { latency_ms: 20_000, ..Faults::default() });
    let db_claimed =
        |sql: &str| open_database(&cli.data_dir).conn().query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap();
    let mut sync = spawn(&cli, &["sync"], &log);
    let deadline = Instant::now() + Duration::from_secs(20);
    while db_claimed("SELECT count(*) FROM outbox WHERE claim_token IS NOT NULL") == 0 {
        assert!(Instant::now() < deadline, "the sync never took the message");
        std::thread::sleep(Duration::from_millis(50));
    }
    let signalled = Instant::now();
    let _ = std::process::Command::new("kill").arg(format!("-{signal}")).arg(sync.id().to_string()).status();
    let mut child = sync.0.take().unwrap();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(signalled.elapsed() < Duration::from_secs(5), "caredesk sync did not stop within 5 s of SIG{signal}");
        std::thread::sleep(Duration::from_millis(20));
    };
    let took = signalled.elapsed();
    assert!(status.success(), "{status:?}: {}", std::fs::read_to_string(&log).unwrap_or_default());
    assert_eq!(
        db_claimed("SELECT count(*) FROM outbox WHERE claim_token IS NOT NULL"),
        0,
        "no claim is left to wait out"
    );
    assert_eq!(
        db_claimed("SELECT count(*) FROM outbox WHERE state = 'ambiguous'"),
        1,
        "it is checked before any retry"
    );
    let said = if signal == "INT" { "stopped by Ctrl+C" } else { "stopped by SIGTERM" };
    assert!(std::fs::read_to_string(&log).unwrap_or_default().contains(said), "{said}");
    println!("crash [sigterm]: caredesk sync stopped {} ms after SIG{signal}, its claim released", took.as_millis());
    // It goes once, after its check.
    sim.h().set_faults(Faults::default());
    for _ in 0..10 {
        let _ = cli.run(&["sync", "--once"]);
        if open_rows(&cli).is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    assert!(open_rows(&cli).is_empty(), "{:#?}", open_rows(&cli));
    assert!(sim.h().state().sends_to("+18055550100", "stop me gently") <= 1, "never twice");
}

fn main() {
    // The desk's zone, before any thread can read the environment; the
    // CareDesk processes inherit it.
    std::env::set_var("TZ", DESK_TZ);
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--list") {
        return;
    }
    require_keyring();
    let wanted: Vec<Profile> = args.iter().filter_map(|a| Profile::parse(a)).collect();
    let only_others = args.iter().any(|a| a == "check" || a == "sigterm");
    let profiles: Vec<Profile> = match (wanted.is_empty(), only_others) {
        (false, _) => wanted,
        (true, true) => Vec::new(),
        (true, false) => Profile::ALL.to_vec(),
    };
    let run_all = args.iter().all(|a| Profile::parse(a).is_none() && a != "check" && a != "sigterm");
    let started = Instant::now();
    let mut failed = Vec::new();
    for profile in profiles {
        let problems = sigkill_during_sends_and_sync_loses_nothing_and_sends_nothing_twice(profile);
        if !problems.is_empty() {
            eprintln!("crash [{}] FAILED ({} problems):\n  {}", profile.name(), problems.len(), problems.join("\n  "));
            failed.push(profile.name().to_string());
        }
    }
    let others: [(&str, fn()); 2] = [
        ("check", a_reconciliation_check_killed_half_way_is_redone_after_restart),
        ("sigterm", sync_stops_promptly_on_sigterm_and_releases_its_claim),
    ];
    for (name, test) in others {
        if run_all || args.iter().any(|a| a == name) {
            if let Err(e) = std::panic::catch_unwind(test) {
                let why =
                    e.downcast_ref::<String>().cloned().or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()));
                eprintln!("crash [{name}] FAILED: {}", why.unwrap_or_default());
                failed.push(name.to_string());
            }
        }
    }
    println!("crash: desk in {DESK_TZ}, {:.1} s", started.elapsed().as_secs_f64());
    if !failed.is_empty() {
        eprintln!("crash: failed: {}", failed.join(", "));
        std::process::exit(1);
    }
}
