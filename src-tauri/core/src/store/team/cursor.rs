//! The team's inbox cursor (issue 15, one poller per clinic): where the
//! desk that polls the hospital SMS server for the team resumes.
//!
//! The poller's cursor moves in `sync_cursors`, as a desk alone's does; in
//! team mode each move is recorded as a `cursor.set` change by the triggers
//! of migration 0017, in the transaction that stored the page, and the
//! page's changes form one group ([`Database::team_group_begin`]) that a
//! push never splits. Every desk applies the team's cursor into
//! `team_state` ([`apply`]); whichever desk polls next starts from the later
//! of its own cursor and the team's (`engine::inbox_sync::cursor`), which
//! compares them as the server's times.

use rusqlite::Connection;

use super::{get, joined, kinds::CursorBody, set, unset};
use crate::store::{Database, StoreError};

/// `team_state` key of the team's cursor `name`.
fn key_of(name: &str) -> String {
    format!("cursor:{name}")
}

/// `team_state` key present only inside a transaction whose changes go to
/// the team together.
const GROUP: &str = "page_txn";

/// Applies a pulled `cursor.set`: PostgreSQL appends one only when it moves
/// the team's cursor forward, so the log's latest is the team's cursor.
pub(super) fn apply(c: &Connection, b: &CursorBody) -> Result<super::apply::Outcome, StoreError> {
    let key = key_of(&b.name);
    if get(c, &key)?.as_deref() == Some(b.cursor.as_str()) {
        return Ok(Ok(false));
    }
    set(c, &key, &b.cursor)?;
    Ok(Ok(true))
}

impl Database {
    /// The team's cursor `name` as last pulled (the server's own form), if any.
    pub fn team_cursor(&self, name: &str) -> Result<Option<String>, StoreError> {
        get(&self.conn, &key_of(name))
    }

    /// Inside a transaction: the changes recorded from now until
    /// [`Database::team_group_end`] reach the team database in one
    /// transaction. Nothing for a desk alone.
    pub fn team_group_begin(&self) -> Result<(), StoreError> {
        if joined(&self.conn)? {
            set(&self.conn, GROUP, &uuid::Uuid::new_v4().to_string())?;
        }
        Ok(())
    }

    /// Ends the group begun by [`Database::team_group_begin`] (in the same
    /// transaction, before it commits).
    pub fn team_group_end(&self) -> Result<(), StoreError> {
        unset(&self.conn, GROUP)
    }
}
