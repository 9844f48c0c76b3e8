//! One poller per clinic: of a team's desks, exactly one reads the hospital
//! SMS server (its inbox, the delivery states, the daily backfill) at a time.
//!
//! The poller is the desk whose team session holds the poller lock
//! (`gateways::team_db::poller_lock`, a session-level advisory lock). Each
//! desk's team sync tries to take it every [`TRY_EVERY`] (with its pull, so
//! an idle desk still reads the database at most once a second); the one
//! that takes it first pulls the log to its head, so it knows the team's
//! inbox cursor (`store::team::cursor`), and only then starts polling
//! ([`Desk::set_inbox_poller`]; the engine's cycle asks
//! [`Desk::reads_his_server`]). The session ending for any reason (the desk
//! quits, crashes, loses the network, the database restarts) frees the lock;
//! the desk stops polling as soon as its sync sees the session gone, and
//! another desk takes over at its next try: within two poll intervals.
//!
//! Nothing is missed or duplicated by a takeover: the new poller resumes at
//! the team's cursor, which never passes a message the team does not have
//! (a page and its cursor reach PostgreSQL in one transaction), and a
//! reply read twice has one global id, derived from the server's Id.

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use super::{exchange::blocking, Session};
use crate::{
    desk::{lock, Desk},
    gateways::team_db::poller_holder,
    rules::error::Result,
};

/// How often a desk that does not poll tries to take the poller lock (with
/// its pull, see `engine::team::IDLE_POLL`).
pub const TRY_EVERY: Duration = super::IDLE_POLL;
/// How often the sync reads which desk polls (for the status bar).
pub const SEE_EVERY: Duration = Duration::from_secs(10);

/// Which desk polls the hospital SMS server for the team.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct TeamPoller {
    /// The member whose desk polls (their PostgreSQL role).
    pub role: Option<String>,
    /// Their display name, as the team knows it.
    pub name: Option<String>,
    /// That desk's id.
    pub desk_id: Option<String>,
    /// Whether it is this desk.
    pub this_desk: bool,
}

/// The election as one desk's team sync runs it.
#[derive(Debug, Default)]
pub(super) struct Election {
    /// This desk's session holds the lock.
    holding: bool,
    last_try: Option<Instant>,
    last_seen: Option<Instant>,
    /// Which desk polls, as last read.
    pub(super) seen: Option<TeamPoller>,
}

impl Election {
    /// Before an exchange: tries to take the lock when it is time. `true`
    /// when this desk just took it (the exchange must pull to the head
    /// before the desk polls).
    pub(super) async fn try_take(&mut self, session: &Session) -> Result<bool> {
        if self.holding || self.last_try.is_some_and(|t| t.elapsed() < TRY_EVERY / 2) {
            return Ok(false);
        }
        self.last_try = Some(Instant::now());
        if session.db.try_poller_lock().await? {
            self.holding = true;
            // Everyone's status bar learns of the change at its next look.
            self.last_seen = None;
            tracing::info!("this desk took the team's poller lock");
            return Ok(true);
        }
        Ok(false)
    }

    /// After an exchange that pulled to the head: a desk holding the lock
    /// polls from now on. `true` when it just started.
    pub(super) fn start_polling(&mut self, desk: &Arc<Mutex<Desk>>) -> Result<bool> {
        if !self.holding {
            return Ok(false);
        }
        let mut d = lock(desk)?;
        if d.is_inbox_poller() {
            return Ok(false);
        }
        d.set_inbox_poller(true);
        tracing::info!("this desk polls the hospital SMS server's inbox for the team");
        Ok(true)
    }

    /// Reads which desk polls, when it is time (or after a change here).
    pub(super) async fn see(&mut self, session: &Session, desk: &Arc<Mutex<Desk>>) -> Result<()> {
        if self.last_seen.is_some_and(|t| t.elapsed() < SEE_EVERY) {
            return Ok(());
        }
        self.last_seen = Some(Instant::now());
        let holder = poller_holder(&session.db).await?;
        let this = session.desk_id;
        self.seen = match holder {
            None => None,
            Some(h) => {
                let name = match h.role.clone() {
                    Some(role) => blocking(desk, move |d| Ok(d.db().team_member_name(&role)?)).await?,
                    None => None,
                };
                Some(TeamPoller {
                    role: h.role,
                    name,
                    desk_id: h.desk_id.map(|d| d.to_string()),
                    this_desk: h.desk_id == Some(this),
                })
            }
        };
        Ok(())
    }

    /// The session is gone (or team mode is off, or the sync stops): this
    /// desk stops polling at once.
    pub(super) fn lose(&mut self, desk: &Arc<Mutex<Desk>>) {
        if self.holding {
            tracing::info!("this desk no longer polls for the team (its session ended)");
        }
        self.holding = false;
        self.last_seen = None;
        self.seen = None;
        if let Ok(mut d) = lock(desk) {
            d.set_inbox_poller(false);
        }
    }
}
