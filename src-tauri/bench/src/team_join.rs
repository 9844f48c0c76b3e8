//! A new desk joining a big team: a team database of 100,000 patients and
//! 1,000,000 texts ([`crate::team_data`]), and a desk with an empty data
//! directory switched to team mode, running the real `engine::team` sync
//! task, timed from the switch until its store holds the team's whole log
//! and the thread list (the app's first query, `thread_listing("", 100)`)
//! answers. Then today's path for comparison: a desk applying the log one
//! change at a time, timed on a slice of it and projected to the whole.

use std::{
    path::Path,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use caredesk_core::{
    desk::Desk,
    engine::team::{
        self,
        exchange::{self, Session},
        TeamEvent,
    },
    gateways::team_db::{self, TeamDb},
    store::team::PulledChange,
};
use serde_json::{json, Map, Value};

use crate::{
    keyring::Keyring,
    stats::round,
    team::{team_desk, Server},
    team_data::{self, AUTHORS},
};

const DB: &str = "bigteam";
/// The member whose new desk joins.
pub const JOINER: (&str, &str) = ("dee", "Dee Park");
/// How long joining may take before the run gives up.
const LIMIT: Duration = Duration::from_secs(900);
/// How much of the log today's path is timed on (patients, numbers, the
/// first 60,000 texts).
const LOG_SLICE: i64 = 280_000;

/// Today's path: left out, timed on [`LOG_SLICE`] and projected, or timed
/// on the whole log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogPath {
    Skip,
    Slice,
    Whole,
}

pub async fn measure(
    server: &Server,
    k: &Keyring,
    root: &Path,
    log_path: LogPath,
    f: &mut Map<String, Value>,
) -> Result<(), String> {
    eprintln!("caredesk-bench team: a team database of 100,000 patients and 1,000,000 texts");
    let mut members: Vec<(String, String)> = AUTHORS.iter().map(|(r, n)| (r.to_string(), n.to_string())).collect();
    members.push((JOINER.0.into(), JOINER.1.into()));
    let admin = server.team(DB, &members).await?;
    team_data::generate(&admin, f).await?;
    let head = team_db::log_head(&admin).await.map_err(|e| e.to_string())?;

    eprintln!("caredesk-bench team: a new desk joins ({head} changes in the log)");
    let synced: Arc<Mutex<Option<Instant>>> = Arc::default();
    let t0 = Instant::now();
    let desk = team_desk(&root.join(JOINER.0), k, server, DB, JOINER.0);
    let on_event = {
        let synced = synced.clone();
        Arc::new(move |e: TeamEvent| {
            if e.status.applied >= head {
                if let Ok(mut s) = synced.lock() {
                    s.get_or_insert_with(Instant::now);
                }
            }
        })
    };
    let sync = team::spawn(desk.clone(), on_event);
    let mut said = Instant::now();
    let at = loop {
        if let Some(at) = synced.lock().map_err(|_| "a lock")?.as_ref() {
            break *at;
        }
        if t0.elapsed() > LIMIT {
            return Err(format!("the new desk had not joined after {} s", LIMIT.as_secs()));
        }
        if said.elapsed() > Duration::from_secs(10) {
            eprintln!("  … {:.0} s", t0.elapsed().as_secs_f64());
            said = Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let list = Instant::now();
    let shown = desk.lock().map_err(|_| "the desk")?.db().thread_listing("", 100).map_err(|e| e.to_string())?;
    let list_ms = list.elapsed().as_secs_f64() * 1000.0;
    let ready = t0.elapsed().as_secs_f64();
    sync.stop(Duration::from_secs(10)).await;
    let synced_s = (at - t0).as_secs_f64();
    if shown.patients.len() != 100 {
        return Err(format!("the thread list shows {} patients", shown.patients.len()));
    }
    complete(&admin, &desk).await?;
    let bytes = std::fs::metadata(root.join(JOINER.0).join("caredesk.db")).map(|m| m.len()).unwrap_or(0);
    f.insert("team_join_log_changes".into(), json!(head));
    f.insert("team_join_synced_s".into(), round(synced_s));
    f.insert("team_join_thread_list_ms".into(), round(list_ms));
    f.insert("team_join_ready_s".into(), round(ready));
    f.insert("team_join_texts_per_s".into(), round(1_000_000.0 / synced_s));
    f.insert("team_join_db_mb".into(), round(bytes as f64 / 1e6));
    eprintln!(
        "  store complete after {synced_s:.1} s, thread list in {list_ms:.1} ms: ready after {ready:.1} s (target 60); database {:.0} MB",
        bytes as f64 / 1e6
    );
    drop(desk);

    if log_path != LogPath::Skip {
        let upto = if log_path == LogPath::Whole { head } else { LOG_SLICE.min(head) };
        today(server, k, root, head, upto, f).await?;
    }
    Ok(())
}

/// The joined desk holds what the team database holds.
async fn complete(admin: &TeamDb, desk: &Arc<Mutex<Desk>>) -> Result<(), String> {
    let pg = admin
        .client()
        .query_one(
            "SELECT (SELECT count(*) FROM caredesk.patients), (SELECT count(*) FROM caredesk.messages),
                    (SELECT count(*) FROM caredesk.calls), (SELECT count(*) FROM caredesk.notes),
                    (SELECT count(*) FROM caredesk.patient_numbers), (SELECT count(*) FROM caredesk.threads)",
            &[],
        )
        .await
        .map_err(|e| e.to_string())?;
    let pg: Vec<i64> = (0..6).map(|i| pg.get(i)).collect();
    let d = desk.lock().map_err(|_| "the desk")?;
    let local: Vec<i64> = d
        .db()
        .conn()
        .query_row(
            "SELECT (SELECT count(*) FROM patients), (SELECT count(*) FROM messages), (SELECT count(*) FROM calls),
                    (SELECT count(*) FROM notes), (SELECT count(*) FROM contact_points), (SELECT count(*) FROM team_threads)",
            [],
            |r| (0..6).map(|i| r.get(i)).collect(),
        )
        .map_err(|e| e.to_string())?;
    if pg != local {
        return Err(format!(
            "the new desk holds {local:?} (patients, texts, calls, notes, numbers, threads), the team {pg:?}"
        ));
    }
    let integrity = d.db().integrity_check().map_err(|e| e.to_string())?;
    if integrity != "ok" {
        return Err(format!("the joined database: {integrity}"));
    }
    Ok(())
}

/// Today's path: the log applied change by change (`team_apply`, as a pull
/// without the snapshot), timed on its first `upto` changes (patients,
/// numbers, then texts) and projected to the whole log.
async fn today(
    server: &Server,
    k: &Keyring,
    root: &Path,
    head: i64,
    upto: i64,
    f: &mut Map<String, Value>,
) -> Result<(), String> {
    eprintln!("caredesk-bench team: today's path, the log change by change, on its first {upto} changes");
    let role = AUTHORS[1].0;
    let desk = team_desk(&root.join(role), k, server, DB, role);
    let opts = desk.lock().map_err(|_| "the desk")?.team_connection().map_err(|e| e.to_string())?.ok_or("team mode")?;
    let session = Session::open(&desk, &opts).await.map_err(|e| e.to_string())?;
    // Seconds and changes per kind.
    let mut spent: std::collections::BTreeMap<String, (f64, usize)> = Default::default();
    let mut applied = 0i64;
    let t = Instant::now();
    while applied < upto {
        let page = team_db::read_after(&session.db, applied, 500).await.map_err(|e| e.to_string())?;
        let Some(last) = page.last().map(|c| c.pos) else { break };
        let pulled: Vec<PulledChange> = page.into_iter().map(exchange::pulled).collect();
        let n = pulled.len();
        let kind = pulled[n / 2].kind.clone();
        let d = desk.clone();
        let page_t = Instant::now();
        tokio::task::spawn_blocking(move || {
            d.lock().map_err(|_| "the desk".to_string())?.db().team_apply(&pulled).map_err(|e| e.to_string())
        })
        .await
        .map_err(|e| e.to_string())??;
        let e = spent.entry(kind).or_default();
        e.0 += page_t.elapsed().as_secs_f64();
        e.1 += n;
        applied = last;
    }
    let took = t.elapsed().as_secs_f64();
    let rate = |kind: &str| spent.get(kind).map(|(s, n)| *n as f64 / s).unwrap_or(f64::NAN);
    let texts_per_s = rate("message.upsert");
    // The whole log at the rates measured: texts at the texts' rate, the rest at theirs or the texts'.
    let counts = team_data_counts(server).await?;
    let projected: f64 =
        counts.iter().map(|(kind, n)| *n as f64 / if rate(kind).is_finite() { rate(kind) } else { texts_per_s }).sum();
    f.insert("team_log_path_changes_per_s".into(), round(applied as f64 / took));
    f.insert("team_log_path_texts_per_s".into(), round(texts_per_s));
    f.insert("team_log_path_changes".into(), json!(applied));
    f.insert("team_log_path_s".into(), round(took));
    f.insert("team_log_path_projected_s".into(), round(projected));
    eprintln!(
        "  {applied} changes in {took:.1} s ({:.0}/s; texts {texts_per_s:.0}/s): the whole log ({head}) would take about {projected:.0} s",
        applied as f64 / took
    );
    Ok(())
}

/// The log's changes per kind.
async fn team_data_counts(server: &Server) -> Result<Vec<(String, i64)>, String> {
    let admin = server.admin(DB).await?;
    let rows = admin
        .client()
        .query("SELECT kind, count(*) FROM caredesk.changes GROUP BY kind", &[])
        .await
        .map_err(|e| e.to_string())?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}
