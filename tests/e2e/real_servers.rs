//! End-to-end against a hospital SMS server that is not the sandbox's spec
//! form (the `dotnet` profile, as real servers): a token that expires
//! mid-day pauses the route, the status bar and the waiting text say so,
//! and a new secret entered in Settings sends it, once.

use std::time::Duration;

use caredesk_core::sandbox::{self, magic, Profile, Sandbox, SandboxOptions};
use caredesk_tests::{write_file, Cli};
use thirtyfour::prelude::*;

use super::{
    desk::{open_patient, send, shot, state_of},
    harness::*,
};

const NEW_TOKEN: &str = "e2e-rotated-his-token-77c1";

async fn paused_route_day(d: &WebDriver, server: &sandbox::SandboxHandle) -> WebDriverResult<()> {
    wait_for("the roster", || async { Some(rows(d).await).filter(|r| r.len() == 1) }).await;
    open_patient(d, "Rūta Šimkutė").await;
    send(d, "Labas, Rūta: rezultatai paruošti").await;
    wait_for("the first text sent", || async {
        state_of(d, "rezultatai paruošti").await.filter(|s| s.contains("Sent") || s.contains("Delivered"))
    })
    .await;

    // The server stops taking the token: the next text waits, and says so.
    server.rotate_credentials(NEW_TOKEN, sandbox::SANDBOX_AZURE_CLIENT_SECRET);
    send(d, "Prašome paskambinti į kliniką").await;
    let problem = wait_up_to("the status bar to say sending is paused", Duration::from_secs(30), || async {
        text_of(d, "[data-testid=status-bar]").await.filter(|t| t.contains("Sending paused:"))
    })
    .await;
    assert!(problem.contains("hospital SMS server refused CareDesk's credentials"), "{problem}");
    let note = wait_for("the waiting note under the bubble", || async {
        text_of(d, "[data-testid=message-note]").await.filter(|t| t.contains("Waiting"))
    })
    .await;
    assert!(!note.contains(NEW_TOKEN), "{note}");
    assert!(state_of(d, "paskambinti").await.unwrap_or_default().contains("Queued"), "nothing failed");
    tokio::time::sleep(Duration::from_millis(500)).await;
    shot(d, "paused-route.png").await;

    // The coordinator follows the status bar to Settings and stores the new token.
    d.find(By::XPath("//button[normalize-space()='Open Settings']")).await?.click().await?;
    let replace = wait_for("Replace his-token", || async {
        d.find(By::XPath("//button[@aria-label='Replace his-token']")).await.ok()
    })
    .await;
    replace.click().await?;
    let save = wait_for("the his-token form", || async {
        d.find(By::XPath("//button[@aria-label='Save his-token']")).await.ok()
    })
    .await;
    save.find(By::XPath("preceding-sibling::input[@type='password']")).await?.send_keys(NEW_TOKEN).await?;
    save.click().await?;
    wait_for("the token stored", || async {
        d.find(By::XPath("//button[@aria-label='Replace his-token']")).await.ok()
    })
    .await;
    d.action_chain().send_keys(Key::Escape).perform().await?;

    // The route resumes: the waiting text goes, once, and the bar clears.
    wait_up_to("the waiting text sent", Duration::from_secs(30), || async {
        state_of(d, "paskambinti").await.filter(|s| s.contains("Sent") || s.contains("Delivered"))
    })
    .await;
    wait_for("the paused line gone", || async {
        text_of(d, "[data-testid=status-bar]").await.filter(|t| !t.contains("Sending paused"))
    })
    .await;
    let state = server.state();
    assert_eq!(state.his_sends.len(), 2, "each text once: {:?}", state.his_sends);
    assert_eq!(state.sends_to("+37060012345", "Prašome paskambinti į kliniką"), 1);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_that_expires_pauses_sending_and_a_new_one_in_settings_resumes_it() {
    if !should_run() {
        return;
    }
    let _turn = ONE_APP_AT_A_TIME.lock().await;
    let options = SandboxOptions { replies: false, profile: Profile::Dotnet, ..SandboxOptions::for_tests() };
    let server = Sandbox::start(options).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let cli = Cli::new(&data);
    // Independent of the hour the suite runs at (quiet hours are on by default).
    caredesk_tests::quiet_hours_off(&cli);
    for (k, v) in [
        ("servers.mode", "real"),
        ("his.base_url", server.his_base_url().as_str()),
        ("his.from", magic::HOSPITAL_NUMBER),
        ("sync.interval_secs", "1"),
        ("sms.rate_per_sec", "0"),
        ("phone.default_region", "LT"),
    ] {
        cli.ok(&["config", "set", k, v]);
    }
    cli.run_stdin(&["credentials", "set", "his-token"], sandbox::SANDBOX_HIS_TOKEN).expect_ok();
    let roster = write_file(dir.path(), "roster.csv", "name,phone\nRūta Šimkutė,+37060012345\n");
    cli.ok(&["patients", "import", roster.to_str().unwrap()]);

    let session = start_app(&data).await;
    let result = paused_route_day(&session.driver, &server).await;
    finish(session, result).await;
    server.shutdown().await;
}
