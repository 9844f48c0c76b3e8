//! Where each sync job stands (`sync_status`) and where each poll resumes
//! (`sync_cursors`).

use chrono::{SecondsFormat, Utc};
use rusqlite::{params, OptionalExtension};

use super::{now_rfc3339, Database, StoreError};
use crate::rules::backoff::Backoff;

/// How a sync job is doing, for the status bar. Times are RFC 3339 UTC.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct SyncStatus {
    /// When the job last worked.
    pub last_success: Option<String>,
    /// What went wrong the last time, while it keeps failing (cleared by a
    /// success). Redacted like every error: no numbers, no texts.
    pub last_error: Option<String>,
    /// When the job tries again after failures; `None` when healthy.
    pub next_try: Option<String>,
    /// Failures in a row.
    pub failures: i64,
}

impl Database {
    /// The status of sync job `name` (e.g. `his.incoming`); all empty if it
    /// never ran.
    pub fn sync_status(&self, name: &str) -> Result<SyncStatus, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT last_success, last_error, next_try, failures FROM sync_status WHERE name = ?1",
                [name],
                |r| {
                    Ok(SyncStatus {
                        last_success: r.get(0)?,
                        last_error: r.get(1)?,
                        next_try: r.get(2)?,
                        failures: r.get(3)?,
                    })
                },
            )
            .optional()?
            .unwrap_or_default())
    }

    /// The job worked: failures and error cleared.
    pub fn record_sync_success(&self, name: &str) -> Result<(), StoreError> {
        let now = now_rfc3339();
        self.conn.execute(
            "INSERT INTO sync_status (name, last_success, last_error, failures, next_try, updated_at)
             VALUES (?1, ?2, NULL, 0, NULL, ?2)
             ON CONFLICT(name) DO UPDATE SET last_success = ?2, last_error = NULL, failures = 0, next_try = NULL,
                updated_at = ?2",
            params![name, now],
        )?;
        Ok(())
    }

    /// The job failed with `error`: one more failure in a row, and the next
    /// try after the backoff's delay. Returns the new status; `next_try` says
    /// when to run again.
    pub fn record_sync_failure(&self, name: &str, error: &str, backoff: &Backoff) -> Result<SyncStatus, StoreError> {
        let failures = self.sync_status(name)?.failures + 1;
        let delay = backoff.random_delay(failures.clamp(1, i64::from(u32::MAX)) as u32);
        let next = Utc::now() + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::minutes(5));
        let next_try = next.to_rfc3339_opts(SecondsFormat::Micros, true);
        self.conn.execute(
            "INSERT INTO sync_status (name, last_success, last_error, failures, next_try, updated_at)
             VALUES (?1, NULL, ?2, ?3, ?4, ?5)
             ON CONFLICT(name) DO UPDATE SET last_error = ?2, failures = ?3, next_try = ?4, updated_at = ?5",
            params![name, error, failures, next_try, now_rfc3339()],
        )?;
        self.sync_status(name)
    }

    /// The stored cursor of poll `name` (a server timestamp as written).
    pub fn sync_cursor(&self, name: &str) -> Result<Option<String>, StoreError> {
        Ok(self.conn.query_row("SELECT cursor FROM sync_cursors WHERE name = ?1", [name], |r| r.get(0)).optional()?)
    }

    /// Stores the cursor of poll `name`. Callers keep it from moving
    /// backwards (see `inbox_sync`).
    pub fn set_sync_cursor(&self, name: &str, cursor: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO sync_cursors (name, cursor, updated_at) VALUES (?1, ?2, ?3)
             ON CONFLICT(name) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at",
            params![name, cursor, now_rfc3339()],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::store::test_db;

    #[test]
    fn failures_count_up_and_a_success_clears_them() {
        let (_d, db) = test_db();
        assert_eq!(db.sync_status("his.incoming").unwrap(), SyncStatus::default());
        let b = Backoff::from_interval(Duration::from_secs(10));
        let s = db.record_sync_failure("his.incoming", "the hospital SMS server answered HTTP 503", &b).unwrap();
        assert_eq!((s.failures, s.last_error.as_deref()), (1, Some("the hospital SMS server answered HTTP 503")));
        let next = chrono::DateTime::parse_from_rfc3339(s.next_try.as_deref().unwrap()).unwrap();
        let wait = next.with_timezone(&Utc) - Utc::now();
        assert!(wait > chrono::Duration::seconds(3) && wait <= chrono::Duration::seconds(10), "{wait}");
        let s = db.record_sync_failure("his.incoming", "again", &b).unwrap();
        assert_eq!(s.failures, 2);
        assert!(s.last_success.is_none());
        db.record_sync_success("his.incoming").unwrap();
        let s = db.sync_status("his.incoming").unwrap();
        assert_eq!((s.failures, s.last_error.as_deref(), s.next_try.as_deref()), (0, None, None));
        assert!(s.last_success.is_some());
        assert_eq!(db.sync_status("his.outgoing").unwrap(), SyncStatus::default());
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json.as_object().unwrap().len(), 4);
    }

    #[test]
    fn cursors_are_stored_per_name() {
        let (_d, db) = test_db();
        assert_eq!(db.sync_cursor("his.incoming").unwrap(), None);
        db.set_sync_cursor("his.incoming", "2019-11-12T11:01:51.2143907").unwrap();
        db.set_sync_cursor("his.incoming", "2019-11-12T11:01:52.0000000").unwrap();
        assert_eq!(db.sync_cursor("his.incoming").unwrap().as_deref(), Some("2019-11-12T11:01:52.0000000"));
    }
}
