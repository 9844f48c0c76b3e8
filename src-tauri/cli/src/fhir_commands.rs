//! `caredesk fhir check|pull|status`: the clinic's FHIR server, from the
//! command line, through the same core as the app's engine.

use std::{
    io::IsTerminal,
    sync::{Arc, Mutex},
};

use caredesk_core::{
    desk::Desk,
    engine::fhir_sync::{self, PullOptions, PullProgress},
    gateways::fhir::capability::Part,
    rules::{error::CoreError, visible_text::visible},
};

use crate::{gateway_commands::runtime, output::line};

/// `fhir check [--json]`: `Ok(false)` when the roster cannot be pulled.
pub fn check(desk: Desk, json: bool) -> Result<bool, CoreError> {
    let desk = Mutex::new(desk);
    let check = runtime()?.block_on(fhir_sync::check(&desk))?;
    let ok = check.roster_ok();
    if json {
        line(serde_json::to_string_pretty(&serde_json::json!({ "ok": ok, "check": check })).expect("serializes"));
        return Ok(ok);
    }
    let what = [check.software.as_deref(), check.fhir_version.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", FHIR ");
    line(format!("Connected to {} ({})", check.base_url, if what.is_empty() { "no software named" } else { &what }));
    if let Some(total) = check.patients_total {
        line(format!("The server has {total} Patient(s)"));
    }
    for (part, title) in [
        (Part::Roster, "Roster pull (needed):"),
        (Part::RosterOptional, "Roster pull (helps):"),
        (Part::WriteBack, "Write-back of texts and calls:"),
    ] {
        line(title);
        for n in check.needs.iter().filter(|n| n.part == part) {
            line(format!("  {:<11} {}", n.supported.as_str(), n.what));
        }
    }
    for note in &check.notes {
        line(format!("note: {}", visible(note)));
    }
    line(if ok {
        "The roster can be pulled: caredesk fhir pull"
    } else {
        "The roster cannot be pulled from this server: it lacks an interaction marked no above"
    });
    Ok(ok)
}

/// `fhir pull [--full] [--json]`: the report on stdout; exit 1 when the
/// pull could not run, or stopped before the last page of a search.
pub fn pull(desk: Desk, full: bool, json: bool) -> Result<(), CoreError> {
    let desk = Arc::new(Mutex::new(desk));
    let client = fhir_sync::client_of(&desk.lock().expect("desk lock"))?;
    let show = std::io::stderr().is_terminal() || std::env::var_os("CAREDESK_PROGRESS").is_some();
    let mut progress = move |p: &PullProgress| {
        if show {
            eprintln!(
                "pulling {}: {} page(s), {} resource(s); patients {} new, {} updated",
                p.resource_type, p.pages, p.resources, p.patients_new, p.patients_updated
            );
        }
    };
    let report = runtime()?.block_on(fhir_sync::pull(&desk, &client, PullOptions { full }, &mut progress))?;
    // Stored what it read, but stopped before the end: said, and exit 1.
    let incomplete = || {
        Err(CoreError::Io(format!(
            "the pull stopped before the last page ({}); what it read is stored, and the next pull reads the rest again",
            report.notes.join("; ")
        )))
    };
    if json {
        line(serde_json::to_string_pretty(&report).expect("serializes"));
        return if report.complete { Ok(()) } else { incomplete() };
    }
    line(report.summary());
    line(format!(
        "roster from the FHIR server: {} active, {} inactive, {} deleted patient(s); {} current number(s)",
        report.roster.active, report.roster.inactive, report.roster.deleted, report.roster.current_numbers
    ));
    for p in &report.problems {
        line(format!("  problem: {}", visible(p)));
    }
    if report.problems_total > report.problems.len() {
        line(format!("  ... and {} more problem(s)", report.problems_total - report.problems.len()));
    }
    for n in &report.notes {
        line(format!("  note: {}", visible(n)));
    }
    if report.complete {
        Ok(())
    } else {
        incomplete()
    }
}

/// `fhir status [--json]`.
pub fn status(desk: &Desk, json: bool) -> Result<(), CoreError> {
    let s = fhir_sync::status(desk)?;
    if json {
        line(serde_json::to_string_pretty(&s).expect("serializes"));
        return Ok(());
    }
    line(format!("FHIR server: {}", s.base_url.as_deref().unwrap_or("not configured (set fhir.base_url)")));
    line(format!("last pull: {}", s.last_pull_at.as_deref().unwrap_or("never")));
    line(format!("last full pull: {}", s.last_full_pull_at.as_deref().unwrap_or("never")));
    if let Some(r) = &s.last_report {
        line(format!("  {}", r.summary()));
    }
    line(format!(
        "roster from the FHIR server: {} active, {} inactive, {} deleted patient(s); {} current number(s)",
        s.roster.active, s.roster.inactive, s.roster.deleted, s.roster.current_numbers
    ));
    let q = &s.write_queue;
    line(format!(
        "write-back queue: {} pending ({} waiting to retry), {} failed, {} written, {} skipped{}",
        q.pending,
        q.retrying,
        q.failed,
        q.written,
        q.skipped,
        if q.note.is_empty() { String::new() } else { format!(" ({})", q.note) }
    ));
    for f in &q.failures {
        line(format!("  {}", visible(f)));
    }
    Ok(())
}

/// `fhir retry`: failed writes are due again (the next `caredesk sync`, or
/// the app's engine, writes them).
pub fn retry(desk: &Desk) -> Result<(), CoreError> {
    let n = desk.db().retry_failed_fhir_writes(&caredesk_core::store::now_rfc3339())?;
    line(format!("{n} failed write(s) queued again; `caredesk sync --once` writes them"));
    Ok(())
}

/// The most rows one `caredesk sync` cycle writes.
const SYNC_WRITE_LIMIT: usize = 10_000;

/// One drain of the FHIR write queue for `caredesk sync`: `None` when the
/// FHIR link is off.
pub async fn drain_writes(desk: &Mutex<Desk>) -> Result<Option<fhir_sync::WriteReport>, CoreError> {
    let client = {
        let d = caredesk_core::desk::lock(desk)?;
        if !d.fhir_enabled()? {
            return Ok(None);
        }
        fhir_sync::client_of(&d)?
    };
    Ok(Some(fhir_sync::drain_writes(desk, &client, SYNC_WRITE_LIMIT).await?))
}
