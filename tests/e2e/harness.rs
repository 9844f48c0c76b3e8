//! What every end-to-end test needs: starting the real app through
//! tauri-driver, waiting on what it shows, screenshots.

use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use caredesk_tests::{binary, require_keyring, target_dir, write_file, ChildGuard, Cli};
use serde_json::json;
use thirtyfour::prelude::*;

/// The sandbox control token the app under test is started with
/// (`CAREDESK_SANDBOX_TOKEN`), so a test can drive its sandbox.
pub const E2E_SANDBOX_TOKEN: &str = "e2e-sandbox-control-token-6b1f0c9d";

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

pub fn tauri_driver() -> Option<PathBuf> {
    let from_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).map(|d| d.join("tauri-driver")).find(|p| p.exists()))
        .unwrap_or_default();
    from_path.or_else(|| {
        let home = std::env::var_os("CARGO_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo")))?;
        Some(home.join("bin/tauri-driver")).filter(|p| p.exists())
    })
}

/// Whether to run: CAREDESK_E2E=1 demands it; otherwise only with a display.
pub fn should_run() -> bool {
    let demanded = std::env::var("CAREDESK_E2E").is_ok_and(|v| v == "1");
    if !demanded && (std::env::var_os("DISPLAY").is_none() || tauri_driver().is_none()) {
        eprintln!("e2e skipped: no DISPLAY or tauri-driver (the README's test command runs it)");
        return false;
    }
    assert!(std::env::var_os("DISPLAY").is_some(), "CAREDESK_E2E=1 but there is no DISPLAY (run under xvfb-run)");
    assert!(
        tauri_driver().is_some(),
        "CAREDESK_E2E=1 but tauri-driver is not installed (cargo install tauri-driver --locked)"
    );
    require_keyring();
    true
}

/// The app is single-instance per D-Bus session: a second copy started while
/// one runs would hand over to it and exit. The tests take turns.
pub static ONE_APP_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

pub struct Session {
    pub driver: WebDriver,
    _tauri_driver: ChildGuard,
}

/// The unlock passphrase every e2e test's app is given at first start.
pub const E2E_PASSPHRASE: &str = "e2e unlock passphrase";

pub async fn start_app(data_dir: &Path) -> Session {
    start_app_with(data_dir, &[]).await
}

/// Starts the app with extra environment (e.g. `GTK_THEME` for the dark
/// theme) and gets past the lock: sets [`E2E_PASSPHRASE`] at first start,
/// or unlocks with it.
pub async fn start_app_with(data_dir: &Path, env: &[(&str, &str)]) -> Session {
    let session = start_app_locked(data_dir, env).await;
    pass_lock(&session.driver).await;
    session
}

/// What the window shows first: the first-start setup, the lock screen, or
/// (when the desk cannot open) the startup error.
pub async fn first_screen(d: &WebDriver) -> &'static str {
    wait_up_to("the first screen", Duration::from_secs(60), || async {
        for id in ["setup-screen", "lock-screen", "status-bar", "startup-error"] {
            if d.find(By::Css(format!("[data-testid={id}]"))).await.is_ok() {
                return Some(id);
            }
        }
        None
    })
    .await
}

/// Types `text` into the field with this test id.
pub async fn type_into(d: &WebDriver, test_id: &str, text: &str) {
    let field = d.find(By::Css(format!("[data-testid={test_id}]"))).await.unwrap();
    field.send_keys(text).await.unwrap();
}

/// Sets or enters [`E2E_PASSPHRASE`] and waits for the desk.
pub async fn pass_lock(d: &WebDriver) {
    match first_screen(d).await {
        "setup-screen" => {
            type_into(d, "setup-passphrase", E2E_PASSPHRASE).await;
            type_into(d, "setup-repeat", E2E_PASSPHRASE).await;
            d.find(By::Css("[data-testid=setup-submit]")).await.unwrap().click().await.unwrap();
        }
        "lock-screen" => {
            type_into(d, "unlock-passphrase", E2E_PASSPHRASE).await;
            d.find(By::Css("[data-testid=unlock-submit]")).await.unwrap().click().await.unwrap();
        }
        _ => return,
    }
    wait_up_to("the desk after the passphrase", Duration::from_secs(60), || async {
        d.find(By::Css("[data-testid=status-bar]")).await.ok()
    })
    .await;
}

/// Starts the app and leaves it at its first screen (setup or lock).
pub async fn start_app_locked(data_dir: &Path, env: &[(&str, &str)]) -> Session {
    // A loaded machine can make tauri-driver refuse its first session: retry
    // with a fresh driver, a bounded number of times.
    let mut last_error = String::new();
    for attempt in 1..=3 {
        match try_start_app(data_dir, env).await {
            Ok(session) => return session,
            Err(e) => {
                eprintln!("e2e: starting the app failed (attempt {attempt}): {e}");
                last_error = e;
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
    panic!("the WebDriver session did not start after 3 attempts: {last_error}");
}

async fn try_start_app(data_dir: &Path, env: &[(&str, &str)]) -> Result<Session, String> {
    let port = free_port();
    let native = loop {
        let p = free_port();
        if p != port {
            break p;
        }
    };
    let mut cmd = Command::new(tauri_driver().unwrap());
    cmd.args(["--port", &port.to_string(), "--native-port", &native.to_string()])
        .env("CAREDESK_DATA_DIR", data_dir)
        .env("NO_AT_BRIDGE", "1")
        .env("CAREDESK_SANDBOX_TOKEN", E2E_SANDBOX_TOKEN)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    let guard = ChildGuard::spawn(&mut cmd);
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            return Err(format!("tauri-driver did not listen on {port}"));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut caps = thirtyfour::Capabilities::new();
    caps.set("browserName", "wry").unwrap();
    caps.set("tauri:options", json!({ "application": app_binary() })).unwrap();
    match tokio::time::timeout(Duration::from_secs(60), WebDriver::new(format!("http://127.0.0.1:{port}"), caps)).await
    {
        Ok(Ok(driver)) => Ok(Session { driver, _tauri_driver: guard }),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("the WebDriver session did not start within 60 s".into()),
    }
}

/// The app under test: this build's, or `CAREDESK_E2E_APP` (the memory
/// benchmark measures the release build).
pub fn app_binary() -> PathBuf {
    match std::env::var_os("CAREDESK_E2E_APP") {
        Some(path) => {
            let path = PathBuf::from(path);
            assert!(path.exists(), "CAREDESK_E2E_APP={} does not exist", path.display());
            path
        }
        None => binary("caredesk-desktop"),
    }
}

pub async fn wait_for<F, Fut, T>(what: &str, probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    wait_up_to(what, Duration::from_secs(20), probe).await
}

pub async fn wait_up_to<F, Fut, T>(what: &str, limit: Duration, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = probe().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

pub async fn rows(driver: &WebDriver) -> Vec<String> {
    let mut out = Vec::new();
    for e in driver.find_all(By::Css("[data-testid=patient-row]")).await.unwrap_or_default() {
        // textContent: WebKitWebDriver drops text inside `text-overflow: ellipsis` spans from `text()`.
        out.push(e.prop("textContent").await.ok().flatten().unwrap_or_default());
    }
    out
}

pub fn screenshot_dir() -> PathBuf {
    let d = target_dir().join("e2e-screenshots");
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The text of the first element matching `css` (textContent: WebKitWebDriver
/// drops ellipsized text from `text()`).
pub async fn text_of(d: &WebDriver, css: &str) -> Option<String> {
    d.find(By::Css(css)).await.ok()?.prop("textContent").await.ok().flatten()
}

/// The patient row whose text contains `name`.
pub async fn row_of(d: &WebDriver, name: &str) -> Option<WebElement> {
    for e in d.find_all(By::Css("[data-testid=patient-row]")).await.ok()? {
        if e.prop("textContent").await.ok().flatten().unwrap_or_default().contains(name) {
            return Some(e);
        }
    }
    None
}

/// Ends the WebDriver session (bounded) and stops tauri-driver, then
/// reports the test's own result.
pub async fn finish(session: Session, result: Result<(), WebDriverError>) {
    let quit = tokio::time::timeout(Duration::from_secs(20), session.driver.clone().quit()).await;
    drop(session);
    result.unwrap();
    quit.expect("quit in time").unwrap();
}

/// A fresh data directory (`<tmp>/data`) with `roster_csv` imported through the CLI.
pub fn data_with_roster(roster_csv: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let roster = write_file(dir.path(), "roster.csv", roster_csv);
    let cli = Cli::new(&data);
    // Independent of the hour the suite runs at (quiet hours are on by default).
    caredesk_tests::quiet_hours_off(&cli);
    cli.ok(&["patients", "import", roster.to_str().unwrap()]);
    (dir, data)
}

/// Calls the sandbox's control API (`/__sandbox/PATH` on 127.0.0.1, with the
/// e2e control token): the JSON it answers (`null` for an empty body).
/// Panics with the URL when the call fails: a test cannot go on without it.
pub async fn sandbox_control(
    port: u16,
    method: reqwest::Method,
    path: &str,
    body: Option<serde_json::Value>,
) -> serde_json::Value {
    let url = format!("http://127.0.0.1:{port}/__sandbox/{path}");
    let mut request = reqwest::Client::new()
        .request(method.clone(), &url)
        .header(caredesk_core::sandbox::control::TOKEN_HEADER, E2E_SANDBOX_TOKEN)
        .timeout(Duration::from_secs(10));
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap_or_else(|e| panic!("{method} {url}: {e}"));
    assert!(response.status().is_success(), "{method} {url}: {}", response.status());
    response.json().await.unwrap_or(serde_json::Value::Null)
}

/// A text from `from` arriving at the sandbox's hospital SMS server inbox.
pub async fn sandbox_inbound(port: u16, from: &str, text: &str) {
    let body = serde_json::json!({ "from": from, "text": text });
    sandbox_control(port, reqwest::Method::POST, "inbound", Some(body)).await;
}
