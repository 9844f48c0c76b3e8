//! The crash test: real `caredesk send` and `caredesk sync` processes,
//! configured against a sandbox (with sends that fail after acceptance,
//! failing polls and simulated replies), are killed with SIGKILL at random
//! points, round after round. Then CareDesk is restarted and settles: the
//! database passes `PRAGMA integrity_check`, every message it recorded is on
//! the server exactly once and accepted, the server holds no SMS CareDesk
//! does not know, and every reply on the server is stored exactly once.
//!
//! The restart is the app's: `outbox::recover` (what the app's engine runs
//! at start) and then `caredesk sync --once` until the outbox is empty.
//! `caredesk sync` alone does not recover: a send killed in flight keeps its
//! claim for the outbox lease (11 minutes) before any process looks at it
//! again. `recover` also releases the claim of a reconciliation check killed
//! half-way (the last test below): after it, no claim is left.

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    fs::File,
    path::Path,
    process::Stdio,
    sync::Mutex,
    time::{Duration, Instant},
};

use caredesk_core::{
    his::wire::MessageType,
    outbox, paths,
    sandbox::{self, magic, Faults, Inbound, SandboxOptions},
    secrets::{platform_store, Credentials},
    store::Database,
    Desk, DeskOptions,
};
use caredesk_tests::{require_keyring, write_file, ChildGuard, Cli, Sim};

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

/// A seeded xorshift64*: the kill points repeat from run to run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn between(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
}

fn crash_faults() -> Faults {
    Faults { accept_then_fail_rate: 0.2, poll_error_rate: 0.1, ..Faults::default() }
}

/// A CLI on a fresh data directory configured for the sandbox as real servers.
fn configured(sim: &Sim, dir: &Path) -> Cli {
    let cli = Cli::new(&dir.join("data"));
    let h = sim.h();
    cli.ok(&["config", "set", "his.base_url", h.his_base_url().as_str()]);
    cli.ok(&["config", "set", "his.from", magic::HOSPITAL_NUMBER]);
    cli.ok(&["config", "set", "ecm.base_url", h.ecm_base_url().as_str()]);
    cli.ok(&["config", "set", "http.timeout_secs", "2"]);
    cli.ok(&["config", "set", "sync.interval_secs", "1"]);
    cli.ok(&["config", "set", "sms.rate_per_sec", "0"]);
    cli.ok(&["config", "set", "sms.via", "his"]);
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

/// Starts `args` with its output appended to `log`.
fn spawn(cli: &Cli, args: &[&str], log: &Path) -> ChildGuard {
    let out = File::options().create(true).append(true).open(log).unwrap();
    let err = out.try_clone().unwrap();
    let mut cmd = cli.command(args);
    cmd.stdin(Stdio::null()).stdout(Stdio::from(out)).stderr(Stdio::from(err));
    ChildGuard::spawn(&mut cmd)
}

/// SIGKILL; true when the process was still running.
fn kill(guard: &mut ChildGuard) -> bool {
    let Some(mut child) = guard.0.take() else { return false };
    let running = child.try_wait().unwrap().is_none();
    let _ = child.kill();
    let _ = child.wait();
    running
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

#[test]
fn sigkill_during_sends_and_sync_loses_nothing_and_sends_nothing_twice() {
    require_keyring();
    let started = Instant::now();
    let sim = Sim::start(SandboxOptions { replies: true, faults: crash_faults(), ..SandboxOptions::for_tests() });
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
            let text = format!("crash {round}-{k}");
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
    assert_eq!(checks_left_claimed, 0, "the app's recovery released every claim of a killed check");
    let mut tries = 0;
    loop {
        tries += 1;
        let run = cli.run(&["sync", "--once"]);
        let open = open_rows(&cli);
        if open.is_empty() {
            break;
        }
        assert!(
            tries < 40,
            "the outbox did not drain after {tries} sync runs: {open:#?}\nlast sync:\n{}{}",
            run.stdout,
            run.stderr
        );
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
    let mut problems = Vec::new();
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

    println!(
        "crash: rounds {ROUNDS}, kills {kills} (of {processes} processes), sends started {started_sends}, \
         sends recorded {}, server sms {}, duplicates {duplicates}, lost {lost}, unknown to CareDesk {}; \
         replies {} stored {stored_total}, missing {missing}, duplicate {dup_replies}; integrity {integrity}",
        recorded.len(),
        state.his_sends.len(),
        unknown.len(),
        incoming.len(),
    );
    println!(
        "crash: left in flight after the CLI restarted: {} (claims hold for the outbox lease); \
         recovered at app start: {recovered}; ambiguous rows still claimed by a killed check: \
         {checks_left_claimed}; sync runs to drain: {tries}; rounds {:.1} s, total {:.1} s",
        stuck.len(),
        rounds_took.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );

    assert_eq!(integrity, "ok");
    assert_eq!(fk_problems, 0, "foreign keys hold");
    assert_eq!(open_outbox, 0, "the outbox is empty");
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));
    assert_eq!((duplicates, lost, missing, dup_replies), (0, 0, 0, 0));
    assert!(phantoms.is_empty(), "inbound rows the server does not have: {phantoms:?}");
    assert_eq!(accepted, recorded.len());
    assert_eq!(state.his_sends.len(), recorded.len(), "one SMS on the server per recorded message");
    assert!(kills > ROUNDS, "processes were killed while running ({kills})");
    assert!(!recorded.is_empty() && recorded.len() <= started_sends);
    assert!(incoming.len() >= ROUNDS * REPLIES_PER_ROUND);
}

/// A check of an ambiguous send (the server's Outgoing list read before any
/// retry) is killed while its request is under way. After a restart the
/// message must be checked again and settled at once, not left claimed by
/// a process that no longer exists.
#[test]
fn a_reconciliation_check_killed_half_way_is_redone_after_restart() {
    require_keyring();
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
