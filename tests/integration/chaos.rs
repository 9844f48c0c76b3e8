//! The chaos suite, once per server profile (`spec`, `dotnet`, `skewed`,
//! `transliterating`, `lagging`): hundreds of sends and replies through a
//! sandbox with faults on (sends that fail after the server accepted them,
//! 5xx errors, failing and malformed polls, duplicated and shuffled pages,
//! bursts of equal timestamps), driven in-process by the same steps as the
//! engine's cycle. Afterwards the server holds each SMS exactly once,
//! CareDesk recorded each as accepted with its server id, and every reply
//! the server holds is stored in the threads exactly once. The counts are
//! printed per profile.
//!
//! The desk runs in `America/Los_Angeles` (this binary sets `TZ` before
//! any thread starts: it has its own `main`), the servers elsewhere: the
//! spec and lagging servers at UTC+02:00, the dotnet server's lists in UTC
//! and its answers at +02:00, the skewed server at UTC+05:30 with its clock
//! 7 minutes behind, the transliterating server at UTC+09:00.
//!
//! Simulated patients answer delivered messages (replies on). A number
//! without a script in the sandbox answers at random, STOP included, and a
//! STOP opts the number out for good, so the roster's patients share the
//! six demo numbers whose scripted answers are never a consent keyword (one
//! phone for several people, as spec 002 allows). Texts carry diacritics,
//! so the transliterating server changes every one.
//!
//! Arguments: profile names to run (all by default).

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use caredesk_core::{
    desk::secrets::{Secret, SecretName},
    desk::Desk,
    desk::DeskOptions,
    engine::inbox_sync,
    engine::outbox::{self, Policy, SendLimiter, Targets},
    engine::routes::{GatewayPlan, Gateways},
    engine::send::SmsRequest,
    engine::DRAIN_BATCH,
    gateways::his::wire::MessageType,
    sandbox::{self, magic, Faults, Inbound, Profile, Sandbox, SandboxHandle, SandboxOptions},
    store::Route,
};
use caredesk_tests::{require_keyring, DESK_TZ};

/// SMS queued by the coordinator, per profile.
const SENDS: usize = 900;
/// Replies injected from roster numbers while the loop runs (the simulated
/// patients add their own on top), per profile.
const INJECTED_REPLIES: usize = 450;
/// Queued and injected per cycle, interleaved with the engine's steps.
const SEND_BATCH: usize = 90;
const REPLY_BATCH: usize = 45;
const PATIENTS: i64 = 20;
const MAX_CYCLES: usize = 600;
const MAX_TIME: Duration = Duration::from_secs(240);
/// Profiles run two at a time.
const PARALLEL: usize = 2;

fn chaos_faults() -> Faults {
    Faults {
        accept_then_fail_rate: 0.2,
        error_5xx_rate: 0.05,
        poll_error_rate: 0.1,
        malformed_rate: 0.05,
        duplicate_pages: true,
        shuffle_pages: true,
        same_timestamp_burst: 20,
        ..Faults::default()
    }
}

/// Where each profile's server keeps its time (none is the desk's).
fn server_zone(profile: Profile) -> Option<chrono::FixedOffset> {
    match profile {
        Profile::Spec | Profile::Lagging => chrono::FixedOffset::east_opt(2 * 3600),
        Profile::Transliterating => chrono::FixedOffset::east_opt(9 * 3600),
        Profile::Dotnet | Profile::Skewed => None,
    }
}

/// Demo numbers whose simulated replies are never STOP, START or HELP.
const NUMBERS: [&str; 6] =
    ["+18055550100", "+18055550101", "+18055550102", "+18055550104", "+18055550106", "+18055550107"];

fn patient_number(i: i64) -> &'static str {
    NUMBERS[(i as usize) % NUMBERS.len()]
}

fn roster_csv() -> String {
    let mut csv = String::from("ecm_patient_id,name,phone\n");
    for i in 0..PATIENTS {
        csv.push_str(&format!("{},Chaos Patient {i:02},{}\n", 2000 + i, patient_number(i)));
    }
    csv
}

/// A desk on a fresh data directory with the real keyring, configured for
/// `sim` as if it were the real servers, with the chaos roster.
fn configured_desk(dir: &std::path::Path, sim: &SandboxHandle) -> Desk {
    let mut desk = Desk::open(DeskOptions { data_dir: Some(dir.to_path_buf()), ..Default::default() }).unwrap();
    for (k, v) in [
        ("his.base_url", sim.his_base_url().as_str()),
        ("his.from", magic::HOSPITAL_NUMBER),
        ("ecm.base_url", sim.ecm_base_url().as_str()),
        ("http.timeout_secs", "2"),
        ("sms.rate_per_sec", "0"),
        ("sms.via", "his"),
        // Independent of the hour the suite runs at.
        ("sms.quiet_hours", "off"),
    ] {
        desk.set_setting(k, v).unwrap();
    }
    desk.set_credential(SecretName::HisToken, &Secret::new(sandbox::SANDBOX_HIS_TOKEN)).unwrap();
    desk.set_credential(SecretName::EcmToken, &Secret::new(sandbox::SANDBOX_ECM_TOKEN)).unwrap();
    let summary = desk.import_patients("r.csv", &roster_csv(), &mut |_| {}).unwrap();
    assert_eq!((summary.created, summary.rejected.len()), (PATIENTS as usize, 0), "{summary:?}");
    desk
}

/// One queued message, as the test remembers it.
struct Queued {
    message_id: i64,
    to: String,
    text: String,
}

/// What one profile's run found.
#[derive(Default, Debug)]
struct Counts {
    sends: usize,
    server_sms: usize,
    accepted: usize,
    duplicates: usize,
    lost: usize,
    replies: usize,
    simulated: usize,
    stored: i64,
    missing: usize,
    duplicate_replies: usize,
    cycles: usize,
    ambiguous: usize,
    reconciled: usize,
    retrying: usize,
    get_sms_errors: usize,
    seconds: f64,
    problems: Vec<String>,
}

impl Counts {
    fn clean(&self) -> bool {
        self.problems.is_empty()
            && (self.duplicates, self.lost, self.missing, self.duplicate_replies) == (0, 0, 0, 0)
            && self.sends == SENDS
            && self.server_sms == self.accepted
            && self.simulated > 0
            && self.ambiguous > 0
            && self.get_sms_errors > 0
    }
}

fn run(profile: Profile) -> Counts {
    let started = Instant::now();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let options = SandboxOptions {
        replies: true,
        faults: chaos_faults(),
        profile,
        server_zone: server_zone(profile),
        ..SandboxOptions::for_tests()
    };
    let sim = rt.block_on(Sandbox::start(options)).unwrap();
    let desk = configured_desk(&dir.path().join("data"), &sim);
    let gw: Gateways =
        rt.block_on(GatewayPlan::from_desk(&desk).unwrap().connect(SandboxOptions::for_tests())).unwrap();
    assert!(gw.sandbox().is_none(), "the desk talks to the sandbox as to real servers");
    let desk = Arc::new(Mutex::new(desk));
    let limiter = SendLimiter::new(0.0);
    // The check waits longer than the lagging server takes to list a send
    // (what `his.outgoing_lag_secs` says of a real one).
    let policy = Policy { settle: SandboxOptions::for_tests().list_lag + Duration::from_millis(300), ..Policy::fast() };

    let mut queued: Vec<Queued> = Vec::with_capacity(SENDS);
    let mut injected = 0usize;
    let mut counts = Counts::default();
    let mut next_patient = 0i64;
    let his = gw.his().unwrap();

    rt.block_on(async {
        for cycle in 0..MAX_CYCLES {
            if started.elapsed() > MAX_TIME {
                counts.problems.push(format!(
                    "ran out of time after {cycle} cycles: {} queued, {injected} injected, {} open",
                    queued.len(),
                    outbox::pending(&desk).unwrap().len()
                ));
                break;
            }
            counts.cycles = cycle + 1;
            let target = (queued.len() + SEND_BATCH).min(SENDS);
            while queued.len() < target {
                let patient = 2000 + next_patient % PATIENTS;
                next_patient += 1;
                let text = format!("Primename, Šimkutė: vizitas Nr. {} rytoj, 321 kab.", queued.len());
                let req = SmsRequest {
                    patient: format!("ecm:{patient}"),
                    to: None,
                    text: text.clone(),
                    via: Some(Route::His),
                    other_number: false,
                };
                let q = outbox::enqueue(&desk, req).unwrap_or_else(|e| panic!("enqueue failed: {e}"));
                queued.push(Queued { message_id: q.message_id, to: q.to, text });
            }
            for _ in 0..REPLY_BATCH {
                if injected >= INJECTED_REPLIES {
                    break;
                }
                let from = patient_number((injected as i64 * 7) % PATIENTS);
                let text = Some(format!("atsakymas {injected}: vėluoju, būsiu netrukus"));
                sim.inject_inbound(Inbound { from: from.to_string(), text, ..Inbound::default() }).unwrap();
                injected += 1;
            }
            if cycle % 4 == 0 {
                sim.set_faults(chaos_faults());
            }
            match outbox::drain_with(&desk, Targets::new(&gw), &limiter, DRAIN_BATCH, &policy).await {
                Ok(r) => {
                    counts.ambiguous += r.ambiguous;
                    counts.reconciled += r.reconciled;
                    counts.retrying += r.retrying;
                }
                Err(e) => counts.problems.push(format!("drain failed: {e}")),
            }
            if inbox_sync::refresh_outgoing(&desk, his).await.is_err() {
                counts.get_sms_errors += 1;
            }
            if inbox_sync::poll_incoming(&desk, his).await.is_err() {
                counts.get_sms_errors += 1;
            }
            if cycle % 10 == 9 && inbox_sync::reconcile_incoming(&desk, his).await.is_err() {
                counts.get_sms_errors += 1;
            }
            if queued.len() >= SENDS && injected >= INJECTED_REPLIES && outbox::pending(&desk).unwrap().is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let open = outbox::pending(&desk).unwrap();
        if !open.is_empty() {
            counts.problems.push(format!("the outbox did not drain: {} open, first {:?}", open.len(), open.first()));
        }
        // The storm ends: no more faults, no more replies; one clean poll,
        // refresh and reconciliation pick up everything still on the server.
        sim.set_replies(false);
        sim.set_faults(Faults::default());
        tokio::time::sleep(Duration::from_millis(100)).await;
        for (step, result) in [
            ("poll", inbox_sync::poll_incoming(&desk, his).await.err()),
            ("reconciliation", inbox_sync::reconcile_incoming(&desk, his).await.err()),
            ("refresh", inbox_sync::refresh_outgoing(&desk, his).await.err()),
        ] {
            if let Some(e) = result {
                counts.problems.push(format!("the fault-free {step} failed: {e}"));
            }
        }
    });

    let state = sim.state();
    let d = desk.lock().unwrap();
    let conn = d.db().conn();

    // Sends: each queued message is on the server exactly once and recorded
    // as accepted with that server id.
    let mut outbound: HashMap<i64, (String, Option<String>, Option<i64>)> = HashMap::new();
    {
        let mut stmt =
            conn.prepare("SELECT id, state, error_code, his_id FROM messages WHERE direction = 'outbound'").unwrap();
        let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, (r.get(1)?, r.get(2)?, r.get(3)?)))).unwrap();
        for row in rows {
            let (id, v) = row.unwrap();
            outbound.insert(id, v);
        }
    }
    let sends_by_id: HashMap<i64, &sandbox::HisSend> = state.his_sends.iter().map(|s| (s.id, s)).collect();
    for q in &queued {
        let n = state.sends_to(&q.to, &q.text);
        let (db_state, error_code, his_id) = &outbound[&q.message_id];
        let open_or_failed = ["queued", "sending", "failed", "uncertain"].contains(&db_state.as_str());
        let holds_its_own = his_id.and_then(|id| sends_by_id.get(&id)).is_some_and(|s| s.text == q.text);
        match n {
            1 if !open_or_failed && holds_its_own => counts.accepted += 1,
            0 => {
                counts.lost += 1;
                counts
                    .problems
                    .push(format!("{:?} never reached the server; recorded as {db_state} ({error_code:?})", q.text));
            }
            1 => {
                counts.lost += 1;
                counts.problems.push(format!(
                    "{:?} is on the server once but recorded as {db_state} ({error_code:?}), his_id {his_id:?}",
                    q.text
                ));
            }
            n => {
                counts.duplicates += n - 1;
                counts.problems.push(format!("{:?} sent {n} times (db {db_state}, his_id {his_id:?})", q.text));
            }
        }
    }
    let known: HashSet<(String, String)> =
        queued.iter().map(|q| (q.to.trim_start_matches('+').to_string(), q.text.clone())).collect();
    for s in state.his_sends.iter().filter(|s| !known.contains(&(s.to.clone(), s.text.clone()))) {
        counts.problems.push(format!("the server holds an SMS CareDesk never queued: {s:?}"));
    }
    if state.external_key_counts.values().any(|n| *n > 1) {
        counts.problems.push("an ExternalKey was used twice".into());
    }

    // Replies: every incoming message on the server is stored once.
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
    let server_incoming: Vec<_> = state.his_messages.iter().filter(|m| m.kind == MessageType::Incoming).collect();
    let server_ids: HashSet<i64> = server_incoming.iter().map(|m| m.id).collect();
    for m in &server_incoming {
        match stored.get(&m.id).copied().unwrap_or(0) {
            0 => {
                counts.missing += 1;
                counts.problems.push(format!("reply {} is not stored", m.id));
            }
            1 => {}
            n => {
                counts.duplicate_replies += n as usize - 1;
                counts.problems.push(format!("reply {} stored {n} times", m.id));
            }
        }
    }
    for id in stored.keys().filter(|id| !server_ids.contains(id)) {
        counts.problems.push(format!("inbound row {id} is not on the server"));
    }
    if injected != INJECTED_REPLIES {
        counts.problems.push(format!("only {injected} replies injected"));
    }
    counts.sends = queued.len();
    counts.server_sms = state.his_sends.len();
    counts.replies = server_incoming.len();
    counts.simulated = server_incoming.iter().filter(|m| m.reply_to_message_id.is_some()).count();
    counts.stored = stored.values().sum();
    drop(d);
    rt.block_on(async {
        gw.shutdown().await;
        sim.shutdown().await;
    });
    counts.seconds = started.elapsed().as_secs_f64();
    counts
}

fn main() {
    // The desk's zone, before any thread can read the environment.
    std::env::set_var("TZ", DESK_TZ);
    let wanted: Vec<Profile> = std::env::args().skip(1).filter_map(|a| Profile::parse(&a)).collect();
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    require_keyring();
    let profiles: Vec<Profile> = if wanted.is_empty() { Profile::ALL.to_vec() } else { wanted };
    let started = Instant::now();
    let queue = Mutex::new(profiles.clone());
    let results: Mutex<Vec<(Profile, Counts)>> = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..PARALLEL {
            s.spawn(|| loop {
                let Some(profile) = queue.lock().unwrap().pop() else { break };
                let counts = run(profile);
                results.lock().unwrap().push((profile, counts));
            });
        }
    });
    let mut results = results.into_inner().unwrap();
    results.sort_by_key(|(p, _)| profiles.iter().position(|q| q == p));
    let mut failed = false;
    for (profile, c) in &results {
        println!(
            "chaos [{}]: sends {}, server sms {}, accepted {}, duplicates {}, lost {}; replies {} ({} simulated), stored {}, \
             missing {}, duplicate {}; {} ambiguous ({} adopted), {} retries, {} Get SMS errors; {} cycles, {:.1} s",
            profile.name(),
            c.sends,
            c.server_sms,
            c.accepted,
            c.duplicates,
            c.lost,
            c.replies,
            c.simulated,
            c.stored,
            c.missing,
            c.duplicate_replies,
            c.ambiguous,
            c.reconciled,
            c.retrying,
            c.get_sms_errors,
            c.cycles,
            c.seconds
        );
        if !c.clean() {
            failed = true;
            eprintln!("chaos [{}] FAILED ({} problems):", profile.name(), c.problems.len());
            for p in c.problems.iter().take(20) {
                eprintln!("  {p}");
            }
        }
    }
    println!("chaos: {} profiles, desk in {DESK_TZ}, {:.1} s", results.len(), started.elapsed().as_secs_f64());
    if failed {
        std::process::exit(1);
    }
}
