//! Undo send, confirmed calls and failed texts in the real app against the
//! built-in sandbox, checked against the sandbox's own record of what it
//! received (its control API's state snapshot).

use std::time::Duration;

use caredesk_tests::Cli;
use serde_json::json;
use thirtyfour::prelude::*;

use crate::{
    desk::{open_patient, send, shot, state_of},
    harness::*,
};

/// Ben is known to the sandbox's ECM (a demo id); Dana's ECM id is not, so
/// ECM refuses her texts for good until the test registers her.
const ROSTER: &str = "\
ecm_patient_id,name,phone,contact_name,contact_relationship,contact_phone
1002,Ben Carter,+18055550102,,,
9101,Dana Reyes,+18055550142,,,
";

/// The undo delay the app is given: short, so waiting it out stays short.
const UNDO_SECONDS: u64 = 3;

/// How many texts with exactly `text` the sandbox received, by either server.
async fn received(port: u16, text: &str) -> usize {
    let state = sandbox_control(port, reqwest::Method::GET, "state", None).await;
    let his = state["his_sends"].as_array().unwrap().iter().filter(|s| s["text"] == text).count();
    let ecm = state["ecm_sms"].as_array().unwrap().iter().filter(|s| s["body"] == text).count();
    his + ecm
}

async fn composer_text(d: &WebDriver) -> String {
    let area = d.find(By::Css("[data-testid=composer] textarea[aria-label='Message']")).await.unwrap();
    area.prop("value").await.unwrap().unwrap_or_default()
}

async fn clear_composer(d: &WebDriver) {
    let area = d.find(By::Css("[data-testid=composer] textarea[aria-label='Message']")).await.unwrap();
    area.send_keys(Key::Control + "a").await.unwrap();
    area.send_keys(Key::Backspace).await.unwrap();
}

/// The newest outbound bubble holding `text`.
async fn bubble(d: &WebDriver, text: &str) -> Option<WebElement> {
    for m in d.find_all(By::Css("[data-testid=message][data-direction=outbound]")).await.ok()?.into_iter().rev() {
        if m.prop("textContent").await.ok().flatten()?.contains(text) {
            return Some(m);
        }
    }
    None
}

async fn row_text(d: &WebDriver, name: &str) -> String {
    row_of(d, name).await.unwrap().prop("textContent").await.unwrap().unwrap_or_default()
}

async fn undo_and_send(d: &WebDriver, port: u16) -> Result<(), WebDriverError> {
    wait_for("the roster", || async { Some(rows(d).await).filter(|r| r.len() == 2) }).await;
    open_patient(d, "Ben Carter").await;

    // (a) Send, then Undo within the delay: the text is back, the sandbox never gets it.
    let undone = "Wrong patient, please ignore";
    send(d, undone).await;
    let bar = wait_for("the undo countdown", || async {
        let b = bubble(d, undone).await?.find(By::Css("[data-testid=undo-bar]")).await.ok()?;
        b.prop("textContent").await.ok().flatten()?.contains("Sending in").then_some(b)
    })
    .await;
    shot(d, "undo-countdown.png").await;
    bar.find(By::XPath(".//button[normalize-space()='Undo']")).await?.click().await?;
    wait_for("the text back in the composer", || async { (composer_text(d).await == undone).then_some(()) }).await;
    wait_for("the bubble to go", || async { bubble(d, undone).await.is_none().then_some(()) }).await;
    shot(d, "undo-back-in-composer.png").await;
    // Past the delay (and a sync or two): still nothing at the sandbox.
    tokio::time::sleep(Duration::from_secs(UNDO_SECONDS + 2)).await;
    assert_eq!(received(port, undone).await, 0, "an undone text never reaches the sandbox");
    assert!(bubble(d, undone).await.is_none(), "and it does not come back as a sent or failed text");

    // (b) One not undone goes out after the delay, exactly once.
    clear_composer(d).await;
    let kept = "Your ride is booked for 9:30";
    send(d, kept).await;
    wait_for("its countdown", || async { bubble(d, kept).await?.find(By::Css("[data-testid=undo-bar]")).await.ok() })
        .await;
    assert_eq!(received(port, kept).await, 0, "held during the delay");
    wait_up_to("the sandbox to receive it", Duration::from_secs(UNDO_SECONDS + 20), || async {
        (received(port, kept).await > 0).then_some(())
    })
    .await;
    wait_up_to("Sent in the thread", Duration::from_secs(20), || async {
        state_of(d, kept).await.filter(|s| s.contains("Sent") || s.contains("Delivered"))
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(received(port, kept).await, 1, "sent exactly once");
    Ok(())
}

async fn confirmed_call(d: &WebDriver) -> Result<(), WebDriverError> {
    // (c) Call asks first; Enter places it; the row and the preview say what ECM answered.
    let header = d.find(By::Css("[data-testid=conversation] header")).await?;
    header.find(By::Css("button[aria-label='Call']")).await?.click().await?;
    let dialog = wait_for("the call confirmation", || async { d.find(By::Css("[role=dialog]")).await.ok() }).await;
    let words = dialog.prop("textContent").await?.unwrap_or_default();
    assert!(words.contains("Call Ben Carter's mobile +1 (805) 555-0102 through ECM?"), "{words}");
    shot(d, "call-confirm.png").await;
    d.action_chain().send_keys(Key::Enter).perform().await?;
    let row = wait_for("the placed call", || async {
        let t = text_of(d, "[data-testid=call-row]").await?;
        t.contains("Call placed").then_some(t)
    })
    .await;
    assert!(row.contains("ECM call") && !row.contains("Call: queued"), "{row}");
    wait_for("the row preview", || async { row_text(d, "Ben Carter").await.contains("Call placed").then_some(()) })
        .await;
    shot(d, "call-placed.png").await;
    Ok(())
}

async fn failed_then_retried(d: &WebDriver, port: u16) -> Result<(), WebDriverError> {
    // (d) ECM refuses Dana's text (it does not know her yet): shown failed, with Retry.
    open_patient(d, "Dana Reyes").await;
    let route = d.find(By::Css("[data-testid=composer] select[aria-label='Route']")).await?;
    route.find(By::Css("option[value='ecm']")).await?.click().await?;
    wait_for("the ECM route chosen", || async { (route.prop("value").await.ok().flatten()? == "ecm").then_some(()) })
        .await;
    let text = "Your lab results are ready";
    send(d, text).await;
    let failed = wait_up_to("the failed bubble", Duration::from_secs(UNDO_SECONDS + 20), || async {
        let b = bubble(d, text).await?;
        let class = b.attr("class").await.ok().flatten()?;
        class.contains("message--failed").then_some(b)
    })
    .await;
    let words = failed.prop("textContent").await?.unwrap_or_default();
    assert!(words.contains("Not sent"), "{words}");
    wait_for("the Not sent preview", || async { row_text(d, "Dana Reyes").await.contains("Not sent: ").then_some(()) })
        .await;
    shot(d, "failed-send.png").await;
    assert_eq!(received(port, text).await, 0);

    sandbox_control(port, reqwest::Method::POST, "ecm/patients", Some(json!({ "id": 9101 }))).await;
    failed.find(By::XPath(".//button[normalize-space()='Retry']")).await?.click().await?;
    wait_up_to("the retried text at the sandbox", Duration::from_secs(UNDO_SECONDS + 20), || async {
        (received(port, text).await == 1).then_some(())
    })
    .await;
    wait_for("the retry marked on the failed text", || async {
        let t = text_of(d, "[data-testid=failed-actions]").await?;
        t.contains("sent again with Retry").then_some(())
    })
    .await;
    wait_up_to("the new text Sent", Duration::from_secs(20), || async {
        state_of(d, text).await.filter(|s| s.contains("Sent") || s.contains("Delivered"))
    })
    .await;
    shot(d, "failed-retried.png").await;
    assert_eq!(received(port, text).await, 1, "Retry sent it once");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undo_send_confirmed_calls_and_failed_sends_with_retry() {
    if !should_run() {
        return;
    }
    let _turn = ONE_APP_AT_A_TIME.lock().await;
    let (_dir, data) = data_with_roster(ROSTER);
    let port = free_port();
    let cli = Cli::new(&data);
    cli.ok(&["config", "set", "sandbox.port", &port.to_string()]);
    cli.ok(&["config", "set", "sync.interval_secs", "1"]);
    cli.ok(&["config", "set", "sms.undo_seconds", &UNDO_SECONDS.to_string()]);

    let session = start_app(&data).await;
    let d = &session.driver;
    let result = async {
        // No simulated replies: nothing answers STOP or changes the rows under the test.
        wait_for("the roster", || async { Some(rows(d).await).filter(|r| r.len() == 2) }).await;
        sandbox_control(port, reqwest::Method::POST, "replies", Some(json!({ "enabled": false }))).await;
        undo_and_send(d, port).await?;
        confirmed_call(d).await?;
        failed_then_retried(d, port).await
    }
    .await;
    finish(session, result).await;
}
