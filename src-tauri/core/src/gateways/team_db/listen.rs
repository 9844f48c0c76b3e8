//! Being woken by the change log: `LISTEN caredesk_changes` on a session,
//! and [`ChangeListener`], which waits until a position past the one a
//! puller has seen is announced. A notification is a hint, never the data:
//! the puller reads with `read_after` from the position it applied, and
//! also polls every few seconds, since notifications sent while a session
//! was down are lost.

use tokio::sync::watch;

use crate::gateways::team_db::{connect::TeamDb, error::Context, TeamDbError, CHANGES_CHANNEL};

/// Waits for `NOTIFY caredesk_changes` on one session (see [`TeamDb::listen`]).
pub struct ChangeListener {
    notified: watch::Receiver<Option<i64>>,
    ctx: Context,
}

impl TeamDb {
    /// Listens for the change log's notifications on this session. Keep the
    /// `TeamDb` alive while listening: its session carries them.
    pub async fn listen(&self) -> Result<ChangeListener, TeamDbError> {
        self.client()
            .batch_execute(&format!("LISTEN {CHANGES_CHANNEL}"))
            .await
            .map_err(|e| self.error(&e, "listen for changes"))?;
        Ok(ChangeListener { notified: self.notifications(), ctx: self.context().clone() })
    }
}

impl ChangeListener {
    /// The highest log position announced so far on this session, if any.
    pub fn latest(&self) -> Option<i64> {
        *self.notified.borrow()
    }

    /// Waits until a position after `seen` is announced and returns the
    /// highest announced. At once when one already was. Fails with
    /// [`TeamDbError::ConnectionLost`] when the session ends: reconnect, read
    /// what was missed with `read_after`, and listen again.
    pub async fn wait_after(&mut self, seen: i64) -> Result<i64, TeamDbError> {
        let lost = |ctx: &Context| TeamDbError::ConnectionLost {
            server: ctx.server.clone(),
            detail: "the session that listened for changes ended".into(),
        };
        match self.notified.wait_for(|pos| pos.is_some_and(|p| p > seen)).await {
            Ok(pos) => Ok(pos.expect("waited for Some")),
            Err(_) => Err(lost(&self.ctx)),
        }
    }
}
