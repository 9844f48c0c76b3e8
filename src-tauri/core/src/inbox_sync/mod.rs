//! Inbox sync with the hospital SMS server: patients' replies in, delivery
//! states of sent messages refreshed, nothing missed and nothing twice.
//!
//! - [`poll_incoming`] reads `type=Incoming` from the stored cursor (the
//!   newest `UpdatedAt` committed) minus an overlap, so equal timestamps,
//!   late commits on the server and clock skew lose nothing; a DST change of
//!   the last day widens the overlap (see [`cursor`]).
//! - [`reconcile_incoming`] re-reads the last 24 hours; run it now and then
//!   (e.g. hourly and at start). Deduplication by server `Id` makes it
//!   idempotent.
//! - [`refresh_outgoing`] reads `type=Outgoing` from the oldest open message
//!   and moves each sent message's state forward, never back
//!   ([`crate::delivery`]).
//!
//! Each page is applied in one SQLite transaction: messages, their consent
//! effects and the cursor together ([`merge`]). The desk's lock is never held
//! across a network call. Every run records its outcome in the sync status
//! (`his.incoming` for polls and reconciliations, `his.outgoing` for
//! refreshes): after an error, wait until its `next_try`.
//!
//! An inbound message's `created_at` is the server's `CreatedAt` converted to
//! UTC (clamped to now, and to after the message it answers), so threads
//! read in the order things happened whatever order pages come in.

pub mod backoff;
pub mod cursor;
pub mod merge;

#[cfg(test)]
mod tests;

use std::{sync::Mutex, time::Duration};

use chrono::{SecondsFormat, Utc};
use serde::Serialize;

pub use backoff::Backoff;
pub use cursor::ServerClock;
pub use merge::{apply_incoming_page, apply_outgoing_page, ApplyContext};

pub use crate::store::sync_status::SyncStatus;
use crate::{
    desk::Desk,
    error::{CoreError, Result},
    his::{
        client::HisClient,
        time::HisTime,
        wire::{HisMessage, MessageType},
    },
};

/// Sync status and cursor name of incoming messages (polls and reconciliations).
pub const INCOMING: &str = "his.incoming";
/// Sync status name of the delivery-state refresh.
pub const OUTGOING: &str = "his.outgoing";

/// Tunables; the defaults suit the hospital SMS server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncOptions {
    /// How far before the cursor each poll re-reads.
    pub overlap: Duration,
    /// How far back the very first poll reads.
    pub initial_lookback: Duration,
    /// How far back a reconciliation reads.
    pub reconcile_window: Duration,
    /// Sent messages older than this are no longer refreshed (one that never
    /// gets a report would otherwise keep every refresh reading from it).
    pub refresh_window: Duration,
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions {
            overlap: Duration::from_secs(5 * 60),
            initial_lookback: Duration::from_secs(7 * 24 * 3600),
            reconcile_window: Duration::from_secs(24 * 3600),
            refresh_window: Duration::from_secs(3 * 24 * 3600),
        }
    }
}

/// What a poll or a reconciliation did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PollReport {
    /// Messages in the server's answer, repeats included.
    pub fetched: usize,
    /// Stored for the first time.
    pub new: usize,
    /// Already stored; the server's copy was newer.
    pub updated: usize,
    /// Already stored as they are, repeated in the page, or older copies.
    pub duplicates: usize,
    /// New messages no patient could be found for.
    pub unmatched: usize,
    pub opt_outs: usize,
    pub opt_ins: usize,
    /// New messages flagged for staff (help, revocation).
    pub flagged: usize,
}

/// What a delivery-state refresh did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RefreshReport {
    /// Sent messages waiting for a final state before the refresh.
    pub open: usize,
    /// Messages in the server's answer.
    pub fetched: usize,
    /// Messages whose state moved forward.
    pub updated: usize,
    /// Of those, how many reached a final state.
    pub finalized: usize,
    /// Outgoing messages CareDesk did not send (or not yet recorded).
    pub unknown: usize,
}

fn lock(desk: &Mutex<Desk>) -> Result<std::sync::MutexGuard<'_, Desk>> {
    desk.lock().map_err(|_| CoreError::Io("the desk lock was poisoned by an earlier failure; restart CareDesk".into()))
}

fn backoff_of(desk: &Desk) -> Backoff {
    let secs = desk.setting("sync.interval_secs").ok().flatten().and_then(|v| v.parse::<u64>().ok()).unwrap_or(10);
    Backoff::from_interval(Duration::from_secs(secs))
}

/// Records the outcome of a run under `name`; a failure to record is logged,
/// never hides the run's own result.
fn record<T>(desk: &Mutex<Desk>, name: &str, result: Result<T>) -> Result<T> {
    let Ok(d) = lock(desk) else { return result };
    let recorded = match &result {
        Ok(_) => d.db().record_sync_success(name).map(|_| ()),
        Err(e) => {
            tracing::warn!(job = name, code = ?e.code(), error = %e, "sync failed");
            d.db().record_sync_failure(name, &e.to_string(), &backoff_of(&d)).map(|_| ())
        }
    };
    if let Err(e) = recorded {
        tracing::warn!(job = name, error = %e, "could not record the sync status");
    }
    result
}

/// Fetches one page; nothing is stored if it fails.
async fn fetch(his: &HisClient, kind: MessageType, date_from: &HisTime) -> Result<Vec<HisMessage>> {
    Ok(his.get_messages(kind, date_from).await?)
}

/// Applies an incoming page under a short lock.
fn apply_incoming(desk: &Mutex<Desk>, page: &[HisMessage]) -> Result<PollReport> {
    let d = lock(desk)?;
    let ctx = ApplyContext { region: d.region(), clock: ServerClock::observe(d.db(), Utc::now())? };
    Ok(apply_incoming_page(d.db(), page, &ctx)?)
}

/// Fetches new and changed replies since the cursor and stores them.
pub async fn poll_incoming(desk: &Mutex<Desk>, his: &HisClient) -> Result<PollReport> {
    poll_incoming_with(desk, his, &SyncOptions::default()).await
}

pub async fn poll_incoming_with(desk: &Mutex<Desk>, his: &HisClient, options: &SyncOptions) -> Result<PollReport> {
    let result: Result<PollReport> = async {
        let date_from = {
            let d = lock(desk)?;
            let clock = ServerClock::observe(d.db(), Utc::now())?;
            let cursor = cursor::read_cursor(d.db(), INCOMING)?;
            cursor::poll_date_from(cursor, &clock, options.overlap, options.initial_lookback)
        };
        let page = fetch(his, MessageType::Incoming, &date_from).await?;
        let report = apply_incoming(desk, &page)?;
        if report.new + report.updated > 0 {
            tracing::info!(?report, "inbox poll stored replies");
        }
        Ok(report)
    }
    .await;
    record(desk, INCOMING, result)
}

/// Re-reads the last day of replies and backfills anything a poll missed.
pub async fn reconcile_incoming(desk: &Mutex<Desk>, his: &HisClient) -> Result<PollReport> {
    reconcile_incoming_with(desk, his, &SyncOptions::default()).await
}

pub async fn reconcile_incoming_with(desk: &Mutex<Desk>, his: &HisClient, options: &SyncOptions) -> Result<PollReport> {
    let result: Result<PollReport> = async {
        let date_from = {
            let d = lock(desk)?;
            let clock = ServerClock::observe(d.db(), Utc::now())?;
            cursor::window_date_from(&clock, options.reconcile_window, options.overlap)
        };
        let page = fetch(his, MessageType::Incoming, &date_from).await?;
        let report = apply_incoming(desk, &page)?;
        if report.new > 0 {
            tracing::warn!(backfilled = report.new, "reconciliation found replies the polls had missed");
        }
        Ok(report)
    }
    .await;
    record(desk, INCOMING, result)
}

/// Refreshes the delivery states of sent messages that are not final yet.
pub async fn refresh_outgoing(desk: &Mutex<Desk>, his: &HisClient) -> Result<RefreshReport> {
    refresh_outgoing_with(desk, his, &SyncOptions::default()).await
}

pub async fn refresh_outgoing_with(
    desk: &Mutex<Desk>,
    his: &HisClient,
    options: &SyncOptions,
) -> Result<RefreshReport> {
    let result: Result<RefreshReport> = async {
        let (open, date_from) = {
            let d = lock(desk)?;
            let now = Utc::now();
            let since = (now - cursor::delta(options.refresh_window)).to_rfc3339_opts(SecondsFormat::Micros, true);
            let open = d.db().open_his_outbound(&since)?;
            let clock = ServerClock::observe(d.db(), now)?;
            // The oldest open message's creation, in server time.
            let oldest = open
                .iter()
                .map(|m| {
                    m.server_created_at.as_deref().and_then(HisTime::parse).map(|t| t.local).unwrap_or_else(|| {
                        chrono::DateTime::parse_from_rfc3339(&m.created_at)
                            .map(|c| clock.server_time(c.with_timezone(&Utc)))
                            .unwrap_or_else(|_| clock.server_now())
                    })
                })
                .min();
            (open.len(), oldest.map(|t| HisTime::from_local(t - clock.overlap(options.overlap))))
        };
        let Some(date_from) = date_from else {
            return Ok(RefreshReport::default());
        };
        let page = fetch(his, MessageType::Outgoing, &date_from).await?;
        let d = lock(desk)?;
        let mut report = apply_outgoing_page(d.db(), &page)?;
        report.open = open;
        if report.updated > 0 {
            tracing::info!(?report, "delivery states refreshed");
        }
        Ok(report)
    }
    .await;
    record(desk, OUTGOING, result)
}
