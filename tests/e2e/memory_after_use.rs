//! Memory after use: the real app's PSS (summed over it and its WebKit
//! processes) at three moments of one run, to catch growth that an idle
//! start-up figure cannot show:
//!
//! 1. **idle**: the desk open, 10 s after the list showed;
//! 2. **after use**: a scripted session: 50 threads opened, 100 texts sent,
//!    200 replies received (100 answers of the simulated patients and 100
//!    injected through the sandbox), a 2,000-message thread scrolled back to
//!    its first message, every dialog opened and closed;
//! 3. **after idle hours**: 2,880 more inbox-sync cycles (8 hours at the
//!    default 10-s interval), run at 100 ms intervals (`CAREDESK_SYNC_INTERVAL_MS`),
//!    counted by the sandbox's `inbox_reads`.
//!
//! A benchmark, not a test: `tests/bench/app-after-use.sh` builds the
//! release app and runs it (`--ignored`), and it prints one `memory after
//! use: {json}` line. Every wait is bounded.

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use caredesk_tests::Cli;
use serde_json::json;
use thirtyfour::prelude::*;

use crate::{
    desk::{close_dialog, open_patient},
    harness::*,
};

const THREADS: usize = 50;
const TEXTS_PER_THREAD: usize = 2;
const INJECTED_REPLIES: usize = 100;
const LONG_THREAD: usize = 2_000;
/// 8 hours of sync at the default 10-s interval.
const IDLE_CYCLES: u64 = 8 * 3600 / 10;

fn roster() -> String {
    let mut csv = String::from("name,phone\nLongtime Reader,+14155550142\n");
    for i in 0..THREADS {
        csv.push_str(&format!("Bench Patient {i:02},+1805555{:04}\n", 3000 + i));
    }
    csv
}

// ---- process memory ------------------------------------------------------------

fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // pid (comm) state ppid ...: comm may hold spaces, so split after the last ')'.
    stat.rsplit_once(')')?.1.split_whitespace().nth(1)?.parse().ok()
}

fn all_pids() -> Vec<u32> {
    std::fs::read_dir("/proc")
        .map(|dir| dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok()).collect())
        .unwrap_or_default()
}

/// The process running `binary` (started by tauri-driver's WebKitWebDriver).
fn app_pid(binary: &Path) -> Option<u32> {
    let want = std::fs::canonicalize(binary).ok()?;
    all_pids().into_iter().find(|p| std::fs::read_link(format!("/proc/{p}/exe")).ok().as_deref() == Some(&want))
}

/// `root` and every descendant.
fn tree(root: u32) -> Vec<u32> {
    let parents: HashMap<u32, u32> = all_pids().into_iter().filter_map(|p| Some((p, parent_of(p)?))).collect();
    let mut out = vec![root];
    let mut i = 0;
    while i < out.len() {
        let me = out[i];
        out.extend(parents.iter().filter(|(_, pp)| **pp == me).map(|(p, _)| *p));
        i += 1;
    }
    out
}

fn pss_kib(pid: u32) -> u64 {
    let Ok(s) = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")) else { return 0 };
    s.lines()
        .find_map(|l| l.strip_prefix("Pss:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn comm(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default().trim().to_string()
}

/// PSS in MiB summed over the app's tree, and each process's share.
fn measure(binary: &Path) -> serde_json::Value {
    let pid = app_pid(binary).expect("the app's process");
    let procs = tree(pid);
    let total: u64 = procs.iter().map(|p| pss_kib(*p)).sum();
    let each: Vec<String> = procs.iter().map(|p| format!("{} {:.1}", comm(*p), pss_kib(*p) as f64 / 1024.0)).collect();
    json!({ "pss_mib": (total as f64 / 1024.0 * 10.0).round() / 10.0, "processes": each })
}

// ---- the sandbox -----------------------------------------------------------------

async fn inbox_reads(port: u16) -> u64 {
    sandbox_control(port, reqwest::Method::GET, "state", None).await["inbox_reads"].as_u64().unwrap_or(0)
}

async fn incoming_count(port: u16) -> usize {
    let state = sandbox_control(port, reqwest::Method::GET, "state", None).await;
    state["his_messages"].as_array().map(|m| m.iter().filter(|m| m["Type"] == "Incoming").count()).unwrap_or(0)
}

// ---- the session -----------------------------------------------------------------

async fn type_and_send(d: &WebDriver, text: &str) -> WebDriverResult<()> {
    let area = wait_for("the composer", || async {
        d.find(By::Css("[data-testid=composer] textarea[aria-label='Message']")).await.ok()
    })
    .await;
    area.send_keys(text).await?;
    area.send_keys(Key::Control + Key::Enter).await?;
    // Sent: the composer is empty again.
    wait_for("the composer to clear", || async {
        let a = d.find(By::Css("[data-testid=composer] textarea[aria-label='Message']")).await.ok()?;
        a.prop("value").await.ok().flatten().filter(|v| v.is_empty())
    })
    .await;
    Ok(())
}

const REACH_FIRST_JS: &str = r#"
const done = arguments[arguments.length - 1];
const t = document.querySelector('[data-testid=thread]');
const started = performance.now();
(function step() {
  if (t.textContent.includes('message 0:')) { done(performance.now() - started); return; }
  if (performance.now() - started > 90000) { done(-1); return; }
  t.scrollTop = 0;
  setTimeout(step, 50);
})();
"#;

/// Opens and closes each dialog the desk has, by the buttons that open them.
async fn every_dialog(d: &WebDriver) -> WebDriverResult<usize> {
    let openers = [
        "//button[@aria-label='Settings']",
        "//button[normalize-space()='Import']",
        "//button[normalize-space()='Activity log']",
        "//button[normalize-space()='Add patient']",
        "//button[normalize-space()='Edit']",
    ];
    let mut opened = 0;
    for xpath in openers {
        let Ok(button) = d.find(By::XPath(xpath)).await else { continue };
        button.click().await?;
        wait_for(&format!("the dialog of {xpath}"), || async { d.find(By::Css("[role=dialog]")).await.ok() }).await;
        opened += 1;
        close_dialog(d).await;
    }
    Ok(opened)
}

async fn session(d: &WebDriver, port: u16) -> WebDriverResult<serde_json::Value> {
    let started = Instant::now();
    for i in 0..THREADS {
        open_patient(d, &format!("Bench Patient {i:02}")).await;
        for k in 0..TEXTS_PER_THREAD {
            type_and_send(d, &format!("Bench text {i}-{k}: see you on Tuesday at 10")).await?;
        }
    }
    // The simulated patients answer each delivered text; 100 more arrive.
    for i in 0..INJECTED_REPLIES {
        let from = format!("1805555{:04}", 3000 + i % THREADS);
        let body = json!({ "from": from, "text": format!("Bench reply {i}: thank you") });
        sandbox_control(port, reqwest::Method::POST, "inbound", Some(body)).await;
    }
    let want = THREADS * TEXTS_PER_THREAD + INJECTED_REPLIES;
    let replies = wait_up_to("200 replies at the sandbox", Duration::from_secs(180), || async {
        let n = incoming_count(port).await;
        (n >= want).then_some(n)
    })
    .await;
    // Let the app read them (a few sync cycles).
    let reads = inbox_reads(port).await;
    wait_up_to("the app to read the replies", Duration::from_secs(60), || async {
        (inbox_reads(port).await >= reads + 5).then_some(())
    })
    .await;
    open_patient(d, "Longtime Reader").await;
    d.set_script_timeout(Duration::from_secs(120)).await?;
    let reach_ms: f64 = d.execute_async(REACH_FIRST_JS, vec![]).await?.convert()?;
    assert!(reach_ms >= 0.0, "the long thread's first message was not reached");
    let dialogs = every_dialog(d).await?;
    Ok(json!({
        "threads_opened": THREADS + 1,
        "texts_sent": THREADS * TEXTS_PER_THREAD,
        "replies_at_sandbox": replies,
        "long_thread_messages": LONG_THREAD,
        "dialogs_opened": dialogs,
        "session_secs": started.elapsed().as_secs(),
    }))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark of several minutes: tests/bench/app-after-use.sh runs it"]
async fn memory_after_use_and_after_idle_hours() {
    if !should_run() {
        return;
    }
    let _turn = ONE_APP_AT_A_TIME.lock().await;
    let (_dir, data) = data_with_roster(&roster());
    crate::long_thread::fill(&data, LONG_THREAD);
    let port = free_port();
    let cli = Cli::new(&data);
    cli.ok(&["config", "set", "sandbox.port", &port.to_string()]);
    cli.ok(&["config", "set", "sms.rate_per_sec", "0"]);
    let binary: PathBuf = app_binary();

    let session_handle = start_app_with(&data, &[("CAREDESK_SYNC_INTERVAL_MS", "100")]).await;
    let d = &session_handle.driver;
    let result = async {
        wait_for("the patient list", || async { row_of(d, "Bench Patient 00").await }).await;
        tokio::time::sleep(Duration::from_secs(10)).await;
        let idle = measure(&binary);
        let work = session(d, port).await?;
        tokio::time::sleep(Duration::from_secs(5)).await;
        let after_use = measure(&binary);
        let start_reads = inbox_reads(port).await;
        let idle_started = Instant::now();
        // PSS sampled through the idle hours, about every 360 cycles (an
        // hour at the default interval), so growth shows as a slope, not
        // two end points.
        let mut samples = Vec::new();
        let mut next_sample = 0;
        let deadline = Instant::now() + Duration::from_secs(1800);
        let cycles = loop {
            let n = inbox_reads(port).await - start_reads;
            if n >= next_sample {
                samples.push(json!({ "cycles": n, "pss_mib": measure(&binary)["pss_mib"] }));
                next_sample = n + IDLE_CYCLES / 8;
            }
            if n >= IDLE_CYCLES {
                break n;
            }
            assert!(Instant::now() < deadline, "8 simulated hours of sync did not finish in 30 minutes ({n} cycles)");
            tokio::time::sleep(Duration::from_secs(2)).await;
        };
        let after_idle = measure(&binary);
        let figures = json!({
            "binary": binary.display().to_string(),
            "idle": idle,
            "after_use": after_use,
            "after_idle_hours": after_idle,
            "session": work,
            "idle_sync_cycles": cycles,
            "idle_samples": samples,
            "idle_phase_secs": idle_started.elapsed().as_secs(),
        });
        println!("memory after use: {figures}");
        Ok::<(), WebDriverError>(())
    }
    .await;
    finish(session_handle, result).await;
}
