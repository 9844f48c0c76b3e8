//! The background engine. One cycle delivers what is due in the outbox
//! (reconciling ambiguous sends before any retry), refreshes the delivery
//! states of sent messages, and polls the inbox; every few hours it also
//! re-reads the last day of the inbox to backfill anything a poll missed.
//!
//! The loop is `select!` over a ticker (missed ticks skipped) and a command
//! channel (sync now, stop), and reports through a callback, so it runs the
//! same in the app, the CLI and tests. Beside it runs the FHIR roster pull
//! ([`fhir_sync`]), on its own interval, when a FHIR server is configured.

pub mod call;
pub mod campaign;
pub mod connection_check;
pub mod consent_invites;
pub mod delivery;
pub mod fhir_sync;
pub mod inbox_sync;
pub mod outbox;
pub mod recipient;
pub mod replies;
pub mod routes;
pub mod send;
pub mod settings_view;
pub mod shared_sandbox;
pub mod team;
pub mod test_sms;
pub mod threads;

use std::{
    future::Future,
    pin::Pin,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use tokio::sync::mpsc;

use crate::{
    desk::Desk,
    engine::inbox_sync::{PollReport, RefreshReport},
    engine::outbox::{DrainReport, SendLimiter},
    engine::routes::{Gateways, Mode},
    rules::error::CoreError,
};

/// The most outbox rows one cycle hands to gateways.
pub const DRAIN_BATCH: usize = 200;
/// How often the last day of the inbox is re-read.
pub const RECONCILE_EVERY: Duration = Duration::from_secs(3 * 3600);

/// What one cycle did; a step that failed has its error in `errors`.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct CycleReport {
    pub outbox: Option<DrainReport>,
    pub delivery: Option<RefreshReport>,
    pub inbox: Option<PollReport>,
    pub reconciled: Option<PollReport>,
    /// The outbox alone ([`outbox_step`]), between full cycles: no
    /// delivery states, no inbox.
    #[serde(skip)]
    pub outbox_only: bool,
    /// Welcome texts queued for numbers that opted in by START.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub welcomes: Option<consent_invites::WelcomeReport>,
    pub errors: Vec<String>,
    pub elapsed_ms: u64,
    /// Another process (the CLI) changed the database since the last cycle.
    pub external_changes: bool,
    /// Team mode: where the team sync stands (it runs beside the cycles).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team: Option<team::TeamSyncStatus>,
    /// What the campaign runner queued, when a campaign runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub campaigns: Option<campaign::FeedReport>,
}

impl CycleReport {
    /// Whether anything a coordinator sees may have changed.
    pub fn changed(&self) -> bool {
        let o =
            self.outbox.as_ref().is_some_and(|o| o.accepted + o.failed + o.reconciled + o.uncertain + o.retrying > 0);
        let d = self.delivery.as_ref().is_some_and(|d| d.updated > 0);
        let i = |p: &Option<PollReport>| p.as_ref().is_some_and(|p| p.new + p.updated > 0);
        let w = self.welcomes.as_ref().is_some_and(|w| w.queued > 0);
        let c = self.campaigns.as_ref().is_some_and(|c| c.queued + c.skipped > 0);
        o || c || d || i(&self.inbox) || i(&self.reconciled) || w || self.external_changes
    }

    /// One line for people: what moved.
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        if let Some(o) = &self.outbox {
            let mut line = format!(
                "outbox: {} sent, {} failed, {} retrying, {} reconciled",
                o.accepted, o.failed, o.retrying, o.reconciled
            );
            if o.paused > 0 {
                line.push_str(&format!(", {} waiting for new credentials", o.paused));
            }
            parts.push(line);
        }
        if let Some(c) = &self.campaigns {
            for p in &c.progress {
                parts.push(format!(
                    "campaign {}: {}, {} of {} queued, {} skipped",
                    p.campaign_id,
                    p.state.as_str(),
                    p.queued,
                    p.total,
                    p.skipped
                ));
            }
        }
        if let Some(d) = &self.delivery {
            parts.push(format!("delivery: {} updated", d.updated));
        }
        if let Some(i) = &self.inbox {
            let mut line = format!("inbox: {} new, {} updated", i.new, i.updated);
            if i.unreadable > 0 {
                line.push_str(&format!(", {} unreadable (skipped)", i.unreadable));
            }
            parts.push(line);
        }
        if let Some(r) = &self.reconciled {
            parts.push(format!("backfill: {} new", r.new));
        }
        if let Some(t) = &self.team {
            let mut line = format!("team: {}, {} waiting, position {}", t.link.as_str(), t.waiting, t.applied);
            if let Some(e) = &t.last_error {
                line.push_str(&format!(" ({e})"));
            }
            parts.push(line);
        }
        for e in &self.errors {
            parts.push(format!("error: {e}"));
        }
        parts.join("; ")
    }
}

/// One full cycle. `test` answers test-mode messages when the live gateways
/// are real servers; `reconcile` adds the day-long backfill pass.
pub async fn cycle(
    desk: &Mutex<Desk>,
    gateways: &Gateways,
    test: Option<&Gateways>,
    limiter: &SendLimiter,
    reconcile: bool,
) -> CycleReport {
    let started = Instant::now();
    let mut report = CycleReport::default();
    if let Ok(d) = desk.lock() {
        // Other processes on this data directory find this one's sandbox.
        gateways.publish_if_sender(d.data_dir(), d.is_sender());
        // What they wrote (a `caredesk call`, a patient imported) shows too.
        report.external_changes = d.db().changed_elsewhere().unwrap_or(false);
    }
    feed_and_drain(desk, gateways, test, limiter, &mut report).await;
    // In team mode one desk reads the hospital SMS server for the team
    // (the poller, see team::poller); the others get what it read through
    // the change log.
    let reads_server = desk.lock().ok().and_then(|d| d.reads_his_server().ok()).unwrap_or(false);
    if let Some(his) = gateways.his().ok().filter(|_| reads_server) {
        match inbox_sync::refresh_outgoing(desk, his).await {
            Ok(r) => report.delivery = Some(r),
            Err(e) => report.errors.push(format!("delivery states: {e}")),
        }
        match inbox_sync::poll_incoming(desk, his).await {
            Ok(r) => report.inbox = Some(r),
            Err(e) => report.errors.push(format!("inbox: {e}")),
        }
        if reconcile {
            match inbox_sync::reconcile_incoming(desk, his).await {
                Ok(r) => report.reconciled = Some(r),
                Err(e) => report.errors.push(format!("backfill: {e}")),
            }
        }
    }
    // A START just read owes its number the welcome text: queued now, sent
    // by the next drain (or the engine's next wake).
    match consent_invites::queue_welcomes(desk) {
        Ok(w) if w.queued + w.skipped > 0 => report.welcomes = Some(w),
        Ok(_) => {}
        Err(e) => report.errors.push(format!("welcome texts: {e}")),
    }
    report.elapsed_ms = started.elapsed().as_millis() as u64;
    report
}

/// Running campaigns hand their next few recipients to the outbox, and the
/// outbox sends what is due.
async fn feed_and_drain(
    desk: &Mutex<Desk>,
    gateways: &Gateways,
    test: Option<&Gateways>,
    limiter: &SendLimiter,
    report: &mut CycleReport,
) {
    match campaign::feed(desk, limiter.rate_per_sec(), chrono::Utc::now()) {
        Ok(r) if !r.progress.is_empty() => report.campaigns = Some(r),
        Ok(_) => {}
        Err(e) => report.errors.push(format!("campaigns: {e}")),
    }
    let targets = outbox::Targets::new(gateways).with_test(test);
    match targets {
        Ok(t) => match outbox::drain_with(desk, t, limiter, DRAIN_BATCH, &policy_of(desk)).await {
            Ok(r) => report.outbox = Some(r),
            Err(e) => report.errors.push(format!("outbox: {e}")),
        },
        Err(e) => report.errors.push(format!("outbox: {e}")),
    }
}

/// The outbox alone, between full cycles: when the send rate (or a running
/// campaign), not the sync interval, says the next text is due. The inbox
/// and delivery states wait for the next full [`cycle`], so a long send
/// never polls the servers once per text.
pub async fn outbox_step(
    desk: &Mutex<Desk>,
    gateways: &Gateways,
    test: Option<&Gateways>,
    limiter: &SendLimiter,
) -> CycleReport {
    let started = Instant::now();
    let mut report = CycleReport { outbox_only: true, ..CycleReport::default() };
    feed_and_drain(desk, gateways, test, limiter, &mut report).await;
    report.elapsed_ms = started.elapsed().as_millis() as u64;
    report
}

/// Where the engine gets the gateways for each cycle (the app replaces them
/// when settings change).
pub type GatewaySource =
    Arc<dyn Fn() -> Pin<Box<dyn Future<Output = Result<Arc<Gateways>, CoreError>> + Send>> + Send + Sync>;

/// What the engine reports.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EngineEvent {
    CycleStarted,
    CycleFinished {
        report: Box<CycleReport>,
    },
    Unavailable {
        error: String,
    },
    /// The team sync's status changed, or changes moved (team mode).
    Team {
        event: Box<team::TeamEvent>,
    },
    /// A FHIR roster pull read a page.
    FhirPullProgress {
        progress: fhir_sync::PullProgress,
    },
    /// A FHIR roster pull ended.
    FhirPullFinished {
        report: Box<fhir_sync::PullReport>,
    },
    /// A FHIR roster pull could not run or stopped with an error.
    FhirPullFailed {
        error: String,
    },
    /// A drain of the FHIR write queue moved something (texts and calls
    /// recorded, skipped, failed or waiting to retry).
    FhirWritesFinished {
        report: Box<fhir_sync::WriteReport>,
    },
    /// A campaign moved (texts queued, recipients skipped, its state).
    CampaignProgress {
        progress: campaign::CampaignProgress,
    },
}

#[derive(Debug)]
enum Command {
    SyncNow,
    Stop,
}

/// A running engine; dropping it stops the loop at its next turn.
#[derive(Debug)]
pub struct EngineHandle {
    tx: mpsc::Sender<Command>,
    join: Option<tokio::task::JoinHandle<()>>,
    /// The team sync beside the cycles (idle unless team mode is on).
    team: Option<team::TeamSyncHandle>,
    fhir_tx: mpsc::Sender<fhir_sync::run::Command>,
    fhir_join: Option<tokio::task::JoinHandle<()>>,
}

impl EngineHandle {
    /// Asks for a cycle now (a send, a "refresh" click), and a team
    /// exchange (a note, an assignment).
    pub fn sync_now(&self) {
        let _ = self.tx.try_send(Command::SyncNow);
        if let Some(t) = &self.team {
            t.wake();
        }
    }

    /// Asks for a FHIR roster pull now (`full`: everything, not only what
    /// changed). Nothing happens while no FHIR server is configured.
    pub fn pull_fhir_now(&self, full: bool) {
        let _ = self.fhir_tx.try_send(fhir_sync::run::Command::PullNow { full });
    }

    /// Stops the loop and the FHIR task and waits for them, at most `limit`.
    pub async fn stop(mut self, limit: Duration) {
        if let Some(t) = self.team.take() {
            t.stop(limit).await;
        }
        let _ = self.tx.send(Command::Stop).await;
        let _ = self.fhir_tx.send(fhir_sync::run::Command::Stop).await;
        let deadline = tokio::time::Instant::now() + limit;
        for j in [self.join.take(), self.fhir_join.take()].into_iter().flatten() {
            let _ = tokio::time::timeout_at(deadline, j).await;
        }
    }
}

impl Drop for EngineHandle {
    fn drop(&mut self) {
        let _ = self.tx.try_send(Command::Stop);
        let _ = self.fhir_tx.try_send(fhir_sync::run::Command::Stop);
    }
}

/// Starts the engine on the current tokio runtime.
pub fn spawn(
    desk: Arc<Mutex<Desk>>,
    source: GatewaySource,
    on_event: Arc<dyn Fn(EngineEvent) + Send + Sync>,
) -> EngineHandle {
    let (tx, mut rx) = mpsc::channel(16);
    // The team sync runs beside the cycles; its latest status goes into
    // each cycle's report too.
    let team_status: Arc<Mutex<Option<team::TeamSyncStatus>>> = Arc::default();
    let team = {
        let (on_event, team_status, wake) = (on_event.clone(), team_status.clone(), tx.clone());
        team::spawn(
            desk.clone(),
            Arc::new(move |e: team::TeamEvent| {
                if let Ok(mut s) = team_status.lock() {
                    *s = (e.status.link != team::TeamLink::Off).then(|| e.status.clone());
                }
                // Just elected the team's poller: poll now, not at the next interval.
                if e.polling_started {
                    let _ = wake.try_send(Command::SyncNow);
                }
                on_event(EngineEvent::Team { event: Box::new(e) });
            }),
        )
    };
    let (fhir_tx, fhir_rx) = mpsc::channel(8);
    let fhir_join = tokio::spawn(fhir_sync::run::run(desk.clone(), fhir_rx, on_event.clone()));
    let join = tokio::spawn(async move {
        let mut limiter = SendLimiter::new(rate(&desk));
        let mut rate_now = rate(&desk);
        let mut last_reconcile: Option<Instant> = None;
        let mut test_gateways: Option<Gateways> = None;
        // When the last full cycle started, and whether the next wake is
        // the outbox's alone (its next text is due before the next cycle).
        let mut last_full: Option<Instant> = None;
        let mut outbox_only = false;
        loop {
            let interval = interval(&desk);
            let mut next_wait = interval;
            // Another process sends for this data directory: it does the
            // work; this one takes over when it ends.
            let elsewhere = match outbox::take_sending(&desk) {
                Ok(holder) => holder.map(|h| sending_elsewhere(&h)),
                Err(e) => Some(e.to_string()),
            };
            if let Some(why) = elsewhere {
                on_event(EngineEvent::Unavailable { error: why });
                tokio::select! {
                    cmd = rx.recv() => match cmd {
                        Some(Command::SyncNow) => continue,
                        Some(Command::Stop) | None => break,
                    },
                    _ = tokio::time::sleep(interval.min(HOLDER_RECHECK)) => continue,
                }
            }
            if !outbox_only {
                on_event(EngineEvent::CycleStarted);
            }
            match source().await {
                Ok(gw) => {
                    let r = rate(&desk);
                    if r != rate_now {
                        limiter = SendLimiter::new(r);
                        rate_now = r;
                    }
                    if gw.mode == Mode::Real && test_mode(&desk) && test_gateways.is_none() {
                        test_gateways = outbox::start_test_gateways(&desk).await.ok();
                    }
                    let mut report = if outbox_only {
                        outbox_step(&desk, &gw, test_gateways.as_ref(), &limiter).await
                    } else {
                        last_full = Some(Instant::now());
                        let reconcile = last_reconcile.is_none_or(|t| t.elapsed() >= RECONCILE_EVERY);
                        let report = cycle(&desk, &gw, test_gateways.as_ref(), &limiter, reconcile).await;
                        if reconcile && report.reconciled.is_some() {
                            last_reconcile = Some(Instant::now());
                        }
                        report
                    };
                    report.team = team_status.lock().ok().and_then(|s| s.clone());
                    tracing::debug!(elapsed_ms = report.elapsed_ms, errors = report.errors.len(), "engine cycle");
                    let soon = report.outbox.as_ref().and_then(|o| o.next_in_ms).map(Duration::from_millis);
                    // A running campaign feeds again soon: its next recipients.
                    let feeding = report.campaigns.as_ref().is_some_and(|c| {
                        c.progress.iter().any(|p| p.state == crate::rules::campaign::CampaignState::Running)
                    });
                    let soon = if feeding { Some(soon.unwrap_or(CAMPAIGN_STEP).min(CAMPAIGN_STEP)) } else { soon };
                    for p in report.campaigns.iter().flat_map(|c| c.progress.iter()) {
                        on_event(EngineEvent::CampaignProgress { progress: p.clone() });
                    }
                    on_event(EngineEvent::CycleFinished { report: Box::new(report) });
                    // The next full cycle comes an interval after the last
                    // one started; the outbox's next text, if sooner, wakes
                    // the outbox alone, a little early (its worker waits out
                    // the last moments in place, so texts keep the rate).
                    let full_in = interval.saturating_sub(last_full.map_or(Duration::ZERO, |t| t.elapsed()));
                    (next_wait, outbox_only) = match soon {
                        Some(s) if s < full_in => (s.saturating_sub(WAKE_EARLY), true),
                        _ => (full_in, false),
                    };
                }
                Err(e) => {
                    on_event(EngineEvent::Unavailable { error: e.to_string() });
                    outbox_only = false;
                }
            }
            let least = if outbox_only { Duration::from_millis(5) } else { Duration::from_millis(50) };
            tokio::select! {
                cmd = rx.recv() => match cmd {
                    Some(Command::SyncNow) => {
                        outbox_only = false;
                        continue;
                    }
                    Some(Command::Stop) | None => break,
                },
                _ = tokio::time::sleep(next_wait.max(least)) => {}
            }
        }
        if let Some(t) = test_gateways.take() {
            t.shutdown().await;
        }
    });
    EngineHandle { tx, join: Some(join), team: Some(team), fhir_tx, fhir_join: Some(fhir_join) }
}

/// How much before the outbox's next send slot the engine wakes for it.
const WAKE_EARLY: Duration = Duration::from_millis(30);

/// How soon the next cycle comes while a campaign runs.
const CAMPAIGN_STEP: Duration = Duration::from_millis(500);

/// How often a process that is not the sender looks whether it can be.
const HOLDER_RECHECK: Duration = Duration::from_secs(2);

/// What the coordinator reads while another process sends.
pub fn sending_elsewhere(holder: &crate::desk::data_dir_lock::Holder) -> String {
    format!(
        "{holder} sends and syncs for this data directory; messages written here are sent by it. \
         This window takes over when it stops"
    )
}

fn policy_of(desk: &Mutex<Desk>) -> outbox::Policy {
    desk.lock().map(|d| outbox::Policy::from_desk(&d)).unwrap_or_default()
}

/// Shortens the sync interval to this many milliseconds (only ever
/// shortens it): for the memory benchmark, which runs hours of idle sync
/// cycles in minutes (`tests/bench/app-after-use.sh`).
pub const SYNC_INTERVAL_MS_ENV: &str = "CAREDESK_SYNC_INTERVAL_MS";

fn interval(desk: &Mutex<Desk>) -> Duration {
    let secs =
        desk.lock().ok().and_then(|d| d.setting("sync.interval_secs").ok().flatten()).and_then(|v| v.parse().ok());
    let setting = Duration::from_secs(secs.unwrap_or(10).max(1));
    shortened(setting, std::env::var(SYNC_INTERVAL_MS_ENV).ok().as_deref())
}

fn shortened(setting: Duration, env_ms: Option<&str>) -> Duration {
    match env_ms.and_then(|v| v.trim().parse::<u64>().ok()).filter(|ms| *ms >= 10) {
        Some(ms) => setting.min(Duration::from_millis(ms)),
        None => setting,
    }
}

fn rate(desk: &Mutex<Desk>) -> f64 {
    desk.lock()
        .ok()
        .and_then(|d| d.setting("sms.rate_per_sec").ok().flatten())
        .and_then(|v| v.parse().ok())
        .unwrap_or(1.0)
}

fn test_mode(desk: &Mutex<Desk>) -> bool {
    desk.lock().ok().and_then(|d| d.setting("sms.test_mode").ok().flatten()).is_some_and(|v| v == "true")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_benchmark_override_only_shortens_the_interval() {
        let ten = Duration::from_secs(10);
        assert_eq!(shortened(ten, None), ten);
        assert_eq!(shortened(ten, Some("100")), Duration::from_millis(100));
        assert_eq!(shortened(Duration::from_secs(1), Some("60000")), Duration::from_secs(1));
        assert_eq!(shortened(ten, Some("0")), ten, "below 10 ms is ignored");
        assert_eq!(shortened(ten, Some("soon")), ten);
    }
}
