//! Patients and contacts in the app (issue 13 point 4), against the
//! built-in sandbox and checked against the sandbox's own record of what it
//! received: a patient added through the dialog and texted; a reply from an
//! unknown number answered from the Unmatched view; that number linked to
//! the patient and texted from the patient's thread, chosen in To.

use std::time::Duration;

use caredesk_tests::Cli;
use serde_json::json;
use thirtyfour::prelude::*;

use crate::{
    desk::{open_patient, send, shot, state_of},
    harness::*,
};

/// The neighbour's phone: no patient has it until it is linked.
const NEIGHBOUR: &str = "+16175550123";

/// How many texts `text` the sandbox's hospital SMS server received for `to` (E.164).
async fn received_at(port: u16, to: &str, text: &str) -> usize {
    let state = sandbox_control(port, reqwest::Method::GET, "state", None).await;
    let digits = to.trim_start_matches('+');
    state["his_sends"].as_array().unwrap().iter().filter(|s| s["to"] == digits && s["text"] == text).count()
}

async fn wait_received(port: u16, to: &str, text: &str) {
    wait_up_to(&format!("the sandbox to receive {text:?}"), Duration::from_secs(30), || async {
        (received_at(port, to, text).await > 0).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(received_at(port, to, text).await, 1, "{text:?} reached {to} exactly once");
}

async fn dialog_input(d: &WebDriver, css: &str) -> WebElement {
    d.find(By::Css(format!("[data-testid=patient-dialog] {css}"))).await.unwrap()
}

async fn add_patient(d: &WebDriver) -> Result<(), WebDriverError> {
    d.find(By::XPath("//aside//button[normalize-space()='Add patient']")).await?.click().await?;
    let form =
        wait_for("the patient dialog", || async { d.find(By::Css("[data-testid=patient-dialog]")).await.ok() }).await;
    form.find(By::XPath(".//label[normalize-space()='Name']/following-sibling::input"))
        .await?
        .send_keys("Odile Marsh")
        .await?;
    form.find(By::XPath(".//label[starts-with(normalize-space(), 'ECM patient id')]/following-sibling::input"))
        .await?
        .send_keys("4242")
        .await?;
    dialog_input(d, "input[aria-label='Number 1']").await.send_keys("(805) 555-0170").await?;
    form.find(By::XPath(".//button[normalize-space()='Add a number']")).await?.click().await?;
    dialog_input(d, "input[aria-label='Number 2']").await.send_keys("805-555-0171").await?;
    dialog_input(d, "input[aria-label='Contact name 2']").await.send_keys("Remy Marsh").await?;
    dialog_input(d, "input[aria-label='Relationship 2']").await.send_keys("son").await?;
    shot(d, "patient-dialog.png").await;
    form.find(By::XPath(".//button[normalize-space()='Add patient']")).await?.click().await?;
    let header = wait_for("Odile's conversation", || async {
        let t = text_of(d, "[data-testid=conversation] header").await?;
        t.contains("Odile Marsh").then_some(t)
    })
    .await;
    assert!(d.find_all(By::Css("[role=dialog]")).await?.is_empty(), "the dialog closed");
    assert!(header.contains("+1 (805) 555-0170") && header.contains("Remy Marsh (son)"), "{header}");
    assert!(header.contains("ECM 4242"), "{header}");
    Ok(())
}

async fn reply_from_unmatched(d: &WebDriver, port: u16) -> Result<(), WebDriverError> {
    sandbox_control(
        port,
        reqwest::Method::POST,
        "inbound",
        Some(json!({ "from": "16175550123", "text": "Is Odile OK?" })),
    )
    .await;
    let entry = wait_up_to("the Unmatched badge", Duration::from_secs(30), || async {
        let e = d.find(By::Css("[data-testid=unmatched-entry]")).await.ok()?;
        e.find(By::Css("[data-testid=unread-badge]")).await.ok()?;
        Some(e)
    })
    .await;
    entry.click().await?;
    let row =
        wait_for("the unknown number", || async { d.find(By::Css("[data-testid=unmatched-row]")).await.ok() }).await;
    row.click().await?;
    let box_ =
        wait_for("the reply box", || async { d.find(By::Css("[data-testid=unmatched-reply]")).await.ok() }).await;
    let words = box_.prop("textContent").await?.unwrap_or_default();
    assert!(words.contains("not one of any patient’s numbers"), "{words}");
    let area = box_.find(By::Css("textarea[aria-label='Reply']")).await?;
    let text = "This is the clinic. Who is writing, please?";
    area.send_keys(text).await?;
    area.send_keys(Key::Control + Key::Enter).await?;
    wait_received(port, NEIGHBOUR, text).await;
    let bubble = wait_up_to("the reply Sent in the Unmatched view", Duration::from_secs(20), || async {
        let t = text_of(d, "[data-testid=unmatched-inbox] [data-testid=message][data-direction=outbound]").await?;
        (t.contains(text) && (t.contains("Sent") || t.contains("Delivered"))).then_some(t)
    })
    .await;
    assert!(bubble.contains("To +1 (617) 555-0123") && bubble.contains("reply to a number"), "{bubble}");
    assert!(area.prop("value").await?.unwrap_or_default().is_empty(), "the box is empty again");
    shot(d, "unmatched-reply.png").await;
    Ok(())
}

async fn link_and_text(d: &WebDriver, port: u16, data: &std::path::Path) -> Result<(), WebDriverError> {
    d.find(By::XPath("//button[contains(normalize-space(), 'Link to patient')]")).await?.click().await?;
    d.find(By::Css("input[aria-label='Search patients to link']")).await?.send_keys("odile").await?;
    let choice = wait_for("Odile to choose", || async {
        d.find(By::XPath("//label[contains(@class, 'patient-choice')][contains(., 'Odile Marsh')]")).await.ok()
    })
    .await;
    choice.click().await?;
    d.find(By::Css("[role=dialog] input[aria-label='Relationship']")).await?.send_keys("neighbour").await?;
    d.find(By::XPath("//button[normalize-space()='Link to Odile Marsh']")).await?.click().await?;
    // Her thread: the number is one of hers in the header, with the texts and the reply it had.
    let header = wait_for("the linked number in Odile's header", || async {
        let t = text_of(d, "[data-testid=conversation] header").await?;
        (t.contains("Odile Marsh") && t.contains("+1 (617) 555-0123")).then_some(t)
    })
    .await;
    assert!(header.contains("Contact (neighbour)"), "{header}");
    wait_for("the moved texts", || async {
        text_of(d, "[data-testid=thread]").await.filter(|t| t.contains("Is Odile OK?") && t.contains("Who is writing"))
    })
    .await;

    // Chosen in To, texted, received at that number.
    let to = d.find(By::Css("[data-testid=composer] select[aria-label='Send to']")).await?;
    to.find(By::Css(format!("option[value='{NEIGHBOUR}']"))).await?.click().await?;
    wait_for("the neighbour chosen", || async { (to.prop("value").await.ok().flatten()? == NEIGHBOUR).then_some(()) })
        .await;
    let text = "Thank you for letting us know.";
    send(d, text).await;
    wait_received(port, NEIGHBOUR, text).await;
    let state = wait_up_to("Sent in Odile's thread", Duration::from_secs(20), || async {
        state_of(d, text).await.filter(|s| s.contains("Sent") || s.contains("Delivered"))
    })
    .await;
    assert!(!state.contains("Failed"), "{state}");
    let composer = text_of(d, "[data-testid=composer]").await.unwrap_or_default();
    assert!(!composer.contains("not one of"), "no confirmation was asked: {composer}");
    shot(d, "linked-number-texted.png").await;

    // The CLI lists it as hers too.
    let list = Cli::new(data).json(&["patients", "list", "--json", "--search", "ecm:4242"]);
    let numbers: Vec<&str> =
        list[0]["phones"].as_array().unwrap().iter().map(|p| p["number"].as_str().unwrap()).collect();
    assert_eq!(numbers, ["+18055550170", "+18055550171", NEIGHBOUR], "{list}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn patients_added_replied_to_linked_and_texted_in_the_app() {
    if !should_run() {
        return;
    }
    let _turn = ONE_APP_AT_A_TIME.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let port = free_port();
    let cli = Cli::new(&data);
    // Independent of the hour the suite runs at (quiet hours are on by default).
    caredesk_tests::quiet_hours_off(&cli);
    cli.ok(&["config", "set", "sandbox.port", &port.to_string()]);
    cli.ok(&["config", "set", "sync.interval_secs", "1"]);
    // Undo send is covered by undo_calls_failures; here texts go at once.
    cli.ok(&["config", "set", "sms.undo_seconds", "0"]);

    let session = start_app(&data).await;
    let d = &session.driver;
    let result = async {
        wait_for("the demo roster", || async { Some(rows(d).await).filter(|r| r.len() == 8) }).await;
        // No simulated replies: only the test's own texts arrive.
        sandbox_control(port, reqwest::Method::POST, "replies", Some(json!({ "enabled": false }))).await;

        add_patient(d).await?;
        let text = "Welcome to the clinic, Odile.";
        send(d, text).await;
        wait_received(port, "+18055550170", text).await;
        wait_for("Odile's row", || async { row_of(d, "Odile Marsh").await }).await;
        open_patient(d, "Odile Marsh").await;

        reply_from_unmatched(d, port).await?;
        link_and_text(d, port, &data).await
    }
    .await;
    finish(session, result).await;
}
