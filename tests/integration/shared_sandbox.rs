//! One sandbox per data directory: while `caredesk sync` (standing in for
//! the app: both publish the sandbox they run while they hold the sender
//! lock) runs the built-in sandbox, `caredesk send` and `caredesk call` in
//! other processes reach that same sandbox, their texts go out through the
//! sender's outbox and end delivered; a clean stop withdraws the file.

use std::time::{Duration, Instant};

use caredesk_tests::{ChildGuard, Cli};

/// What `sandbox.json` says.
struct Published {
    base_url: url::Url,
    token: String,
}

fn published(cli: &Cli) -> Option<Published> {
    let bytes = std::fs::read(cli.data_dir.join("sandbox.json")).ok()?;
    let v: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    Some(Published {
        base_url: url::Url::parse(v["base_url"].as_str()?).ok()?,
        token: v["control_token"].as_str()?.to_string(),
    })
}

/// The sandbox's state, through its control API (real HTTP on 127.0.0.1).
fn state(p: &Published) -> serde_json::Value {
    let url = p.base_url.join("__sandbox/state").unwrap();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let resp =
            reqwest::Client::new().get(url).header("X-Sandbox-Token", &p.token).send().await.expect("control API");
        assert!(resp.status().is_success(), "control API: {}", resp.status());
        resp.json().await.unwrap()
    })
}

fn wait_for<T>(what: &str, limit: Duration, mut probe: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = probe() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn cli_commands_use_the_sandbox_of_the_process_that_sends_for_the_data_directory() {
    caredesk_tests::require_keyring();
    let dir = tempfile::tempdir().unwrap();
    let cli = Cli::new(&dir.path().join("data"));
    caredesk_tests::quiet_hours_off(&cli);
    cli.ok(&["config", "set", "sync.interval_secs", "1"]);
    cli.ok(&["config", "set", "sms.rate_per_sec", "0"]);
    cli.ok(&["config", "set", "user.name", "Dana Coordinator"]);

    let mut sync = ChildGuard::spawn(
        cli.command(&["sync"]).stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null()),
    );
    let p = wait_for("sandbox.json", Duration::from_secs(60), || published(&cli));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(cli.data_dir.join("sandbox.json")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the control token is for this user only");
    }
    assert!(state(&p)["his_sends"].as_array().unwrap().is_empty());

    // A text from another process: handed to the sender, sent through its
    // sandbox, and the outcome the sender got is what `send` reports.
    let text = "Shared sandbox: your appointment is at 3 pm";
    let sent = cli.json(&["send", "--patient", "ecm:1002", "--text", text, "--json"]);
    assert_eq!(sent["status"], "accepted", "{sent}");
    assert!(sent["handed_to"].as_str().is_some_and(|h| h.starts_with("caredesk sync")), "{sent}");
    let sends = state(&p)["his_sends"].clone();
    let matching = sends.as_array().unwrap().iter().filter(|s| s["text"] == text).count();
    assert_eq!(matching, 1, "the text reached the sender's sandbox once: {sends}");

    // A call from another process reaches the same sandbox.
    let call = cli.json(&["call", "--patient", "ecm:1002", "--json"]);
    assert_ne!(call["status"], "failed", "{call}");
    let calls = state(&p)["ecm_calls"].as_array().unwrap().len();
    assert_eq!(calls, 1, "the call reached the sender's sandbox");

    // The sender follows the text to delivered.
    wait_for("the text delivered", Duration::from_secs(90), || {
        let thread = cli.json(&["thread", "--patient", "ecm:1002", "--json"]);
        thread.as_array()?.iter().any(|i| i["text"] == text && i["state"] == "delivered").then_some(())
    });

    // A clean stop withdraws the file; a later command starts its own sandbox.
    sync.stop(Duration::from_secs(20));
    assert!(!cli.data_dir.join("sandbox.json").exists(), "removed on a clean exit");
    let numbers = cli.run(&["numbers"]);
    assert!(numbers.ok(), "{}", numbers.stderr);
}
