//! Paused routes: a server refused CareDesk's credentials, so its messages
//! wait in the outbox (migration 0007).

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};

use super::{outbox::ts, Database, Route, StoreError};

/// A route waiting for new credentials.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct RoutePause {
    pub route: Route,
    /// The error code that paused it (`his_unauthorized`, `his_azure_auth`, `ecm_unauthorized`).
    pub code: String,
    /// What the server said, in words, and what to do.
    pub reason: String,
    pub since: String,
    /// When one waiting message is tried again, in case the server changed its mind.
    pub next_probe: String,
}

impl Database {
    /// Pauses `route` (or renews its pause): kept `since` the first refusal.
    pub fn pause_route(
        &self,
        route: Route,
        code: &str,
        reason: &str,
        next_probe: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO route_pauses (route, code, reason, since, next_probe) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(route) DO UPDATE SET code = excluded.code, reason = excluded.reason,
                                              next_probe = excluded.next_probe",
            params![route.as_str(), code, reason, ts(now), ts(next_probe)],
        )?;
        Ok(())
    }

    /// Resumes `route`: its waiting messages are due at once. True when it
    /// was paused.
    pub fn resume_route(&self, route: Route) -> Result<bool, StoreError> {
        let tx = self.conn.unchecked_transaction()?;
        let resumed = tx.execute("DELETE FROM route_pauses WHERE route = ?1", [route.as_str()])? > 0;
        if resumed {
            tx.execute(
                "UPDATE outbox SET next_attempt_at = ?2
                  WHERE state = 'pending' AND last_error LIKE 'waiting: %' AND next_attempt_at > ?2
                    AND message_id IN (SELECT id FROM messages WHERE route = ?1)",
                params![route.as_str(), super::now_rfc3339()],
            )?;
        }
        tx.commit()?;
        Ok(resumed)
    }

    pub fn route_pause(&self, route: Route) -> Result<Option<RoutePause>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT code, reason, since, next_probe FROM route_pauses WHERE route = ?1",
                [route.as_str()],
                |r| {
                    Ok(RoutePause {
                        route,
                        code: r.get(0)?,
                        reason: r.get(1)?,
                        since: r.get(2)?,
                        next_probe: r.get(3)?,
                    })
                },
            )
            .optional()?)
    }

    pub fn route_pauses(&self) -> Result<Vec<RoutePause>, StoreError> {
        let mut out = Vec::new();
        for route in [Route::His, Route::Ecm] {
            out.extend(self.route_pause(route)?);
        }
        Ok(out)
    }

    /// Takes the paused route's probe if it is due: true for the one caller
    /// that may try one message now (the next probe moves to `next`).
    pub fn take_route_probe(&self, route: Route, now: DateTime<Utc>, next: DateTime<Utc>) -> Result<bool, StoreError> {
        Ok(self.conn.execute(
            "UPDATE route_pauses SET next_probe = ?3 WHERE route = ?1 AND next_probe <= ?2",
            params![route.as_str(), ts(now), ts(next)],
        )? == 1)
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;
    use crate::store::test_db;

    #[test]
    fn a_pause_keeps_its_start_hands_out_one_probe_and_resumes() {
        let (_d, db) = test_db();
        let t0 = Utc::now();
        assert_eq!(db.route_pause(Route::His).unwrap(), None);
        db.pause_route(Route::His, "his_unauthorized", "refused (401)", t0 + Duration::seconds(60), t0).unwrap();
        db.pause_route(
            Route::His,
            "his_unauthorized",
            "refused again (401)",
            t0 + Duration::seconds(90),
            t0 + Duration::seconds(30),
        )
        .unwrap();
        let p = db.route_pause(Route::His).unwrap().unwrap();
        assert_eq!((p.since, p.reason.as_str()), (ts(t0), "refused again (401)"));
        assert_eq!(db.route_pauses().unwrap().len(), 1);
        assert!(db.route_pause(Route::Ecm).unwrap().is_none());
        let later = t0 + Duration::seconds(100);
        assert!(!db.take_route_probe(Route::His, t0, later).unwrap(), "not due yet");
        assert!(db.take_route_probe(Route::His, later, later + Duration::seconds(60)).unwrap());
        assert!(!db.take_route_probe(Route::His, later, later + Duration::seconds(60)).unwrap(), "one probe at a time");
        assert!(db.resume_route(Route::His).unwrap());
        assert!(!db.resume_route(Route::His).unwrap());
        assert!(db.route_pauses().unwrap().is_empty());
    }
}
