//! What the status bar needs about the background engine that the store does
//! not keep: whether a cycle runs now, when the last one ended, and why the
//! gateways were unavailable. Also the event the UI hears each cycle.

use caredesk_core::engine::EngineEvent;
use chrono::{DateTime, Utc};

#[derive(Debug, Clone, Default)]
pub struct SyncTracker {
    pub syncing: bool,
    pub last_cycle_end: Option<DateTime<Utc>>,
    /// The last cycle's step errors, or why no cycle could run.
    pub last_errors: Vec<String>,
    /// Team mode: where the team sync stands (`None`: team mode is off).
    pub team: Option<caredesk_core::engine::team::TeamSyncStatus>,
    /// The FHIR roster pull: how far the one running now has come.
    pub fhir_pulling: Option<caredesk_core::engine::fhir_sync::PullProgress>,
    /// Why the last FHIR roster pull failed (cleared when one finishes).
    pub fhir_error: Option<String>,
}

impl SyncTracker {
    pub fn record(&mut self, event: &EngineEvent, now: DateTime<Utc>) {
        match event {
            EngineEvent::CycleStarted => self.syncing = true,
            // The outbox alone between cycles is no sync: the status bar's
            // last sync stays the last full cycle's.
            EngineEvent::CycleFinished { report } if report.outbox_only => {}
            EngineEvent::CycleFinished { report } => {
                self.syncing = false;
                self.last_cycle_end = Some(now);
                self.last_errors = report.errors.clone();
            }
            EngineEvent::Unavailable { error } => {
                self.syncing = false;
                self.last_cycle_end = Some(now);
                self.last_errors = vec![error.clone()];
            }
            EngineEvent::Team { event } => {
                self.team =
                    (event.status.link != caredesk_core::engine::team::TeamLink::Off).then(|| event.status.clone());
            }
            // The FHIR roster pull runs beside the messaging cycle; the
            // status bar's messaging state is not its.
            EngineEvent::FhirPullProgress { progress } => self.fhir_pulling = Some(progress.clone()),
            EngineEvent::FhirPullFinished { .. } => {
                self.fhir_pulling = None;
                self.fhir_error = None;
            }
            EngineEvent::FhirPullFailed { error } => {
                self.fhir_pulling = None;
                self.fhir_error = Some(error.clone());
            }
            EngineEvent::FhirWritesFinished { .. } | EngineEvent::CampaignProgress { .. } => {}
        }
    }
}

/// `sync://event`, as the UI's `platform/events.ts` reads it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(rename = "SyncEvent")]
pub enum UiSyncEvent {
    CycleStarted,
    CycleFinished {
        changed: bool,
        unread_total: i64,
        errors: Vec<String>,
    },
    Unavailable {
        error: String,
    },
    /// A FHIR roster pull read a page.
    FhirPullProgress {
        resource_type: String,
        pages: u32,
        patients_new: u32,
        patients_updated: u32,
    },
    /// A FHIR roster pull ended: `changed` when patients were added, updated or deactivated.
    FhirPulled {
        changed: bool,
        summary: String,
    },
    /// A FHIR roster pull could not run or stopped with an error.
    FhirPullFailed {
        error: String,
    },
    /// The FHIR write-back recorded texts and calls (or failed to): the
    /// threads' "recorded in FHIR" marks changed.
    FhirWritten {
        summary: String,
        failed: u32,
    },
    /// A campaign moved: texts queued, recipients skipped, its state.
    CampaignProgress {
        progress: caredesk_core::engine::campaign::CampaignProgress,
    },
}

impl UiSyncEvent {
    pub fn of(event: &EngineEvent, unread_total: i64) -> UiSyncEvent {
        match event {
            EngineEvent::CycleStarted => UiSyncEvent::CycleStarted,
            EngineEvent::CycleFinished { report } => {
                UiSyncEvent::CycleFinished { changed: report.changed(), unread_total, errors: report.errors.clone() }
            }
            EngineEvent::Unavailable { error } => UiSyncEvent::Unavailable { error: error.clone() },
            // Changes pulled from the team (or pushed) refresh the UI as a
            // cycle that changed something does.
            EngineEvent::Team { event } => UiSyncEvent::CycleFinished {
                changed: event.applied + event.pushed > 0,
                unread_total,
                errors: Vec::new(),
            },
            EngineEvent::FhirPullProgress { progress: p } => UiSyncEvent::FhirPullProgress {
                resource_type: p.resource_type.clone(),
                pages: p.pages as u32,
                patients_new: p.patients_new as u32,
                patients_updated: p.patients_updated as u32,
            },
            EngineEvent::FhirPullFinished { report } => {
                UiSyncEvent::FhirPulled { changed: report.changed(), summary: report.summary() }
            }
            EngineEvent::FhirPullFailed { error } => UiSyncEvent::FhirPullFailed { error: error.clone() },
            EngineEvent::FhirWritesFinished { report } => {
                UiSyncEvent::FhirWritten { summary: report.summary(), failed: report.failed as u32 }
            }
            EngineEvent::CampaignProgress { progress } => UiSyncEvent::CampaignProgress { progress: progress.clone() },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use caredesk_core::engine::CycleReport;

    #[test]
    fn tracks_cycles_and_serializes_as_the_ui_reads_it() {
        let mut t = SyncTracker::default();
        let now = Utc::now();
        t.record(&EngineEvent::CycleStarted, now);
        assert!(t.syncing);
        let report = CycleReport { errors: vec!["inbox: HTTP 503".into()], ..Default::default() };
        let finished = EngineEvent::CycleFinished { report: Box::new(report) };
        t.record(&finished, now);
        assert!(!t.syncing);
        assert_eq!((t.last_cycle_end, t.last_errors.len()), (Some(now), 1));
        assert_eq!(
            serde_json::to_value(UiSyncEvent::of(&finished, 4)).unwrap(),
            serde_json::json!({"kind": "cycle_finished", "changed": false, "unread_total": 4, "errors": ["inbox: HTTP 503"]})
        );
        assert_eq!(
            serde_json::to_value(UiSyncEvent::of(&EngineEvent::CycleStarted, 0)).unwrap(),
            serde_json::json!({"kind": "cycle_started"})
        );
        // A FHIR pull leaves the messaging state alone, and tells the UI whether patients changed.
        let report = caredesk_core::engine::fhir_sync::PullReport { patients_new: 2, ..Default::default() };
        let pulled = EngineEvent::FhirPullFinished { report: Box::new(report) };
        t.record(&pulled, now);
        assert_eq!(t.last_errors.len(), 1);
        assert_eq!((t.fhir_pulling.is_none(), t.fhir_error.is_none()), (true, true));
        t.record(&EngineEvent::FhirPullFailed { error: "FHIR server: HTTP 503".into() }, now);
        assert_eq!(t.fhir_error.as_deref(), Some("FHIR server: HTTP 503"));
        let ui = serde_json::to_value(UiSyncEvent::of(&pulled, 4)).unwrap();
        assert_eq!((ui["kind"].as_str(), ui["changed"].as_bool()), (Some("fhir_pulled"), Some(true)));
    }
}
