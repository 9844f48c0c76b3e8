//! The FHIR link and outreach in the real app (issues 16 and 17): a roster
//! pulled from a real FHIR R4 server (SEKMET on 127.0.0.1), its Settings
//! section checking the server, a text recorded there as a Communication
//! (its "Recorded in FHIR" mark, and the server searched by identifier);
//! a template written in the Outreach dialog; a text sent later; a consent
//! invitation answered START with its welcome text once; a reply flagged as
//! a revocation in the review list.

use std::time::Duration;

use caredesk_tests::{fhir::FhirServer, Cli};
use serde_json::json;
use thirtyfour::prelude::*;

use crate::{
    desk::{close_dialog, open_patient, send, shot, state_of},
    harness::*,
};

/// Eight patients from a CSV roster, beside the FHIR server's two.
const MORE_PATIENTS: &str = "ecm_patient_id,name,phone
2001,Cora Lind,+18055550171
2002,Dev Patel,+18055550172
2003,Eve Marsh,+18055550173
2004,Finn Ortiz,+18055550174
2005,Gia Russo,+18055550175
2006,Hal Young,+18055550176
2007,Ida Stone,+18055550177
2008,Jon Weber,+18055550178
";

const ALMA: &str = "+18055550161";
const BRUNO: &str = "+18055550162";

fn seed(server: &FhirServer) {
    let patient = |id: &str, given: &str, number: &str| {
        json!({"resourceType": "Patient", "id": id, "active": true,
               "name": [{"given": [given], "family": "Fhirson"}],
               "telecom": [{"system": "sms", "value": number}]})
    };
    server.put_all(&[patient("pat-alma", "Alma", ALMA), patient("pat-bruno", "Bruno", BRUNO)]);
}

/// How many texts the sandbox's hospital SMS server received for `to` whose text contains `part`.
async fn received(port: u16, to: &str, part: &str) -> usize {
    let state = sandbox_control(port, reqwest::Method::GET, "state", None).await;
    let digits = to.trim_start_matches('+');
    state["his_sends"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["to"] == digits && s["text"].as_str().is_some_and(|t| t.contains(part)))
        .count()
}

/// Scrolls `el` to the middle of its scroller, for a screenshot of it.
async fn into_view(d: &WebDriver, el: &WebElement) {
    d.execute("arguments[0].scrollIntoView({block: 'center'});", vec![el.to_json().unwrap()]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
}

async fn fhir_settings(d: &WebDriver) -> Result<(), WebDriverError> {
    d.find(By::Css("button[aria-label='Settings']")).await?.click().await?;
    let section = wait_for("the FHIR section", || async {
        d.find(By::XPath("//section[.//h3[normalize-space()='FHIR server']]")).await.ok()
    })
    .await;
    let check = section.find(By::Css("button[aria-label='Check connection to the FHIR server']")).await?;
    into_view(d, &check).await;
    check.click().await?;
    let result = wait_up_to("the FHIR check", Duration::from_secs(30), || async {
        let t = text_of(d, "[data-testid=fhir-check]").await?;
        t.contains("Connection OK").then_some(t)
    })
    .await;
    assert!(result.contains("Patient search") && result.contains("supported"), "{result}");
    let state = wait_for("the roster in Settings", || async {
        text_of(d, "[data-testid=fhir-roster]").await.filter(|t| t.contains("2 patients active"))
    })
    .await;
    assert!(state.contains("2 numbers"), "{state}");
    into_view(d, &section.find(By::Css("[data-testid=fhir-check]")).await?).await;
    shot(d, "fhir-settings.png").await;
    close_dialog(d).await;
    let bar =
        wait_for("the FHIR part of the status bar", || async { text_of(d, "[data-testid=fhir-status]").await }).await;
    assert!(bar.contains("FHIR"), "{bar}");
    Ok(())
}

async fn text_recorded_in_fhir(d: &WebDriver, port: u16, server: &FhirServer) -> Result<(), WebDriverError> {
    open_patient(d, "Alma Fhirson").await;
    let text = "Alma, your visit is on Monday at 9.";
    send(d, text).await;
    wait_up_to("the text at the sandbox", Duration::from_secs(30), || async {
        (received(port, ALMA, text).await == 1).then_some(())
    })
    .await;
    wait_up_to("Sent", Duration::from_secs(30), || async {
        state_of(d, text).await.filter(|s| s.contains("Sent") || s.contains("Delivered"))
    })
    .await;
    let mark = wait_up_to("the Recorded in FHIR mark", Duration::from_secs(60), || async {
        for m in d.find_all(By::Css("[data-testid=message][data-direction=outbound]")).await.ok()? {
            if m.prop("textContent").await.ok().flatten()?.contains(text) {
                let mark = m.find(By::Css("[data-testid=fhir-mark]")).await.ok()?;
                return mark.attr("data-state").await.ok().flatten().filter(|s| s == "recorded").map(|_| mark);
            }
        }
        None
    })
    .await;
    let reference = mark.attr("title").await?.unwrap_or_default();
    assert!(reference.starts_with("Communication/"), "{reference}");
    // The server has it once, as CareDesk wrote it.
    let all = tokio::task::block_in_place(|| server.all("Communication"));
    let communications: Vec<_> = all.into_iter().filter(|c| c["payload"][0]["contentString"] == text).collect();
    assert_eq!(communications.len(), 1, "{communications:#?}");
    assert_eq!(format!("Communication/{}", communications[0]["id"].as_str().unwrap()), reference);
    assert_eq!(communications[0]["recipient"][0]["reference"], "Patient/pat-alma");
    shot(d, "fhir-thread-marks.png").await;
    Ok(())
}

async fn template_in_outreach(d: &WebDriver) -> Result<(), WebDriverError> {
    d.find(By::XPath("//aside//button[normalize-space()='Outreach']")).await?.click().await?;
    let dialog = wait_for("the Outreach dialog", || async { d.find(By::Css("[role=dialog]")).await.ok() }).await;
    dialog.find(By::XPath(".//button[normalize-space()='New template']")).await?.click().await?;
    let form = dialog.find(By::Css("form[aria-label='New template']")).await?;
    form.find(By::XPath(".//label[normalize-space()='Name']/following-sibling::input"))
        .await?
        .send_keys("Flu shot")
        .await?;
    let area = form.find(By::Css("textarea")).await?;
    area.send_keys("Hi ").await?;
    form.find(By::XPath(".//button[normalize-space()='{first_name}']")).await?.click().await?;
    area.send_keys(", {clinic_name} has flu shots this week. Reply 1 to book.").await?;
    let count = text_of(d, "form[aria-label='New template'] [data-testid=sms-count]").await.unwrap_or_default();
    assert!(count.contains("1 segment"), "{count}");
    form.find(By::XPath(".//button[normalize-space()='Add template']")).await?.click().await?;
    let row = wait_for("the new template", || async { text_of(d, "[data-testid=template-row]").await }).await;
    assert!(row.contains("Flu shot") && row.contains("Hi {first_name}, {clinic_name} has flu shots"), "{row}");
    shot(d, "outreach-templates.png").await;
    close_dialog(d).await;
    Ok(())
}

/// The recipients' campaign state as the card shows it.
async fn card_text(d: &WebDriver) -> Option<String> {
    text_of(d, "[data-testid=campaign-card]").await
}

async fn campaign(d: &WebDriver, port: u16, exports: &std::path::Path) -> Result<(), WebDriverError> {
    d.find(By::XPath("//aside//button[normalize-space()='Outreach']")).await?.click().await?;
    let dialog = wait_for("the Outreach dialog", || async { d.find(By::Css("[role=dialog]")).await.ok() }).await;
    dialog.find(By::XPath(".//button[@role='tab'][normalize-space()='Campaigns']")).await?.click().await?;
    let new = wait_for("New campaign", || async {
        dialog.find(By::XPath(".//button[normalize-space()='New campaign']")).await.ok()
    })
    .await;
    new.click().await?;
    let form = dialog.find(By::Css("form[aria-label='New campaign']")).await?;
    form.find(By::XPath(".//label[normalize-space()='Campaign name']/following-sibling::input"))
        .await?
        .send_keys("Flu shots")
        .await?;
    let template = form.find(By::XPath(".//label[normalize-space()='Template']/following-sibling::select")).await?;
    let option = wait_for("the template to choose", || async {
        template.find(By::XPath(".//option[normalize-space()='Flu shot']")).await.ok()
    })
    .await;
    option.click().await?;
    form.find(By::XPath(".//label[starts-with(normalize-space(), 'Answers to record')]/following-sibling::input"))
        .await?
        .send_keys("1=book")
        .await?;
    form.find(By::XPath(".//button[normalize-space()='Preview']")).await?.click().await?;
    let preview = wait_for("the preview", || async { text_of(d, "[data-testid=campaign-preview]").await }).await;
    assert!(preview.contains("Flu shots: 10 texts to send (10 segments), 0 skipped"), "{preview}");
    assert!(preview.contains("Hi Alma, North Clinic has flu shots this week. Reply 1 to book."), "{preview}");
    dialog.find(By::XPath(".//button[normalize-space()='Start campaign']")).await?.click().await?;
    // Under way: the bar has moved and not finished (one text a second).
    wait_up_to("the campaign under way", Duration::from_secs(60), || async {
        let bar = d.find(By::Css("[data-testid=campaign-card] [role=progressbar]")).await.ok()?;
        let now: u32 = bar.attr("aria-valuenow").await.ok().flatten()?.parse().ok()?;
        (1..10).contains(&now).then_some(())
    })
    .await;
    shot(d, "campaign-progress.png").await;
    wait_up_to("the campaign done", Duration::from_secs(90), || async {
        card_text(d).await.filter(|t| t.contains("Done") && t.contains("10 of 10 done"))
    })
    .await;
    let numbers = [ALMA.to_string(), BRUNO.to_string()].into_iter().chain((1..=8).map(|n| format!("+1805555017{n}")));
    for number in numbers {
        assert_eq!(received(port, &number, "has flu shots this week").await, 1, "{number}: exactly once");
    }
    // Alma books: her answer is recorded.
    sandbox_inbound(port, ALMA.trim_start_matches('+'), "1").await;
    wait_up_to("Alma's answer", Duration::from_secs(45), || async {
        text_of(d, "[data-testid=campaign-answers]").await.filter(|t| t.contains("1 book"))
    })
    .await;
    dialog.find(By::XPath(".//button[normalize-space()='Report']")).await?.click().await?;
    let rows = wait_for("the report", || async {
        let rows = d.find_all(By::Css("[data-testid=campaign-report-row]")).await.ok()?;
        (rows.len() == 10).then_some(rows)
    })
    .await;
    let mut booked = 0;
    for row in &rows {
        booked += usize::from(row.prop("textContent").await?.unwrap_or_default().contains("book"));
    }
    assert_eq!(booked, 1, "Alma's row has her answer");
    dialog.find(By::XPath(".//button[normalize-space()='Export CSV']")).await?.click().await?;
    let written = wait_for("the export", || async {
        text_of(d, "[data-testid=campaign-report] [role=status]").await.filter(|t| t.contains("10 rows written"))
    })
    .await;
    let csv_path = std::fs::read_dir(exports).unwrap().flatten().next().map(|e| e.path());
    let csv = std::fs::read_to_string(csv_path.expect("the report file")).unwrap();
    assert_eq!(csv.lines().count(), 11, "a header and ten recipients: {written}\n{csv}");
    assert!(csv.lines().any(|l| l.contains("+18055550161") && l.contains(",book,")), "{csv}");
    shot(d, "campaign-report.png").await;
    close_dialog(d).await;
    Ok(())
}

/// Sets a React-controlled input's value as typing would (WebKitWebDriver
/// cannot type into a datetime-local field).
async fn set_input(d: &WebDriver, el: &WebElement, value: &str) {
    d.execute(
        "const [el, v] = arguments; \
         Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set.call(el, v); \
         el.dispatchEvent(new Event('input', { bubbles: true }));",
        vec![el.to_json().unwrap(), json!(value)],
    )
    .await
    .unwrap();
}

async fn send_later(d: &WebDriver, port: u16) -> Result<(), WebDriverError> {
    let composer = d.find(By::Css("[data-testid=composer]")).await?;
    let text = "Reminder: your flu shot is tomorrow.";
    composer.find(By::Css("textarea[aria-label='Message']")).await?.send_keys(text).await?;
    composer.find(By::XPath(".//label[normalize-space()='Send later']/input")).await?.click().await?;
    let at = composer.find(By::Css("input[type=datetime-local]")).await?;
    set_input(d, &at, "2030-01-15T10:00").await;
    let schedule = composer.find(By::Css("button[aria-label='Schedule']")).await?;
    wait_for("Schedule enabled", || async { schedule.is_enabled().await.ok().filter(|e| *e) }).await;
    schedule.click().await?;
    let held = wait_for("the scheduled bubble", || async { text_of(d, "[data-testid=held-bar]").await }).await;
    assert!(held.starts_with("Scheduled for") && held.contains("Edit") && held.contains("Cancel"), "{held}");
    shot(d, "send-later.png").await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(received(port, ALMA, text).await, 0, "a scheduled text waits");
    Ok(())
}

async fn invitation_and_start(d: &WebDriver, port: u16) -> Result<(), WebDriverError> {
    let mark = wait_for("Alma's consent", || async {
        d.find(By::Css("[data-testid=conversation] header [data-testid=consent-mark]")).await.ok()
    })
    .await;
    assert_eq!(mark.attr("data-state").await?.as_deref(), Some("not_asked"));
    mark.find(By::XPath(".//button[normalize-space()='Invite']")).await?.click().await?;
    wait_up_to("the invitation at the sandbox", Duration::from_secs(30), || async {
        (received(port, ALMA, "reply START").await == 1).then_some(())
    })
    .await;
    wait_for("Invited", || async {
        text_of(d, "[data-testid=conversation] header [data-testid=consent-mark]")
            .await
            .filter(|t| t.contains("Invited"))
    })
    .await;
    sandbox_inbound(port, ALMA.trim_start_matches('+'), "START").await;
    wait_up_to("Opted in", Duration::from_secs(45), || async {
        text_of(d, "[data-testid=conversation] header [data-testid=consent-mark]")
            .await
            .filter(|t| t.contains("Opted in"))
    })
    .await;
    wait_up_to("the welcome text", Duration::from_secs(30), || async {
        (received(port, ALMA, "you are signed up").await > 0).then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(received(port, ALMA, "you are signed up").await, 1, "the welcome text once");
    shot(d, "consent-opted-in.png").await;
    Ok(())
}

async fn revocation_review(d: &WebDriver, port: u16) -> Result<(), WebDriverError> {
    sandbox_inbound(port, BRUNO.trim_start_matches('+'), "please stop texting me").await;
    d.find(By::XPath("//aside//button[normalize-space()='Outreach']")).await?.click().await?;
    let dialog = wait_for("the Outreach dialog", || async { d.find(By::Css("[role=dialog]")).await.ok() }).await;
    dialog.find(By::XPath(".//button[@role='tab'][normalize-space()='Consent review']")).await?.click().await?;
    let row = wait_up_to("Bruno's reply to review", Duration::from_secs(45), || async {
        text_of(d, "[data-testid=revocation-row]").await.filter(|t| t.contains("Bruno Fhirson"))
    })
    .await;
    assert!(row.contains("please stop texting me") && row.contains("Due 20"), "{row}");
    shot(d, "consent-review.png").await;
    dialog.find(By::XPath(".//button[normalize-space()='Opt out']")).await?.click().await?;
    wait_for("the list emptied", || async {
        text_of(d, "[data-testid=revocation-review]").await.filter(|t| t.contains("No replies wait for review"))
    })
    .await;
    close_dialog(d).await;
    Ok(())
}

/// A plain test with its own runtime: the FHIR server's helpers block on a
/// runtime of their own, which must start and stop outside this one.
#[test]
fn the_fhir_link_and_outreach_in_the_app() {
    if !should_run() {
        return;
    }
    let server = FhirServer::start();
    seed(&server);
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let port = free_port();
    let cli = Cli::new(&data);
    for (k, v) in [
        ("sandbox.port", port.to_string()),
        ("sync.interval_secs", "1".into()),
        ("sms.undo_seconds", "0".into()),
        ("clinic.name", "North Clinic".into()),
        ("clinic.time_zone", "America/Los_Angeles".into()),
        ("fhir.base_url", server.base_url.clone()),
        ("fhir.coordinator_reference", "Practitioner/coord-e2e".into()),
        // Quiet hours would hold every text whenever CI runs at night.
        ("sms.quiet_hours", "off".into()),
        ("export.dir", dir.path().join("exports").display().to_string()),
    ] {
        cli.ok(&["config", "set", k, &v]);
    }
    cli.run_stdin(&["credentials", "set", "fhir-token"], &server.token).expect_ok();
    server.put(&json!({"resourceType": "Practitioner", "id": "coord-e2e", "name": [{"text": "Dana Coordinator"}]}));
    // The roster from the server before the app starts: no demo roster.
    let pulled = cli.json(&["fhir", "pull", "--json"]);
    assert_eq!(pulled["patients_new"], 2, "{pulled:#}");
    // And a clinic's CSV patients, for a campaign of ten.
    let roster = caredesk_tests::write_file(dir.path(), "more.csv", MORE_PATIENTS);
    cli.ok(&["patients", "import", roster.to_str().unwrap()]);

    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(in_the_app(&server, &data, port, &dir.path().join("exports")));
}

async fn in_the_app(server: &FhirServer, data: &std::path::Path, port: u16, exports: &std::path::Path) {
    let _turn = ONE_APP_AT_A_TIME.lock().await;
    let session = start_app(data).await;
    let d = &session.driver;
    let result = async {
        wait_for("the roster", || async { Some(rows(d).await).filter(|r| r.len() == 10) }).await;
        sandbox_control(port, reqwest::Method::POST, "replies", Some(json!({ "enabled": false }))).await;
        fhir_settings(d).await?;
        text_recorded_in_fhir(d, port, server).await?;
        template_in_outreach(d).await?;
        campaign(d, port, exports).await?;
        send_later(d, port).await?;
        invitation_and_start(d, port).await?;
        revocation_review(d, port).await
    }
    .await;
    finish(session, result).await;
}
