//! The chaos suite: thousands of sends and replies through a sandbox with
//! faults on (sends that fail after the server accepted them, 5xx errors,
//! failing and malformed polls, duplicated and shuffled pages, bursts of
//! equal timestamps), driven in-process by the same steps as the engine's
//! cycle. Afterwards the server holds each SMS exactly once, CareDesk
//! recorded each as accepted with its server id, and every reply the server
//! holds is stored in the threads exactly once. The counts are printed.
//!
//! Simulated patients answer delivered messages (replies on). A number
//! without a script in the sandbox answers at random, STOP included, and a
//! STOP opts the number out for good (no message goes out to earn the "Yes"
//! that would opt it back in), so the roster's 20 patients share the six
//! demo numbers whose scripted answers are never a consent keyword (one
//! phone for several people, as spec 002 allows).

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use caredesk_core::{
    engine::DRAIN_BATCH,
    gateways::{GatewayPlan, Gateways},
    his::wire::MessageType,
    inbox_sync,
    outbox::{self, Policy, SendLimiter, Targets},
    sandbox::{self, magic, Faults, Inbound, Sandbox, SandboxHandle, SandboxOptions},
    secrets::{Secret, SecretName},
    send::SmsRequest,
    store::Route,
    Desk, DeskOptions,
};
use caredesk_tests::require_keyring;

/// SMS queued by the coordinator. Each check of an ambiguous send reads the
/// server's Outgoing list from two minutes before the attempt (the default
/// reconciliation margin), which in a debug build costs about 0.1 ms per
/// listed message: the run grows with the square of this number (1500 take
/// about 100 s on two cores, 2000 about 150-210 s).
const SENDS: usize = 1500;
/// Replies injected from roster numbers while the loop runs (the simulated
/// patients add their own on top).
const INJECTED_REPLIES: usize = 750;
/// Queued and injected per cycle, interleaved with the engine's steps.
const SEND_BATCH: usize = 150;
const REPLY_BATCH: usize = 75;
const PATIENTS: i64 = 20;
const MAX_CYCLES: usize = 600;
const MAX_TIME: Duration = Duration::from_secs(240);

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

/// What one cycle's steps reported, summed.
#[derive(Default, Debug)]
struct Tally {
    cycles: usize,
    drain_errors: Vec<String>,
    poll_errors: usize,
    refresh_errors: usize,
    reconcile_errors: usize,
    ambiguous: usize,
    reconciled: usize,
    retrying: usize,
    failed: usize,
}

#[test]
fn thousands_of_sends_and_replies_through_faults_arrive_exactly_once() {
    require_keyring();
    let started = Instant::now();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let options = SandboxOptions { replies: true, faults: chaos_faults(), ..SandboxOptions::for_tests() };
    let sim = rt.block_on(Sandbox::start(options)).unwrap();
    let desk = configured_desk(&dir.path().join("data"), &sim);
    let gw: Gateways =
        rt.block_on(GatewayPlan::from_desk(&desk).unwrap().connect(SandboxOptions::for_tests())).unwrap();
    assert!(gw.sandbox().is_none(), "the desk talks to the sandbox as to real servers");
    let desk = Arc::new(Mutex::new(desk));
    let limiter = SendLimiter::new(0.0);
    let policy = Policy::fast();

    let mut queued: Vec<Queued> = Vec::with_capacity(SENDS);
    let mut injected = 0usize;
    let mut tally = Tally::default();
    let mut next_patient = 0i64;
    let his = gw.his().unwrap();

    rt.block_on(async {
        for cycle in 0..MAX_CYCLES {
            assert!(
                started.elapsed() < MAX_TIME,
                "the chaos loop ran out of time after {cycle} cycles: {} queued, {} injected, {} open: {:?}",
                queued.len(),
                injected,
                outbox::pending(&desk).unwrap().len(),
                outbox::pending(&desk).unwrap().first()
            );
            tally.cycles = cycle + 1;
            // The coordinator queues a batch.
            let target = (queued.len() + SEND_BATCH).min(SENDS);
            while queued.len() < target {
                let patient = 2000 + next_patient % PATIENTS;
                next_patient += 1;
                let text = format!("chaos {}", queued.len());
                let req = SmsRequest {
                    patient: format!("ecm:{patient}"),
                    to: None,
                    text: text.clone(),
                    via: Some(Route::His),
                };
                let q = outbox::enqueue(&desk, req).unwrap_or_else(|e| panic!("enqueue failed: {e}"));
                queued.push(Queued { message_id: q.message_id, to: q.to, text });
            }
            // Patients text in, interleaved with the sends.
            for _ in 0..REPLY_BATCH {
                if injected >= INJECTED_REPLIES {
                    break;
                }
                let from = patient_number((injected as i64 * 7) % PATIENTS);
                let inbound = Inbound {
                    from: from.to_string(),
                    to: None,
                    text: Some(format!("chaos reply {injected}: running late, see you soon")),
                    reply_to: None,
                    ahead_secs: None,
                };
                sim.inject_inbound(inbound).unwrap();
                injected += 1;
            }
            // A new burst of equal timestamps now and then.
            if cycle % 4 == 0 {
                sim.set_faults(chaos_faults());
            }

            let t0 = Instant::now();
            match outbox::drain_with(&desk, Targets::new(&gw), &limiter, DRAIN_BATCH, &policy).await {
                Ok(r) => {
                    tally.ambiguous += r.ambiguous;
                    tally.reconciled += r.reconciled;
                    tally.retrying += r.retrying;
                    tally.failed += r.failed;
                }
                Err(e) => tally.drain_errors.push(e.to_string()),
            }
            let t1 = Instant::now();
            if inbox_sync::refresh_outgoing(&desk, his).await.is_err() {
                tally.refresh_errors += 1;
            }
            let t2 = Instant::now();
            if inbox_sync::poll_incoming(&desk, his).await.is_err() {
                tally.poll_errors += 1;
            }
            if std::env::var_os("CHAOS_TRACE").is_some() {
                eprintln!(
                    "cycle {cycle}: drain {:?}, refresh {:?}, poll {:?}; queued {}, open {}",
                    t1 - t0,
                    t2 - t1,
                    t2.elapsed(),
                    queued.len(),
                    outbox::pending(&desk).unwrap().len()
                );
            }
            if cycle % 10 == 9 && inbox_sync::reconcile_incoming(&desk, his).await.is_err() {
                tally.reconcile_errors += 1;
            }
            if queued.len() >= SENDS && injected >= INJECTED_REPLIES && outbox::pending(&desk).unwrap().is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert!(
            outbox::pending(&desk).unwrap().is_empty(),
            "the outbox did not drain in {MAX_CYCLES} cycles: {:?}",
            outbox::pending(&desk).unwrap()
        );
        assert!(tally.drain_errors.is_empty(), "drain errors: {:?}", tally.drain_errors);

        // The storm ends: no more faults, no more replies; one clean poll,
        // refresh and reconciliation pick up everything still on the server.
        sim.set_replies(false);
        sim.set_faults(Faults::default());
        tokio::time::sleep(Duration::from_millis(100)).await;
        inbox_sync::poll_incoming(&desk, his).await.expect("a fault-free poll");
        inbox_sync::reconcile_incoming(&desk, his).await.expect("a fault-free reconciliation");
        inbox_sync::refresh_outgoing(&desk, his).await.expect("a fault-free refresh");
    });
    let elapsed = started.elapsed();

    let state = sim.state();
    let d = desk.lock().unwrap();
    let conn = d.db().conn();

    // --- Sends: each queued message is on the server exactly once and
    // recorded as accepted with that server id.
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
    assert_eq!(outbound.len(), queued.len(), "one outbound row per queued message");
    let sends_by_id: HashMap<i64, &sandbox::HisSend> = state.his_sends.iter().map(|s| (s.id, s)).collect();
    let (mut accepted, mut duplicates, mut lost) = (0usize, 0usize, 0usize);
    let mut problems = Vec::new();
    for q in &queued {
        let n = state.sends_to(&q.to, &q.text);
        let (db_state, error_code, his_id) = &outbound[&q.message_id];
        if n > 1 {
            duplicates += n - 1;
            problems.push(format!("{:?} sent {n} times (db {db_state}, his_id {his_id:?})", q.text));
            continue;
        }
        if n == 1 {
            let open_or_failed = ["queued", "sending", "failed", "uncertain"].contains(&db_state.as_str());
            let send = his_id.and_then(|id| sends_by_id.get(&id));
            if open_or_failed || send.is_none_or(|s| s.text != q.text) {
                lost += 1;
                problems.push(format!(
                    "{:?} is on the server once but recorded as {db_state} ({error_code:?}), his_id {his_id:?}",
                    q.text
                ));
            } else {
                accepted += 1;
            }
            continue;
        }
        // Not on the server at all.
        lost += 1;
        problems.push(format!("{:?} never reached the server; recorded as {db_state} ({error_code:?})", q.text));
    }
    // Nothing on the server that CareDesk does not know it sent.
    let known: HashSet<(String, String)> =
        queued.iter().map(|q| (q.to.trim_start_matches('+').to_string(), q.text.clone())).collect();
    let strays: Vec<_> = state.his_sends.iter().filter(|s| !known.contains(&(s.to.clone(), s.text.clone()))).collect();
    assert!(strays.is_empty(), "SMS on the server that CareDesk never queued: {strays:?}");
    let keys_twice = state.external_key_counts.values().filter(|n| **n > 1).count();

    // --- Replies: every incoming message on the server is stored once.
    let mut stored: BTreeMap<i64, i64> = BTreeMap::new();
    {
        let mut stmt =
            conn.prepare("SELECT his_id, count(*) FROM messages WHERE direction = 'inbound' GROUP BY his_id").unwrap();
        let rows = stmt.query_map([], |r| Ok((r.get::<_, Option<i64>>(0)?, r.get::<_, i64>(1)?))).unwrap();
        for row in rows {
            let (his_id, n) = row.unwrap();
            let his_id = his_id.expect("every inbound row has a server id");
            stored.insert(his_id, n);
        }
    }
    let server_incoming: Vec<_> = state.his_messages.iter().filter(|m| m.kind == MessageType::Incoming).collect();
    let server_ids: HashSet<i64> = server_incoming.iter().map(|m| m.id).collect();
    let (mut missing, mut dup_replies) = (0usize, 0usize);
    for m in &server_incoming {
        match stored.get(&m.id).copied().unwrap_or(0) {
            0 => {
                missing += 1;
                problems.push(format!("reply {} ({:?}) is not stored", m.id, m.text));
            }
            1 => {}
            n => {
                dup_replies += n as usize - 1;
                problems.push(format!("reply {} stored {n} times", m.id));
            }
        }
    }
    let phantoms: Vec<_> = stored.keys().filter(|id| !server_ids.contains(id)).collect();
    let simulated = server_incoming.iter().filter(|m| m.reply_to_message_id.is_some()).count();
    let stored_total: i64 = stored.values().sum();
    drop(d);

    println!(
        "chaos: sends {}, server sms {}, duplicates {duplicates}, lost {lost}; accepted {accepted}; replies {} ({} injected, {simulated} simulated), \
         stored {stored_total}, missing {missing}, duplicate {dup_replies}; cycles {}, {:.1} s",
        queued.len(),
        state.his_sends.len(),
        server_incoming.len(),
        injected,
        tally.cycles,
        elapsed.as_secs_f64()
    );
    println!(
        "chaos: faults seen: {} ambiguous sends ({} found on the server and adopted), {} retries, {} failed, \
         {} poll errors, {} refresh errors, {} reconciliation errors",
        tally.ambiguous,
        tally.reconciled,
        tally.retrying,
        tally.failed,
        tally.poll_errors,
        tally.refresh_errors,
        tally.reconcile_errors
    );

    assert!(
        problems.is_empty(),
        "{} problems, first ones:\n{}",
        problems.len(),
        problems[..problems.len().min(20)].join("\n")
    );
    assert_eq!((duplicates, lost, keys_twice), (0, 0, 0));
    assert_eq!(state.his_sends.len(), accepted, "the server holds exactly the accepted messages");
    assert_eq!((missing, dup_replies), (0, 0));
    assert!(phantoms.is_empty(), "inbound rows the server does not have: {phantoms:?}");
    assert_eq!(queued.len(), SENDS);
    assert!(injected == INJECTED_REPLIES && simulated > 0, "simulated patients replied too");
    let get_sms_errors = tally.poll_errors + tally.refresh_errors + tally.reconcile_errors;
    assert!(tally.ambiguous > 0 && tally.retrying > 0 && get_sms_errors > 0, "the faults did bite: {tally:?}");
    assert!(accepted + server_incoming.len() >= 2000, "thousands of operations");

    rt.block_on(async {
        gw.shutdown().await;
        sim.shutdown().await;
    });
}
