//! What is read out and in: the activity log and its CSV, the PRTF and FHIR
//! exports, and roster imports (CSV and FHIR).

pub mod activity_log;
pub mod activity_rows;
pub mod campaign_report;
pub mod export;
pub mod export_file;
pub mod import;
