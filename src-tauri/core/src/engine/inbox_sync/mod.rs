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
//!   ([`crate::engine::delivery`]).
//!
//! Each page is applied in one SQLite transaction: messages, their consent
//! effects and the cursor together ([`merge`]). The desk's lock is never held
//! across a network call. Every run records its outcome in the sync status
//! (`his.incoming` for polls and reconciliations, `his.outgoing` for
//! refreshes): after an error, wait until its `next_try`.
//!
//! An inbound message's `created_at` is the server's `CreatedAt` on the
//! desk's clock (read in the server's zone with its skew taken out, see
//! [`clock`]; clamped to now, and to after the message it answers), so
//! threads read in the order things happened whatever order pages come in.
//!
//! Each message of a page is read on its own ([`crate::gateways::his::read`]): one
//! that cannot be read is skipped, kept in the database to be read again,
//! and listed in the sync status; it never holds back the cursor or the
//! rest of the page.

pub mod clock;
pub mod cursor;
pub mod merge;
pub mod unreadable;

#[cfg(test)]
mod tests;

use std::{sync::Mutex, time::Duration};

use chrono::{SecondsFormat, Utc};
use serde::Serialize;

pub use crate::rules::backoff::Backoff;
pub use cursor::ServerClock;
pub use merge::{apply_incoming_page, apply_outgoing_page, ApplyContext};

pub use crate::store::sync_status::SyncStatus;
use crate::{
    desk::Desk,
    gateways::his::{
        client::{Fetched, HisClient},
        time::HisTime,
        wire::MessageType,
    },
    rules::error::{CoreError, Result},
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
    /// Messages of the answer CareDesk could not read: skipped, kept, and
    /// listed in the sync status.
    pub unreadable: usize,
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
    /// Messages of the answer CareDesk could not read.
    pub unreadable: usize,
}

/// Where the hospital SMS server sync stands, for the status bar and the
/// CLI: both jobs, the messages that could not be read, the paused routes
/// and what is known of the server's clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyncOverview {
    pub incoming: SyncStatus,
    pub outgoing: SyncStatus,
    /// Messages skipped because they could not be read (kept, read again at every poll).
    pub unreadable: Vec<crate::store::UnreadableMessage>,
    /// Routes whose server refused CareDesk's credentials: their messages wait.
    pub paused: Vec<crate::store::RoutePause>,
    /// The server's time zone and clock, as estimated (see [`clock`]).
    pub server_clock: String,
}

pub fn overview(db: &crate::store::Database) -> std::result::Result<SyncOverview, crate::store::StoreError> {
    let mut unreadable = db.unreadable_messages(MessageType::Incoming.as_str())?;
    unreadable.extend(db.unreadable_messages(MessageType::Outgoing.as_str())?);
    Ok(SyncOverview {
        incoming: db.sync_status(INCOMING)?,
        outgoing: db.sync_status(OUTGOING)?,
        unreadable,
        paused: db.route_pauses()?,
        server_clock: clock::describe(db, Utc::now())?,
    })
}

impl SyncOverview {
    /// What a coordinator should know, in sentences; empty when all is well.
    pub fn warnings(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .paused
            .iter()
            .map(|p| {
                let server = match p.route {
                    crate::store::Route::His => "the hospital SMS server",
                    crate::store::Route::Ecm => "the ECM Communications API",
                };
                format!(
                    "sending via {} is paused: {server} refused CareDesk's credentials; the messages wait ({})",
                    p.route.as_str(),
                    p.reason
                )
            })
            .collect();
        if !self.unreadable.is_empty() {
            let ids: Vec<String> =
                self.unreadable.iter().take(5).map(|u| format!("{} ({})", u.his_id, u.reason)).collect();
            out.push(format!(
                "{} message(s) from the hospital SMS server could not be read and were skipped: {}{}",
                self.unreadable.len(),
                ids.join("; "),
                if self.unreadable.len() > 5 { "; ..." } else { "" }
            ));
        }
        out
    }
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
            tracing::warn!(job = name, code = ?e.code(), "sync failed");
            d.db().record_sync_failure(name, &e.to_string(), &backoff_of(&d)).map(|_| ())
        }
    };
    if let Err(e) = recorded {
        tracing::warn!(job = name, error = %e, "could not record the sync status");
    }
    result
}

/// Fetches one page; nothing is stored if it fails.
async fn fetch(his: &HisClient, kind: MessageType, date_from: &HisTime) -> Result<Fetched> {
    Ok(his.get_messages(kind, date_from).await?)
}

/// Applies an incoming page under a short lock: what the answer teaches of
/// the server's clock, the kept messages that can now be read, the page,
/// and the messages that could not be read.
fn apply_incoming(desk: &Mutex<Desk>, fetched: Fetched) -> Result<PollReport> {
    let d = lock(desk)?;
    clock::learn(d.db(), |row| {
        clock::learn_skew(row, &fetched.stamp);
        clock::learn_from_incoming(row, &fetched.messages, &fetched.stamp);
    })?;
    let ctx = ApplyContext { region: d.region(), clock: ServerClock::observe(d.db(), Utc::now())? };
    let mut page = unreadable::readable_again(d.db(), MessageType::Incoming)?;
    page.extend(fetched.messages);
    let mut report = apply_incoming_page(d.db(), &page, &ctx)?;
    report.unreadable = unreadable::record_unreadable(d.db(), MessageType::Incoming, &page, &fetched.unreadable)?;
    Ok(report)
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
            let cursor = cursor::pull_back(d.db(), INCOMING, &clock)?;
            cursor::poll_date_from(cursor, &clock, options.overlap, options.initial_lookback)
        };
        let fetched = fetch(his, MessageType::Incoming, &date_from).await?;
        let report = apply_incoming(desk, fetched)?;
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
        let fetched = fetch(his, MessageType::Incoming, &date_from).await?;
        let report = apply_incoming(desk, fetched)?;
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

/// The `dateFrom` of a refresh: the oldest open message's creation (on the
/// desk's clock, the server's skew added) in the server's wall-clock time,
/// less the overlap, and a day and two hours more while the server's zone is
/// a guess.
fn refresh_date_from(
    open: &[crate::store::inbox::OpenOutbound],
    clock: &ServerClock,
    overlap: Duration,
) -> Option<HisTime> {
    // On the server's clock: the desk's time of queueing plus the skew, or
    // the server's time of taking it when the answer gave an instant;
    // whichever is earlier.
    let oldest = open
        .iter()
        .flat_map(|m| {
            let queued =
                chrono::DateTime::parse_from_rfc3339(&m.created_at).ok().map(|t| t.with_timezone(&Utc) + clock.skew);
            let taken = m.server_created_at.as_deref().and_then(HisTime::parse).and_then(|t| t.instant());
            [queued, taken]
        })
        .flatten()
        .min()?;
    let from = oldest - clock.overlap(overlap) - clock.zone_doubt();
    Some(HisTime::from_local(clock.wall(from)))
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
            (open.len(), refresh_date_from(&open, &clock, options.overlap))
        };
        let Some(date_from) = date_from else {
            return Ok(RefreshReport::default());
        };
        let fetched = fetch(his, MessageType::Outgoing, &date_from).await?;
        let d = lock(desk)?;
        // The newest hundred are plenty to learn the list's zone from.
        let ids: Vec<i64> = fetched.messages.iter().rev().take(100).map(|m| m.id).collect();
        let sent = d.db().his_sent_times(&ids)?;
        clock::learn(d.db(), |row| {
            clock::learn_skew(row, &fetched.stamp);
            clock::learn_from_list(row, &fetched.messages, &sent);
        })?;
        let mut page = unreadable::readable_again(d.db(), MessageType::Outgoing)?;
        page.extend(fetched.messages);
        let mut report = apply_outgoing_page(d.db(), &page)?;
        report.open = open;
        report.unreadable = unreadable::record_unreadable(d.db(), MessageType::Outgoing, &page, &fetched.unreadable)?;
        if report.updated > 0 {
            tracing::info!(?report, "delivery states refreshed");
        }
        Ok(report)
    }
    .await;
    record(desk, OUTGOING, result)
}
