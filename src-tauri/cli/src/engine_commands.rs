//! The commands of the messaging engine: sync, outbox, threads, thread, link,
//! test-sms.

use std::sync::{Arc, Mutex};

use caredesk_core::{
    desk::Desk,
    engine,
    engine::inbox_sync,
    engine::outbox::{self, SendLimiter},
    engine::routes::GatewayPlan,
    engine::threads,
    rules::error::CoreError,
    rules::visible_text::visible,
    sandbox::SandboxOptions,
    store::{thread_search::MAX_THREAD_HITS, LinkContact, Route, ThreadItemKind},
};
use serde_json::json;

use crate::{
    gateway_commands::{connect, runtime},
    output::line,
};

fn lock(desk: &Mutex<Desk>) -> std::sync::MutexGuard<'_, Desk> {
    desk.lock().expect("desk lock")
}

/// Resolves at the first Ctrl+C or SIGTERM. The handlers are installed
/// when this is called, so a signal that comes while a cycle runs is not lost.
pub(crate) fn stop_signal() -> Result<impl std::future::Future<Output = &'static str>, CoreError> {
    let io = |e: std::io::Error| CoreError::Io(format!("cannot listen for Ctrl+C: {e}"));
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut interrupt = signal(SignalKind::interrupt()).map_err(io)?;
        let mut terminate = signal(SignalKind::terminate()).map_err(io)?;
        Ok(async move {
            tokio::select! {
                _ = interrupt.recv() => "Ctrl+C",
                _ = terminate.recv() => "SIGTERM",
            }
        })
    }
    #[cfg(not(unix))]
    {
        let _ = io;
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
            "Ctrl+C"
        })
    }
}

/// Runs engine cycles until Ctrl+C or SIGTERM (or once). A signal stops
/// the cycle under way at once; any message it had in hand is released
/// (checked before any retry) rather than left claimed for the lease.
/// How much before the outbox's next send slot `caredesk sync` wakes for it
/// (the worker waits out the rest in place).
const OUTBOX_WAKE_EARLY: std::time::Duration = std::time::Duration::from_millis(30);

pub fn sync(mut desk: Desk, once: bool, json: bool) -> Result<(), CoreError> {
    desk.set_role("caredesk sync");
    let desk = Arc::new(Mutex::new(desk));
    runtime()?.block_on(async {
        let stop = stop_signal()?;
        tokio::pin!(stop);
        // One process sends and syncs a data directory at a time.
        if let Some(holder) = outbox::take_sending(&desk)? {
            if once {
                eprintln!("note: nothing done: {}", engine::sending_elsewhere(&holder));
                return Ok(());
            }
            eprintln!("waiting: {holder} sends and syncs for this data directory; this sync starts when it stops (Ctrl+C quits)");
            loop {
                tokio::select! {
                    why = &mut stop => {
                        eprintln!("stopped by {why}");
                        return Ok(());
                    }
                    _ = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
                }
                if outbox::take_sending(&desk)?.is_none() {
                    eprintln!("note: {holder} stopped; this sync sends and syncs now");
                    break;
                }
            }
        }
        let mut gw = connect(&desk).await?;
        let mut plan_digest = GatewayPlan::from_desk(&lock(&desk))?.fingerprint();
        let rate = lock(&desk).setting("sms.rate_per_sec")?.and_then(|v| v.parse().ok()).unwrap_or(1.0);
        let limiter = SendLimiter::new(rate);
        let interval = lock(&desk).setting("sync.interval_secs")?.and_then(|v| v.parse().ok()).unwrap_or(10u64);
        let mut first = true;
        let mut failed = false;
        let mut stopped_by = None;
        // Team mode: the team sync runs beside the cycles (`--once`: one
        // exchange after the cycle), reporting a line when it moves.
        let team_status: Arc<Mutex<Option<engine::team::TeamSyncStatus>>> = Arc::default();
        // Elected the team's poller: the next cycle starts at once.
        let elected = Arc::new(tokio::sync::Notify::new());
        let team = (!once).then(|| {
            let (status, elected) = (team_status.clone(), elected.clone());
            engine::team::spawn(
                desk.clone(),
                Arc::new(move |e: engine::team::TeamEvent| {
                    if let Ok(mut s) = status.lock() {
                        *s = (e.status.link != engine::team::TeamLink::Off).then(|| e.status.clone());
                    }
                    if e.polling_started {
                        elected.notify_one();
                    }
                    if e.status.link != engine::team::TeamLink::Off {
                        team_line(&e, json);
                    }
                }),
            )
        });
        loop {
            // A secret or a server setting changed (Settings, `caredesk
            // credentials set`): connect with the new ones.
            let plan = GatewayPlan::from_desk(&lock(&desk))?;
            if plan.fingerprint() != plan_digest {
                plan_digest = plan.fingerprint();
                let data_dir = lock(&desk).data_dir().to_path_buf();
                let old = std::mem::replace(&mut gw, plan.connect_in(&data_dir, SandboxOptions::default()).await?);
                old.shutdown().await;
                eprintln!("note: the server settings or secrets changed; connected again");
            }
            // `--once` in team mode: a session for the run, which polls the
            // hospital SMS server for the team only if no other desk does.
            let mut team_errors = Vec::new();
            let once_session = if once {
                tokio::select! {
                    s = engine::team::OnceSession::begin(&desk) => s.unwrap_or_else(|e| {
                        team_errors.push(format!("team: {e}"));
                        None
                    }),
                    why = &mut stop => {
                        stopped_by = Some(why);
                        break;
                    }
                }
            } else {
                None
            };
            let mut report = tokio::select! {
                report = engine::cycle(&desk, &gw, None, &limiter, first) => report,
                why = &mut stop => {
                    stopped_by = Some(why);
                    break;
                }
            };
            report.errors.extend(team_errors);
            // The FHIR write-back: every text and call of this cycle (and
            // any left over) recorded on the clinic's FHIR server.
            let fhir = tokio::select! {
                r = crate::fhir_commands::drain_writes(&desk) => r,
                why = &mut stop => {
                    stopped_by = Some(why);
                    break;
                }
            };
            match fhir {
                Ok(Some(r)) => {
                    if let Some(why) = &r.stopped {
                        report.errors.push(format!("fhir: {why}"));
                    }
                    if json {
                        line(serde_json::to_string(&json!({ "fhir": r })).expect("a FHIR report serializes"));
                    } else if r.moved() {
                        line(visible(&r.summary()));
                    }
                }
                Ok(None) => {}
                Err(e) => report.errors.push(format!("fhir: {e}")),
            }
            if once {
                if let Some(session) = once_session {
                    tokio::select! {
                        team = session.finish(&desk) => if let Err(e) = team {
                            report.errors.push(format!("team: {e}"));
                        },
                        why = &mut stop => {
                            stopped_by = Some(why);
                            break;
                        }
                    }
                }
                report.team = team_state(&desk);
            } else {
                report.team = team_status.lock().ok().and_then(|s| s.clone());
            }
            first = false;
            failed = !report.errors.is_empty();
            if json {
                line(serde_json::to_string(&report).expect("report serializes"));
            } else {
                let now = chrono::Local::now().format("%H:%M:%S");
                line(format!("{now}  {}  ({} ms)", visible(&report.summary()), report.elapsed_ms));
                let overview = inbox_sync::overview(lock(&desk).db())?;
                for w in overview.warnings() {
                    eprintln!("warning: {}", visible(&w.to_string()));
                }
            }
            if once {
                break;
            }
            // Until the next cycle, the outbox alone whenever its next text
            // is due (the send rate), so texts keep `sms.rate_per_sec`
            // without a poll of the servers per text.
            let next_cycle = tokio::time::Instant::now() + std::time::Duration::from_secs(interval.max(1));
            let mut soon = report.outbox.as_ref().and_then(|o| o.next_in_ms).map(std::time::Duration::from_millis);
            loop {
                let now = tokio::time::Instant::now();
                let (wake, step) = match soon {
                    Some(s) if now + s < next_cycle => {
                        (now + s.saturating_sub(OUTBOX_WAKE_EARLY).max(std::time::Duration::from_millis(5)), true)
                    }
                    _ => (next_cycle, false),
                };
                tokio::select! {
                    why = &mut stop => {
                        stopped_by = Some(why);
                        break;
                    }
                    _ = tokio::time::sleep_until(wake) => {}
                    _ = elected.notified() => break,
                }
                if !step {
                    break;
                }
                let step = tokio::select! {
                    r = engine::outbox_step(&desk, &gw, None, &limiter) => r,
                    why = &mut stop => {
                        stopped_by = Some(why);
                        break;
                    }
                };
                if json && step.changed() {
                    line(serde_json::to_string(&step).expect("report serializes"));
                }
                soon = step.outbox.as_ref().and_then(|o| o.next_in_ms).map(std::time::Duration::from_millis);
            }
            if stopped_by.is_some() {
                break;
            }
        }
        if let Some(t) = team {
            t.stop(std::time::Duration::from_secs(5)).await;
        }
        if let Some(why) = stopped_by {
            let released = outbox::release_claims(&desk)?;
            let note = match released {
                0 => String::new(),
                n => format!("; {n} message(s) in hand are checked against the server before any retry"),
            };
            eprintln!("stopped by {why}{note}");
            failed = false;
        }
        gw.shutdown().await;
        if failed && once {
            return Err(CoreError::Io("the sync cycle had errors (see above)".into()));
        }
        Ok(())
    })
}

/// A team sync line: what moved and where it stands.
fn team_line(e: &engine::team::TeamEvent, json: bool) {
    if json {
        line(serde_json::to_string(&json!({ "team": e })).expect("a team event serializes"));
        return;
    }
    let s = &e.status;
    let now = chrono::Local::now().format("%H:%M:%S");
    let mut text = format!("{now}  team: {}, {} waiting, position {}", s.link.as_str(), s.waiting, s.applied);
    if e.pushed + e.applied > 0 {
        text.push_str(&format!(" ({} pushed, {} applied)", e.pushed, e.applied));
    }
    if let Some(err) = &s.last_error {
        text.push_str(&format!(" ({})", visible(err)));
    }
    line(text);
}

/// The team sync's state as this desk's store records it (`--once`).
fn team_state(desk: &Mutex<Desk>) -> Option<engine::team::TeamSyncStatus> {
    let d = lock(desk);
    let local = d.db().team_state().ok()?;
    if !local.joined || !d.team_mode().unwrap_or(false) {
        return None;
    }
    let link = if local.link.as_deref() == Some("connected") {
        engine::team::TeamLink::Connected
    } else {
        engine::team::TeamLink::Offline
    };
    Some(engine::team::TeamSyncStatus {
        link,
        role: local.role,
        waiting: local.waiting,
        applied: local.applied,
        last_error: local.last_error,
        error_code: None,
        poller: None,
    })
}

pub fn outbox(desk: Desk, json: bool) -> Result<(), CoreError> {
    let desk = Mutex::new(desk);
    let entries = outbox::pending(&desk)?;
    if json {
        line(serde_json::to_string_pretty(&entries).expect("entries serialize"));
        return Ok(());
    }
    if entries.is_empty() {
        line("the outbox is empty");
    }
    for e in entries {
        line(format!(
            "message {:<6} {:<4} to {:<14} {:<10} attempts {}  next {}  {}",
            e.message_id,
            e.route.as_str(),
            visible(&e.to),
            e.state,
            e.attempts,
            e.next_attempt_at.as_deref().unwrap_or("-"),
            visible(e.last_error.as_deref().unwrap_or(""))
        ));
    }
    Ok(())
}

/// `outbox undo MESSAGE_ID`: takes back a text still in its undo delay.
pub fn undo(desk: &Desk, message_id: i64, json: bool) -> Result<(), CoreError> {
    let undone = outbox::undo_send(desk, message_id)?;
    if json {
        line(serde_json::to_string_pretty(&undone).expect("the undone text serializes"));
    } else {
        line(format!("message {message_id} undone: it was not sent and is removed from the outbox"));
    }
    Ok(())
}

pub fn threads(desk: &Desk, json: bool) -> Result<(), CoreError> {
    let rows = desk.db().thread_list()?;
    if json {
        let v: Vec<_> = rows
            .iter()
            .map(|r| {
                json!({ "patient_id": r.patient_id, "name": r.name, "number": r.number, "unread": r.unread,
                        "last_at": r.last_at, "assigned_to": r.assigned_to, "status": r.status })
            })
            .collect();
        line(serde_json::to_string_pretty(&v).expect("rows serialize"));
        return Ok(());
    }
    if rows.is_empty() {
        line("no threads yet");
    }
    for r in rows {
        let who = match r.patient_id {
            Some(id) => format!("{} (patient {id})", visible(&r.name)),
            None => format!("Unmatched {}", visible(r.number.as_deref().unwrap_or(&r.name))),
        };
        let team = match (&r.assigned_to, r.status.as_deref()) {
            (Some(role), Some("closed")) => format!("  [{}, closed]", visible(role)),
            (Some(role), _) => format!("  [{}]", visible(role)),
            (None, Some("closed")) => "  [closed]".to_string(),
            _ => String::new(),
        };
        line(format!("{:<40} {:>3} unread  {}  {}{team}", who, r.unread, r.last_at, visible(&r.last_preview)));
    }
    Ok(())
}

pub fn thread(desk: &Desk, patient: &str, search: Option<&str>, json: bool) -> Result<(), CoreError> {
    let p = desk.patient(patient)?;
    let mut items = desk.view_thread(p.id, usize::MAX >> 1)?;
    if let Some(text) = search {
        let found = desk.search_thread(p.id, text, MAX_THREAD_HITS)?;
        if found.more {
            eprintln!("note: more than {MAX_THREAD_HITS} texts match; the newest {MAX_THREAD_HITS} are shown");
        }
        let hits: std::collections::HashSet<i64> = found.hits.iter().map(|h| h.id).collect();
        items.retain(|m| m.kind == ThreadItemKind::Sms && hits.contains(&m.id));
    }
    if json {
        let v: Vec<_> = items
            .iter()
            .map(|m| {
                json!({
                    "id": m.id, "kind": m.kind, "direction": m.direction, "text": m.text, "from": m.from, "to": m.to,
                    "state": m.state, "server_id": m.server_id, "at": m.at, "route": m.route, "test": m.test,
                    "intended_to": m.intended_to, "error": m.error, "sent_by": m.sent_by,
                    "fhir": m.fhir,
                })
            })
            .collect();
        line(serde_json::to_string_pretty(&v).expect("items serialize"));
        return Ok(());
    }
    line(format!("{} ({} items)", visible(&p.name), items.len()));
    for m in items {
        let arrow = if m.direction == "inbound" { "<-" } else { "->" };
        let what = if m.kind == ThreadItemKind::Call {
            "[call]".to_string()
        } else {
            visible(&m.text.replace('\n', " ")).into_owned()
        };
        let extra = m.intended_to.map(|i| format!(" (for {})", visible(&i))).unwrap_or_default();
        let test = if m.test { " [test]" } else { "" };
        let by = m.sent_by.as_deref().map(|b| format!(" (by {})", visible(b))).unwrap_or_default();
        line(format!(
            "{}  {arrow} {}{extra}  {:<11} {what}{test}{by}",
            m.at,
            visible(if m.direction == "inbound" { m.from.as_deref().unwrap_or_default() } else { &m.to }),
            m.state
        ));
    }
    Ok(())
}

/// `read --patient ID`: marks the thread read, as opening it in the app does.
pub fn read(desk: &Desk, patient: &str) -> Result<(), CoreError> {
    let p = desk.patient(patient)?;
    let n = desk.db().mark_thread_read(&caredesk_core::store::threads::ThreadRef::Patient(p.id))?;
    line(format!("{} read ({n} new)", visible(&p.name)));
    Ok(())
}

pub fn link(desk: &Desk, number: &str, patient: &str, contact: &LinkContact) -> Result<(), CoreError> {
    let p = desk.patient(patient)?;
    let linked = threads::link_number(desk.db(), number, p.id, contact, &desk.actor(), desk.region())?;
    let added = if linked.number_added { ", now one of their numbers" } else { "" };
    line(format!("linked {} to {}{added} ({} messages moved)", visible(number), visible(&p.name), linked.moved));
    Ok(())
}

/// Sends one test message (spec 002's test harness) to a number, not a patient.
pub fn test_sms(desk: Desk, to: String, via: Option<String>) -> Result<(), CoreError> {
    let desk = Mutex::new(desk);
    runtime()?.block_on(async {
        let gw = connect(&desk).await?;
        let outcome =
            caredesk_core::engine::test_sms::send_test_sms(&desk, &gw, &to, via.as_deref().and_then(Route::parse))
                .await;
        gw.shutdown().await;
        let outcome = outcome?;
        line(visible(&outcome.to_string()));
        Ok(())
    })
}
