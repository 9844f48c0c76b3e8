//! The roster from the clinic's FHIR server. A pull searches Patients, then
//! RelatedPersons, page by page (`_count`, `_sort=_lastUpdated`, the `next`
//! links followed as given); after the first, incrementally with
//! `_lastUpdated=gt<newest seen less an overlap>`. Each page is planned
//! ([`plan`]: mapped with `rules::fhir::roster`, versions already stored
//! left out) and then stored in one transaction with the patients it
//! touches made again (`store::fhir_roster`: the server wins for the
//! patients it manages; numbers staff added stay). Deletions: a full pull
//! reads each patient it no longer finds (410 or 404: deleted); between
//! full pulls, the types' `_history` names them when the server keeps one.
//!
//! The engine pulls every `fhir.pull_interval_secs` and on demand ([`run`]);
//! `caredesk fhir pull` runs [`pull`] once. Progress and the report go
//! through a callback; the desk is locked only to plan and store a page.

pub mod plan;
mod pull;
pub(crate) mod run;
pub mod write;

use std::sync::Mutex;

pub use pull::pull;
pub use write::{drain as drain_writes, WriteReport};

use crate::{
    desk::Desk,
    gateways::{
        fhir::{check::ServerCheck, FhirClient},
        http::{self, HttpSettings},
    },
    rules::error::{CoreError, Result},
    store::FhirRosterCounts,
};

/// Every this long the engine makes a full pull, which also finds patients
/// deleted on a server that keeps no history.
pub const FULL_PULL_EVERY: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// How far before the newest `lastUpdated` seen an incremental pull starts
/// again: resources a server commits late, with an earlier time, are not
/// missed. Those read twice are recognised by their version.
pub const OVERLAP: chrono::Duration = chrono::Duration::minutes(5);

/// Shortens [`OVERLAP`] to this many seconds (only ever shortens it): for
/// tests that show an incremental pull reads only what changed, on a server
/// seeded seconds earlier.
pub const OVERLAP_SECS_ENV: &str = "CAREDESK_FHIR_OVERLAP_SECS";

/// The overlap in force.
pub(crate) fn overlap() -> chrono::Duration {
    shortened(std::env::var(OVERLAP_SECS_ENV).ok().as_deref())
}

fn shortened(env: Option<&str>) -> chrono::Duration {
    match env.and_then(|v| v.trim().parse::<i64>().ok()).filter(|s| *s >= 0) {
        Some(secs) => OVERLAP.min(chrono::Duration::seconds(secs)),
        None => OVERLAP,
    }
}

/// What to pull.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PullOptions {
    /// Everything, not only what changed since the last pull (the first
    /// pull, and a pull after `fhir.base_url` changed, are full anyway).
    pub full: bool,
}

/// How far a pull has come, after each page.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[ts(rename = "FhirPullProgress")]
pub struct PullProgress {
    /// `Patient` or `RelatedPerson`: what is being read now.
    pub resource_type: String,
    pub pages: usize,
    pub resources: usize,
    pub patients_new: usize,
    pub patients_updated: usize,
}

/// What a pull did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[ts(rename = "FhirPullReport")]
pub struct PullReport {
    pub full: bool,
    /// Every search was read to its last page (else the cursors stay, and
    /// the next pull reads the same again).
    pub complete: bool,
    pub started_at: String,
    pub elapsed_ms: u64,
    /// Pages of searches read (history and single reads not counted).
    pub pages: usize,
    /// Resources read in those pages.
    pub resources: usize,
    /// Read again at a version already stored.
    pub unchanged: usize,
    pub patients_new: usize,
    pub patients_updated: usize,
    /// Made inactive (`active: false`, deceased) or deleted by this pull.
    pub patients_deactivated: usize,
    /// Of those, deleted on the server.
    pub patients_deleted: usize,
    pub patients_reactivated: usize,
    pub related_persons_stored: usize,
    pub numbers_added: usize,
    /// Numbers that became "no longer used".
    pub numbers_removed: usize,
    /// Resources and numbers that could not be read (the first 100, each
    /// with its reference and the reason, never its content).
    pub problems: Vec<String>,
    pub problems_total: usize,
    /// What else happened, in words (a server without history, ...).
    pub notes: Vec<String>,
    /// The roster the server manages, after the pull.
    pub roster: FhirRosterCounts,
}

impl PullReport {
    /// Whether anything a coordinator sees changed.
    pub fn changed(&self) -> bool {
        self.patients_new + self.patients_updated + self.patients_deactivated + self.patients_reactivated > 0
    }

    pub(crate) fn problem(&mut self, p: String) {
        self.problems_total += 1;
        if self.problems.len() < 100 {
            self.problems.push(p);
        }
    }

    /// One line for people.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "{} pull: {} page(s), {} resource(s); patients {} new, {} updated, {} deactivated ({} deleted), {} reactivated; numbers {} added, {} no longer used",
            if self.full { "full" } else { "incremental" },
            self.pages,
            self.resources,
            self.patients_new,
            self.patients_updated,
            self.patients_deactivated,
            self.patients_deleted,
            self.patients_reactivated,
            self.numbers_added,
            self.numbers_removed
        );
        if self.roster.without_numbers > 0 {
            s.push_str(&format!(
                "; {} patient(s) on the server have no number to text (not in the roster)",
                self.roster.without_numbers
            ));
        }
        if self.problems_total > 0 {
            s.push_str(&format!("; {} problem(s)", self.problems_total));
        }
        if !self.complete {
            s.push_str("; INCOMPLETE (the next pull reads it again)");
        }
        s
    }
}

/// The FHIR link's state, for `caredesk fhir status` and Settings.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[ts(rename = "FhirStatusView")]
pub struct SyncStatus {
    /// `fhir.base_url`, when set.
    pub base_url: Option<String>,
    /// When the last pull that finished ended, and when the last full one did.
    pub last_pull_at: Option<String>,
    pub last_full_pull_at: Option<String>,
    /// The `_lastUpdated` cursor of each type (the newest time seen).
    pub patient_cursor: Option<String>,
    pub related_person_cursor: Option<String>,
    pub last_report: Option<PullReport>,
    pub roster: FhirRosterCounts,
    pub write_queue: WriteQueue,
}

/// The FHIR write-back queue (a Communication per text and call, an
/// Encounter per conversation): what waits, what failed and why.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[ts(rename = "FhirWriteQueue")]
pub struct WriteQueue {
    /// Texts and calls still to write (or to write again after a change).
    pub pending: usize,
    /// Of those, the ones whose last try failed and that wait to retry.
    pub retrying: usize,
    /// Refused by the server for good: each in `failures`.
    pub failed: usize,
    /// Recorded on the server as they are now.
    pub written: usize,
    /// Nothing to write (a patient not on the FHIR server, an unmatched number).
    pub skipped: usize,
    /// Failed and retrying rows, newest first (at most 50): `message 12
    /// failed: <reason>` (never a number or a text).
    pub failures: Vec<String>,
    /// When the link is off, or anything else to know, in words.
    pub note: String,
}

/// The write queue, counted.
pub fn write_queue(desk: &Desk) -> Result<WriteQueue> {
    let db = desk.db();
    let c = db.fhir_write_counts()?;
    let failures = db
        .fhir_write_failures(50)?
        .into_iter()
        .map(|(kind, id, state, why)| {
            format!("{kind} {id} {}: {why}", if state == "failed" { "failed" } else { "waits to retry" })
        })
        .collect();
    let note = if desk.fhir_enabled()? {
        String::new()
    } else {
        "the FHIR link is off (fhir.base_url unset): texts and calls are not queued for the FHIR server".into()
    };
    Ok(WriteQueue {
        pending: c.pending,
        retrying: c.retrying,
        failed: c.failed,
        written: c.written,
        skipped: c.skipped,
        failures,
        note,
    })
}

/// The keys of the pull's own state in the store.
pub(crate) mod keys {
    pub const BASE_URL: &str = "base_url";
    pub const LAST_PULL: &str = "last_pull";
    pub const LAST_FULL_PULL: &str = "last_full_pull";
    pub const LAST_REPORT: &str = "last_report";
    pub fn cursor(resource_type: &str) -> String {
        format!("cursor.{resource_type}")
    }
}

/// The FHIR link's state.
pub fn status(desk: &Desk) -> Result<SyncStatus> {
    let db = desk.db();
    let value = |k: &str| db.fhir_sync_value(k);
    Ok(SyncStatus {
        base_url: desk.setting(crate::desk::fhir::BASE_URL)?,
        last_pull_at: value(keys::LAST_PULL)?,
        last_full_pull_at: value(keys::LAST_FULL_PULL)?,
        patient_cursor: value(&keys::cursor("Patient"))?,
        related_person_cursor: value(&keys::cursor("RelatedPerson"))?,
        last_report: value(keys::LAST_REPORT)?.and_then(|r| serde_json::from_str(&r).ok()),
        roster: db.fhir_roster_counts()?,
        write_queue: write_queue(desk)?,
    })
}

/// The FHIR client of a desk's settings, or why there is none.
pub fn client_of(desk: &Desk) -> Result<FhirClient> {
    let config = desk.fhir_config()?.ok_or(crate::desk::setup_error::GatewayConfigError::FhirNotConfigured)?;
    let timeout = desk.setting("http.timeout_secs")?.and_then(|v| v.parse().ok()).unwrap_or(30);
    let http = http::client(&HttpSettings::from_timeout_secs(timeout))
        .map_err(|e| CoreError::from(crate::desk::setup_error::GatewayConfigError::Invalid(e.to_string())))?;
    Ok(FhirClient::new(config, http)?)
}

/// "Check connection": the CapabilityStatement and a search of each type
/// the roster reads (see [`FhirClient::check`]).
pub async fn check(desk: &Mutex<Desk>) -> Result<ServerCheck> {
    let client = client_of(&*crate::desk::lock(desk)?)?;
    Ok(client.check().await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_test_override_only_shortens_the_overlap() {
        assert_eq!(shortened(None), OVERLAP);
        assert_eq!(shortened(Some("1")), chrono::Duration::seconds(1));
        assert_eq!(shortened(Some("86400")), OVERLAP);
        assert_eq!(shortened(Some("soon")), OVERLAP);
        assert_eq!(shortened(Some("-5")), OVERLAP);
    }
}
