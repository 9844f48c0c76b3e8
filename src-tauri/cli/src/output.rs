//! How results print: a table for people, `--json` for scripts.

use caredesk_core::{
    desk::{CredentialView, SettingView},
    records::import::ImportSummary,
    rules::visible_text::visible,
    store::{AuditEntry, AuditVerification},
    store::{PatientView, PhoneKind},
};

/// Writes a line to stdout; a closed pipe (`caredesk ... | head`) ends the
/// program quietly instead of panicking.
pub fn line(text: impl std::fmt::Display) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if let Err(e) = writeln!(out, "{text}") {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: cannot write to standard output: {e}");
        std::process::exit(1);
    }
}

fn print_json<T: serde::Serialize + ?Sized>(value: &T) {
    line(serde_json::to_string_pretty(value).expect("views always serialize"));
}

pub fn settings(list: &[SettingView], json: bool) {
    if json {
        return print_json(list);
    }
    for s in list {
        match (&s.value, &s.default) {
            (Some(v), _) => line(format!("{} = {}", s.key, visible(v))),
            (None, Some(d)) => line(format!("{} = {d} (default)", s.key)),
            (None, None) => line(format!("{} (not set)", s.key)),
        }
    }
}

pub fn credentials(list: &[CredentialView], json: bool) {
    if json {
        return print_json(list);
    }
    for c in list {
        line(format!("{:<18} {}", c.name.as_str(), if c.stored { "stored" } else { "not stored" }));
    }
}

pub fn import_summary(s: &ImportSummary, json: bool) {
    if json {
        return print_json(s);
    }
    line(format!("{} rows: {} created, {} updated, {} rejected", s.total_rows, s.created, s.updated, s.rejected.len()));
    for r in &s.rejected {
        line(format!("  row {}: {}", r.row, visible(&r.message)));
    }
}

pub fn patients(list: &[PatientView], json: bool) {
    if json {
        return print_json(list);
    }
    if list.is_empty() {
        line("no patients");
        return;
    }
    for p in list {
        let ecm = p.ecm_patient_id.map(|n| format!("ecm:{n}")).unwrap_or_else(|| "-".into());
        let standing = match p.fhir_status {
            Some(caredesk_core::store::FhirStatus::Inactive) => "  [inactive on the FHIR server: not texted]",
            Some(caredesk_core::store::FhirStatus::Deleted) => "  [deleted on the FHIR server: not texted]",
            _ => "",
        };
        line(format!("{:>6}  {:<10} {}{standing}", p.id, ecm, visible(&p.name)));
        for ph in &p.phones {
            let who = match ph.kind {
                PhoneKind::Patient => "patient".to_string(),
                PhoneKind::Contact => format!(
                    "{}{}",
                    ph.name.as_deref().unwrap_or("contact"),
                    ph.relationship.as_deref().map(|r| format!(" ({r})")).unwrap_or_default()
                ),
            };
            line(format!(
                "{:>6}  {:<10}   {} {}{}{}",
                "",
                "",
                visible(&ph.number),
                visible(&who),
                if ph.opted_out { "  [opted out]" } else { "" },
                if ph.active { "" } else { "  [no longer used]" }
            ));
        }
    }
}

/// One patient after `patients add` or `edit`: "added: " and the patient as
/// `patients list` shows them, or the patient as JSON.
pub fn patient(what: &str, p: &PatientView, json: bool) {
    if json {
        return print_json(p);
    }
    line(format!("{what}:"));
    patients(std::slice::from_ref(p), false);
}

pub fn audit(entries: &[AuditEntry], json: bool) {
    if json {
        return print_json(entries);
    }
    for e in entries {
        let patient = e.patient_id.map(|p| format!(" patient {p}")).unwrap_or_default();
        line(format!(
            "{}  {:<16} [{}] {:<20}{patient}  {}",
            e.at,
            visible(&e.actor),
            visible(&e.os_user),
            e.action,
            visible(&e.detail)
        ));
    }
}

pub fn audit_verification(report: &AuditVerification, json: bool) {
    if json {
        return print_json(report);
    }
    match &report.problem {
        None => line(format!("OK: {} audit entries, the chain is intact", report.entries)),
        Some(p) => line(format!("FAILED: {p} ({} entries checked)", report.entries)),
    }
}
