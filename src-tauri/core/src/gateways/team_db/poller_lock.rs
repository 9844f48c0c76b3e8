//! The poller lock ([`POLLER_LOCK_KEY`]): a session-level advisory lock, so
//! it is held exactly as long as the session that took it lives. A desk
//! that quits, crashes or loses its connection loses it with its session,
//! and another desk's next try takes it.

use crate::gateways::team_db::{TeamDb, TeamDbError, POLLER_LOCK_KEY};

impl TeamDb {
    /// Tries to take the poller lock on this session, without waiting.
    /// `true` when this session holds it (now or already).
    pub async fn try_poller_lock(&self) -> Result<bool, TeamDbError> {
        Ok(self
            .client()
            .query_one("SELECT pg_catalog.pg_try_advisory_lock($1)", &[&POLLER_LOCK_KEY])
            .await
            .map_err(|e| self.error(&e, "try to become the team's poller"))?
            .get(0))
    }

    /// Gives the poller lock up (a desk leaving team mode or stopping).
    /// Taken more than once on this session, it is given up as often.
    pub async fn release_poller_lock(&self) -> Result<(), TeamDbError> {
        self.client()
            .execute(
                "SELECT pg_catalog.pg_advisory_unlock($1) FROM generate_series(1, (
                     SELECT count(*) FROM pg_catalog.pg_locks
                      WHERE locktype = 'advisory' AND pid = pg_catalog.pg_backend_pid() AND granted
                        AND objsubid = 1 AND classid = ($1 >> 32)::oid AND objid = ($1 & 4294967295)::oid)::int)",
                &[&POLLER_LOCK_KEY],
            )
            .await
            .map_err(|e| self.error(&e, "stop being the team's poller"))?;
        Ok(())
    }
}
