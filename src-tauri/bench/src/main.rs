//! `cargo run --release --bin caredesk-bench`: measures CareDesk on this
//! machine against the machine's limits, prints progress to stderr and, as
//! the last line of stdout, one JSON object with the figures. See README.md
//! beside this crate for what each figure means and its target.
//!
//! Subcommands (for `tests/bench/app-startup.sh`):
//! - `caredesk-bench app-data DIR`: a data directory for the real app with
//!   the generated 100,000 patients and 1,000,000 messages, its key in the OS
//!   keyring (run inside the keyring session the app will use);
//! - `caredesk-bench app-startup ...`: measures the app and the bare window
//!   (see `app.rs`).
//!
//! `caredesk-bench team` measures team mode on a PostgreSQL of its own
//! (see `team.rs`); `caredesk-bench campaign` a 10,000-recipient campaign
//! and the send loop (see `campaign.rs`).

mod app;
mod campaign;
mod datagen;
mod explain;
mod gateways;
mod ingest;
mod keyring;
mod pg;
mod reads;
mod stats;
mod sync;
mod team;
mod team_data;
mod team_data_log;
mod team_fanout;
mod team_join;

use std::{
    path::Path,
    sync::Mutex,
    time::{Duration, Instant},
};

use caredesk_core::{desk::Desk, desk::DeskOptions, desk::KeyringChoice};
use serde_json::{json, Map, Value};

use crate::stats::round;

fn open_desk(dir: &Path, k: &keyring::Keyring) -> Desk {
    Desk::open(DeskOptions { data_dir: Some(dir.to_path_buf()), keyring: KeyringChoice::Given(k.store.clone()) })
        .expect("open the desk")
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("app-data") => {
            let dir = args.get(1).expect("usage: caredesk-bench app-data DIR");
            if let Err(e) = app::prepare_data_dir(Path::new(dir)) {
                eprintln!("caredesk-bench app-data: {e}");
                std::process::exit(1);
            }
        }
        Some("app-startup") => {
            let figures = app::measure(&args[1..]).unwrap_or_else(|e| {
                eprintln!("caredesk-bench app-startup: {e}");
                std::process::exit(1);
            });
            println!("{}", Value::Object(figures));
        }
        Some("team") => match team::run(&args[1..]) {
            Ok(figures) => println!("{}", Value::Object(figures)),
            Err(e) => {
                eprintln!("caredesk-bench team: {e}");
                std::process::exit(1);
            }
        },
        Some("campaign") => match campaign::run(&args[1..]) {
            Ok(figures) => println!("{}", Value::Object(figures)),
            Err(e) => {
                eprintln!("caredesk-bench campaign: {e}");
                std::process::exit(1);
            }
        },
        Some("sql") => {
            if let Err(e) = explain::run(&args[1..]) {
                eprintln!("caredesk-bench sql: {e}");
                std::process::exit(1);
            }
        }
        Some("-h" | "--help") => {
            eprintln!(
                "usage: caredesk-bench [--skip-gateways] | team [--only fanout|join] [--skip-log-path] | campaign | app-data DIR | app-startup --app BIN --bare BIN --data DIR | sql [--copy] SQL..."
            );
        }
        _ => {
            // `--only a,b`: just those parts (raw, open, reads, ingest, sync,
            // outbox, gateways), for looking into one figure.
            let only: Option<Vec<String>> = args
                .iter()
                .position(|a| a == "--only")
                .and_then(|i| args.get(i + 1))
                .map(|v| v.split(',').map(str::to_string).collect());
            let skip_gateways = args.iter().any(|a| a == "--skip-gateways");
            let wants = |part: &str| {
                only.as_ref().map_or(!(part == "gateways" && skip_gateways), |o| o.iter().any(|p| p == part))
            };
            let figures = run(&wants);
            println!("{}", Value::Object(figures));
        }
    }
}

fn run(wants: &dyn Fn(&str) -> bool) -> Map<String, Value> {
    let started = Instant::now();
    let mut f = Map::new();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("tokio runtime");

    eprintln!("caredesk-bench: dataset ({} patients, {} messages)", datagen::PATIENTS, datagen::MESSAGES);
    let ds = datagen::cached().expect("the generated dataset");
    let root = datagen::data_root();
    let scratch = root.join("scratch");
    std::fs::create_dir_all(&scratch).expect("scratch dir");

    let reply_page = ingest::incoming_page(ingest::PAGE, 5_000_000_000, &[], 1);
    let mut raw = f64::NAN;
    if wants("raw") || wants("ingest") {
        eprintln!("caredesk-bench: bare SQLite insert (the limit)");
        raw = ingest::raw_insert(&scratch, &ds.key, &reply_page);
        f.insert("raw_insert_rows_per_s".into(), round(raw));
        eprintln!("  {raw:.0} rows/s");
    }

    let db_size = std::fs::metadata(&ds.db_path).map(|m| m.len()).unwrap_or(0);
    f.insert("db_bytes_per_message".into(), round(db_size as f64 / datagen::MESSAGES as f64));

    eprintln!("caredesk-bench: working copy and keyring");
    let work = root.join("work");
    datagen::working_copy(&ds, &work).expect("working copy");
    let k = keyring::open(false).expect("keyring");
    keyring::put_database_key(&k, "caredesk-bench-clinic", &ds.key).expect("database key in the keyring");
    f.insert("keyring".into(), json!(if k.platform { "os" } else { "mock" }));

    eprintln!("caredesk-bench: opening the encrypted database");
    let mut opens = Vec::new();
    for _ in 0..if wants("open") { 5 } else { 1 } {
        let t = Instant::now();
        let desk = open_desk(&work, &k);
        let n: i64 = desk.db().conn().query_row("SELECT count(*) FROM patients LIMIT 1", [], |r| r.get(0)).unwrap();
        assert_eq!(n as usize, datagen::PATIENTS);
        opens.push(t.elapsed());
        drop(desk);
    }
    opens.sort();
    f.insert("db_open_ms".into(), round(stats::ms(opens[opens.len() / 2])));
    eprintln!("  median {:.2} ms", stats::ms(opens[opens.len() / 2]));

    let desk = open_desk(&work, &k);
    if wants("reads") {
        reads::measure(&desk, &mut f);
    }

    if wants("raw") {
        eprintln!("caredesk-bench: bare insert into the real messages table at 1,000,000 messages");
        let raw_msgs = ingest::raw_insert_into_messages(desk.db(), &reply_page);
        f.insert("raw_insert_messages_table_rows_per_s".into(), round(raw_msgs));
        eprintln!("  {raw_msgs:.0} rows/s");
        eprintln!("caredesk-bench: bare insert into a 1,000,000-row table with only a thread index (setup ~15 s)");
        let raw_thread = ingest::raw_insert_thread_indexed(desk.db(), &reply_page);
        f.insert("raw_insert_thread_indexed_rows_per_s".into(), round(raw_thread));
        eprintln!("  {raw_thread:.0} rows/s");
    }

    if wants("ingest") {
        eprintln!("caredesk-bench: ingest of a 10,000-message page at 1,000,000 messages");
        let targets = ingest::reply_targets(desk.db());
        let warm = ingest::page_json(&ingest::incoming_page(1_000, 6_000_000_000, &targets, 2));
        ingest::ingest(&desk, &warm);
        let body = ingest::page_json(&ingest::incoming_page(ingest::PAGE, 6_100_000_000, &targets, 3));
        let ing = ingest::ingest(&desk, &body);
        assert_eq!(ing.report.new, ingest::PAGE, "every message of the page is new: {:?}", ing.report);
        f.insert("ingest_msgs_per_s".into(), round(ing.msgs_per_s));
        f.insert("ingest_vs_raw".into(), json!((ing.msgs_per_s / raw * 1000.0).round() / 1000.0));
        f.insert("ingest_parse_ms".into(), round(ing.parse_ms));
        f.insert("ingest_apply_ms".into(), round(ing.apply_ms));
        eprintln!(
            "  {:.0} msgs/s (parse {:.1} ms, apply {:.1} ms): {:?}",
            ing.msgs_per_s, ing.parse_ms, ing.apply_ms, ing.report
        );
    }

    let desk = Mutex::new(desk);
    rt.block_on(async {
        let gw = sync::gateways(&desk).await;
        if wants("sync") {
            eprintln!("caredesk-bench: full poll of 10,000 new messages from the sandbox over HTTP");
            let s = sync::sync_10k(&desk, &gw, 10_000).await;
            assert_eq!(s.new, 10_000, "the poll stored every message");
            f.insert("sync_10k_ms".into(), round(s.ms));
            eprintln!("  {:.1} ms", s.ms);
        }
        if wants("outbox") {
            eprintln!("caredesk-bench: outbox draining 10,000 messages to the sandbox, rate limit off");
            let o = sync::outbox_drain(&desk, &gw, 10_000).await;
            f.insert("outbox_sends_per_s".into(), round(o.sends_per_s));
            eprintln!("  {:.0} sends/s ({} accepted; queued at {:.0}/s)", o.sends_per_s, o.accepted, o.enqueue_per_s);
        }
        gw.shutdown().await;
    });
    drop(desk);

    if wants("gateways") {
        eprintln!("caredesk-bench: gateway clients against the sandbox");
        for (k, v) in rt.block_on(gateways::measure()) {
            f.insert(k.to_string(), v);
        }
    }
    rt.shutdown_timeout(Duration::from_secs(5));
    let _ = std::fs::remove_dir_all(&work);
    f.insert("bench_seconds".into(), round(started.elapsed().as_secs_f64()));
    eprintln!("caredesk-bench: done in {:.0} s", started.elapsed().as_secs_f64());
    f
}
