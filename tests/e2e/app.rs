//! End-to-end: the real CareDesk binary in a real window (Xvfb), driven
//! through tauri-driver and WebKitWebDriver, asserting on what it shows.
//!
//! Needs DISPLAY, a D-Bus session with an unlocked keyring, tauri-driver and
//! WebKitWebDriver: the README's test command provides them and sets
//! CAREDESK_E2E=1, which makes a missing piece a failure rather than a skip.

mod desk;
mod harness;
mod lock;
mod long_thread;
mod memory_after_use;
mod outreach_fhir;
mod people;
mod real_servers;
mod team;
mod undo_calls_failures;
mod ux;

use std::time::Duration;

use caredesk_tests::{write_file, ROSTER_CSV};
use harness::*;
use thirtyfour::prelude::*;

const HOSTILE: &str = "<img src=x onerror=\"document.title='pwned'\">";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shell_lists_searches_imports_and_renders_hostile_text_as_text() {
    if !should_run() {
        return;
    }
    let _turn = ONE_APP_AT_A_TIME.lock().await;
    let (dir, data) = data_with_roster(ROSTER_CSV);

    let session = start_app(&data).await;
    let d = &session.driver;
    let result = async {
        // The shell: title, patient column, conversation area, status bar.
        let listed = wait_for("two patient rows", || async { Some(rows(d).await).filter(|r| r.len() == 2) }).await;
        assert!(listed[0].contains("Philomena Farnsworth") && listed[1].contains("Zebulon Quixotic"), "{listed:?}");
        assert_eq!(d.title().await.unwrap(), "CareDesk");
        assert!(d.find(By::Css("[data-testid=conversation]")).await.is_ok());
        let status = d.find(By::Css("[data-testid=status-bar]")).await.unwrap().text().await.unwrap();
        assert!(status.contains("Sandbox") && status.contains("2 patients"), "{status}");
        assert!(d.find(By::Css("[data-testid=sandbox-banner]")).await.is_ok());

        // Search as you type narrows the list; selecting shows the numbers.
        let search = d.find(By::Css("input[aria-label='Search patients']")).await.unwrap();
        search.send_keys("quix").await.unwrap();
        wait_for("the search to narrow", || async { Some(rows(d).await).filter(|r| r.len() == 1) }).await;
        d.find(By::Css("[data-testid=patient-row]")).await.unwrap().click().await.unwrap();
        let conv = wait_for("the conversation header", || async {
            let t = d.find(By::Css("[data-testid=conversation]")).await.ok()?.text().await.ok()?;
            t.contains("Ximena Quixotic").then_some(t)
        })
        .await;
        assert!(conv.contains("daughter") && conv.contains("9101"), "{conv}");
        // Clear as a person would (WebDriver's clear() fires no input event for React).
        search.send_keys(Key::Control + "a").await.unwrap();
        search.send_keys(Key::Backspace).await.unwrap();
        wait_for("the full list again", || async { Some(rows(d).await).filter(|r| r.len() == 2) }).await;

        // Import through the UI, with a hostile name and a bad row.
        let csv = format!("name,phone\n\"{}\",+14155550190\nNo Good,555\n", HOSTILE.replace('"', "\"\""));
        let file = write_file(dir.path(), "ui-roster.csv", &csv);
        d.find(By::XPath("//button[normalize-space()='Import']")).await.unwrap().click().await.unwrap();
        let dialog = d.find(By::Css("[role=dialog]")).await.unwrap();
        dialog.find(By::Css("input[type=file]")).await.unwrap().send_keys(file.to_str().unwrap()).await.unwrap();
        dialog.find(By::Css("button[type=submit]")).await.unwrap().click().await.unwrap();
        let summary = wait_for("the import summary", || async {
            let t = d.find(By::Css("[aria-label='Import summary']")).await.ok()?.text().await.ok()?;
            Some(t)
        })
        .await;
        assert!(summary.contains("1 created") && summary.contains("1 rejected"), "{summary}");
        assert!(summary.contains("\"555\""), "the rejected row names its input: {summary}");
        d.screenshot(&screenshot_dir().join("import-dialog.png")).await.unwrap();
        d.action_chain().send_keys(Key::Escape).perform().await.unwrap();
        wait_for("the dialog to close", || async {
            d.find_all(By::Css("[role=dialog]")).await.ok().filter(|v| v.is_empty())
        })
        .await;

        let all = wait_for("three rows", || async { Some(rows(d).await).filter(|r| r.len() == 3) }).await;
        assert!(all.iter().any(|r| r.contains(HOSTILE)), "the hostile name shows as text: {all:?}");
        assert!(
            d.find_all(By::Css("[data-testid=patient-list] img")).await.unwrap().is_empty(),
            "no <img> was created"
        );
        assert_eq!(d.title().await.unwrap(), "CareDesk", "no script ran");

        let shot = screenshot_dir().join("shell.png");
        d.screenshot(&shot).await.unwrap();
        assert!(std::fs::metadata(&shot).unwrap().len() > 10_000, "the screenshot has content");
        Ok::<(), WebDriverError>(())
    }
    .await;
    let quit = tokio::time::timeout(Duration::from_secs(20), session.driver.clone().quit()).await;
    drop(session);
    result.unwrap();
    quit.expect("quit in time").unwrap();
}
