//! Roster import from CSV and FHIR R4 JSON. Each bad row is reported with its
//! row number and the reason; the rest is imported. Re-importing the same file
//! updates patients, never duplicates them.

mod csv_roster;
mod fhir_roster;
pub mod shared;

pub use fhir_roster::FhirOptions;

use std::path::Path;

use crate::desk::Desk;
use crate::rules::error::Result;
use crate::{
    rules::phone::Region,
    store::{self, Database, PatientInput, StoreError},
};

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read {path}: {detail}")]
    Read { path: String, detail: String },
    #[error("{0:?} is not a roster file: use .csv or .json (FHIR R4)")]
    UnknownFormat(String),
    #[error("the CSV file has no {0:?} column (expected columns: ecm_patient_id, name, phone, contact_name, contact_relationship, contact_phone)")]
    MissingColumn(&'static str),
    #[error("the CSV file cannot be read: {0}")]
    Csv(String),
    #[error("the JSON file is not a FHIR Bundle, Patient or RelatedPerson: {0}")]
    Fhir(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl crate::rules::error::CodedError for ImportError {
    fn code(&self) -> crate::rules::error::ErrorCode {
        crate::rules::error::ErrorCode::Import
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct ImportProgress {
    pub done: usize,
    pub total: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct RejectedRow {
    /// CSV: the line of the file (the header is line 1). FHIR: the 1-based
    /// position of the entry in the Bundle.
    pub row: usize,
    pub message: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct ImportSummary {
    pub total_rows: usize,
    pub created: usize,
    pub updated: usize,
    pub rejected: Vec<RejectedRow>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    FhirJson,
}

impl Format {
    pub fn from_name(name: &str) -> Result<Format, ImportError> {
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".csv") {
            Ok(Format::Csv)
        } else if lower.ends_with(".json") {
            Ok(Format::FhirJson)
        } else {
            Err(ImportError::UnknownFormat(name.to_string()))
        }
    }
}

/// A row turned into a patient, or the reason it cannot be.
pub(crate) type ParsedRow = (usize, Result<PatientInput, String>);

pub fn read_file(path: &Path) -> Result<String, ImportError> {
    std::fs::read_to_string(path)
        .map_err(|e| ImportError::Read { path: path.display().to_string(), detail: e.to_string() })
}

/// Rows stored per transaction: a large roster is stored in chunks, so
/// nothing else waits for the whole import (see [`shared`]).
pub const CHUNK_ROWS: usize = 1000;

/// The rows of `content` (named `name`, for its format), each a patient or
/// the reason it is not one.
pub(crate) fn parse_rows(
    db: &Database,
    name: &str,
    content: &str,
    region: Region,
    fhir: &FhirOptions,
) -> Result<Vec<ParsedRow>, ImportError> {
    match Format::from_name(name)? {
        Format::Csv => csv_roster::parse(content, region),
        Format::FhirJson => fhir_roster::parse(content, db, fhir),
    }
}

/// Stores one chunk of rows in one transaction, counting into `summary`,
/// with its audit entry (counts only, no names) in the same transaction:
/// every chunk committed is audited, even of an import cut short.
pub(crate) fn store_chunk(
    db: &mut Database,
    chunk: Vec<ParsedRow>,
    summary: &mut ImportSummary,
    run: &store::ImportRun,
    actor: &str,
) -> Result<(), ImportError> {
    let signer = db.audit_signer()?;
    let before = (summary.created, summary.updated, summary.rejected.len());
    let first_row = chunk.first().map(|(row, _)| *row).unwrap_or_default();
    let last_row = chunk.last().map(|(row, _)| *row).unwrap_or_default();
    let tx = db.conn_mut().transaction().map_err(StoreError::from)?;
    for (row, parsed) in chunk {
        match parsed {
            Ok(input) => {
                let outcome = store::upsert_patient_in(&tx, &input, run)?;
                if outcome.created {
                    summary.created += 1;
                } else {
                    summary.updated += 1;
                }
            }
            Err(message) => summary.rejected.push(RejectedRow { row, message }),
        }
    }
    let detail = format!(
        "rows {first_row}-{last_row} of {}: {} created, {} updated, {} rejected",
        summary.total_rows,
        summary.created - before.0,
        summary.updated - before.1,
        summary.rejected.len() - before.2
    );
    let entry = store::NewAuditEntry { actor, action: "patients.import", patient_id: None, detail: &detail };
    store::audit_chain::append(&tx, &signer, &entry)?;
    tx.commit().map_err(StoreError::from)?;
    Ok(())
}

/// Splits rows into [`CHUNK_ROWS`]-long chunks, in order.
pub(crate) fn chunks(rows: Vec<ParsedRow>) -> Vec<Vec<ParsedRow>> {
    let mut out = Vec::with_capacity(rows.len().div_ceil(CHUNK_ROWS));
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        out.push(rows.by_ref().take(CHUNK_ROWS).collect());
    }
    out
}

/// Imports `content` (named `name`, for its format) into `db`, a chunk of
/// [`CHUNK_ROWS`] rows per transaction, reporting progress after each. An
/// import cut short keeps the chunks stored so far; importing the file again
/// completes it (rows are matched, never duplicated).
pub fn import(
    db: &mut Database,
    name: &str,
    content: &str,
    region: Region,
    fhir: &FhirOptions,
    progress: &mut dyn FnMut(ImportProgress),
    actor: &str,
) -> Result<ImportSummary, ImportError> {
    let rows = parse_rows(db, name, content, region, fhir)?;
    let total = rows.len();
    let mut summary = ImportSummary { total_rows: total, ..Default::default() };
    progress(ImportProgress { done: 0, total });
    // One run for the whole file: the numbers it lists become the current
    // ones, those it no longer lists are kept as inactive.
    let run = store::ImportRun::new();
    let mut done = 0;
    for chunk in chunks(rows) {
        done += chunk.len();
        store_chunk(db, chunk, &mut summary, &run, actor)?;
        progress(ImportProgress { done, total });
    }
    Ok(summary)
}

// The desk's imports: a roster file read into the store, with progress.
impl Desk {
    pub fn import_patients(
        &mut self,
        file_name: &str,
        content: &str,
        progress: &mut dyn FnMut(ImportProgress),
    ) -> Result<ImportSummary> {
        let region = self.region();
        let fhir = self.roster_options()?;
        let actor = self.actor();
        Ok(import(self.db_mut(), file_name, content, region, &fhir, progress, &actor)?)
    }

    pub fn import_patients_file(
        &mut self,
        path: &Path,
        progress: &mut dyn FnMut(ImportProgress),
    ) -> Result<ImportSummary> {
        let content = read_file(path)?;
        let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        Format::from_name(&name)?;
        self.import_patients(&name, &content, progress)
    }
}
