//! The coordinator's whole day in the real app against the built-in sandbox:
//! search, send and see Delivered, a reply with its unread badge and the
//! window title, STOP disabling the composer, a call, hostile texts shown as
//! text, a secret stored through Settings that lands in the keyring and in no
//! file, the activity log exported as CSV; then the same screens in the dark
//! theme.

use std::{path::Path, time::Duration};

use caredesk_tests::{all_files, contains, Cli};
use serde_json::json;
use thirtyfour::prelude::*;

use crate::harness::*;

/// The hostile demo patient's markup (the sandbox's `HOSTILE_TEXT`).
const HOSTILE: &str = "<img src=x onerror=alert(1)>";
/// Bidi overrides and zero-width characters around a script tag.
const SNEAKY: &str = "pay \u{202E}gnp.exe\u{202C} now\u{200B}<script>document.title='pwned'</script>";
/// A secret typed into Settings; it must end up in the keyring only.
const SECRET: &str = "e2e-ecm-token-5fd2c1a9";

/// Whether a top-level X window has exactly this title (the native title the
/// app sets, not the page's `document.title`).
fn has_window_titled(title: &str) -> bool {
    let out =
        std::process::Command::new("xwininfo").args(["-root", "-tree"]).output().expect("xwininfo (x11-utils) runs");
    String::from_utf8_lossy(&out.stdout).contains(&format!("\"{title}\""))
}

pub(super) async fn open_patient(d: &WebDriver, name: &str) {
    let search = d.find(By::Css("input[aria-label='Search patients']")).await.unwrap();
    search.send_keys(Key::Control + "a").await.unwrap();
    search.send_keys(Key::Backspace).await.unwrap();
    search.send_keys(name).await.unwrap();
    let row = wait_for(&format!("the row of {name}"), || async {
        let rows = d.find_all(By::Css("[data-testid=patient-row]")).await.ok()?;
        (rows.len() == 1).then_some(())?;
        row_of(d, name).await
    })
    .await;
    row.click().await.unwrap();
    wait_for(&format!("{name}'s conversation"), || async {
        text_of(d, "[data-testid=conversation]").await.filter(|t| t.contains(name))
    })
    .await;
    search.send_keys(Key::Control + "a").await.unwrap();
    search.send_keys(Key::Backspace).await.unwrap();
}

pub(super) async fn send(d: &WebDriver, text: &str) {
    let composer = wait_for("the composer", || async { d.find(By::Css("[data-testid=composer]")).await.ok() }).await;
    let area = composer.find(By::Css("textarea[aria-label='Message']")).await.unwrap();
    area.send_keys(text).await.unwrap();
    let count = text_of(d, "[data-testid=sms-count]").await.unwrap_or_default();
    assert!(count.contains(&text.chars().count().to_string()) && count.contains("1 segment"), "{count}");
    // Ctrl+Enter sends.
    area.send_keys(Key::Control + Key::Enter).await.unwrap();
}

/// The state label of the newest outbound bubble whose text contains `text`.
pub(super) async fn state_of(d: &WebDriver, text: &str) -> Option<String> {
    for m in d.find_all(By::Css("[data-testid=message][data-direction=outbound]")).await.ok()?.into_iter().rev() {
        let t = m.prop("textContent").await.ok().flatten()?;
        if t.contains(text) {
            return m.find(By::Css("[data-testid=message-state]")).await.ok()?.prop("textContent").await.ok().flatten();
        }
    }
    None
}

async fn badge_of(d: &WebDriver, name: &str) -> Option<String> {
    let row = row_of(d, name).await?;
    row.find(By::Css("[data-testid=unread-badge]")).await.ok()?.prop("textContent").await.ok().flatten()
}

pub(super) async fn shot(d: &WebDriver, name: &str) {
    let path = screenshot_dir().join(name);
    d.screenshot(&path).await.unwrap();
    assert!(std::fs::metadata(&path).unwrap().len() > 10_000, "{name} has content");
}

pub(super) async fn close_dialog(d: &WebDriver) {
    d.action_chain().send_keys(Key::Escape).perform().await.unwrap();
    wait_for("the dialog to close", || async {
        d.find_all(By::Css("[role=dialog]")).await.ok().filter(|v| v.is_empty())
    })
    .await;
}

async fn whole_day(d: &WebDriver, port: u16, exports: &Path, data: &Path) -> Result<(), WebDriverError> {
    let listed = wait_for("the demo roster", || async { Some(rows(d).await).filter(|r| r.len() == 8) }).await;
    assert!(listed.iter().any(|r| r.contains("Ana Lopez")), "{listed:?}");

    // Search by phone digits in another format, then by name; send with Ctrl+Enter.
    let search = d.find(By::Css("input[aria-label='Search patients']")).await.unwrap();
    search.send_keys("805-555-0104").await.unwrap();
    wait_for("the phone search", || async {
        let r = rows(d).await;
        (r.len() == 1 && r[0].contains("David Okafor")).then_some(())
    })
    .await;
    open_patient(d, "Ana Lopez").await;
    let text = "Reminder: your visit is tomorrow at 9:00.";
    send(d, text).await;
    let state = wait_up_to("Delivered", Duration::from_secs(40), || async {
        state_of(d, text).await.filter(|s| s.contains("Delivered"))
    })
    .await;
    assert!(state.contains("Delivered"), "{state}");

    // Look elsewhere while Ana answers: her row gets a badge, the title counts it.
    open_patient(d, "Ben Carter").await;
    // Reading Ben's thread, the pointer is off the patient column: the column may reorder
    // (under the pointer it holds still and shows "N new" instead, see ux.rs).
    let conversation = d.find(By::Css("[data-testid=conversation]")).await?;
    d.action_chain().move_to_element_center(&conversation).perform().await?;
    let badge =
        wait_up_to("Ana's unread badge", Duration::from_secs(40), || async { badge_of(d, "Ana Lopez").await }).await;
    assert_eq!(badge.trim(), "1", "one unread reply");
    let ana_row = row_of(d, "Ana Lopez").await.unwrap().prop("textContent").await?.unwrap_or_default();
    assert!(ana_row.contains("Yes"), "the preview shows the reply: {ana_row}");
    let listed = rows(d).await;
    assert!(listed[0].contains("Ana Lopez"), "latest activity first: {listed:?}");
    wait_for("the unread total in the window title", || async {
        has_window_titled("CareDesk (1 unread)").then_some(())
    })
    .await;
    open_patient(d, "Ana Lopez").await;
    let reply = wait_for("the reply bubble", || async {
        let t = text_of(d, "[data-testid=message][data-direction=inbound]").await?;
        t.contains("Yes").then_some(t)
    })
    .await;
    assert!(reply.contains("555-0100"), "the bubble names the number it came from: {reply}");
    wait_for("the badge to go", || async { badge_of(d, "Ana Lopez").await.is_none().then_some(()) }).await;
    wait_for("the window title to clear", || async { has_window_titled("CareDesk").then_some(()) }).await;

    // A call: confirmed first (Enter), then shown in the thread with what ECM answered.
    d.find(By::Css("button[aria-label='Call']")).await?.click().await?;
    wait_for("the call confirmation", || async { d.find(By::Css("[role=dialog]")).await.ok() }).await;
    d.action_chain().send_keys(Key::Enter).perform().await?;
    let call = wait_up_to("the call to progress", Duration::from_secs(40), || async {
        let t = text_of(d, "[data-testid=call-row]").await?;
        (t.contains("555-0100") && !t.contains("Calling…")).then_some(t)
    })
    .await;
    assert!(call.contains("Call to Patient") && call.contains("Call placed: ECM call"), "{call}");
    shot(d, "conversation.png").await;

    // Chloe answers STOP: the composer closes with the reason.
    open_patient(d, "Chloe Nguyen").await;
    send(d, "Your lab results are ready.").await;
    let reason = wait_up_to("the composer to close", Duration::from_secs(40), || async {
        let area = d.find(By::Css("textarea[aria-label='Message']")).await.ok()?;
        if area.is_enabled().await.ok()? {
            return None;
        }
        text_of(d, "[data-testid=composer]").await
    })
    .await;
    assert!(reason.to_lowercase().contains("opted out"), "the reason is given: {reason}");
    assert!(!d.find(By::Css("button[aria-label='Send']")).await?.is_enabled().await?);
    let stop = text_of(d, "[data-testid=thread]").await.unwrap_or_default();
    assert!(stop.contains("STOP"), "{stop}");

    // Hostile texts show as text and run nothing.
    sandbox_control(port, reqwest::Method::POST, "hostile", Some(json!({}))).await;
    sandbox_control(port, reqwest::Method::POST, "inbound", Some(json!({ "from": "18055550107", "text": SNEAKY })))
        .await;
    wait_up_to("Gus's unread badge", Duration::from_secs(30), || async {
        badge_of(d, "Gus Hernandez").await.filter(|b| b.trim() == "2")
    })
    .await;
    open_patient(d, "Gus Hernandez").await;
    let thread = wait_for("the hostile texts", || async {
        text_of(d, "[data-testid=thread]").await.filter(|t| t.contains(HOSTILE) && t.contains("now"))
    })
    .await;
    assert!(thread.contains("<script>document.title='pwned'</script>"), "markup shows as text: {thread}");
    assert!(d.find_all(By::Css("[data-testid=thread] img, [data-testid=thread] script")).await?.is_empty());
    assert!(!thread.contains('\u{202E}'), "the bidi override is neutralised, not applied");
    assert!(d.title().await?.starts_with("CareDesk"), "no script ran");
    shot(d, "hostile.png").await;

    // A reply from a number no patient has lands in Unmatched; staff link it to Hana.
    sandbox_control(
        port,
        reqwest::Method::POST,
        "inbound",
        Some(json!({ "from": "16175550123", "text": "This is Hana's new phone" })),
    )
    .await;
    let entry = wait_up_to("the Unmatched badge", Duration::from_secs(30), || async {
        let e = d.find(By::Css("[data-testid=unmatched-entry]")).await.ok()?;
        let badge =
            e.find(By::Css("[data-testid=unread-badge]")).await.ok()?.prop("textContent").await.ok().flatten()?;
        (badge.trim() == "1").then_some(e)
    })
    .await;
    entry.click().await?;
    let row = wait_for("the unknown number", || async {
        let r = d.find(By::Css("[data-testid=unmatched-row]")).await.ok()?;
        let t = r.prop("textContent").await.ok().flatten()?;
        t.contains("617").then_some(r)
    })
    .await;
    row.click().await?;
    wait_for("its text", || async {
        text_of(d, "[data-testid=unmatched-inbox]").await.filter(|t| t.contains("This is Hana's new phone"))
    })
    .await;
    shot(d, "unmatched.png").await;
    d.find(By::XPath("//button[contains(normalize-space(), 'Link to patient')]")).await?.click().await?;
    d.find(By::Css("input[aria-label='Search patients to link']")).await?.send_keys("hana").await?;
    let choice = wait_for("Hana to choose", || async {
        d.find(By::XPath("//label[contains(@class, 'patient-choice')][contains(., 'Hana Kim')]")).await.ok()
    })
    .await;
    choice.click().await?;
    d.find(By::XPath("//button[normalize-space()='Link to Hana Kim']")).await?.click().await?;
    wait_for("Hana's thread with the linked text", || async {
        let c = text_of(d, "[data-testid=conversation]").await?;
        (c.contains("Hana Kim") && c.contains("This is Hana's new phone")).then_some(())
    })
    .await;
    wait_for("Unmatched to empty", || async {
        text_of(d, "[data-testid=unmatched-entry]").await.filter(|t| t.contains("No replies from unknown numbers"))
    })
    .await;

    // A secret entered in Settings: "Stored", never shown back, in the keyring, in no file.
    d.find(By::Css("button[aria-label='Settings']")).await?.click().await?;
    let save = wait_for("the ecm-token form", || async {
        d.find(By::XPath("//button[@aria-label='Save ecm-token']")).await.ok()
    })
    .await;
    let input = save.find(By::XPath("preceding-sibling::input[@type='password']")).await?;
    input.send_keys(SECRET).await?;
    save.click().await?;
    wait_for("the Stored mark and Replace", || async {
        d.find(By::XPath("//button[@aria-label='Replace ecm-token']")).await.ok()?;
        let rows = d.find_all(By::Css("[data-testid=credential-row]")).await.ok()?;
        for r in rows {
            let t = r.prop("textContent").await.ok().flatten()?;
            if t.contains("ecm-token") && t.contains("Stored") && !t.contains("Not stored") {
                return Some(());
            }
        }
        None
    })
    .await;
    assert!(
        d.find_all(By::XPath("//button[@aria-label='Save ecm-token']")).await?.is_empty(),
        "the entry field is gone once stored"
    );
    let page = d.source().await?;
    assert!(!page.contains(SECRET), "the secret is not in the page after saving");
    shot(d, "settings.png").await;
    close_dialog(d).await;
    let status = Cli::new(data).json(&["credentials", "list", "--json"]);
    let ecm = status.as_array().unwrap().iter().find(|c| c["name"] == "ecm-token").cloned().unwrap();
    assert_eq!(ecm["stored"], true, "the CLI reads it back from the keyring: {status}");
    for (path, bytes) in all_files(data) {
        assert!(!contains(&bytes, SECRET), "the secret is in {}", path.display());
    }

    // The activity log: rows, the chart, CSV export.
    d.find(By::XPath("//button[normalize-space()='Activity log']")).await?.click().await?;
    let table = wait_for("activity rows", || async {
        let n = d.find_all(By::Css("[data-testid=activity-row]")).await.ok()?.len();
        (n >= 4).then_some(n)
    })
    .await;
    assert!(d.find(By::Css("[data-testid=activity-chart]")).await.is_ok());
    shot(d, "activity-log.png").await;
    d.find(By::XPath("//button[normalize-space()='Export CSV']")).await?.click().await?;
    let saved = wait_for("the export result", || async { text_of(d, "[data-testid=export-result]").await }).await;
    let csv_path = std::fs::read_dir(exports).unwrap().next().expect("a CSV was written").unwrap().path();
    assert!(saved.contains(&csv_path.display().to_string()), "{saved}");
    let csv = std::fs::read_to_string(&csv_path).unwrap();
    assert!(csv.starts_with("activity_id,"), "{csv}");
    assert_eq!(csv.lines().count(), table + 1, "every row in the log is in the file");
    assert!(csv.contains(",call,") && csv.contains(",sms,"), "{csv}");
    close_dialog(d).await;
    Ok(())
}

async fn dark_screens(d: &WebDriver) -> Result<(), WebDriverError> {
    let dark: bool =
        d.execute("return window.matchMedia('(prefers-color-scheme: dark)').matches", vec![]).await?.convert()?;
    assert!(dark, "GTK_THEME=Adwaita:dark makes the page prefer dark");
    wait_for("the roster", || async { Some(rows(d).await).filter(|r| r.len() == 8) }).await;
    open_patient(d, "Ana Lopez").await;
    wait_for("the thread", || async { text_of(d, "[data-testid=thread]").await.filter(|t| t.contains("Reminder")) })
        .await;
    wait_for("the whole roster again", || async { Some(rows(d).await).filter(|r| r.len() == 8) }).await;
    shot(d, "conversation-dark.png").await;
    d.find(By::XPath("//button[normalize-space()='Activity log']")).await?.click().await?;
    wait_for("activity rows", || async { d.find(By::Css("[data-testid=activity-row]")).await.ok() }).await;
    shot(d, "activity-log-dark.png").await;
    close_dialog(d).await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_coordinators_day_in_the_sandbox() {
    if !should_run() {
        return;
    }
    let _turn = ONE_APP_AT_A_TIME.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let exports = dir.path().join("exports");
    std::fs::create_dir_all(&exports).unwrap();
    let port = free_port();
    let cli = Cli::new(&data);
    // Independent of the hour the suite runs at (quiet hours are on by default).
    caredesk_tests::quiet_hours_off(&cli);
    cli.ok(&["config", "set", "sandbox.port", &port.to_string()]);
    cli.ok(&["config", "set", "sync.interval_secs", "1"]);
    cli.ok(&["config", "set", "export.dir", exports.to_str().unwrap()]);

    let session = start_app(&data).await;
    let result = whole_day(&session.driver, port, &exports, &data).await;
    finish(session, result).await;

    let session = start_app_with(&data, &[("GTK_THEME", "Adwaita:dark")]).await;
    let result = dark_screens(&session.driver).await;
    finish(session, result).await;
}
