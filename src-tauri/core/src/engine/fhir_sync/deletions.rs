//! Deletions on the server, for a pull: after a complete full pull, the
//! resources the searches no longer found are read (410, or 404 with the
//! server's OperationOutcome: deleted); between full pulls, the types'
//! `_history` names them, when the server keeps one.

use std::{
    collections::{BTreeSet, HashSet},
    sync::Mutex,
};

use url::Url;

use super::{apply_all, audit, stamp, store_page, Start, Tally, MAX_PAGES};
use crate::{
    desk::{lock, Desk},
    engine::fhir_sync::plan,
    gateways::fhir::{
        page::{HistoryPage, PageEntry, SearchPage},
        FhirClient, FhirError, Read,
    },
    rules::error::Result,
    store::{self, fhir_roster::mark_fhir_deleted, FhirKind, StoreError},
};

/// Marks deleted (and makes their patients again) each `(kind, id)` the
/// server says is gone, in one transaction.
pub(super) fn store_deletions(
    desk: &Mutex<Desk>,
    kind: FhirKind,
    ids: &[String],
    start: &Start,
    report: &mut Tally,
) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let mut d = lock(desk)?;
    let signer = d.db().audit_signer()?;
    let tx = d.db_mut().conn_mut().transaction().map_err(StoreError::from)?;
    let now = store::now_rfc3339();
    let before_deleted = report.patients_deactivated;
    let before = (
        report.patients_new,
        report.patients_updated,
        report.patients_deactivated,
        report.numbers_added,
        report.numbers_removed,
    );
    let mut patients = BTreeSet::new();
    for id in ids {
        if let Some(patient) = mark_fhir_deleted(&tx, kind, id, &now)? {
            patients.insert(patient);
        }
    }
    apply_all(&tx, &patients, &now, report)?;
    if kind == FhirKind::Patient {
        report.patients_deleted += report.patients_deactivated - before_deleted;
    }
    let after = (
        report.patients_new,
        report.patients_updated,
        report.patients_deactivated,
        report.numbers_added,
        report.numbers_removed,
    );
    audit(&tx, &signer, &start.actor, &format!("{} deleted on the server", kind.as_str()), before, after)?;
    tx.commit().map_err(StoreError::from)?;
    Ok(())
}

/// After a complete full pull: each stored resource the searches no longer
/// found is read. Gone (410) or not found (404 with the server's
/// OperationOutcome): deleted. Still there (a server whose search leaves
/// some out): stored as read.
pub(super) async fn sweep(
    desk: &Mutex<Desk>,
    client: &FhirClient,
    kind: FhirKind,
    seen: &HashSet<String>,
    start: &Start,
    report: &mut Tally,
) -> Result<()> {
    let missing: Vec<String> =
        lock(desk)?.db().fhir_live_ids(kind)?.into_iter().filter(|id| !seen.contains(id)).collect();
    let mut deleted = Vec::new();
    for id in missing {
        match client.read(kind.as_str(), &id).await {
            Ok(Read::Gone) | Ok(Read::NotFound) => deleted.push(id),
            Ok(Read::Found(resource)) => {
                let page = SearchPage {
                    entries: vec![PageEntry {
                        index: 0,
                        resource_type: kind.as_str().to_string(),
                        id: id.clone(),
                        included: false,
                        resource,
                    }],
                    ..SearchPage::default()
                };
                let mut ignored = HashSet::new();
                store_page(desk, kind, &page, start, report, &mut ignored)?;
                report.pages -= 1;
            }
            Err(e) => {
                report.problem(format!("{}/{id}: not found by the search, and reading it failed: {e}", kind.as_str()))
            }
        }
    }
    store_deletions(desk, kind, &deleted, start, report)
}

/// Between full pulls: the type's history since `since` names what was
/// deleted (newest first; an id counts as deleted when its newest entry is
/// a deletion). A server without history says so once in the notes; the
/// next full pull finds the deletions instead.
pub(super) async fn deletions_since(
    desk: &Mutex<Desk>,
    client: &FhirClient,
    kind: FhirKind,
    since: chrono::DateTime<chrono::Utc>,
    start: &Start,
    report: &mut Tally,
) -> Result<()> {
    // A history that cannot be read fails nothing: the searches are stored,
    // and the next full pull finds the deletions.
    let unavailable = |report: &mut Tally, e: &FhirError| {
        report.notes.push(format!(
            "{} history could not be read ({}); deletions are found by the next full pull",
            kind.as_str(),
            e.code()
        ));
    };
    let mut page: HistoryPage = match client.history(kind.as_str(), &stamp(since), start.page_size).await {
        Ok(p) => p,
        Err(e) => {
            unavailable(report, &e);
            return Ok(());
        }
    };
    let mut newest_seen: HashSet<String> = HashSet::new();
    let mut deleted = Vec::new();
    let mut followed: HashSet<Url> = HashSet::new();
    loop {
        let mut older = false;
        for entry in page.entries.iter().filter(|e| e.resource_type == kind.as_str()) {
            if entry.at.as_deref().and_then(plan::instant).is_some_and(|at| at < since) {
                older = true;
                continue;
            }
            if newest_seen.insert(entry.id.clone()) && entry.deleted {
                deleted.push(entry.id.clone());
            }
        }
        // Newest first: a page reaching before `since` ends the walk (some
        // servers' history links drop `_since`).
        let Some(next) = page.next.take().filter(|_| !older) else { break };
        if !followed.insert(next.clone()) || followed.len() >= MAX_PAGES {
            break;
        }
        page = match client.next_history_page(&next).await {
            Ok(p) => p,
            Err(e) => {
                // The deletions found so far are real; the rest waits.
                unavailable(report, &e);
                break;
            }
        };
    }
    store_deletions(desk, kind, &deleted, start, report)
}
