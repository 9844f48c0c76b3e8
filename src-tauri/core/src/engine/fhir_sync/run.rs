//! The engine's FHIR task: a roster pull every `fhir.pull_interval_secs`
//! (a full one every [`super::FULL_PULL_EVERY`]), and one at once when asked
//! ([`crate::engine::EngineHandle::pull_fhir_now`]). It runs beside the
//! messaging cycle, so a long pull never delays a send, and only in the
//! process that sends for the data directory. A failed pull is tried again
//! after a capped, growing wait.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use tokio::sync::mpsc;

use super::{keys, plan::instant, pull, PullOptions, FULL_PULL_EVERY};
use crate::{desk::Desk, engine::EngineEvent, gateways::fhir::FhirClient};

#[derive(Debug)]
pub(crate) enum Command {
    PullNow { full: bool },
    Stop,
}

/// How often settings are looked at again while there is nothing to do.
const IDLE_RECHECK: Duration = Duration::from_secs(30);
/// How often a process that is not the sender looks whether it is now.
const HOLDER_RECHECK: Duration = Duration::from_secs(2);
/// The least time between two progress events of one pull.
const PROGRESS_EVERY: Duration = Duration::from_secs(1);
/// How often the write queue is drained while the link is on.
const WRITE_EVERY: Duration = Duration::from_secs(10);
/// The most rows one drain handles before the turn goes on.
const WRITE_BATCH: usize = 500;
/// The longest wait after failed pulls.
const MAX_BACKOFF: Duration = Duration::from_secs(3600);

/// What the task knows between turns.
#[derive(Default)]
struct State {
    client: Option<(u64, FhirClient)>,
    /// A pull was asked for (and whether full).
    asked: Option<bool>,
    failures: u32,
}

pub(crate) async fn run(
    desk: Arc<Mutex<Desk>>,
    mut rx: mpsc::Receiver<Command>,
    on_event: Arc<dyn Fn(EngineEvent) + Send + Sync>,
) {
    let mut state = State::default();
    loop {
        // A pull under way hears the commands too: Stop ends it at once (what
        // it stored stays; its cursors do not move), a pull asked for meanwhile
        // comes next.
        let mut asked_meanwhile: Option<bool> = None;
        let wait = {
            let turn = turn(&desk, &mut state, &on_event);
            tokio::pin!(turn);
            loop {
                tokio::select! {
                    wait = &mut turn => break Some(wait),
                    cmd = rx.recv() => match cmd {
                        Some(Command::PullNow { full }) => {
                            asked_meanwhile = Some(asked_meanwhile.unwrap_or(false) || full)
                        }
                        Some(Command::Stop) | None => break None,
                    },
                }
            }
        };
        let Some(mut wait) = wait else { break };
        if let Some(full) = asked_meanwhile {
            state.asked = Some(state.asked.unwrap_or(false) || full);
            wait = Duration::ZERO;
        }
        tokio::select! {
            cmd = rx.recv() => match cmd {
                Some(Command::PullNow { full }) => state.asked = Some(state.asked.unwrap_or(false) || full),
                Some(Command::Stop) | None => break,
            },
            _ = tokio::time::sleep(wait) => {}
        }
    }
}

/// What the settings and the store say, read under the lock.
struct Due {
    enabled: bool,
    sender: bool,
    interval: Duration,
    since_pull: Option<Duration>,
    since_full: Option<Duration>,
}

fn due(desk: &Mutex<Desk>) -> Option<Due> {
    let d = desk.lock().ok()?;
    let ago = |key: &str| {
        let at = d.db().fhir_sync_value(key).ok().flatten()?;
        let at = instant(&at)?;
        Some((chrono::Utc::now() - at).to_std().unwrap_or(Duration::ZERO))
    };
    let interval = d.setting("fhir.pull_interval_secs").ok().flatten().and_then(|v| v.parse().ok()).unwrap_or(300);
    Some(Due {
        enabled: d.fhir_enabled().unwrap_or(false),
        sender: d.is_sender(),
        interval: Duration::from_secs(interval),
        since_pull: ago(keys::LAST_PULL),
        since_full: ago(keys::LAST_FULL_PULL),
    })
}

/// One turn: a pull when one is due; returns how long to wait for the next.
async fn turn(
    desk: &Arc<Mutex<Desk>>,
    state: &mut State,
    on_event: &Arc<dyn Fn(EngineEvent) + Send + Sync>,
) -> Duration {
    let Some(now) = due(desk) else { return IDLE_RECHECK };
    if !now.enabled {
        state.asked = None;
        state.client = None;
        return IDLE_RECHECK;
    }
    if !now.sender {
        return HOLDER_RECHECK;
    }
    let wait = pull_turn(desk, state, on_event, &now).await;
    // The write-back, beside the pull: every text and call recorded.
    let written = match client(desk, state) {
        Ok(c) => match super::write::drain(desk, &c, WRITE_BATCH).await {
            Ok(report) => {
                let full = report.written + report.skipped + report.failed >= WRITE_BATCH;
                if report.moved() {
                    on_event(EngineEvent::FhirWritesFinished { report: Box::new(report) });
                }
                full
            }
            Err(e) => {
                tracing::warn!(code = ?e.code(), "the FHIR write queue could not be drained");
                false
            }
        },
        Err(_) => false,
    };
    if written {
        Duration::ZERO
    } else {
        wait.min(WRITE_EVERY)
    }
}

/// The roster pull, when one is due; how long to wait for the next.
async fn pull_turn(
    desk: &Arc<Mutex<Desk>>,
    state: &mut State,
    on_event: &Arc<dyn Fn(EngineEvent) + Send + Sync>,
    now: &Due,
) -> Duration {
    let scheduled = !now.interval.is_zero() && now.since_pull.is_none_or(|ago| ago >= now.interval);
    if state.asked.is_none() && !scheduled {
        let left = now.interval.saturating_sub(now.since_pull.unwrap_or_default());
        return if now.interval.is_zero() { IDLE_RECHECK } else { left.min(IDLE_RECHECK).max(Duration::from_secs(1)) };
    }
    let full = state.asked.take().unwrap_or(false) || now.since_full.is_some_and(|ago| ago >= FULL_PULL_EVERY);
    let client = match client(desk, state) {
        Ok(c) => c,
        Err(e) => {
            on_event(EngineEvent::FhirPullFailed { error: e.to_string() });
            return backoff(state, now.interval);
        }
    };
    // At most one progress event a second: each makes the UI read the status again.
    let progress_to = on_event.clone();
    let mut last: Option<std::time::Instant> = None;
    let mut progress = move |p: &super::PullProgress| {
        if last.is_none_or(|t| t.elapsed() >= PROGRESS_EVERY) {
            last = Some(std::time::Instant::now());
            progress_to(EngineEvent::FhirPullProgress { progress: p.clone() });
        }
    };
    match pull(desk, &client, PullOptions { full }, &mut progress).await {
        Ok(report) => {
            state.failures = 0;
            on_event(EngineEvent::FhirPullFinished { report: Box::new(report) });
            if now.interval.is_zero() {
                IDLE_RECHECK
            } else {
                now.interval
            }
        }
        Err(e) => {
            tracing::warn!(code = ?e.code(), "FHIR roster pull failed");
            on_event(EngineEvent::FhirPullFailed { error: e.to_string() });
            backoff(state, now.interval)
        }
    }
}

/// The client of the current settings, reused while they stay the same
/// (an OAuth2 token lasts across pulls).
fn client(desk: &Mutex<Desk>, state: &mut State) -> crate::rules::error::Result<FhirClient> {
    let d = crate::desk::lock(desk)?;
    let config = d.fhir_config()?.ok_or(crate::desk::setup_error::GatewayConfigError::FhirNotConfigured)?;
    let print = config.fingerprint();
    if let Some((p, c)) = &state.client {
        if *p == print {
            return Ok(c.clone());
        }
    }
    let c = super::client_of(&d)?;
    state.client = Some((print, c.clone()));
    Ok(c)
}

/// 30 s after the first failure, doubling, at most the interval (or an hour).
fn backoff(state: &mut State, interval: Duration) -> Duration {
    state.failures = state.failures.saturating_add(1);
    let grown = Duration::from_secs(30).saturating_mul(1 << state.failures.min(10).saturating_sub(1));
    let cap = if interval.is_zero() { MAX_BACKOFF } else { interval.min(MAX_BACKOFF).max(Duration::from_secs(30)) };
    grown.min(cap)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_wait_longer_each_time_up_to_the_interval() {
        let mut s = State::default();
        let waits: Vec<u64> = (0..6).map(|_| backoff(&mut s, Duration::from_secs(300)).as_secs()).collect();
        assert_eq!(waits, [30, 60, 120, 240, 300, 300]);
        let mut s = State::default();
        let on_demand: Vec<u64> = (0..10).map(|_| backoff(&mut s, Duration::ZERO).as_secs()).collect();
        assert_eq!(on_demand.last(), Some(&3600));
    }
}
