//! Roster import from CSV and FHIR R4 JSON. Each bad row is reported with its
//! row number and the reason; the rest is imported. Re-importing the same file
//! updates patients, never duplicates them.

mod csv_roster;
mod fhir_roster;

use std::path::Path;

use crate::{
    phone::Region,
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct ImportProgress {
    pub done: usize,
    pub total: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RejectedRow {
    /// CSV: the line of the file (the header is line 1). FHIR: the 1-based
    /// position of the entry in the Bundle.
    pub row: usize,
    pub message: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
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

/// Imports `content` (named `name`, for its format) into `db`, reporting
/// progress as rows are stored. All accepted rows commit together.
pub fn import(
    db: &mut Database,
    name: &str,
    content: &str,
    region: Region,
    progress: &mut dyn FnMut(ImportProgress),
) -> Result<ImportSummary, ImportError> {
    let rows = match Format::from_name(name)? {
        Format::Csv => csv_roster::parse(content, region)?,
        Format::FhirJson => fhir_roster::parse(content, region, db)?,
    };
    let total = rows.len();
    let mut summary = ImportSummary { total_rows: total, ..Default::default() };
    progress(ImportProgress { done: 0, total });
    // One run for the whole file: the numbers it lists become the current
    // ones, those it no longer lists are kept as inactive.
    let run = store::ImportRun::new();
    let tx = db.conn_mut().transaction().map_err(StoreError::from)?;
    for (i, (row, parsed)) in rows.into_iter().enumerate() {
        match parsed {
            Ok(input) => {
                let outcome = store::upsert_patient_in(&tx, &input, &run)?;
                if outcome.created {
                    summary.created += 1;
                } else {
                    summary.updated += 1;
                }
            }
            Err(message) => summary.rejected.push(RejectedRow { row, message }),
        }
        if (i + 1) % 250 == 0 || i + 1 == total {
            progress(ImportProgress { done: i + 1, total });
        }
    }
    tx.commit().map_err(StoreError::from)?;
    Ok(summary)
}
