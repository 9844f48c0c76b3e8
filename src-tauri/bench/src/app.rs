//! The real app against a bare Tauri 2 window (`tests/bench/app-startup.sh`
//! builds both and runs this under Xvfb in a D-Bus session with an unlocked
//! gnome-keyring).
//!
//! - **startup_ms**: from the app process's start (`/proc/PID/stat`) to the
//!   first frame after the patient list's first row exists in the DOM. The
//!   app is launched by WebKitWebDriver (through tauri-driver), which reads
//!   the page without changing it: a probe script installs a
//!   MutationObserver as soon as the session is up and stamps
//!   `performance.timeOrigin + performance.now()` in the
//!   `requestAnimationFrame` after the first `[data-testid=patient-row]`
//!   appears. The bare window's page stamps its own first frame the same
//!   way (`bare-window/dist/ready.js`). Median of `--runs` launches.
//! - **idle_pss_mb**: each binary launched plainly (no WebDriver), left idle
//!   for its startup time plus 10 s, then PSS from `/proc/PID/smaps_rollup`
//!   summed over the process and every descendant (WebKitWebProcess,
//!   WebKitNetworkProcess...).
//!
//! Every wait has a deadline, and every process started is stopped (SIGTERM,
//! then SIGKILL after 5 s) whatever happens.

use std::{
    collections::HashMap,
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use serde_json::{json, Map, Value};

use crate::{datagen, keyring, stats::round};

/// The instance id of the app's data directory (its keyring entries).
const APP_INSTANCE: &str = "caredesk-bench-app";

/// A data directory for the real app: the generated clinic, its key in the
/// OS keyring of this session.
pub fn prepare_data_dir(dir: &Path) -> Result<(), String> {
    let ds = datagen::cached().map_err(|e| e.to_string())?;
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    for s in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(dir.join(format!("caredesk.db{s}")));
    }
    datagen::copy_through_cache(&ds.db_path, &dir.join("caredesk.db")).map_err(|e| e.to_string())?;
    std::fs::write(dir.join("instance-id"), APP_INSTANCE).map_err(|e| e.to_string())?;
    let k = keyring::open(true)?;
    keyring::put_database_key(&k, APP_INSTANCE, &ds.key)?;
    eprintln!("caredesk-bench: app data directory ready at {}", dir.display());
    Ok(())
}

struct Options {
    app: PathBuf,
    bare: PathBuf,
    data: PathBuf,
    runs: usize,
    driver: PathBuf,
    idle: Duration,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        app: PathBuf::new(),
        bare: PathBuf::new(),
        data: PathBuf::new(),
        runs: 3,
        driver: PathBuf::from("tauri-driver"),
        idle: Duration::from_secs(10),
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut v = || it.next().cloned().ok_or_else(|| format!("{a} needs a value"));
        match a.as_str() {
            "--app" => o.app = PathBuf::from(v()?),
            "--bare" => o.bare = PathBuf::from(v()?),
            "--data" => o.data = PathBuf::from(v()?),
            "--driver" => o.driver = PathBuf::from(v()?),
            "--runs" => o.runs = v()?.parse().map_err(|_| "--runs needs a number")?,
            "--idle-secs" => o.idle = Duration::from_secs(v()?.parse().map_err(|_| "--idle-secs needs a number")?),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    for (name, p) in [("--app", &o.app), ("--bare", &o.bare)] {
        if !p.is_file() {
            return Err(format!("{name} {} is not a file", p.display()));
        }
    }
    o.app = o.app.canonicalize().map_err(|e| e.to_string())?;
    o.bare = o.bare.canonicalize().map_err(|e| e.to_string())?;
    Ok(o)
}

pub fn measure(args: &[String]) -> Result<Map<String, Value>, String> {
    let o = parse(args)?;
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
    let mut f = Map::new();
    // The app chooses how WebKit paints (src-tauri/src/rendering.rs: no
    // GPU compositing on Linux); the bare window is measured with WebKit's
    // default and, for a like-for-like limit, painting as the app does.
    let software = vec![("WEBKIT_DISABLE_COMPOSITING_MODE", "1".to_string())];
    let targets = [
        ("bare", o.bare.clone(), "#ready", vec![]),
        ("bare_software", o.bare.clone(), "#ready", software),
        ("app", o.app.clone(), "[data-testid=patient-row]", vec![("CAREDESK_DATA_DIR", o.data.display().to_string())]),
    ];
    let mut startup = HashMap::new();
    for (name, bin, selector, data) in &targets {
        let mut runs = Vec::new();
        let mut natives = Vec::new();
        for run in 0..o.runs {
            // A loaded machine can make tauri-driver refuse a first session:
            // a fresh driver, a few times.
            let mut attempt = 0;
            let r = loop {
                attempt += 1;
                match rt.block_on(startup_once(&o.driver, bin, selector, data)) {
                    Ok(r) => break r,
                    Err(e) if attempt < 5 => {
                        eprintln!("  {name} run {}: {e}; trying again", run + 1);
                        std::thread::sleep(Duration::from_secs(2));
                    }
                    Err(e) => return Err(e),
                }
            };
            eprintln!(
                "  {name} run {}: startup {:.0} ms, page from {:.0} ms (WebDriver session up after {:.0} ms{})",
                run + 1,
                r.startup_ms,
                r.native_ms,
                r.session_ms,
                if r.late_probe { "; the rows existed before the probe: an upper bound" } else { "" }
            );
            runs.push(r.startup_ms);
            natives.push(r.native_ms);
        }
        natives.sort_by(f64::total_cmp);
        f.insert(format!("{name}_page_from_ms"), round(natives[natives.len() / 2]));
        runs.sort_by(f64::total_cmp);
        let median = runs[runs.len() / 2];
        startup.insert(*name, median);
        let key = if *name == "app" { "startup_ms".to_string() } else { format!("{name}_startup_ms") };
        f.insert(key, round(median));
        f.insert(format!("{name}_startup_runs_ms"), json!(runs.iter().map(|v| v.round()).collect::<Vec<_>>()));
    }
    let mut pss = HashMap::new();
    for (name, bin, _, data) in &targets {
        let wait = Duration::from_secs_f64(startup[name] / 1000.0) + o.idle;
        let (mb, procs) = idle_pss(bin, data, wait)?;
        eprintln!("  {name}: {mb:.1} MiB PSS over {} processes after {:.1} s", procs.len(), wait.as_secs_f64());
        pss.insert(*name, mb);
        let key = if *name == "app" { "idle_pss_mb".to_string() } else { format!("{name}_idle_pss_mb") };
        f.insert(key, round(mb));
        f.insert(format!("{name}_processes"), json!(procs));
    }
    f.insert("startup_vs_bare".into(), json!((startup["app"] / startup["bare"] * 100.0).round() / 100.0));
    f.insert("idle_pss_vs_bare".into(), json!((pss["app"] / pss["bare"] * 100.0).round() / 100.0));
    f.insert(
        "startup_vs_bare_software".into(),
        json!((startup["app"] / startup["bare_software"] * 100.0).round() / 100.0),
    );
    f.insert("idle_pss_vs_bare_software".into(), json!((pss["app"] / pss["bare_software"] * 100.0).round() / 100.0));
    f.insert("runs".into(), json!(o.runs));
    Ok(f)
}

// ---- processes -------------------------------------------------------------

/// A started process, stopped on drop: SIGTERM, then SIGKILL after 5 s.
struct Guard(Option<Child>);

fn signal(pid: u32, sig: &str) {
    let _ = Command::new("kill").args([sig, &pid.to_string()]).stderr(Stdio::null()).status();
}

impl Guard {
    fn stop(&mut self) {
        if let Some(mut c) = self.0.take() {
            signal(c.id(), "-TERM");
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = c.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Every process: pid -> (parent pid, start time in clock ticks since boot).
fn processes() -> HashMap<u32, (u32, u64)> {
    let mut out = HashMap::new();
    let Ok(dir) = std::fs::read_dir("/proc") else { return out };
    for e in dir.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else { continue };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { continue };
        // Fields after the command name (which may hold spaces) start at state.
        let Some(rest) = stat.rfind(')').map(|i| &stat[i + 2..]) else { continue };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let (Some(ppid), Some(start)) = (fields.get(1), fields.get(19)) else { continue };
        if let (Ok(ppid), Ok(start)) = (ppid.parse(), start.parse()) {
            out.insert(pid, (ppid, start));
        }
    }
    out
}

/// `root` and all its descendants.
fn tree(root: u32) -> Vec<u32> {
    let all = processes();
    let mut out = vec![root];
    let mut i = 0;
    while i < out.len() {
        let parent = out[i];
        let mut kids: Vec<u32> = all.iter().filter(|(_, (pp, _))| *pp == parent).map(|(p, _)| *p).collect();
        kids.sort();
        out.extend(kids);
        i += 1;
    }
    out
}

fn exe_of(pid: u32) -> Option<PathBuf> {
    std::fs::read_link(format!("/proc/{pid}/exe")).ok()
}

fn comm_of(pid: u32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default().trim().to_string()
}

/// PSS of one process in KiB (0 if it is gone).
fn pss_kib(pid: u32) -> u64 {
    let Ok(s) = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")) else { return 0 };
    s.lines()
        .find_map(|l| l.strip_prefix("Pss:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn clock_ticks() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

/// Now, as (seconds since boot, ms since the epoch).
fn clocks() -> (f64, f64) {
    let up = std::fs::read_to_string("/proc/uptime")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|v| v.parse().ok()))
        .unwrap_or(0.0);
    let epoch = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64() * 1000.0).unwrap_or(0.0);
    (up, epoch)
}

/// The process start of `pid`, in ms since the epoch (10 ms resolution).
fn started_epoch_ms(pid: u32) -> Option<f64> {
    let (_, start) = *processes().get(&pid)?;
    let (up, epoch) = clocks();
    let start_secs = start as f64 / clock_ticks();
    Some(epoch - (up - start_secs) * 1000.0)
}

fn free_port() -> Result<u16, String> {
    Ok(TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?.local_addr().map_err(|e| e.to_string())?.port())
}

// ---- startup through WebDriver ------------------------------------------

const PROBE: &str = r#"
const sel = arguments[0];
const w = window;
if (typeof w.__benchReady === "number") return { t: w.__benchReady, late: false, nav: performance.timeOrigin };
if (!w.__benchProbe) {
  const p = { t: null, late: false };
  w.__benchProbe = p;
  const stamp = () => requestAnimationFrame(() => { if (p.t === null) p.t = performance.timeOrigin + performance.now(); });
  if (document.querySelector(sel)) { p.late = true; stamp(); }
  else {
    const obs = new MutationObserver(() => { if (document.querySelector(sel)) { obs.disconnect(); stamp(); } });
    obs.observe(document, { subtree: true, childList: true });
  }
}
return { t: w.__benchProbe.t, late: w.__benchProbe.late, nav: performance.timeOrigin };
"#;

struct Startup {
    startup_ms: f64,
    /// Process start to the page's navigation start (`performance.timeOrigin`):
    /// the native part (GTK, the web view, the app's own setup).
    native_ms: f64,
    session_ms: f64,
    late_probe: bool,
}

async fn startup_once(driver: &Path, bin: &Path, selector: &str, env: &[(&str, String)]) -> Result<Startup, String> {
    let port = free_port()?;
    let native = loop {
        let p = free_port()?;
        if p != port {
            break p;
        }
    };
    let mut cmd = Command::new(driver);
    cmd.args(["--port", &port.to_string(), "--native-port", &native.to_string()])
        .env("NO_AT_BRIDGE", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    // Only what each target is given: WebKit's default unless it says.
    cmd.env_remove("WEBKIT_DISABLE_COMPOSITING_MODE").envs(env.iter().map(|(k, v)| (k, v)));
    let mut guard = Guard(Some(cmd.spawn().map_err(|e| format!("cannot start {}: {e}", driver.display()))?));
    let http = reqwest::Client::builder().timeout(Duration::from_secs(60)).build().map_err(|e| e.to_string())?;
    let base = format!("http://127.0.0.1:{port}");
    // tauri-driver listens at once and starts WebKitWebDriver on the native
    // port; a session asked for before that one listens fails (on a busy
    // machine it can take seconds).
    let deadline = Instant::now() + Duration::from_secs(30);
    for (p, who) in [(port, "tauri-driver"), (native, "WebKitWebDriver")] {
        while std::net::TcpStream::connect(("127.0.0.1", p)).is_err() {
            if Instant::now() > deadline {
                return Err(format!("{who} did not listen within 30 s"));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    let caps = json!({"capabilities": {"alwaysMatch": {"browserName": "wry", "tauri:options": {"application": bin}}}});
    let asked = Instant::now();
    let resp: Value = http
        .post(format!("{base}/session"))
        .json(&caps)
        .send()
        .await
        .map_err(|e| format!("new session: {e}"))?
        .json()
        .await
        .map_err(|e| format!("new session: {e}"))?;
    let session_ms = asked.elapsed().as_secs_f64() * 1000.0;
    let id = resp["value"]["sessionId"].as_str().ok_or_else(|| format!("no session: {resp}"))?.to_string();
    let result = async {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let r: Value = http
                .post(format!("{base}/session/{id}/execute/sync"))
                .json(&json!({"script": PROBE, "args": [selector]}))
                .send()
                .await
                .map_err(|e| format!("probe: {e}"))?
                .json()
                .await
                .map_err(|e| format!("probe: {e}"))?;
            if let Some(t) = r["value"]["t"].as_f64() {
                let nav = r["value"]["nav"].as_f64().unwrap_or(f64::NAN);
                return Ok((t, nav, r["value"]["late"].as_bool().unwrap_or(false)));
            }
            if Instant::now() > deadline {
                return Err(format!("{selector} did not appear within 60 s (last answer {r})"));
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    .await;
    // Which process is the app: the one running `bin` under tauri-driver.
    let app_pid = guard
        .0
        .as_ref()
        .map(|c| tree(c.id()))
        .unwrap_or_default()
        .into_iter()
        .find(|p| exe_of(*p).as_deref() == Some(bin));
    let started = app_pid.and_then(started_epoch_ms);
    let _ = http.delete(format!("{base}/session/{id}")).send().await;
    // The app must be gone before the next launch (it is single-instance).
    if let Some(pid) = app_pid {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Path::new(&format!("/proc/{pid}")).exists() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        if Path::new(&format!("/proc/{pid}")).exists() {
            signal(pid, "-KILL");
        }
    }
    guard.stop();
    let (painted, nav, late) = result?;
    let started = started.ok_or("the app's process was not found under tauri-driver")?;
    Ok(Startup { startup_ms: painted - started, native_ms: nav - started, session_ms, late_probe: late })
}

// ---- idle memory -----------------------------------------------------------

/// Launches `bin` plainly, waits `wait`, sums PSS over its process tree.
fn idle_pss(bin: &Path, env: &[(&str, String)], wait: Duration) -> Result<(f64, Vec<String>), String> {
    let mut cmd = Command::new(bin);
    cmd.env("NO_AT_BRIDGE", "1").stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
    // Only what each target is given: WebKit's default unless it says.
    cmd.env_remove("WEBKIT_DISABLE_COMPOSITING_MODE").envs(env.iter().map(|(k, v)| (k, v)));
    let mut guard = Guard(Some(cmd.spawn().map_err(|e| format!("cannot start {}: {e}", bin.display()))?));
    let pid = guard.0.as_ref().map(Child::id).unwrap_or_default();
    std::thread::sleep(wait);
    if let Some(Ok(Some(status))) = guard.0.as_mut().map(Child::try_wait) {
        return Err(format!("{} exited early ({status})", bin.display()));
    }
    let procs = tree(pid);
    let kib: u64 = procs.iter().map(|p| pss_kib(*p)).sum();
    let names = procs.iter().map(|p| format!("{} {:.1} MiB", comm_of(*p), pss_kib(*p) as f64 / 1024.0)).collect();
    // WebKit's helpers leave with the app; make sure.
    let kids: Vec<u32> = procs.iter().copied().filter(|p| *p != pid).collect();
    guard.stop();
    std::thread::sleep(Duration::from_millis(300));
    for k in kids {
        if Path::new(&format!("/proc/{k}")).exists() {
            signal(k, "-KILL");
        }
    }
    Ok((kib as f64 / 1024.0, names))
}
