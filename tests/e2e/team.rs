//! Team mode end to end: two real app windows, two desks (their own data
//! directories, keyrings and D-Bus sessions, their own tauri-driver) on one
//! PostgreSQL (tests/support/pg.rs) and one sandbox as their servers. Ana's
//! desk writes to a patient and Ben's shows "Ana R. is writing…"; her text
//! arrives on his desk with who sent it; his own text, started before hers
//! arrived, is held by the collision prompt; his internal note shows on her
//! desk; she assigns the thread to him and his "Assigned to me" has it; she
//! leaves and his header forgets her within seconds; he closes the thread and
//! her open threads no longer list it. Screenshots of each step in both
//! windows.

use std::{
    path::Path,
    time::{Duration, Instant},
};

use caredesk_core::sandbox::SandboxOptions;
use caredesk_tests::{
    configure,
    desktop_session::DesktopSession,
    pg::PgServer,
    team::{member, team, DB},
    Cli, Sim,
};
use thirtyfour::{components::SelectElement, prelude::*};

use crate::{desk::open_patient, harness::*};

const HER_TEXT: &str = "Your appointment is on Friday at 10.";
const HIS_DRAFT: &str = "Hi Ana, see you soon";
const HIS_NOTE: &str = "Called her daughter: Friday at 10 suits them.";
const REPLY: &str = "Yes, Friday works.";

/// A desk of the team as `role` (password `<role>-pw`) with the sandbox as
/// its servers and the two-patient roster.
fn team_desk(pg: &PgServer, sim: &Sim, dir: &Path, role: &str, cli: Cli) -> Cli {
    std::fs::create_dir_all(dir).unwrap();
    let cli = configure(sim, dir, cli);
    cli.ok(&["config", "set", "sync.interval_secs", "2"]);
    cli.ok(&["config", "set", "team.database_url", &pg.url(role, DB)]);
    cli.run_stdin(&["credentials", "set", "team-password"], &format!("{role}-pw")).expect_ok();
    cli
}

async fn shot(d: &WebDriver, name: &str) {
    d.screenshot(&screenshot_dir().join(format!("team-{name}.png"))).await.unwrap();
}

/// The text of the presence line in the thread header ("" when none).
async fn presence(d: &WebDriver) -> String {
    text_of(d, "[data-testid=presence]").await.unwrap_or_default()
}

/// The "sent by" of the outbound text containing `text`, once it is there.
async fn sent_by(d: &WebDriver, text: &str) -> Option<String> {
    for m in d.find_all(By::Css("[data-testid=message][data-direction=outbound]")).await.ok()? {
        if m.prop("textContent").await.ok().flatten()?.contains(text) {
            let who = m.find(By::Css("[data-testid=sent-by]")).await.ok()?;
            return Some(format!("{}|{}", who.prop("textContent").await.ok()??, who.attr("title").await.ok()??));
        }
    }
    None
}

async fn type_message(d: &WebDriver, text: &str) -> WebDriverResult<WebElement> {
    let area = d.find(By::Css("[data-testid=composer] textarea[aria-label='Message']")).await?;
    area.send_keys(text).await?;
    Ok(area)
}

async fn flow(ana: &WebDriver, ben: &WebDriver, sim: &Sim) -> Result<(), WebDriverError> {
    for d in [ana, ben] {
        wait_up_to("team mode in the window", Duration::from_secs(60), || async {
            d.find(By::Css("[data-testid=team-filter]")).await.ok()
        })
        .await;
        open_patient(d, "Ana Lopez").await;
        wait_for("the team line", || async { d.find(By::Css("[data-testid=team-bar]")).await.ok() }).await;
    }

    // Ana is in the thread; then she writes.
    let seen = wait_up_to("Ben to see Ana viewing", Duration::from_secs(30), || async {
        Some(presence(ben).await).filter(|p| p.contains("Ana R. is viewing"))
    })
    .await;
    assert!(!seen.contains("Ben"), "{seen}");
    type_message(ana, HER_TEXT).await?;
    let started = Instant::now();
    wait_for("Ben to see Ana writing", || async {
        Some(presence(ben).await).filter(|p| p.contains("Ana R. is writing…"))
    })
    .await;
    eprintln!("\"Ana R. is writing…\" on Ben's desk {:?} after her keystrokes", started.elapsed());
    // Ben starts a text of his own before hers arrives.
    type_message(ben, HIS_DRAFT).await?;
    wait_for("Ana to see Ben writing", || async {
        Some(presence(ana).await).filter(|p| p.contains("Ben O. is writing…"))
    })
    .await;
    shot(ana, "writing-ana").await;
    shot(ben, "writing-ben").await;

    // Ana sends: her text reaches Ben's thread, sent by her.
    ana.find(By::Css("[data-testid=composer] textarea[aria-label='Message']"))
        .await?
        .send_keys(Key::Control + Key::Enter)
        .await?;
    let sent = Instant::now();
    let who = wait_up_to("Ana's text on Ben's desk", Duration::from_secs(30), || sent_by(ben, HER_TEXT)).await;
    assert_eq!(who, "Ana R.|Sent by Ana Ruiz");
    eprintln!("Ana's text on Ben's desk {:?} after Send", sent.elapsed());
    assert_eq!(sent_by(ana, HER_TEXT).await.as_deref(), Some("Ana R.|Sent by Ana Ruiz"));
    // Ben's row says whose text it was; Ana's says it was hers.
    for (d, who) in [(ben, "Ana R."), (ana, "You")] {
        let want = format!("{who}: {HER_TEXT}");
        wait_for("the row's preview", || async { preview_of(d, "Ana Lopez").await.filter(|t| *t == want) }).await;
    }
    shot(ben, "sent-by").await;

    // Ben sends his: asked first, since Ana texted after he started writing.
    ben.find(By::Css("[data-testid=composer] textarea[aria-label='Message']"))
        .await?
        .send_keys(Key::Control + Key::Enter)
        .await?;
    let prompt =
        wait_for("the collision prompt", || async { text_of(ben, "[data-testid=collision-prompt]").await }).await;
    assert!(prompt.contains(&format!("Ana Ruiz sent “{HER_TEXT}”")), "{prompt}");
    assert!(prompt.contains("after you started writing. Send yours anyway?"), "{prompt}");
    shot(ben, "collision").await;
    ben.find(By::XPath("//button[normalize-space()='Keep editing']")).await?.click().await?;
    let area = ben.find(By::Css("[data-testid=composer] textarea[aria-label='Message']")).await?;
    assert_eq!(area.prop("value").await?.as_deref(), Some(HIS_DRAFT), "nothing was sent");

    // Ben's internal note reaches Ana's thread, drawn as a note.
    ben.find(By::Css("[data-testid=note-mode]")).await?.click().await?;
    ben.find(By::Css("textarea[aria-label='Internal note']")).await?.send_keys(HIS_NOTE).await?;
    ben.find(By::XPath("//button[normalize-space()='Add note']")).await?.click().await?;
    let note = wait_up_to("Ben's note on Ana's desk", Duration::from_secs(30), || async {
        text_of(ana, "[data-testid=note]").await.filter(|t| t.contains(HIS_NOTE))
    })
    .await;
    assert!(note.contains("Internal note · never sent to the patient") && note.contains("Ben Ortiz"), "{note}");
    shot(ana, "note").await;

    // Ana gives the thread to Ben: his row says so, and "Assigned to me" has it.
    let select = ana.find(By::Css("[data-testid=assign-select]")).await?;
    wait_for("Ben among the members", || async {
        select.find(By::XPath("./option[normalize-space()='Ben Ortiz']")).await.ok()
    })
    .await;
    SelectElement::new(&select).await?.select_by_visible_text("Ben Ortiz").await?;
    wait_up_to("the assignee on Ben's row", Duration::from_secs(30), || async {
        let row = row_of(ben, "Ana Lopez").await?;
        row.find(By::Css("[data-testid=assignee]"))
            .await
            .ok()?
            .prop("textContent")
            .await
            .ok()?
            .filter(|t| t == "Ben O.")
    })
    .await;
    ben.find(By::XPath("//button[@role='radio' and normalize-space()='Assigned to me']")).await?.click().await?;
    let mine = wait_for("Ben's own threads", || async { Some(rows(ben).await).filter(|r| r.len() == 1) }).await;
    assert!(mine[0].contains("Ana Lopez"), "{mine:?}");
    shot(ben, "assigned").await;
    ben.find(By::XPath("//button[@role='radio' and normalize-space()='All']")).await?.click().await?;

    // Ana leaves the thread: gone from Ben's header within seconds.
    let left = Instant::now();
    open_patient(ana, "Ben Carter").await;
    wait_for("Ana gone from Ben's header", || async { Some(presence(ben).await).filter(|p| !p.contains("Ana R.")) })
        .await;
    eprintln!("Ana gone from Ben's header {:?} after she left", left.elapsed());
    assert!(left.elapsed() < Duration::from_secs(5), "{:?}", left.elapsed());

    // Ben closes the thread: it leaves Ana's open threads, and shows under Closed.
    ben.find(By::Css("[data-testid=close-thread]")).await?.click().await?;
    wait_up_to("the thread gone from Ana's open view", Duration::from_secs(30), || async {
        let names = rows(ana).await;
        (!names.is_empty() && !names.iter().any(|r| r.contains("Ana Lopez"))).then_some(())
    })
    .await;
    ana.find(By::XPath("//button[@role='radio' and normalize-space()='Closed']")).await?.click().await?;
    let closed = wait_for("Ana's closed threads", || async {
        Some(rows(ana).await).filter(|r| r.len() == 1 && r[0].contains("Ana Lopez"))
    })
    .await;
    assert!(closed[0].contains("Closed"), "{closed:?}");
    shot(ana, "closed").await;
    // The patient column holds still under the pointer: Ana's pointer goes back to her thread.
    pointer_to_thread(ana).await?;

    // A reply reopens the thread. Ben reads it; Ana has not: her badge and window title say so.
    let reply = serde_json::json!({ "from": "+18055550100", "text": REPLY });
    sim.h().inject_inbound(serde_json::from_value(reply).unwrap()).unwrap();
    wait_up_to("the reply in Ben's open thread", Duration::from_secs(30), || async {
        text_of(ben, "[data-testid=thread]").await.filter(|t| t.contains(REPLY))
    })
    .await;
    open_patient(ben, "Ben Carter").await;
    open_patient(ben, "Ana Lopez").await;
    wait_up_to("the reopened thread gone from Ana's closed view", Duration::from_secs(30), || async {
        text_of(ana, "[data-testid=team-filter-empty]").await
    })
    .await;
    ana.find(By::XPath("//button[@role='radio' and normalize-space()='Open']")).await?.click().await?;
    pointer_to_thread(ana).await?;
    let badge = wait_up_to("Ana's unread badge", Duration::from_secs(30), || async {
        // Under the pointer the column holds still and offers "N new": take it, as a person would.
        if let Ok(new) = ana.find(By::Css("[data-testid=patients-new]")).await {
            let _ = new.click().await;
        }
        let row = row_of(ana, "Ana Lopez").await?;
        row.find(By::Css("[data-testid=unread-badge]")).await.ok()?.prop("textContent").await.ok()?
    })
    .await;
    assert_eq!(badge, "1");
    wait_for("Ben's badge gone", || async {
        let row = row_of(ben, "Ana Lopez").await?;
        row.find(By::Css("[data-testid=unread-badge]")).await.is_err().then_some(())
    })
    .await;
    wait_for("one window titled with one unread", || async {
        (windows_titled("CareDesk (1 unread)") == 1 && windows_titled("CareDesk") == 1).then_some(())
    })
    .await;
    shot(ana, "unread").await;
    Ok(())
}

/// Runs the flow; when a step panics (a wait timed out), screenshots both
/// windows (`team-failed-ana.png`, `team-failed-ben.png`) and prints their
/// patient rows before the panic goes on.
async fn flow_or_shots(ana: &WebDriver, ben: &WebDriver, sim: &Sim) -> Result<(), WebDriverError> {
    match unwind::CatchUnwind::new(flow(ana, ben, sim)).await {
        Ok(result) => result,
        Err(panic) => {
            for (who, d) in [("ana", ana), ("ben", ben)] {
                eprintln!("{who}'s rows: {:?}", rows(d).await);
                let _ = d.screenshot(&screenshot_dir().join(format!("team-failed-{who}.png"))).await;
            }
            std::panic::resume_unwind(panic)
        }
    }
}

/// `catch_unwind` for a future (the tests have no futures crate).
mod unwind {
    use std::{
        any::Any,
        future::Future,
        panic::{catch_unwind, AssertUnwindSafe},
        pin::Pin,
        task::{Context, Poll},
    };

    pub struct CatchUnwind<F>(Pin<Box<F>>);

    impl<F: Future> CatchUnwind<F> {
        pub fn new(f: F) -> Self {
            CatchUnwind(Box::pin(f))
        }
    }

    impl<F: Future> Future for CatchUnwind<F> {
        type Output = Result<F::Output, Box<dyn Any + Send>>;
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
            match catch_unwind(AssertUnwindSafe(|| self.0.as_mut().poll(cx))) {
                Ok(Poll::Pending) => Poll::Pending,
                Ok(Poll::Ready(v)) => Poll::Ready(Ok(v)),
                Err(e) => Poll::Ready(Err(e)),
            }
        }
    }
}

/// Moves the pointer off the patient column (which holds its rows still under it).
async fn pointer_to_thread(d: &WebDriver) -> WebDriverResult<()> {
    let thread = d.find(By::Css("[data-testid=thread]")).await?;
    d.action_chain().move_to_element_center(&thread).perform().await
}

/// The preview line of the patient row of `name`.
async fn preview_of(d: &WebDriver, name: &str) -> Option<String> {
    let row = row_of(d, name).await?;
    row.find(By::Css("[data-testid=patient-preview]")).await.ok()?.prop("textContent").await.ok()?
}

/// How many top-level X windows have exactly this title (the native title the app sets).
fn windows_titled(title: &str) -> usize {
    let out =
        std::process::Command::new("xwininfo").args(["-root", "-tree"]).output().expect("xwininfo (x11-utils) runs");
    String::from_utf8_lossy(&out.stdout).matches(&format!("\"{title}\"")).count()
}

#[test]
fn two_desks_on_one_team_database_see_each_other_write_send_note_assign_and_close() {
    if !should_run() {
        return;
    }
    let pg = team();
    member(&pg, "ana", "Ana Ruiz");
    member(&pg, "ben", "Ben Ortiz");
    // No scripted replies: the one reply is the test's.
    let sim = Sim::start(SandboxOptions { replies: false, ..SandboxOptions::for_tests() });
    let dir = tempfile::tempdir().unwrap();
    // Ana's desk runs in this test's desktop session; Ben's in one of its own.
    let second = DesktopSession::start(dir.path());
    let ana = team_desk(&pg, &sim, &dir.path().join("ana"), "ana", Cli::new(&dir.path().join("ana/data")));
    let ben_cli = Cli::new(&dir.path().join("ben/data")).with_env(&second.env());
    let ben = team_desk(&pg, &sim, &dir.path().join("ben"), "ben", ben_cli);
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async {
        let _turn = ONE_APP_AT_A_TIME.lock().await;
        let env: Vec<(String, String)> = second.env();
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let ana_app = start_app(&ana.data_dir).await;
        let ben_app = start_app_with(&ben.data_dir, &env).await;
        let result = flow_or_shots(&ana_app.driver, &ben_app.driver, &sim).await;
        finish(ben_app, Ok(())).await;
        finish(ana_app, result).await;
    });
    drop(second);
}
