//! Team mode, the local side (issue 15): this desk's working copy of what
//! the team shares.
//!
//! - **Recording** ([`outbox`]): in team mode every change the team shares
//!   writes its `team_outbox` row in the transaction of the change itself.
//!   The changes to existing tables (patients, numbers, consent, texts,
//!   calls) are recorded by the triggers of migration 0016, so no write path
//!   can forget one; the team's own operations (notes, assignment,
//!   open/closed, reads: [`threads`]) write theirs beside their rows. A desk
//!   alone writes nothing: the triggers fire only once it [`join`]ed.
//! - **Joining** ([`join`]): the first time a desk is in team mode it gives
//!   its rows global ids and queues what it has (its roster, consent, texts
//!   and calls), so the team sees them and later changes can name them.
//! - **Applying** ([`apply`]): changes pulled from the team's log, in log
//!   order, idempotently, in one transaction that also records the position.
//! - **Loading a snapshot** ([`bulk`]): a new desk joining a big team stores
//!   the team's state tables in one pass instead of applying the whole log.
//! - [`kinds`]: the change kinds and their JSON bodies.
//! - [`listing`]: the patient column's team filters (assigned to me,
//!   unassigned, open, closed) and each row's assignee and status;
//!   [`collisions`]: what colleagues sent to a patient since a time (the
//!   send-time check); [`outreach`]: templates shared by the team and
//!   colleagues' campaigns; `gids`: a patient's team id and back (presence).
//!
//! The push and the pull themselves (PostgreSQL) are `engine::team`'s.

pub mod apply;
pub mod bulk;
#[cfg(test)]
mod bulk_tests;
pub mod collisions;
pub mod compare;
pub mod cursor;
mod gids;
pub mod join;
pub mod kinds;
pub mod listing;
pub mod outbox;
pub mod outreach;
#[cfg(test)]
mod tests;
pub mod threads;

use rusqlite::{params, Connection, OptionalExtension};

use super::{Database, StoreError};

pub use apply::{ApplyReport, PulledChange};
pub use bulk::{BulkJoin, BulkReport, ByMember, LoggedChange, SnapshotBatch};
pub use collisions::ColleagueSend;
pub use outbox::OutboxChange;
pub use outreach::ColleagueCampaign;
pub use threads::{Note, TeamThread, ThreadStatus};

/// `team_state` keys.
pub mod key {
    /// When this desk joined the team; its presence turns the recording on.
    pub const JOINED: &str = "joined";
    /// This member's PostgreSQL role.
    pub const ROLE: &str = "role";
    /// The last change log position applied here.
    pub const APPLIED: &str = "applied";
    /// The change log's head when last seen.
    pub const HEAD: &str = "head";
    /// `connected` or `offline`: the sync's link to the team database.
    pub const LINK: &str = "link";
    /// Since when the link is what it is (RFC 3339 UTC).
    pub const LINK_SINCE: &str = "link_since";
    /// Why the sync last failed (no PHI: the team database's own errors).
    pub const LAST_ERROR: &str = "last_error";
    /// Present only inside the transaction that applies pulled changes.
    pub const APPLYING: &str = "applying";
}

/// Where this desk's team sync stands, as its store knows it: for
/// `caredesk team status` and the status bar, also while another process
/// syncs or the database is out of reach.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct LocalTeamState {
    /// This desk has joined the team (team mode has been on).
    pub joined: bool,
    pub role: Option<String>,
    /// Changes recorded here and not yet in the team database.
    pub waiting: i64,
    /// The last change log position applied here.
    pub applied: i64,
    /// The log's head when the sync last looked.
    pub head: Option<i64>,
    /// `connected` or `offline`, as the sync last found it.
    pub link: Option<String>,
    pub link_since: Option<String>,
    pub last_error: Option<String>,
}

pub(crate) fn get(conn: &Connection, key: &str) -> Result<Option<String>, StoreError> {
    Ok(conn.prepare_cached("SELECT value FROM team_state WHERE key = ?1")?.query_row([key], |r| r.get(0)).optional()?)
}

pub(crate) fn set(conn: &Connection, key: &str, value: &str) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO team_state (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    )?
    .execute(params![key, value])?;
    Ok(())
}

pub(crate) fn unset(conn: &Connection, key: &str) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM team_state WHERE key = ?1")?.execute([key])?;
    Ok(())
}

/// Whether changes are recorded for the team (this desk joined).
pub(crate) fn joined(conn: &Connection) -> Result<bool, StoreError> {
    Ok(get(conn, key::JOINED)?.is_some())
}

impl Database {
    /// Whether this desk has joined a team (its changes are recorded for it).
    pub fn team_joined(&self) -> Result<bool, StoreError> {
        joined(&self.conn)
    }

    /// This member's role, once the desk joined.
    pub fn team_role(&self) -> Result<Option<String>, StoreError> {
        get(&self.conn, key::ROLE)
    }

    /// The display name of `role` as last read from the team database.
    pub fn team_member_name(&self, role: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT display_name FROM team_members WHERE role = ?1")?
            .query_row([role], |r| r.get(0))
            .optional()?)
    }

    /// The team's members (role, display name) as last read.
    pub fn team_members(&self) -> Result<Vec<(String, String)>, StoreError> {
        let mut stmt = self.conn.prepare_cached("SELECT role, display_name FROM team_members ORDER BY role")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Replaces the cache of the team's members; true when it changed.
    pub fn set_team_members(&self, members: &[(String, String)]) -> Result<bool, StoreError> {
        if self.team_members()? == members {
            return Ok(false);
        }
        let tx = self.conn.unchecked_transaction()?;
        tx.execute("DELETE FROM team_members", [])?;
        for (role, name) in members {
            tx.execute("INSERT INTO team_members (role, display_name) VALUES (?1, ?2)", params![role, name])?;
        }
        tx.commit()?;
        Ok(true)
    }

    /// The last change log position applied here (0: none yet).
    pub fn team_applied(&self) -> Result<i64, StoreError> {
        Ok(get(&self.conn, key::APPLIED)?.and_then(|v| v.parse().ok()).unwrap_or(0))
    }

    /// Records what the sync found (the link, its error, the log's head),
    /// writing only what changed.
    pub fn set_team_link(
        &self,
        link: &str,
        last_error: Option<&str>,
        head: Option<i64>,
        now: &str,
    ) -> Result<(), StoreError> {
        let state = self.team_state()?;
        if state.link.as_deref() == Some(link)
            && state.last_error.as_deref() == last_error
            && (head.is_none() || state.head == head)
        {
            return Ok(());
        }
        let tx = self.conn.unchecked_transaction()?;
        if state.link.as_deref() != Some(link) {
            set(&tx, key::LINK, link)?;
            set(&tx, key::LINK_SINCE, now)?;
        }
        match last_error {
            Some(e) => set(&tx, key::LAST_ERROR, e)?,
            None => unset(&tx, key::LAST_ERROR)?,
        }
        if let Some(h) = head {
            set(&tx, key::HEAD, &h.to_string())?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Forgets how far this desk followed a team's log (it now follows
    /// another team database, from its start).
    pub fn team_forget_log(&self) -> Result<(), StoreError> {
        let tx = self.conn.unchecked_transaction()?;
        for k in [key::APPLIED, key::HEAD, key::LINK, key::LINK_SINCE, key::LAST_ERROR] {
            unset(&tx, k)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Where this desk's team sync stands.
    pub fn team_state(&self) -> Result<LocalTeamState, StoreError> {
        let c = &self.conn;
        Ok(LocalTeamState {
            joined: joined(c)?,
            role: get(c, key::ROLE)?,
            waiting: self.team_waiting()?,
            applied: self.team_applied()?,
            head: get(c, key::HEAD)?.and_then(|v| v.parse().ok()),
            link: get(c, key::LINK)?,
            link_since: get(c, key::LINK_SINCE)?,
            last_error: get(c, key::LAST_ERROR)?,
        })
    }
}
