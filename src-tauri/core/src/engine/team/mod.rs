//! Team mode's sync (issue 15): this desk's changes go to the team's
//! PostgreSQL, the team's changes come back, each exactly once.
//!
//! - [`exchange`]: one push (this desk's `team_outbox`, in order, in one
//!   PostgreSQL transaction per batch with the state rows) and one pull
//!   (the log after the last position applied, applied idempotently).
//! - [`state_rows`]: what each change does to the team's state tables, and
//!   what PostgreSQL decides (assignment, reopening, who sent a text).
//! - [`snapshot`]: a new desk joins a big team from a snapshot of those
//!   tables instead of the whole log ([`snapshot_rows`], [`pg_rows`]).
//! - [`spawn`]: the task that runs them: woken by `NOTIFY caredesk_changes`
//!   and by this desk's own changes, polling the log every
//!   [`IDLE_POLL`] when nothing wakes it; offline it reconnects with capped,
//!   jittered backoff while the desk keeps working on its own (everything
//!   queues locally and goes, in order, when the database is back).
//!   Progress is reported through a callback ([`TeamEvent`]).
//! - [`sync_once`]: one exchange, for `caredesk sync --once`.
//! - `campaign_runs`: a campaign runs on one desk at a time (a lock per
//!   campaign in the session) and its progress is reported to the team.
//!
//! Only the process that sends for the data directory (it holds
//! `sender.lock`) syncs with the team; with team mode off the task idles.

mod campaign_runs;
mod cursor_row;
pub mod exchange;
pub mod key_blocks;
pub mod pg_rows;
pub mod poller;
pub mod presence;
pub mod snapshot;
pub mod snapshot_rows;
pub mod state_rows;

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use tokio::sync::mpsc;

use crate::{
    desk::{lock, Desk},
    gateways::team_db::TeamDbError,
    rules::{backoff::Backoff, error::CoreError, error::Result},
    store::team::ApplyReport,
};
pub use exchange::{pull, push_all, push_batch, PushedBatch, Session};

/// How often an idle desk reads the log when no notification woke it (the
/// fallback for notifications lost while a session was down).
pub const IDLE_POLL: Duration = Duration::from_secs(2);
/// How often the task looks for local changes to push (a local query).
pub const LOCAL_TICK: Duration = Duration::from_millis(250);
/// How often the members' display names are read again.
pub const MEMBERS_EVERY: Duration = Duration::from_secs(60);
/// Reconnecting: from 1 s, doubling, at most 15 s apart.
pub const RECONNECT: Backoff = Backoff { base: Duration::from_secs(1), max: Duration::from_secs(15) };

/// The sync's link to the team database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum TeamLink {
    /// Team mode is off, or another process syncs for this data directory.
    Off,
    Connected,
    /// The database is out of reach (or refused): changes queue here.
    Offline,
}

impl TeamLink {
    pub fn as_str(self) -> &'static str {
        match self {
            TeamLink::Off => "off",
            TeamLink::Connected => "connected",
            TeamLink::Offline => "offline",
        }
    }
}

/// Where the team sync stands, for the status bar and `caredesk sync`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct TeamSyncStatus {
    pub link: TeamLink,
    /// This member's role.
    pub role: Option<String>,
    /// Changes made here that the team database does not have yet.
    pub waiting: i64,
    /// The last change log position applied here.
    pub applied: i64,
    /// Why the database is out of reach or refused, in words.
    pub last_error: Option<String>,
    /// Its code, for the UI to branch on (`team_auth`, `team_unreachable`...).
    pub error_code: Option<String>,
    /// Which desk polls the hospital SMS server for the team, as last read.
    pub poller: Option<poller::TeamPoller>,
}

/// What the task reports after each exchange that changed something.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TeamEvent {
    pub status: TeamSyncStatus,
    /// Pulled changes that changed this desk's store (the UI refreshes).
    pub applied: usize,
    /// This desk's changes the team now has.
    pub pushed: usize,
    /// This desk just became the team's poller: poll the inbox now.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub polling_started: bool,
}

/// What one exchange did.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct ExchangeReport {
    pub pushed: usize,
    /// Already in the log: a push whose answer was lost, not appended twice.
    pub already: usize,
    /// The team database already said so: not appended again.
    pub dropped: usize,
    pub pulled: ApplyReport,
}

/// One exchange: push everything waiting, then pull to the head.
pub async fn exchange(session: &mut Session, desk: &Arc<Mutex<Desk>>) -> Result<ExchangeReport> {
    let (pushed, already, dropped) = push_all(session, desk).await?;
    let pulled = pull(session, desk).await?;
    Ok(ExchangeReport { pushed, already, dropped, pulled })
}

/// `caredesk sync --once` in team mode: one session for the run. It
/// exchanges, takes the poller lock if no desk holds it (then this run's
/// cycle polls the hospital SMS server for the team), and at
/// [`OnceSession::finish`] exchanges again and gives the lock up.
pub struct OnceSession {
    session: Session,
    election: poller::Election,
    runs: campaign_runs::CampaignRuns,
    first: ExchangeReport,
}

impl OnceSession {
    /// Connects and exchanges; `None` with team mode off. Fails (and
    /// records the team as offline) when the database is out of reach.
    pub async fn begin(desk: &Arc<Mutex<Desk>>) -> Result<Option<OnceSession>> {
        let Some(opts) = lock(desk)?.team_connection()? else {
            return Ok(None);
        };
        let outcome = async {
            let mut session = Session::open(desk, &opts).await?;
            let mut election = poller::Election::default();
            election.try_take(&session).await?;
            let mut runs = campaign_runs::CampaignRuns::default();
            runs.tick(&session, desk, true).await?;
            let first = exchange(&mut session, desk).await?;
            key_blocks::top_up(&session, desk).await?;
            election.start_polling(desk)?;
            Ok(OnceSession { session, election, runs, first })
        }
        .await;
        match &outcome {
            // Out of reach since this desk last found it so (an earlier
            // `sync --once`), or from now: after a while this run polls the
            // hospital SMS server for itself (`Desk::reads_his_server`).
            Err(e) => {
                let state = exchange::blocking(desk, |d| Ok(d.db().team_state()?)).await?;
                let since = match state.link.as_deref() {
                    Some("offline") => state
                        .link_since
                        .as_deref()
                        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                        .map(|t| t.with_timezone(&chrono::Utc)),
                    _ => None,
                };
                lock(desk)?.set_team_offline(Some(since.unwrap_or_else(chrono::Utc::now)));
                record_link(desk, TeamLink::Offline, Some(&describe(e))).await?;
            }
            Ok(_) => lock(desk)?.set_team_offline(None),
        }
        outcome.map(Some)
    }

    /// Pushes what the cycle did, pulls, gives the poller lock up and
    /// reports both exchanges.
    pub async fn finish(mut self, desk: &Arc<Mutex<Desk>>) -> Result<ExchangeReport> {
        let outcome = match self.runs.tick(&self.session, desk, true).await {
            Ok(()) => exchange(&mut self.session, desk).await,
            Err(e) => Err(e),
        };
        self.election.lose(desk);
        self.runs.lose(desk);
        let status_error = outcome.as_ref().err().map(describe);
        record_link(
            desk,
            if status_error.is_some() { TeamLink::Offline } else { TeamLink::Connected },
            status_error.as_ref(),
        )
        .await?;
        let second = outcome?;
        let first = self.first;
        Ok(ExchangeReport {
            pushed: first.pushed + second.pushed,
            already: first.already + second.already,
            dropped: first.dropped + second.dropped,
            pulled: ApplyReport {
                applied: first.pulled.applied + second.pulled.applied,
                unchanged: first.pulled.unchanged + second.pulled.unchanged,
                shadowed: first.pulled.shadowed + second.pulled.shadowed,
                skipped: first.pulled.skipped + second.pulled.skipped,
                position: second.pulled.position,
            },
        })
    }
}

/// The words and code of a sync failure.
fn describe(e: &CoreError) -> (String, String) {
    let code = serde_json::to_value(e.code()).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
    (e.to_string(), code)
}

/// Whether a failure may pass by itself (the database restarting, the
/// network): try again soon. Others wait for a person (a password, an
/// update) and are tried again at the backoff's cap.
fn retryable(e: &CoreError) -> bool {
    e.downcast_ref::<TeamDbError>().is_some_and(TeamDbError::is_retryable)
}

async fn record_link(desk: &Arc<Mutex<Desk>>, link: TeamLink, error: Option<&(String, String)>) -> Result<()> {
    let error = error.map(|(e, _)| e.clone());
    exchange::blocking(desk, move |d| {
        Ok(d.db().set_team_link(link.as_str(), error.as_deref(), None, &crate::store::now_rfc3339())?)
    })
    .await
}

/// The status as the store and this task know it.
async fn status_now(
    desk: &Arc<Mutex<Desk>>,
    link: TeamLink,
    error: Option<&(String, String)>,
    poller: Option<poller::TeamPoller>,
) -> Result<TeamSyncStatus> {
    let local = exchange::blocking(desk, |d| Ok(d.db().team_state()?)).await?;
    Ok(TeamSyncStatus {
        link,
        role: local.role,
        waiting: local.waiting,
        applied: local.applied,
        last_error: error.map(|(e, _)| e.clone()),
        error_code: error.map(|(_, c)| c.clone()),
        poller,
    })
}

#[derive(Debug)]
enum Command {
    Wake,
    Stop,
}

/// The running team sync; dropping it stops the task at its next turn.
#[derive(Debug)]
pub struct TeamSyncHandle {
    tx: mpsc::Sender<Command>,
    join: Option<tokio::task::JoinHandle<()>>,
}

impl TeamSyncHandle {
    /// Pushes and pulls now (a change was just made here).
    pub fn wake(&self) {
        let _ = self.tx.try_send(Command::Wake);
    }

    /// Stops the task and waits for it, at most `limit`.
    pub async fn stop(mut self, limit: Duration) {
        let _ = self.tx.send(Command::Stop).await;
        if let Some(j) = self.join.take() {
            let _ = tokio::time::timeout(limit, j).await;
        }
    }
}

impl Drop for TeamSyncHandle {
    fn drop(&mut self) {
        let _ = self.tx.try_send(Command::Stop);
    }
}

/// Starts the team sync on the current tokio runtime. It idles while team
/// mode is off or another process sends for the data directory, and reports
/// through `on_event` whenever its status changes or changes moved.
pub fn spawn(desk: Arc<Mutex<Desk>>, on_event: Arc<dyn Fn(TeamEvent) + Send + Sync>) -> TeamSyncHandle {
    let (tx, rx) = mpsc::channel(16);
    let join = tokio::spawn(run(desk, on_event, rx));
    TeamSyncHandle { tx, join: Some(join) }
}

/// What the loop knows between turns.
struct Loop {
    desk: Arc<Mutex<Desk>>,
    /// `team.database_url` the session was opened for.
    url: Option<String>,
    session: Option<Session>,
    failures: u32,
    next_connect: Instant,
    last_pull: Option<Instant>,
    last_members: Instant,
    error: Option<(String, String)>,
    reported: Option<TeamSyncStatus>,
    election: poller::Election,
    runs: campaign_runs::CampaignRuns,
    /// This desk became the poller in the last turn.
    polling_started: bool,
}

async fn run(desk: Arc<Mutex<Desk>>, on_event: Arc<dyn Fn(TeamEvent) + Send + Sync>, mut rx: mpsc::Receiver<Command>) {
    let mut l = Loop {
        desk,
        url: None,
        session: None,
        failures: 0,
        next_connect: Instant::now(),
        last_pull: None,
        last_members: Instant::now(),
        error: None,
        reported: None,
        election: poller::Election::default(),
        runs: campaign_runs::CampaignRuns::default(),
        polling_started: false,
    };
    loop {
        let (link, moved) = l.turn().await;
        if link == TeamLink::Off {
            // Team mode off (or another process syncs): nothing to read or
            // report but the change; look again now and then.
            // (A desk alone hears nothing: only a switch from on to off.)
            if l.reported.as_ref().is_some_and(|s| s.link != TeamLink::Off) {
                let off = TeamSyncStatus {
                    link,
                    role: None,
                    waiting: 0,
                    applied: 0,
                    last_error: None,
                    error_code: None,
                    poller: None,
                };
                l.reported = Some(off.clone());
                on_event(TeamEvent { status: off, applied: 0, pushed: 0, polling_started: false });
            }
            tokio::select! {
                cmd = rx.recv() => match cmd {
                    Some(Command::Wake) => continue,
                    Some(Command::Stop) | None => {
                        l.election.lose(&l.desk);
                        l.runs.lose(&l.desk);
                        break;
                    }
                },
                _ = tokio::time::sleep(IDLE_POLL) => continue,
            }
        }
        let polling_started = std::mem::take(&mut l.polling_started);
        if let Ok(status) = status_now(&l.desk, link, l.error.as_ref(), l.election.seen.clone()).await {
            let changed = l.reported.as_ref() != Some(&status);
            if changed || moved.0 > 0 || moved.1 > 0 || polling_started {
                if changed && link != TeamLink::Off {
                    let _ = record_link(&l.desk, link, l.error.as_ref()).await;
                }
                l.reported = Some(status.clone());
                on_event(TeamEvent { status, applied: moved.0, pushed: moved.1, polling_started });
            }
        }
        // Wait for a reason to go again: a command, a notification, the
        // local tick (a change to push, the idle poll, a reconnect).
        let wait = async {
            match l.session.as_mut() {
                Some(s) => {
                    let applied = blocking_applied(&l.desk).await;
                    match s.listener.wait_after(applied).await {
                        Ok(_) => Wake::Notified,
                        Err(_) => Wake::Lost,
                    }
                }
                None => std::future::pending().await,
            }
        };
        let woke = tokio::select! {
            cmd = rx.recv() => match cmd {
                Some(Command::Wake) => Wake::Asked,
                Some(Command::Stop) | None => {
                    l.election.lose(&l.desk);
                    l.runs.lose(&l.desk);
                    break;
                }
            },
            w = wait => w,
            _ = tokio::time::sleep(LOCAL_TICK) => Wake::Tick,
        };
        match woke {
            Wake::Notified | Wake::Asked => l.last_pull = None,
            Wake::Lost => l.drop_session("the session that listened for changes ended"),
            Wake::Tick => {}
        }
    }
}

enum Wake {
    Asked,
    Notified,
    Lost,
    Tick,
}

async fn blocking_applied(desk: &Arc<Mutex<Desk>>) -> i64 {
    exchange::blocking(desk, |d| Ok(d.db().team_applied()?)).await.unwrap_or(0)
}

impl Loop {
    /// One turn: make sure of a session, push what waits, pull when due.
    /// Returns the link and (changes applied, changes pushed).
    async fn turn(&mut self) -> (TeamLink, (usize, usize)) {
        // Cheap checks every turn: team mode's address, and whether this
        // process sends for the data directory.
        let url = match lock(&self.desk) {
            Ok(d) if d.is_sender() => d.setting(crate::desk::team::DATABASE_URL).ok().flatten(),
            _ => None,
        };
        let Some(url) = url else {
            self.drop_session("team mode is off here");
            self.error = None;
            return (TeamLink::Off, (0, 0));
        };
        if self.url.as_deref() != Some(url.as_str()) {
            self.drop_session("team.database_url changed");
            self.url = Some(url);
            self.next_connect = Instant::now();
        }
        if self.session.as_ref().is_some_and(|s| s.db.is_closed()) {
            self.drop_session("the session ended");
        }
        if self.session.is_none() {
            if Instant::now() < self.next_connect {
                return (TeamLink::Offline, (0, 0));
            }
            // The address and the password (from the keyring) only when connecting.
            let opts = match lock(&self.desk).and_then(|d| d.team_connection()) {
                Ok(Some(o)) => o,
                Ok(None) => return (TeamLink::Off, (0, 0)),
                Err(e) => {
                    self.fail(&e);
                    return (TeamLink::Offline, (0, 0));
                }
            };
            match Session::open(&self.desk, &opts).await {
                Ok(s) => {
                    tracing::info!(server = s.db.server(), role = s.db.role(), "team database connected");
                    if let Ok(mut d) = lock(&self.desk) {
                        d.set_team_offline(None);
                    }
                    self.session = Some(s);
                    self.failures = 0;
                    self.error = None;
                    self.last_pull = None;
                    self.last_members = Instant::now();
                }
                Err(e) => {
                    self.fail(&e);
                    return (TeamLink::Offline, (0, 0));
                }
            }
        }
        match self.exchange().await {
            Ok(moved) => {
                self.error = None;
                match self.election.start_polling(&self.desk) {
                    Ok(started) => self.polling_started |= started,
                    Err(e) => tracing::warn!(error_code = describe(&e).1, "team sync: could not start polling"),
                }
                (TeamLink::Connected, moved)
            }
            Err(e) => {
                self.fail(&e);
                self.drop_session("the exchange failed");
                (TeamLink::Offline, (0, 0))
            }
        }
    }

    async fn exchange(&mut self) -> Result<(usize, usize)> {
        let desk = self.desk.clone();
        let session = self.session.as_mut().expect("a session");
        // The poller lock is tried when a pull is due (an idle desk reads the
        // database once a second at most), and the pull that follows reaches
        // the head (the team's cursor) before this desk polls.
        if self.last_pull.is_none_or(|t| t.elapsed() >= IDLE_POLL) {
            self.election.try_take(session).await?;
        }
        // Campaign locks and progress reports, before the push that sends them.
        self.runs.tick(session, &desk, false).await?;
        let waiting = exchange::blocking(&desk, |d| Ok(d.db().team_waiting()?)).await?;
        let mut pushed = 0;
        if waiting > 0 {
            let (appended, ..) = push_all(session, &desk).await?;
            pushed = appended;
            self.last_pull = None;
        }
        let mut applied = 0;
        if self.last_pull.is_none_or(|t| t.elapsed() >= IDLE_POLL) {
            applied = pull(session, &desk).await?.applied;
            self.last_pull = Some(Instant::now());
        }
        if self.last_members.elapsed() >= MEMBERS_EVERY {
            session.refresh_members(&desk).await?;
            self.last_members = Instant::now();
        }
        self.election.see(session, &desk).await?;
        key_blocks::top_up(session, &desk).await?;
        Ok((applied, pushed))
    }

    fn fail(&mut self, e: &CoreError) {
        if let Ok(mut d) = lock(&self.desk) {
            d.set_team_offline(Some(chrono::Utc::now()));
        }
        self.failures += 1;
        let failures = if retryable(e) { self.failures } else { 32 };
        let wait = RECONNECT.random_delay(failures);
        self.next_connect = Instant::now() + wait;
        tracing::info!(
            error_code = describe(e).1,
            wait_ms = wait.as_millis() as u64,
            "team sync: offline, trying again"
        );
        self.error = Some(describe(e));
    }

    fn drop_session(&mut self, why: &str) {
        // No session, no lock: stop polling and feeding before anything else.
        self.election.lose(&self.desk);
        self.runs.lose(&self.desk);
        if self.session.take().is_some() {
            tracing::info!(why, "team database session closed");
        }
    }
}
