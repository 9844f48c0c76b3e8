//! Campaign locks: a campaign runs on one desk at a time. The desk that
//! feeds a campaign to its outbox holds a session-level advisory lock keyed
//! by the campaign's gid ([`campaign_lock_key`]), like the poller lock
//! (`poller_lock`): held exactly as long as the session that took it lives,
//! so a desk that quits, crashes or loses the database stops feeding, and
//! no second desk (a copy of the data directory restored elsewhere) can
//! feed the same campaign meanwhile.
//!
//! The two-key form of the advisory lock functions (`int4, int4`) keeps
//! these locks apart from the single-key ones (the poller's, `init`'s):
//! PostgreSQL files them under another `objsubid`.

use crate::gateways::team_db::{TeamDb, TeamDbError};

/// The first key of every campaign lock ("CAMP" in ASCII).
pub const CAMPAIGN_LOCK_CLASS: i32 = 0x4341_4D50;

/// The second key: a 32-bit FNV-1a hash of the campaign's gid, the same on
/// every desk. Two campaigns running at once share it with odds of one in
/// four billion; then one of them waits for the other.
pub fn campaign_lock_key(gid: &str) -> i32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in gid.trim().to_ascii_lowercase().bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h as i32
}

impl TeamDb {
    /// Tries to take the lock of the campaign `gid` on this session, without
    /// waiting. `true` when this session holds it now (call it once per
    /// campaign: taken twice, it must be given up twice).
    pub async fn try_campaign_lock(&self, gid: &str) -> Result<bool, TeamDbError> {
        Ok(self
            .client()
            .query_one(
                "SELECT pg_catalog.pg_try_advisory_lock($1, $2)",
                &[&CAMPAIGN_LOCK_CLASS, &campaign_lock_key(gid)],
            )
            .await
            .map_err(|e| self.error(&e, "take a campaign's lock"))?
            .get(0))
    }

    /// Gives the lock of the campaign `gid` up (it is done, paused or
    /// cancelled). `false` when this session did not hold it.
    pub async fn release_campaign_lock(&self, gid: &str) -> Result<bool, TeamDbError> {
        Ok(self
            .client()
            .query_one("SELECT pg_catalog.pg_advisory_unlock($1, $2)", &[&CAMPAIGN_LOCK_CLASS, &campaign_lock_key(gid)])
            .await
            .map_err(|e| self.error(&e, "give a campaign's lock up"))?
            .get(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gids_key_is_the_same_in_any_case_and_differs_between_gids() {
        let a = "3f2a9c1b-0000-4000-8000-000000000001";
        assert_eq!(campaign_lock_key(a), campaign_lock_key(&a.to_uppercase()));
        assert_ne!(campaign_lock_key(a), campaign_lock_key("3f2a9c1b-0000-4000-8000-000000000002"));
        // Pinned: every desk, old or new, computes the same key.
        assert_eq!(campaign_lock_key(""), 0x811c_9dc5_u32 as i32);
    }
}
