//! One pull, executed: the searches page by page, each page planned and
//! stored in its own transaction (with its audit entry, counts only), then
//! the deletions ([`deletions`]), then the cursors, which move only when
//! every page of their search was read.

use std::{
    collections::{BTreeSet, HashSet},
    sync::Mutex,
    time::Instant,
};

use url::Url;

use super::{keys, overlap, plan, PullOptions, PullProgress, PullReport};
use crate::{
    desk::{lock, Desk},
    gateways::fhir::{page::SearchPage, FhirClient, FhirError, FhirRefusal},
    rules::{error::Result, fhir::roster::RosterOptions},
    store::{
        self,
        fhir_roster::{apply_fhir_patient, clear_fhir_cursors, put_fhir_record, set_fhir_sync_value},
        FhirKind, FhirRecord, ImportRun, PatientApply, StoreError,
    },
};

#[path = "deletions.rs"]
mod deletions;
use deletions::{deletions_since, sweep};

/// The most pages one search is followed for: a server whose `next` links
/// never end is stopped here.
const MAX_PAGES: usize = 100_000;

/// The report being made, and the patients this pull created: a later page
/// that changes one (its RelatedPerson) does not count it as updated too.
struct Tally {
    report: PullReport,
    created: BTreeSet<i64>,
}

impl std::ops::Deref for Tally {
    type Target = PullReport;
    fn deref(&self) -> &PullReport {
        &self.report
    }
}

impl std::ops::DerefMut for Tally {
    fn deref_mut(&mut self) -> &mut PullReport {
        &mut self.report
    }
}

/// What the pull reads from the desk before it starts.
struct Start {
    options: RosterOptions,
    page_size: u32,
    full: bool,
    cursors: [Option<String>; 2],
    actor: String,
}

/// Pulls the roster from the FHIR server `client` into `desk`: every page,
/// then deletions, then the cursors. `progress` hears each page. The desk
/// is locked only to plan and store a page (never across a request).
pub async fn pull(
    desk: &Mutex<Desk>,
    client: &FhirClient,
    options: PullOptions,
    progress: &mut (dyn FnMut(&PullProgress) + Send),
) -> Result<PullReport> {
    let started = Instant::now();
    let start = prepare(desk, client, options)?;
    let mut report = Tally {
        report: PullReport {
            full: start.full,
            complete: true,
            started_at: store::now_rfc3339(),
            ..PullReport::default()
        },
        created: BTreeSet::new(),
    };
    let mut cursors: [Option<String>; 2] = [None, None];
    let mut seen: [HashSet<String>; 2] = [HashSet::new(), HashSet::new()];
    for (i, kind) in [FhirKind::Patient, FhirKind::RelatedPerson].into_iter().enumerate() {
        let since = if start.full { None } else { start.cursors[i].as_deref().and_then(plan::instant) };
        match search_all(desk, client, kind, since, &start, &mut report, &mut seen[i], progress).await {
            Ok(Some(newest)) => cursors[i] = Some(newest),
            Ok(None) => report.complete = false,
            Err(e) if report.pages == 0 => return Err(e),
            Err(e) => {
                report.complete = false;
                report.notes.push(format!("the {} search stopped: {e}", kind.as_str()));
            }
        }
    }
    if report.complete {
        if start.full {
            for (i, kind) in [FhirKind::Patient, FhirKind::RelatedPerson].into_iter().enumerate() {
                sweep(desk, client, kind, &seen[i], &start, &mut report).await?;
            }
        } else {
            for (i, kind) in [FhirKind::Patient, FhirKind::RelatedPerson].into_iter().enumerate() {
                if let Some(since) = start.cursors[i].as_deref().and_then(plan::instant) {
                    deletions_since(desk, client, kind, since - overlap(), &start, &mut report).await?;
                }
            }
        }
    }
    report.elapsed_ms = started.elapsed().as_millis() as u64;
    finish(desk, &start, &cursors, &mut report)?;
    tracing::info!(
        full = report.full,
        complete = report.complete,
        pages = report.pages,
        new = report.patients_new,
        updated = report.patients_updated,
        deactivated = report.patients_deactivated,
        problems = report.problems_total,
        elapsed_ms = report.elapsed_ms,
        "FHIR roster pull done"
    );
    Ok(report.report)
}

/// Reads the settings and the pull's state; a pull from another server
/// than the last one starts afresh (full, no cursors).
fn prepare(desk: &Mutex<Desk>, client: &FhirClient, options: PullOptions) -> Result<Start> {
    let mut d = lock(desk)?;
    let base = client.base_url().to_string();
    let last_base = d.db().fhir_sync_value(keys::BASE_URL)?;
    let mut full = options.full;
    if last_base.as_deref() != Some(base.as_str()) {
        let tx = d.db_mut().conn_mut().transaction().map_err(StoreError::from)?;
        clear_fhir_cursors(&tx)?;
        set_fhir_sync_value(&tx, keys::BASE_URL, &base)?;
        tx.commit().map_err(StoreError::from)?;
        full = true;
    }
    let cursors =
        [d.db().fhir_sync_value(&keys::cursor("Patient"))?, d.db().fhir_sync_value(&keys::cursor("RelatedPerson"))?];
    if cursors.iter().any(Option::is_none) {
        full = true;
    }
    Ok(Start { options: d.roster_options()?, page_size: d.fhir_page_size()?, full, cursors, actor: d.actor() })
}

/// Every page of one search, stored as it comes. `Ok(Some(cursor))` when
/// the last page was read: the newest `lastUpdated` seen (or the time the
/// search asked from, when nothing was newer), never past the server's own
/// clock; `Ok(None)` when paging stopped early.
#[allow(clippy::too_many_arguments)]
async fn search_all(
    desk: &Mutex<Desk>,
    client: &FhirClient,
    kind: FhirKind,
    since: Option<chrono::DateTime<chrono::Utc>>,
    start: &Start,
    report: &mut Tally,
    seen: &mut HashSet<String>,
    progress: &mut (dyn FnMut(&PullProgress) + Send),
) -> Result<Option<String>> {
    let mut params = vec![("_count", start.page_size.to_string()), ("_sort", "_lastUpdated".to_string())];
    if let Some(since) = since {
        params.push(("_lastUpdated", format!("gt{}", stamp(since - overlap()))));
    }
    let mut page = match client.search(kind.as_str(), &params).await {
        // A server that cannot sort by _lastUpdated: the same search unsorted.
        Err(FhirError::Refused(FhirRefusal::Outcome { status: 400, issues })) if issues.contains("_sort") => {
            report.notes.push(format!("the server refused _sort=_lastUpdated for {}; read unsorted", kind.as_str()));
            params.retain(|(k, _)| *k != "_sort");
            client.search(kind.as_str(), &params).await?
        }
        other => other?,
    };
    let mut newest = since;
    let mut server_now = page.server_date;
    let mut followed: HashSet<Url> = HashSet::new();
    let mut pages = 0usize;
    loop {
        pages += 1;
        let page_newest = store_page(desk, kind, &page, start, report, seen)?;
        newest = match (newest, page_newest) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        server_now = page.server_date.or(server_now);
        progress(&PullProgress {
            resource_type: kind.as_str().to_string(),
            pages: report.pages,
            resources: report.resources,
            patients_new: report.patients_new,
            patients_updated: report.patients_updated,
        });
        if let Some(why) = page.next_problem.take() {
            report.notes.push(format!("{} page {pages}: {why}; paging stopped there", kind.as_str()));
            return Ok(None);
        }
        let Some(next) = page.next.take() else { break };
        if !followed.insert(next.clone()) || pages >= MAX_PAGES {
            report
                .notes
                .push(format!("{}: the server's next links went round in a circle; paging stopped", kind.as_str()));
            return Ok(None);
        }
        page = client.next_page(&next).await?;
    }
    // A lastUpdated in the future (a bad clock on the server's side) must
    // not carry the cursor past what later changes will be stamped with.
    // (The Date header counts whole seconds.)
    let cursor = match (newest, server_now) {
        (Some(n), Some(now)) => Some(n.min(now + chrono::Duration::seconds(1))),
        (n, _) => n,
    };
    Ok(Some(cursor.map(stamp).unwrap_or_else(|| "1900-01-01T00:00:00.000Z".to_string())))
}

/// An instant as CareDesk writes it to the server: UTC, milliseconds.
fn stamp(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Plans and stores one page in one transaction; returns its newest `lastUpdated`.
fn store_page(
    desk: &Mutex<Desk>,
    kind: FhirKind,
    page: &SearchPage,
    start: &Start,
    report: &mut Tally,
    seen: &mut HashSet<String>,
) -> Result<Option<chrono::DateTime<chrono::Utc>>> {
    report.pages += 1;
    let entries: Vec<_> = page.entries.iter().filter(|e| e.resource_type == kind.as_str()).collect();
    report.resources += entries.len();
    let page_number = report.pages;
    for p in &page.problems {
        report.problem(format!("{} page {page_number}: {p}; skipped", kind.as_str()));
    }
    for w in &page.warnings {
        report.notes.push(format!("the server warned: {w}"));
    }
    seen.extend(entries.iter().map(|e| e.id.clone()));
    let mut d = lock(desk)?;
    let ids: Vec<&str> = entries.iter().map(|e| e.id.as_str()).collect();
    let stored = d.db().fhir_versions(kind, &ids)?;
    let owned: Vec<_> = entries.into_iter().cloned().collect();
    let plan = plan::plan_page(kind, &owned, &stored, &start.options);
    report.unchanged += plan.unchanged;
    for p in plan.problems.iter().cloned() {
        report.problem(p);
    }
    if plan.puts.is_empty() {
        return Ok(plan.newest);
    }
    let detail_of =
        |r: &Tally| (r.patients_new, r.patients_updated, r.patients_deactivated, r.numbers_added, r.numbers_removed);
    let before = detail_of(report);
    let signer = d.db().audit_signer()?;
    let tx = d.db_mut().conn_mut().transaction().map_err(StoreError::from)?;
    let now = store::now_rfc3339();
    for put in &plan.puts {
        put_fhir_record(&tx, &put.id, &put.version, put.last_updated.as_deref(), &put.record, &now)?;
        if matches!(put.record, FhirRecord::RelatedPerson(_)) {
            report.related_persons_stored += 1;
        }
    }
    apply_all(&tx, &plan.patients, &now, report)?;
    audit(&tx, &signer, &start.actor, &format!("{} page {}", kind.as_str(), report.pages), before, detail_of(report))?;
    tx.commit().map_err(StoreError::from)?;
    Ok(plan.newest)
}

/// Makes each patient again, counting into `report`.
fn apply_all(tx: &rusqlite::Transaction<'_>, patients: &BTreeSet<String>, now: &str, report: &mut Tally) -> Result<()> {
    for fhir_id in patients {
        let applied = apply_fhir_patient(tx, fhir_id, &ImportRun::new(), now)?;
        count(&applied, fhir_id, report);
    }
    Ok(())
}

fn count(a: &PatientApply, fhir_id: &str, report: &mut Tally) {
    let created_earlier = a.patient_id.is_some_and(|id| report.created.contains(&id));
    if a.created {
        report.patients_new += 1;
        report.created.extend(a.patient_id);
    } else if a.changed && !created_earlier {
        report.patients_updated += 1;
    }
    report.patients_deactivated += usize::from(a.deactivated);
    report.patients_reactivated += usize::from(a.reactivated);
    report.numbers_added += a.numbers_added;
    report.numbers_removed += a.numbers_removed;
    if let Some(p) = &a.problem {
        report.problem(format!("Patient/{fhir_id}: {p}"));
    }
}

/// The audit entry of a stored page or of deletions: counts only, and only
/// when the roster changed.
fn audit(
    tx: &rusqlite::Transaction<'_>,
    signer: &store::AuditSigner,
    actor: &str,
    what: &str,
    before: (usize, usize, usize, usize, usize),
    after: (usize, usize, usize, usize, usize),
) -> Result<()> {
    let (new, updated, deactivated, added, removed) =
        (after.0 - before.0, after.1 - before.1, after.2 - before.2, after.3 - before.3, after.4 - before.4);
    if new + updated + deactivated + added + removed == 0 {
        return Ok(());
    }
    let detail = format!(
        "{what}: {new} new, {updated} updated, {deactivated} deactivated; numbers {added} added, {removed} no longer used"
    );
    let entry = store::NewAuditEntry { actor, action: "fhir.pull", patient_id: None, detail: &detail };
    store::audit_chain::append(tx, signer, &entry)?;
    Ok(())
}

/// The pull's end: the cursors of the searches read to the end, the last
/// pull (and the last full one), the report.
fn finish(desk: &Mutex<Desk>, start: &Start, cursors: &[Option<String>; 2], report: &mut Tally) -> Result<()> {
    let mut d = lock(desk)?;
    report.roster = d.db().fhir_roster_counts()?;
    let tx = d.db_mut().conn_mut().transaction().map_err(StoreError::from)?;
    for (i, kind) in [FhirKind::Patient, FhirKind::RelatedPerson].into_iter().enumerate() {
        if let Some(c) = &cursors[i] {
            set_fhir_sync_value(&tx, &keys::cursor(kind.as_str()), c)?;
        }
    }
    let now = store::now_rfc3339();
    set_fhir_sync_value(&tx, keys::LAST_PULL, &now)?;
    if start.full && report.complete {
        set_fhir_sync_value(&tx, keys::LAST_FULL_PULL, &now)?;
    }
    let json = serde_json::to_string(&report.report).map_err(|e| StoreError::Io(e.to_string()))?;
    set_fhir_sync_value(&tx, keys::LAST_REPORT, &json)?;
    tx.commit().map_err(StoreError::from)?;
    Ok(())
}
