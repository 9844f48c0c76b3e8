//! Issue 13 in the real app: the patient column holds still under the
//! pointer while a reply arrives ("N new" instead of a reorder), the
//! composer says in words where a text goes and marks a changed To or Via,
//! and Ctrl+F finds a text on a page of the thread not loaded yet.

use std::time::Duration;

use caredesk_tests::Cli;
use serde_json::json;
use thirtyfour::prelude::*;

use crate::{
    desk::{open_patient, shot},
    harness::*,
    long_thread::fill,
};

/// The demo roster in the order of a desk with no activity yet: by name.
const BY_NAME: [&str; 8] = [
    "Ana Lopez",
    "Ben Carter",
    "Chloe Nguyen",
    "David Okafor",
    "Elena Petrova",
    "Frank Petrov",
    "Gus Hernandez",
    "Hana Kim",
];

/// The patient names in the order the column shows them.
async fn names(d: &WebDriver) -> Vec<String> {
    let mut out = vec![];
    for row in rows(d).await {
        let name = BY_NAME.iter().find(|n| row.contains(*n)).map_or_else(|| row.clone(), |n| n.to_string());
        out.push(name);
    }
    out
}

/// The row's top edge in the window, in CSS pixels.
async fn top_of(row: &WebElement) -> f64 {
    row.rect().await.unwrap().y
}

/// The name of the patient row at the window point (x, y), if any.
async fn row_at(d: &WebDriver, x: f64, y: f64) -> Option<String> {
    let script = "const el = document.elementFromPoint(arguments[0], arguments[1]);
        const row = el && el.closest('[data-testid=patient-row]');
        return row ? row.querySelector('.patient-row__name').textContent : null;";
    d.execute(script, vec![json!(x), json!(y)]).await.ok()?.convert().ok()?
}

async fn list_holds_still(d: &WebDriver, port: u16) -> Result<(), WebDriverError> {
    let listed = wait_for("the demo roster", || async { Some(names(d).await).filter(|r| r.len() == 8) }).await;
    assert_eq!(listed, BY_NAME, "no activity yet: by name");

    // The pointer rests on Chloe's row (the third), as if about to click it.
    let chloe = row_of(d, "Chloe Nguyen").await.unwrap();
    let rect = chloe.rect().await?;
    d.action_chain().move_to_element_center(&chloe).perform().await?;
    let (x, y) = (rect.x + rect.width / 2.0, rect.y + rect.height / 2.0);
    assert_eq!(row_at(d, x, y).await.as_deref(), Some("Chloe Nguyen"));

    // Hana, last in the list, replies: her row updates in place, nothing moves.
    sandbox_inbound(port, "18055550108", "Running late, be there at 10").await;
    wait_up_to("Hana's preview, in place", Duration::from_secs(30), || async {
        let row = row_of(d, "Hana Kim").await?.prop("textContent").await.ok().flatten()?;
        row.contains("Running late").then_some(())
    })
    .await;
    let waiting = wait_for("the '1 new' button", || async { text_of(d, "[data-testid=patients-new]").await }).await;
    assert!(waiting.contains("1 new"), "{waiting}");
    assert_eq!(names(d).await, BY_NAME, "the order is held while the pointer is on the column");
    let chloe = row_of(d, "Chloe Nguyen").await.unwrap();
    assert_eq!(top_of(&chloe).await, rect.y, "Chloe's row has not moved");
    assert_eq!(row_at(d, x, y).await.as_deref(), Some("Chloe Nguyen"), "the row under the pointer is still Chloe's");
    shot(d, "list-held.png").await;

    // The pointer leaves for the conversation: the latest activity comes first.
    let conversation = d.find(By::Css("[data-testid=conversation]")).await?;
    d.action_chain().move_to_element_center(&conversation).perform().await?;
    let reordered = wait_for("the new order", || async {
        Some(names(d).await).filter(|r| r.first().map(String::as_str) == Some("Hana Kim"))
    })
    .await;
    assert_eq!(reordered[1..], BY_NAME[..7], "only Hana moved: {reordered:?}");
    assert!(d.find_all(By::Css("[data-testid=patients-new]")).await?.is_empty(), "no '1 new' once applied");
    Ok(())
}

/// The composer's recipient line once it names `who`.
async fn recipient_line(d: &WebDriver, who: &str) -> String {
    wait_for(&format!("the recipient line naming {who}"), || async {
        text_of(d, "[data-testid=composer] [data-testid=recipient-line]").await.filter(|l| l.contains(who))
    })
    .await
}

async fn composer_says_where_texts_go(d: &WebDriver) -> Result<(), WebDriverError> {
    open_patient(d, "Ana Lopez").await;
    let line = recipient_line(d, "Ana Lopez's mobile").await;
    assert_eq!(line, "To Ana Lopez's mobile, +1 (805) 555-0100, by the hospital SMS server");
    let header = text_of(d, "[data-testid=header-recipient]").await.unwrap_or_default();
    assert_eq!(header, line, "the header says it too");

    // Her son by ECM: said in words, both choices marked as changed.
    let composer = d.find(By::Css("[data-testid=composer]")).await?;
    composer.find(By::Css("select[aria-label='Send to'] option[value='+18055550101']")).await?.click().await?;
    composer.find(By::Css("select[aria-label='Route'] option[value='ecm']")).await?.click().await?;
    let line = recipient_line(d, "Luis").await;
    assert_eq!(line, "To Ana Lopez's contact Luis Lopez (son), +1 (805) 555-0101, by ECM");
    for what in ["To", "Via"] {
        let mark = text_of(d, &format!("[data-testid={what}-changed]")).await.unwrap_or_default();
        assert!(mark.contains("changed") && mark.contains("Reset"), "{what}: {mark}");
    }
    let call = d.find(By::Css("button[aria-label='Call']")).await?.text().await?;
    assert!(call.contains("555-0101"), "the call follows the number changed in this thread: {call}");
    shot(d, "recipient-line.png").await;

    // Ben's thread: his defaults, nothing marked, the call to his own number.
    open_patient(d, "Ben Carter").await;
    let line = recipient_line(d, "Ben Carter's mobile").await;
    assert_eq!(line, "To Ben Carter's mobile, +1 (805) 555-0102, by the hospital SMS server");
    assert!(d.find_all(By::Css("[data-testid=To-changed], [data-testid=Via-changed]")).await?.is_empty());
    let call = d.find(By::Css("button[aria-label='Call']")).await?.text().await?;
    assert!(call.contains("555-0102"), "{call}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_does_not_move_the_row_under_the_pointer() {
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

    let session = start_app(&data).await;
    let d = &session.driver;
    let result = async {
        list_holds_still(d, port).await?;
        composer_says_where_texts_go(d).await
    }
    .await;
    finish(session, result).await;
}

/// Whether the hit shown is inside the thread's visible area, highlighted.
const HIT_IN_VIEW_JS: &str = r#"
const thread = document.querySelector('[data-testid=thread]');
const hit = thread.querySelector('[data-search-current]');
if (!hit) return null;
const view = thread.getBoundingClientRect();
const box = hit.getBoundingClientRect();
return { text: hit.textContent, marks: [...hit.querySelectorAll('mark')].map(m => m.textContent),
         inView: box.top >= view.top && box.bottom <= view.bottom,
         bubbles: thread.querySelectorAll('[data-testid=message]').length };
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_f_finds_a_text_on_an_older_page() {
    if !should_run() {
        return;
    }
    let _turn = ONE_APP_AT_A_TIME.lock().await;
    let (_dir, data) = data_with_roster("name,phone\nLongtime Reader,+14155550142\n");
    // 600 texts: three pages of 200; "message 17:" is only on the oldest.
    fill(&data, 600);

    let session = start_app(&data).await;
    let d = &session.driver;
    let result = async {
        wait_for("the patient", || async { row_of(d, "Longtime Reader").await }).await.click().await?;
        wait_for("the newest page", || async {
            text_of(d, "[data-testid=thread]").await.filter(|t| t.contains("message 599:"))
        })
        .await;
        let loaded = text_of(d, "[data-testid=thread]").await.unwrap_or_default();
        assert!(!loaded.contains("message 17:"), "the old text is not loaded yet");

        d.action_chain().key_down(Key::Control).send_keys("f").key_up(Key::Control).perform().await?;
        let search = wait_for("the search bar", || async {
            d.find(By::Css("input[aria-label='Search this conversation']")).await.ok()
        })
        .await;
        search.send_keys("MESSAGE 17:").await?;
        let count = wait_for("one hit", || async {
            text_of(d, "[data-testid=thread-search-count]").await.filter(|c| c.contains("of"))
        })
        .await;
        assert_eq!(count, "1 of 1");
        let hit = wait_up_to("the hit scrolled into view", Duration::from_secs(30), || async {
            let v = d.execute(HIT_IN_VIEW_JS, vec![]).await.ok()?.json().clone();
            (v["inView"] == true).then_some(v)
        })
        .await;
        assert!(hit["text"].as_str().unwrap().starts_with("message 17: lorem"), "{hit}");
        assert_eq!(hit["marks"], json!(["message 17:"]), "the match is highlighted: {hit}");
        assert!(hit["bubbles"].as_u64().unwrap() < 100, "still virtualized: {hit}");
        shot(d, "thread-search.png").await;

        // Esc closes the bar and the highlight.
        search.send_keys(Key::Escape).await?;
        wait_for("the bar to close", || async {
            d.find_all(By::Css("[data-testid=thread-search]")).await.ok().filter(|v| v.is_empty())
        })
        .await;
        assert!(d.find_all(By::Css("[data-testid=thread] mark")).await?.is_empty());
        Ok(())
    }
    .await;
    finish(session, result).await;
}
