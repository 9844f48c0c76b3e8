//! Reads that disclose PHI, audited in the core so the app and the CLI both
//! record them: opening a patient's thread (`patient.view`, with the
//! patient), an unknown number's texts (`unmatched.view`, the number
//! redacted), a search of the roster (`patients.search`, with how many
//! patients it found and never what was searched for), and a search inside
//! one thread (`thread.search`, with the patient and how many texts it
//! found, never the text). Exports are audited where they are written
//! (`desk.rs`).
//!
//! Views are not flooded: a view of the same patient (or number), or the
//! same search again, by the same actor within [`VIEW_COALESCE`] of the last
//! one recorded by this process adds no entry. Scrolling a thread page by
//! page, the app refreshing an open thread or a search's results, is one
//! view. (The search text is kept in memory for this only, never stored.)

use std::time::{Duration, Instant};

use crate::{
    desk::Desk,
    rules::error::Result,
    rules::redact,
    store::team::listing::ThreadFilter,
    store::{thread_search, PageCursor, PatientView, ThreadItem, ThreadListing, ThreadPage, ThreadSearch},
};

/// Views of one subject by one actor closer together than this are one.
pub const VIEW_COALESCE: Duration = Duration::from_secs(60);

/// What was viewed, for coalescing.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Viewed {
    Patient(i64),
    Unmatched(String),
    Search(String),
    /// A search inside one patient's thread, by the folded search text.
    ThreadSearch(i64, String),
}

/// The last recorded view of each (actor, subject) in this process.
#[derive(Debug, Default)]
pub(crate) struct RecentViews(std::sync::Mutex<std::collections::HashMap<(String, Viewed), Instant>>);

impl RecentViews {
    /// Whether a view now needs an entry; remembers it if so.
    fn record(&self, actor: &str, what: &Viewed, now: Instant) -> bool {
        let Ok(mut seen) = self.0.lock() else { return true };
        let key = (actor.to_string(), what.clone());
        if seen.get(&key).is_some_and(|last| now.duration_since(*last) < VIEW_COALESCE) {
            return false;
        }
        seen.retain(|_, last| now.duration_since(*last) < VIEW_COALESCE);
        seen.insert(key, now);
        true
    }

    fn forget(&self, actor: &str, what: &Viewed) {
        if let Ok(mut seen) = self.0.lock() {
            seen.remove(&(actor.to_string(), what.clone()));
        }
    }
}

impl Desk {
    /// A page of a patient's thread (the newest when `before` is `None`).
    /// Audited as `patient.view`.
    pub fn view_thread_page(&self, patient_id: i64, before: Option<&PageCursor>, limit: usize) -> Result<ThreadPage> {
        let page = self.db().thread_page(patient_id, before, limit)?;
        self.audit_view(&Viewed::Patient(patient_id), "patient.view", Some(patient_id), "thread opened")?;
        Ok(page)
    }

    /// A patient's newest `limit` items (the CLI's `thread`). Audited as
    /// `patient.view`.
    pub fn view_thread(&self, patient_id: i64, limit: usize) -> Result<Vec<ThreadItem>> {
        Ok(self.view_thread_page(patient_id, None, limit)?.items)
    }

    /// A patient's internal notes (team mode). Audited as `patient.view`,
    /// as one view with the thread.
    pub fn view_notes(&self, patient_id: i64) -> Result<Vec<crate::store::team::Note>> {
        let notes = self.db().team_notes(patient_id)?;
        self.audit_view(&Viewed::Patient(patient_id), "patient.view", Some(patient_id), "notes read")?;
        Ok(notes)
    }

    /// What an unknown number wrote. Audited as `unmatched.view`.
    pub fn view_unmatched_thread(&self, number: &str, limit: usize) -> Result<Vec<ThreadItem>> {
        let items = self.db().unmatched_thread(number, limit)?;
        let detail = format!("unmatched number {} opened", redact::phone(number));
        self.audit_view(&Viewed::Unmatched(number.to_string()), "unmatched.view", None, &detail)?;
        Ok(items)
    }

    /// The patient column, narrowed by `query` when it is not empty: a
    /// search, audited as `patients.search` with the count only.
    pub fn search_threads(&self, query: &str, limit: usize) -> Result<ThreadListing> {
        self.search_threads_in(query, limit, &ThreadFilter::default())
    }

    /// [`Self::search_threads`] under the team's filters (assigned to me,
    /// unassigned, open, closed); a desk alone has none.
    pub fn search_threads_in(&self, query: &str, limit: usize, filter: &ThreadFilter) -> Result<ThreadListing> {
        let listing = self.db().thread_listing_in(query, limit, filter)?;
        self.audit_search(query, listing.patients.len(), listing.has_more)?;
        Ok(listing)
    }

    /// Patients matching `query` (all when it is empty). A search is
    /// audited as `patients.search` with the count only.
    pub fn patients(&self, query: &str, limit: usize) -> Result<Vec<PatientView>> {
        let found = self.db().search_patients(query, limit)?;
        self.audit_search(query, found.len(), false)?;
        Ok(found)
    }

    /// The texts of a patient's thread that contain `query`, case and
    /// accents aside, newest first over the whole thread. Audited as
    /// `thread.search` with the patient and the count only.
    pub fn search_thread(&self, patient_id: i64, query: &str, limit: usize) -> Result<ThreadSearch> {
        let found = self.db().search_thread(patient_id, query, limit)?;
        let folded = thread_search::fold(query);
        if folded.trim().is_empty() {
            return Ok(found);
        }
        let detail = format!("{}{} texts found", found.hits.len(), if found.more { "+" } else { "" });
        self.audit_view(&Viewed::ThreadSearch(patient_id, folded), "thread.search", Some(patient_id), &detail)?;
        Ok(found)
    }

    fn audit_search(&self, query: &str, found: usize, more: bool) -> Result<()> {
        if query.trim().is_empty() {
            return Ok(());
        }
        let detail = format!("{found}{} patients found", if more { "+" } else { "" });
        self.audit_view(&Viewed::Search(query.trim().to_lowercase()), "patients.search", None, &detail)
    }

    fn audit_view(&self, what: &Viewed, action: &str, patient_id: Option<i64>, detail: &str) -> Result<()> {
        let actor = self.actor();
        if !self.recent_views().record(&actor, what, Instant::now()) {
            return Ok(());
        }
        if let Err(e) = self.db().audit(&actor, action, patient_id, detail) {
            self.recent_views().forget(&actor, what);
            return Err(e.into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn views_of_one_subject_by_one_actor_within_a_minute_are_one() {
        let views = RecentViews::default();
        let t0 = Instant::now();
        let p = Viewed::Patient(7);
        assert!(views.record("ana", &p, t0));
        assert!(!views.record("ana", &p, t0 + Duration::from_secs(59)));
        assert!(views.record("bo", &p, t0 + Duration::from_secs(1)), "another actor");
        assert!(views.record("ana", &Viewed::Patient(8), t0), "another patient");
        assert!(views.record("ana", &p, t0 + Duration::from_secs(61)));
    }
}

#[cfg(test)]
mod desk_tests {
    use crate::{
        desk::secrets,
        desk::{Desk, DeskOptions, KeyringChoice},
    };

    fn desk_with_patients(dir: &std::path::Path) -> Desk {
        let mut desk = Desk::open(DeskOptions {
            data_dir: Some(dir.to_path_buf()),
            keyring: KeyringChoice::Given(secrets::memory_store()),
        })
        .unwrap();
        let csv =
            "ecm_patient_id,name,phone\n9101,Zebulon Quixotic,+18055550142\n9102,Ximena Farnsworth,+14155550177\n";
        let summary = desk.import_patients("r.csv", csv, &mut |_| {}).unwrap();
        assert_eq!(summary.created, 2, "{summary:?}");
        desk.set_setting("user.name", "Dana").unwrap();
        desk
    }

    fn entries(desk: &Desk, action: &str) -> Vec<crate::store::AuditEntry> {
        desk.db().audit_entries(100).unwrap().into_iter().filter(|e| e.action == action).collect()
    }

    #[test]
    fn opening_a_thread_records_who_viewed_which_patient_once_a_minute() {
        let dir = tempfile::tempdir().unwrap();
        let desk = desk_with_patients(dir.path());
        let zeb = desk.patient("1").unwrap().id;
        desk.view_thread_page(zeb, None, 50).unwrap();
        desk.view_thread_page(zeb, None, 50).unwrap();
        desk.view_thread(zeb, 10).unwrap();
        let views = entries(&desk, "patient.view");
        assert_eq!(views.len(), 1, "coalesced: {views:?}");
        assert_eq!((views[0].actor.as_str(), views[0].patient_id), ("Dana", Some(zeb)));
        assert_eq!(views[0].os_user, crate::rules::config::os_user_name());
        desk.view_unmatched_thread("+16175550123", 10).unwrap();
        let unmatched = entries(&desk, "unmatched.view");
        assert_eq!(unmatched.len(), 1);
        assert!(!unmatched[0].detail.contains("5550123"), "the number is redacted: {}", unmatched[0].detail);
    }

    #[test]
    fn a_search_records_the_count_and_never_the_text() {
        let dir = tempfile::tempdir().unwrap();
        let desk = desk_with_patients(dir.path());
        assert_eq!(desk.search_threads("Zebulon", 100).unwrap().patients.len(), 1);
        assert_eq!(desk.patients("Ximena", 100).unwrap().len(), 1);
        desk.search_threads("Zebulon", 200).unwrap();
        desk.search_threads("", 100).unwrap();
        desk.patients("", 100).unwrap();
        let searches = entries(&desk, "patients.search");
        let details: Vec<&str> = searches.iter().map(|e| e.detail.as_str()).collect();
        assert_eq!(details, ["1 patients found", "1 patients found"], "the column unsearched is no search");
        let all = desk.db().audit_entries(100).unwrap();
        assert!(all.iter().all(|e| !e.detail.contains("Zebulon") && !e.detail.contains("Ximena")), "{all:?}");
    }

    #[test]
    fn a_thread_search_records_the_patient_and_count_never_the_text() {
        let dir = tempfile::tempdir().unwrap();
        let desk = desk_with_patients(dir.path());
        let zeb = desk.patient("1").unwrap().id;
        desk.db()
            .conn()
            .execute(
                "INSERT INTO messages (patient_id, direction, route, from_number, to_number, body, state, created_at,
                    updated_at) VALUES (?1, 'inbound', 'his', '+18055550142', 'CLINIC', 'Pharmacy at Quixotic Plaza',
                    'received', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
                [zeb],
            )
            .unwrap();
        assert_eq!(desk.search_thread(zeb, "plaza", 50).unwrap().hits.len(), 1);
        desk.search_thread(zeb, "PLAZA", 50).unwrap();
        desk.search_thread(zeb, "  ", 50).unwrap();
        desk.search_thread(zeb, "quixotic pharmacy", 50).unwrap();
        let searches = entries(&desk, "thread.search");
        let details: Vec<(&str, Option<i64>)> = searches.iter().map(|e| (e.detail.as_str(), e.patient_id)).collect();
        assert_eq!(
            details,
            [("1 texts found", Some(zeb)), ("0 texts found", Some(zeb))],
            "the same search again is one; a blank one is none"
        );
        let all = desk.db().audit_entries(100).unwrap();
        assert!(all.iter().all(|e| !e.detail.to_lowercase().contains("plaza")), "{all:?}");
    }

    #[test]
    fn every_export_is_audited() {
        let dir = tempfile::tempdir().unwrap();
        let desk = desk_with_patients(dir.path());
        desk.set_setting("export.dir", dir.path().join("out").to_str().unwrap()).unwrap();
        std::fs::create_dir_all(dir.path().join("out")).unwrap();
        desk.export_activities(None, None).unwrap();
        desk.export_activities_csv(&Default::default(), None).unwrap();
        desk.export_fhir(None).unwrap();
        let exports: Vec<String> = desk
            .db()
            .audit_entries(100)
            .unwrap()
            .into_iter()
            .filter(|e| e.action.starts_with("export."))
            .map(|e| e.action)
            .collect();
        assert_eq!(exports, ["export.activities", "export.activities", "export.fhir"]);
    }
}
