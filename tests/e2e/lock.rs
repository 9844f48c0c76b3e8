//! Automatic logoff in the real app: the passphrase set at first start, the
//! idle lock after a short timeout (CAREDESK_IDLE_LOCK_SECS), a lock screen
//! whose page holds nothing of the desk, a wrong passphrase refused with a
//! wait, and the desk back after the right one.

use std::time::{Duration, Instant};

use thirtyfour::prelude::*;

use crate::desk::{open_patient, send, shot};
use crate::harness::*;

/// The idle timeout the app is started with, in seconds.
const IDLE_SECS: u64 = 8;
/// A text sent before the lock; it must not be in the locked page.
const SENT: &str = "Lock test: your results are ready 7731";

/// Every name, number (in the formats the UI writes them) and text of the
/// demo roster and its scripted replies, plus the text sent.
fn phi() -> Vec<String> {
    let mut out = vec![SENT.to_string()];
    for p in caredesk_core::sandbox::demo::roster() {
        out.push(p.name.clone());
        for phone in &p.phones {
            let e164 = phone.number.to_string();
            let national = &e164[e164.len() - 10..];
            out.push(e164.clone());
            out.push(national.to_string());
            out.push(format!("({}) {}-{}", &national[..3], &national[3..6], &national[6..]));
            out.push(format!("{}-{}", &national[3..6], &national[6..]));
            out.extend(phone.name.clone());
        }
    }
    out.push("Yes, I will bring her".into());
    out.push("Can you call me?".into());
    out
}

async fn page(d: &WebDriver) -> String {
    d.execute("return document.documentElement.outerHTML", vec![]).await.unwrap().json().as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_lock_hides_the_desk_and_the_passphrase_opens_it() {
    if !should_run() {
        return;
    }
    let _turn = ONE_APP_AT_A_TIME.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let secs = IDLE_SECS.to_string();
    let session = start_app_locked(&data, &[("CAREDESK_IDLE_LOCK_SECS", &secs)]).await;
    let d = &session.driver;
    let result = async {
        // First start: the setup screen, before anything of the desk.
        assert_eq!(first_screen(d).await, "setup-screen");
        let html = page(d).await;
        assert!(!html.contains("Ana Lopez"), "the setup screen shows no patient");
        shot(d, "setup-screen.png").await;
        pass_lock(d).await;

        // The desk, a patient open and a text sent: PHI on screen.
        wait_for("the demo roster", || async { Some(rows(d).await).filter(|r| r.len() == 8) }).await;
        open_patient(d, "Ana Lopez").await;
        send(d, SENT).await;
        wait_for("the sent text", || async { text_of(d, "[data-testid=thread]").await.filter(|t| t.contains(SENT)) })
            .await;
        assert!(page(d).await.contains("Ana Lopez"));

        // No input: the lock comes by itself.
        let idle_from = Instant::now();
        wait_up_to("the idle lock", Duration::from_secs(IDLE_SECS + 20), || async {
            d.find(By::Css("[data-testid=lock-screen]")).await.ok()
        })
        .await;
        let after = idle_from.elapsed();
        assert!(after >= Duration::from_secs(IDLE_SECS - 2), "locked after {after:?}, before the timeout");
        shot(d, "lock-screen.png").await;
        let html = page(d).await;
        let forbidden = phi();
        let found: Vec<&String> = forbidden.iter().filter(|s| html.contains(s.as_str())).collect();
        assert!(found.is_empty(), "the locked page still holds {found:?}");
        assert!(d.find_all(By::Css("[data-testid=status-bar]")).await.unwrap().is_empty());
        eprintln!("e2e lock: the locked page ({} bytes) holds none of {} PHI strings", html.len(), forbidden.len());

        // A wrong passphrase is refused, with a wait shown and enforced.
        type_into(d, "unlock-passphrase", "not the passphrase").await;
        d.find(By::Css("[data-testid=unlock-submit]")).await.unwrap().click().await.unwrap();
        let error = wait_for("the refusal", || async { text_of(d, "[data-testid=unlock-error]").await }).await;
        assert_eq!(error, "That is not the unlock passphrase. Try again in 1 s.");
        shot(d, "lock-screen-wrong.png").await;
        // A second wrong one waits 2 s: long enough to see the countdown.
        type_into(d, "unlock-passphrase", "still not it").await;
        wait_for("Unlock after the first wait", || async {
            let b = d.find(By::Css("[data-testid=unlock-submit]")).await.ok()?;
            b.is_enabled().await.ok()?.then_some(b)
        })
        .await
        .click()
        .await
        .unwrap();
        wait_for("the second refusal", || async {
            text_of(d, "[data-testid=unlock-error]").await.filter(|t| t.contains("Try again in 2 s"))
        })
        .await;
        let wait = text_of(d, "[data-testid=unlock-wait]").await.unwrap_or_default();
        assert!(wait.contains("try again in"), "the countdown shows: {wait:?}");
        assert!(d.find_all(By::Css("[data-testid=status-bar]")).await.unwrap().is_empty());

        // The right one, once the wait is over: the desk comes back.
        type_into(d, "unlock-passphrase", E2E_PASSPHRASE).await;
        wait_for("Unlock to be enabled again", || async {
            let b = d.find(By::Css("[data-testid=unlock-submit]")).await.ok()?;
            b.is_enabled().await.ok()?.then_some(b)
        })
        .await
        .click()
        .await
        .unwrap();
        wait_for("the desk again", || async { d.find(By::Css("[data-testid=status-bar]")).await.ok() }).await;
        wait_for("the demo roster again", || async { Some(rows(d).await).filter(|r| r.len() == 8) }).await;

        // Lock now with Ctrl+L.
        d.action_chain().key_down(Key::Control).send_keys("l").key_up(Key::Control).perform().await.unwrap();
        wait_for("the lock after Ctrl+L", || async { d.find(By::Css("[data-testid=lock-screen]")).await.ok() }).await;
        assert!(!page(d).await.contains("Ana Lopez"));
        Ok(())
    }
    .await;
    finish(session, result).await;
}
