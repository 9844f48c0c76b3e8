//! 50 desks on one team database, each a real `Desk` (its own data
//! directory and encrypted store) running the real `engine::team` sync task:
//! how long a change committed on one desk takes to be in every other desk's
//! store, what rate the log takes a burst at, the statements (and round
//! trips) a change costs, and how often an idle desk queries the database.
//!
//! A change is an internal note (`Desk::add_note`): its store transaction
//! writes the note and its `team_outbox` row; the desk's sync is woken as
//! the app wakes it (`TeamSyncHandle::wake`). A desk has the change when its
//! sync reports that a pull changed its store (`TeamEvent::applied`), after
//! the local commit; the notes are checked in every store afterwards.

use std::{
    path::Path,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use caredesk_core::{
    desk::Desk,
    engine::team::{self, TeamEvent, TeamSyncHandle},
    gateways::team_db::{self, TeamDb},
    store::{upsert_patient, PatientInput},
};
use serde_json::{json, Map, Value};

use crate::{
    keyring::Keyring,
    stats::{percentile, round},
    team::{sql, team_desk, Server},
};

pub const DESKS: usize = 50;
const DB: &str = "fanout";
/// Notes each desk writes in the burst.
const BURST_PER_DESK: usize = 40;
/// How long the desks are left idle while their queries are counted.
const IDLE: Duration = Duration::from_secs(30);
const PATIENT: &str = "ecm:1001";

/// When each desk last reported a pull that changed its store.
struct Seen {
    at: Mutex<Vec<Option<Instant>>>,
}

impl Seen {
    fn clear(&self) {
        if let Ok(mut v) = self.at.lock() {
            v.iter_mut().for_each(|s| *s = None);
        }
    }

    fn mark(&self, desk: usize) {
        if let Ok(mut v) = self.at.lock() {
            v[desk].get_or_insert_with(Instant::now);
        }
    }

    fn snapshot(&self) -> Vec<Option<Instant>> {
        self.at.lock().map(|v| v.clone()).unwrap_or_default()
    }
}

struct Fleet {
    desks: Vec<Arc<Mutex<Desk>>>,
    syncs: Vec<Arc<TeamSyncHandle>>,
}

impl Fleet {
    /// How many desks have applied the log up to `head`.
    fn caught_up(&self, head: i64) -> usize {
        self.desks
            .iter()
            .filter(|d| d.lock().map(|d| d.db().team_applied().unwrap_or(0) >= head).unwrap_or(false))
            .count()
    }

    async fn wait_caught_up(&self, head: i64, limit: Duration) -> Result<Duration, String> {
        let t = Instant::now();
        while self.caught_up(head) < self.desks.len() {
            if t.elapsed() > limit {
                return Err(format!("only {} of {} desks reached change {head}", self.caught_up(head), DESKS));
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        Ok(t.elapsed())
    }

    fn notes(&self, desk: usize) -> usize {
        let d = self.desks[desk].lock().expect("a desk");
        let id = d.db().resolve_patient(PATIENT).ok().flatten().unwrap_or(0);
        d.db().team_notes(id).map(|n| n.len()).unwrap_or(0)
    }
}

/// Statements per role since the last reset (`pg_stat_statements`):
/// (role, query, calls).
async fn statements(admin: &TeamDb) -> Result<Vec<(String, String, i64)>, String> {
    let rows = admin
        .client()
        .query(
            "SELECT r.rolname::text, s.query, s.calls FROM pg_stat_statements s
               JOIN pg_roles r ON r.oid = s.userid JOIN pg_database d ON d.oid = s.dbid
              WHERE d.datname = $1 AND r.rolname LIKE 'desk%'",
            &[&DB],
        )
        .await
        .map_err(|e| e.to_string())?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1), r.get(2))).collect())
}

/// Round trips a statement costs through tokio-postgres: a query with
/// parameters is prepared first (Parse, then Bind/Execute: two); a plain
/// transaction command is one.
fn round_trips(query: &str) -> i64 {
    let q = query.trim_start().to_ascii_uppercase();
    if ["BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "SET ", "LISTEN", "START"]
        .iter()
        .any(|w| q.starts_with(w))
    {
        1
    } else {
        2
    }
}

fn is_pull(query: &str) -> bool {
    query.contains("FROM caredesk.changes") && query.contains("WHERE pos >")
}

pub async fn measure(server: &Server, k: &Keyring, root: &Path, f: &mut Map<String, Value>) -> Result<(), String> {
    eprintln!("caredesk-bench team: {DESKS} desks on one team database");
    let members: Vec<(String, String)> =
        (1..=DESKS).map(|i| (format!("desk{i:02}"), format!("Coordinator {i:02}"))).collect();
    let admin = server.team(DB, &members).await?;
    let seen = Arc::new(Seen { at: Mutex::new(vec![None; DESKS]) });
    let mut fleet = Fleet { desks: Vec::new(), syncs: Vec::new() };
    let t = Instant::now();
    for (i, (role, _)) in members.iter().enumerate() {
        let desk = team_desk(&root.join(role), k, server, DB, role);
        let seen = seen.clone();
        let on_event = Arc::new(move |e: TeamEvent| {
            if e.applied > 0 {
                seen.mark(i);
            }
        });
        fleet.syncs.push(Arc::new(team::spawn(desk.clone(), on_event)));
        fleet.desks.push(desk);
    }
    eprintln!("  {DESKS} desks open and syncing in {:.1} s", t.elapsed().as_secs_f64());

    // A patient for the notes, from the first desk.
    {
        let d = fleet.desks[0].lock().map_err(|_| "a desk")?;
        let tx = d.db().conn().unchecked_transaction().map_err(|e| e.to_string())?;
        let input = PatientInput {
            ecm_patient_id: Some(1001),
            fhir_id: None,
            name: "Bench Patient".into(),
            phones: vec![],
            time_zone: None,
        };
        upsert_patient(&tx, &input).map_err(|e| e.to_string())?;
        tx.commit().map_err(|e| e.to_string())?;
    }
    fleet.syncs[0].wake();
    wait_head(&admin, 1).await?;
    fleet.wait_caught_up(1, Duration::from_secs(60)).await?;
    tokio::time::sleep(Duration::from_secs(3)).await;

    // Latency: each desk in turn commits one note.
    sql(&admin, "SELECT pg_stat_statements_reset()").await?;
    let (mut each, mut all) = (Vec::new(), Vec::new());
    for i in 0..DESKS {
        seen.clear();
        let t0 = {
            let d = fleet.desks[i].lock().map_err(|_| "a desk")?;
            d.add_note(PATIENT, &format!("Latency note {i}")).map_err(|e| e.to_string())?;
            Instant::now()
        };
        fleet.syncs[i].wake();
        let deadline = t0 + Duration::from_secs(20);
        loop {
            let at = seen.snapshot();
            let others: Vec<Duration> =
                at.iter().enumerate().filter(|(j, _)| *j != i).filter_map(|(_, s)| s.map(|s| s - t0)).collect();
            if others.len() == DESKS - 1 {
                all.push(*others.iter().max().unwrap_or(&Duration::ZERO));
                each.extend(others);
                break;
            }
            if Instant::now() > deadline {
                return Err(format!("note {i} reached {} of {} desks in 20 s", others.len(), DESKS - 1));
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let stats = statements(&admin).await?;
    for i in 0..DESKS {
        if fleet.notes(i) != DESKS {
            return Err(format!("desk {i} holds {} of the {DESKS} notes", fleet.notes(i)));
        }
    }
    each.sort();
    all.sort();
    f.insert("team_desks".into(), json!(DESKS));
    f.insert("team_latency_p50_ms".into(), round(percentile(&each, 0.5)));
    f.insert("team_latency_p95_ms".into(), round(percentile(&each, 0.95)));
    f.insert("team_latency_max_ms".into(), round(percentile(&each, 1.0)));
    f.insert("team_latency_all_desks_p50_ms".into(), round(percentile(&all, 0.5)));
    f.insert("team_latency_all_desks_p95_ms".into(), round(percentile(&all, 0.95)));
    f.insert("team_latency_all_desks_max_ms".into(), round(percentile(&all, 1.0)));
    eprintln!(
        "  commit to each other desk: p50 {:.0} ms, p95 {:.0} ms, max {:.0} ms; to all {}: p50 {:.0}, p95 {:.0}, max {:.0}",
        percentile(&each, 0.5),
        percentile(&each, 0.95),
        percentile(&each, 1.0),
        DESKS - 1,
        percentile(&all, 0.5),
        percentile(&all, 0.95),
        percentile(&all, 1.0)
    );
    costs(&stats, f);

    burst(&fleet, &admin, f).await?;
    idle(&fleet, &admin, f).await?;

    for s in fleet.syncs.drain(..) {
        if let Ok(s) = Arc::try_unwrap(s) {
            s.stop(Duration::from_secs(5)).await;
        }
    }
    Ok(())
}

/// Statements and round trips per change, from the latency trials (one
/// change per desk, a quarter of a second apart): the pushing desk's
/// statements, and the log reads of every desk (the pusher reads its
/// change back; a notification restarts a desk's idle poll, so the trials
/// see next to none).
fn costs(stats: &[(String, String, i64)], f: &mut Map<String, Value>) {
    let changes = DESKS as f64;
    let (mut push, mut push_trips, mut pulls, mut other) = (0i64, 0i64, 0i64, 0i64);
    for (_, query, calls) in stats {
        if is_pull(query) {
            pulls += calls;
        } else if query.contains("caredesk.members") {
            other += calls;
        } else {
            push += calls;
            push_trips += calls * round_trips(query);
        }
    }
    let reads = pulls as f64 / (changes * DESKS as f64);
    let per_change = (push + pulls) as f64 / changes;
    let trips = (push_trips + 2 * pulls) as f64 / changes;
    f.insert("team_push_statements_per_change".into(), round(push as f64 / changes));
    f.insert("team_push_round_trips_per_change".into(), round(push_trips as f64 / changes));
    f.insert("team_log_reads_per_desk_per_change".into(), round(reads));
    f.insert("team_statements_per_change".into(), round(per_change));
    f.insert("team_round_trips_per_change".into(), round(trips));
    eprintln!(
        "  per change: the pusher {:.1} statements ({:.1} round trips); each of the {DESKS} desks {reads:.2} log reads \
         (2 round trips each); {per_change:.0} statements, {trips:.0} round trips in all ({other} member reads)",
        push as f64 / changes,
        push_trips as f64 / changes,
    );
}

/// The highest position in the log.
async fn head(admin: &TeamDb) -> Result<i64, String> {
    team_db::log_head(admin).await.map_err(|e| e.to_string())
}

async fn wait_head(admin: &TeamDb, at_least: i64) -> Result<Duration, String> {
    let t = Instant::now();
    while head(admin).await? < at_least {
        if t.elapsed() > Duration::from_secs(120) {
            return Err(format!("the log did not reach change {at_least}"));
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    Ok(t.elapsed())
}

/// Every desk writes [`BURST_PER_DESK`] notes at once: the rate the log
/// takes them at, and the rate every desk has them all at.
async fn burst(fleet: &Fleet, admin: &TeamDb, f: &mut Map<String, Value>) -> Result<(), String> {
    let total = (DESKS * BURST_PER_DESK) as i64;
    let start = head(admin).await?;
    eprintln!("caredesk-bench team: a burst of {total} notes from {DESKS} desks");
    let t0 = Instant::now();
    let mut writers = Vec::new();
    for (i, desk) in fleet.desks.iter().enumerate() {
        let desk = desk.clone();
        let sync = fleet.syncs[i].clone();
        writers.push(tokio::task::spawn_blocking(move || -> Result<(), String> {
            for n in 0..BURST_PER_DESK {
                desk.lock()
                    .map_err(|_| "a desk")?
                    .add_note(PATIENT, &format!("Burst note {i}-{n}"))
                    .map_err(|e| e.to_string())?;
                sync.wake();
            }
            Ok(())
        }));
    }
    for w in writers {
        w.await.map_err(|e| e.to_string())??;
    }
    let written = t0.elapsed();
    let in_log = wait_head(admin, start + total).await.map(|_| t0.elapsed())?;
    fleet.wait_caught_up(start + total, Duration::from_secs(300)).await?;
    let everywhere = t0.elapsed();
    let notes = DESKS * (BURST_PER_DESK + 1);
    for i in 0..DESKS {
        if fleet.notes(i) != notes {
            return Err(format!("desk {i} holds {} of the {notes} notes after the burst", fleet.notes(i)));
        }
    }
    let rate = |d: Duration| total as f64 / d.as_secs_f64();
    f.insert("team_burst_changes".into(), json!(total));
    f.insert("team_log_changes_per_s".into(), round(rate(in_log)));
    f.insert("team_all_desks_changes_per_s".into(), round(rate(everywhere)));
    eprintln!(
        "  written on the desks in {:.2} s; in the log after {:.2} s ({:.0} changes/s); on all {DESKS} desks after {:.2} s ({:.0} changes/s)",
        written.as_secs_f64(),
        in_log.as_secs_f64(),
        rate(in_log),
        everywhere.as_secs_f64(),
        rate(everywhere)
    );
    Ok(())
}

/// Counts each desk's statements while nothing happens.
async fn idle(fleet: &Fleet, admin: &TeamDb, f: &mut Map<String, Value>) -> Result<(), String> {
    eprintln!("caredesk-bench team: {DESKS} desks idle for {} s", IDLE.as_secs());
    let h = head(admin).await?;
    fleet.wait_caught_up(h, Duration::from_secs(60)).await?;
    tokio::time::sleep(Duration::from_secs(3)).await;
    sql(admin, "SELECT pg_stat_statements_reset()").await?;
    let t = Instant::now();
    tokio::time::sleep(IDLE).await;
    let stats = statements(admin).await?;
    let secs = t.elapsed().as_secs_f64();
    let mut per_desk = std::collections::BTreeMap::<String, i64>::new();
    for (role, _, calls) in &stats {
        *per_desk.entry(role.clone()).or_default() += calls;
    }
    let rates: Vec<f64> =
        (1..=DESKS).map(|i| *per_desk.get(&format!("desk{i:02}")).unwrap_or(&0) as f64 / secs).collect();
    let max = rates.iter().cloned().fold(0.0, f64::max);
    let mean = rates.iter().sum::<f64>() / rates.len() as f64;
    f.insert("team_idle_queries_per_desk_per_s_max".into(), round(max));
    f.insert("team_idle_queries_per_desk_per_s_mean".into(), round(mean));
    f.insert("team_idle_at_most_1_per_s".into(), json!(max <= 1.0));
    eprintln!("  idle: {mean:.2} statements/s per desk on average, {max:.2} at most (limit 1)");
    Ok(())
}
