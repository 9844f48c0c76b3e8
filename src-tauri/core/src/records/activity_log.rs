//! The activity log staff review: activities and events filtered by clinic
//! day, type and patient, counted per clinic day (`clinic.time_zone`) for
//! the chart, and written as CSV for PRTF reporting.

use std::{collections::BTreeMap, path::Path};

use std::path::PathBuf;

use crate::desk::Desk;
use crate::rules::error::Result;
use crate::{
    records::export::{activities_csv, ActivityFilter, ActivityRow},
    rules::error::CoreError,
    store::Database,
};

/// Messages and calls on one clinic day.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct DayCount {
    /// YYYY-MM-DD
    pub day: String,
    pub sms: i64,
    pub calls: i64,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, ts_rs::TS)]
pub struct ActivityLog {
    pub rows: Vec<ActivityRow>,
    pub per_day: Vec<DayCount>,
    /// The clinic's zone the days are taken in (IANA name).
    pub time_zone: String,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct ExportResult {
    pub path: String,
    pub rows: usize,
}

/// Checks the dates and the type of a filter.
pub fn check_filter(filter: &ActivityFilter) -> Result<(), CoreError> {
    for d in [&filter.from, &filter.to].into_iter().flatten() {
        if chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_err() {
            return Err(CoreError::InvalidMessage(format!("{d:?} is not a date like 2026-11-21")));
        }
    }
    if let (Some(from), Some(to)) = (&filter.from, &filter.to) {
        if from > to {
            return Err(CoreError::InvalidMessage(format!("the range starts ({from}) after it ends ({to})")));
        }
    }
    match filter.activity_type.as_deref() {
        None | Some("sms") | Some("call") => Ok(()),
        Some(other) => Err(CoreError::InvalidMessage(format!("{other:?} is not an activity type (sms or call)"))),
    }
}

/// Per-day counts of `rows`, oldest day first, days without activity left out.
pub fn per_day(rows: &[ActivityRow]) -> Vec<DayCount> {
    let mut days: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for r in rows {
        let Some(day) = r.clinic_day.as_deref() else { continue };
        let entry = days.entry(day.to_string()).or_default();
        if r.activity_type == "call" {
            entry.1 += 1;
        } else {
            entry.0 += 1;
        }
    }
    days.into_iter().map(|(day, (sms, calls))| DayCount { day, sms, calls }).collect()
}

/// The log for `filter`.
pub fn activity_log(db: &Database, filter: &ActivityFilter) -> Result<ActivityLog, CoreError> {
    check_filter(filter)?;
    let zone = crate::rules::clinic_zone::zone(db.setting(crate::rules::clinic_zone::SETTING)?.as_deref());
    let rows = crate::records::activity_rows::activities(db, filter, zone)?;
    let per_day = per_day(&rows);
    Ok(ActivityLog { rows, per_day, time_zone: zone.name().to_string() })
}

/// Why an export needs to be told where to go: no `export.dir` and no file
/// chosen (the app then asks with a Save dialog; nothing falls back to a
/// folder nobody chose).
pub const NO_EXPORT_PLACE: &str =
    "no export folder is set (export.dir): choose where to save the file, or set export.dir in Settings";

/// Writes `rows` as CSV to the new file `path` (0600, never over a file).
pub fn write_csv_to(path: &Path, rows: &[ActivityRow]) -> Result<ExportResult, CoreError> {
    crate::records::export_file::write_export(path, activities_csv(rows).as_bytes())?;
    Ok(ExportResult { path: path.display().to_string(), rows: rows.len() })
}

/// Writes `rows` as CSV into `dir` under a new timestamped name (see
/// [`crate::records::export_file::write_new_private`]: 0600, never over a file).
pub fn write_csv(
    dir: &Path,
    rows: &[ActivityRow],
    now: chrono::DateTime<chrono::Utc>,
) -> Result<ExportResult, CoreError> {
    let stem = format!("caredesk-activities-{}", now.format("%Y%m%d-%H%M%S"));
    let csv = activities_csv(rows);
    for n in 1..1000 {
        let name = if n == 1 { format!("{stem}.csv") } else { format!("{stem}-{n}.csv") };
        let path = dir.join(name);
        match crate::records::export_file::write_new_private(&path, csv.as_bytes()) {
            Ok(()) => return Ok(ExportResult { path: path.display().to_string(), rows: rows.len() }),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(CoreError::Io(format!("cannot write {}: {e}", path.display()))),
        }
    }
    Err(CoreError::Io(format!("cannot find a free name for {stem}.csv in {}", dir.display())))
}

// The desk's activity log and its exports.
impl Desk {
    /// Activities and events for PRTF reporting, between two `YYYY-MM-DD`
    /// dates (inclusive). Audited.
    pub fn export_activities(
        &self,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<Vec<crate::records::export::ActivityRow>> {
        let filter = ActivityFilter { from: from.map(Into::into), to: to.map(Into::into), ..Default::default() };
        crate::records::activity_log::check_filter(&filter)?;
        let rows = crate::records::export::activities(self.db(), &filter)?;
        let detail = format!("activities {}..{}: {} rows", from.unwrap_or("start"), to.unwrap_or("now"), rows.len());
        self.db().audit(&self.actor(), "export.activities", None, &detail)?;
        Ok(rows)
    }

    /// The activity log for `filter`, with per-day counts.
    pub fn activity_log(&self, filter: &ActivityFilter) -> Result<ActivityLog> {
        crate::records::activity_log::activity_log(self.db(), filter)
    }

    /// Writes the activity log for `filter` as CSV: to the new file `path`
    /// when one was chosen (the app's Save dialog), else into the export
    /// folder `export.dir`; with neither, nothing is written. Audited.
    pub fn export_activities_csv(&self, filter: &ActivityFilter, path: Option<&Path>) -> Result<ExportResult> {
        crate::records::activity_log::check_filter(filter)?;
        let dir = match (path, self.setting("export.dir")?) {
            (Some(p), _) if !p.is_absolute() => {
                return Err(CoreError::Io(format!("{}: {}", p.display(), crate::records::export_file::RELATIVE)))
            }
            (Some(_), _) => None,
            (None, Some(dir)) => Some(crate::records::export_file::export_dir(Some(dir), PathBuf::new())?),
            (None, None) => {
                return Err(CoreError::InvalidMessage(crate::records::activity_log::NO_EXPORT_PLACE.into()))
            }
        };
        let rows = crate::records::export::activities(self.db(), filter)?;
        // The entry commits only once the file is written, and the file is
        // written only inside the entry's transaction: no export unaudited.
        self.db().atomically(|c| {
            let result = match (&dir, path) {
                (Some(dir), _) => crate::records::activity_log::write_csv(dir, &rows, chrono::Utc::now())?,
                (None, Some(p)) => crate::records::activity_log::write_csv_to(p, &rows)?,
                (None, None) => {
                    return Err(CoreError::InvalidMessage(crate::records::activity_log::NO_EXPORT_PLACE.into()))
                }
            };
            let detail = format!("activities CSV: {} rows to {}", result.rows, result.path);
            self.db().audit_on(c, &self.actor(), "export.activities", filter.patient_id, &detail)?;
            Ok(result)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(kind: &str, at: Option<&str>) -> ActivityRow {
        ActivityRow {
            activity_id: Some(1),
            ecm_activity_id: None,
            activity_type: kind.into(),
            direction: "outbound".into(),
            status: "sent".into(),
            status_reason: None,
            ecm_status: Some("created".into()),
            patient_id: None,
            ecm_patient_id: None,
            patient_name: Some("Ana, \"the\" patient".into()),
            by: "Dana".into(),
            ecm_user_id: Some("101".into()),
            performed_by_id: "101".into(),
            assigned_to_id: "101".into(),
            text_message_id: None,
            voice_call_id: None,
            event_id: None,
            event_type: None,
            occurred_at: at.map(Into::into),
            occurred_at_local: None,
            clinic_day: at.and_then(|a| a.get(..10)).map(Into::into),
        }
    }

    #[test]
    fn counts_per_day_by_type() {
        let rows = vec![
            row("sms", Some("2026-11-20T10:00:00Z")),
            row("call", Some("2026-11-20T11:00:00Z")),
            row("sms", Some("2026-11-19T23:59:59Z")),
            row("sms", Some("2026-11-20T12:00:00Z")),
            row("sms", None),
        ];
        assert_eq!(
            per_day(&rows),
            vec![
                DayCount { day: "2026-11-19".into(), sms: 1, calls: 0 },
                DayCount { day: "2026-11-20".into(), sms: 2, calls: 1 },
            ]
        );
    }

    #[test]
    fn filters_are_checked() {
        let f = |from: &str, to: &str, kind: Option<&str>| ActivityFilter {
            from: Some(from.into()),
            to: Some(to.into()),
            activity_type: kind.map(Into::into),
            patient_id: None,
        };
        assert!(check_filter(&f("2026-11-01", "2026-11-21", Some("call"))).is_ok());
        assert!(check_filter(&f("2026-11-21", "2026-11-01", None)).unwrap_err().to_string().contains("after it ends"));
        assert!(check_filter(&f("21/11/2026", "2026-11-21", None)).unwrap_err().to_string().contains("not a date"));
        assert!(check_filter(&f("2026-11-01", "2026-11-21", Some("fax"))).is_err());
    }

    #[test]
    fn csv_goes_to_a_new_file_each_time() {
        let dir = tempfile::tempdir().unwrap();
        let now = chrono::Utc::now();
        let a = write_csv(dir.path(), &[row("sms", Some("2026-11-20T10:00:00Z"))], now).unwrap();
        let b = write_csv(dir.path(), &[], now).unwrap();
        assert_ne!(a.path, b.path);
        assert_eq!((a.rows, b.rows), (1, 0));
        let text = std::fs::read_to_string(&a.path).unwrap();
        assert!(text.starts_with("activity_id,"), "{text}");
        assert!(text.contains("\"Ana, \"\"the\"\" patient\""), "{text}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2, "no temporary files left");
    }
}
