//! The roster the FHIR server manages: each Patient and RelatedPerson it
//! sent (`fhir_resources`), the pull's cursors (`fhir_sync`), and how one
//! patient's records become a CareDesk patient and their numbers.
//!
//! **Who wins.** For a patient the FHIR server manages (one it sent), the
//! server does: each time their Patient or one of their RelatedPersons
//! changes, the name, the ECM id (when the server gives one), whether they
//! may be texted, and the numbers the server lists are set from it, as an
//! import run of their own (numbers the server no longer lists, including
//! ones a CSV import gave them, become "no longer used"). Numbers staff
//! added or linked in CareDesk are not the server's and stay. Consent
//! (STOP) is a fact about a number and is never touched by a pull.

use std::collections::{BTreeSet, HashMap};

use rusqlite::{params, OptionalExtension, Transaction};

use super::{
    contact_points::{merge_numbers, ImportRun},
    patients::ContactPointInput,
    Database, StoreError,
};
use crate::rules::fhir::roster::{RosterPatient, RosterRelatedPerson};

/// The two resource types the roster reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum FhirKind {
    Patient,
    RelatedPerson,
}

impl FhirKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FhirKind::Patient => "Patient",
            FhirKind::RelatedPerson => "RelatedPerson",
        }
    }
}

/// A managed patient's standing on the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
pub enum FhirStatus {
    Active,
    /// `active: false`, or deceased: not texted or called.
    Inactive,
    /// Deleted on the server (410 Gone, or gone from a full pull): not texted or called.
    Deleted,
}

impl FhirStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            FhirStatus::Active => "active",
            FhirStatus::Inactive => "inactive",
            FhirStatus::Deleted => "deleted",
        }
    }

    pub fn parse(s: &str) -> Option<FhirStatus> {
        match s {
            "active" => Some(FhirStatus::Active),
            "inactive" => Some(FhirStatus::Inactive),
            "deleted" => Some(FhirStatus::Deleted),
            _ => None,
        }
    }

    /// Whether texts and calls may go to the patient.
    pub fn messageable(self) -> bool {
        self == FhirStatus::Active
    }
}

/// A resource as last stored: its version and standing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredVersion {
    pub version: String,
    pub state: FhirStatus,
    pub patient: String,
}

/// One resource to store, as the pull read it.
#[derive(Debug, Clone, PartialEq)]
pub enum FhirRecord {
    Patient(RosterPatient),
    RelatedPerson(RosterRelatedPerson),
}

impl FhirRecord {
    pub fn kind(&self) -> FhirKind {
        match self {
            FhirRecord::Patient(_) => FhirKind::Patient,
            FhirRecord::RelatedPerson(_) => FhirKind::RelatedPerson,
        }
    }

    /// The id of the Patient the record belongs to (its own, for a Patient).
    pub fn patient(&self) -> Option<&str> {
        match self {
            FhirRecord::Patient(p) => p.id.as_deref(),
            FhirRecord::RelatedPerson(r) => Some(&r.patient),
        }
    }

    fn state(&self) -> FhirStatus {
        let active = match self {
            FhirRecord::Patient(p) => p.active,
            FhirRecord::RelatedPerson(r) => r.active,
        };
        if active {
            FhirStatus::Active
        } else {
            FhirStatus::Inactive
        }
    }
}

/// What making one patient from their records changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PatientApply {
    /// The CareDesk patient, when there is one (a patient without any
    /// number is not added to the roster until one appears).
    pub patient_id: Option<i64>,
    pub created: bool,
    /// The name, ECM id, standing or current numbers changed.
    pub changed: bool,
    /// Was messageable (or new) and no longer is.
    pub deactivated: bool,
    /// Was inactive or deleted and is messageable again.
    pub reactivated: bool,
    pub numbers_added: usize,
    pub numbers_removed: usize,
    /// Not added: the server lists no number for them (yet).
    pub without_numbers: bool,
    /// Something of the record that could not be applied (an ECM id another
    /// patient has), in words with no PHI.
    pub problem: Option<String>,
}

impl Database {
    /// The stored versions of `ids` of `kind`.
    pub fn fhir_versions(&self, kind: FhirKind, ids: &[&str]) -> Result<HashMap<String, StoredVersion>, StoreError> {
        let list = serde_json::to_string(ids).unwrap_or_else(|_| "[]".into());
        let mut q = self.conn.prepare_cached(
            "SELECT id, version, state, patient FROM fhir_resources
             WHERE type = ?1 AND id IN (SELECT value FROM json_each(?2))",
        )?;
        let rows = q.query_map(params![kind.as_str(), list], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?))
        })?;
        let mut out = HashMap::new();
        for row in rows {
            let (id, version, state, patient) = row?;
            let state = FhirStatus::parse(&state).unwrap_or(FhirStatus::Active);
            out.insert(id, StoredVersion { version, state, patient });
        }
        Ok(out)
    }

    /// The ids of `kind` the server had and has not deleted, as last seen.
    pub fn fhir_live_ids(&self, kind: FhirKind) -> Result<Vec<String>, StoreError> {
        let mut q = self
            .conn
            .prepare_cached("SELECT id FROM fhir_resources WHERE type = ?1 AND state != 'deleted' ORDER BY id")?;
        let ids = q.query_map([kind.as_str()], |r| r.get(0))?.collect::<Result<Vec<String>, _>>()?;
        Ok(ids)
    }

    /// A value of the pull's own state (`fhir_sync`).
    pub fn fhir_sync_value(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self.conn.query_row("SELECT value FROM fhir_sync WHERE key = ?1", [key], |r| r.get(0)).optional()?)
    }

    /// Counts of the roster the server manages: patients by standing, and
    /// their current numbers.
    pub fn fhir_roster_counts(&self) -> Result<FhirRosterCounts, StoreError> {
        let count = |status: &str| -> Result<i64, StoreError> {
            Ok(self.conn.query_row("SELECT count(*) FROM patients WHERE fhir_status = ?1", [status], |r| r.get(0))?)
        };
        let numbers: i64 = self.conn.query_row(
            "SELECT count(*) FROM contact_points c JOIN patients p ON p.id = c.patient_id
             WHERE p.fhir_status IS NOT NULL AND c.active = 1",
            [],
            |r| r.get(0),
        )?;
        let without_numbers: i64 = self.conn.query_row(
            "SELECT count(*) FROM fhir_resources f WHERE f.type = 'Patient' AND f.state != 'deleted'
             AND NOT EXISTS (SELECT 1 FROM patients p WHERE p.fhir_id = f.id)",
            [],
            |r| r.get(0),
        )?;
        Ok(FhirRosterCounts {
            active: count("active")?,
            inactive: count("inactive")?,
            deleted: count("deleted")?,
            current_numbers: numbers,
            without_numbers,
        })
    }
}

/// The roster the FHIR server manages, counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
pub struct FhirRosterCounts {
    pub active: i64,
    pub inactive: i64,
    pub deleted: i64,
    pub current_numbers: i64,
    /// Patients the server has (not deleted) with no number to text: not
    /// in the roster until one appears.
    pub without_numbers: i64,
}

/// Sets a value of the pull's own state, inside `tx`.
pub fn set_fhir_sync_value(tx: &Transaction<'_>, key: &str, value: &str) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO fhir_sync (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )?;
    Ok(())
}

/// Removes the pull's cursors (another server, or a full pull asked for).
pub fn clear_fhir_cursors(tx: &Transaction<'_>) -> Result<(), StoreError> {
    tx.execute("DELETE FROM fhir_sync WHERE key LIKE 'cursor.%'", [])?;
    Ok(())
}

/// Stores a resource as read (`version` identifies the version; see
/// `rules::fhir::roster::Version::key`). Returns the Patient it belongs to.
pub fn put_fhir_record(
    tx: &Transaction<'_>,
    id: &str,
    version: &str,
    last_updated: Option<&str>,
    record: &FhirRecord,
    now: &str,
) -> Result<String, StoreError> {
    let json = match record {
        FhirRecord::Patient(p) => serde_json::to_string(p),
        FhirRecord::RelatedPerson(r) => serde_json::to_string(r),
    }
    .map_err(|e| StoreError::Io(e.to_string()))?;
    let patient = record.patient().unwrap_or(id).to_string();
    tx.execute(
        "INSERT INTO fhir_resources (type, id, version, last_updated, patient, state, record, seen_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT(type, id) DO UPDATE SET version = excluded.version, last_updated = excluded.last_updated,
            patient = excluded.patient, state = excluded.state, record = excluded.record, seen_at = excluded.seen_at",
        params![record.kind().as_str(), id, version, last_updated, patient, record.state().as_str(), json, now],
    )?;
    Ok(patient)
}

/// Marks a resource deleted on the server; returns the Patient it belonged
/// to, or `None` when it was not known (or deleted already).
pub fn mark_fhir_deleted(
    tx: &Transaction<'_>,
    kind: FhirKind,
    id: &str,
    now: &str,
) -> Result<Option<String>, StoreError> {
    let patient: Option<String> = tx
        .query_row(
            "SELECT patient FROM fhir_resources WHERE type = ?1 AND id = ?2 AND state != 'deleted'",
            params![kind.as_str(), id],
            |r| r.get(0),
        )
        .optional()?;
    if patient.is_some() {
        tx.execute(
            "UPDATE fhir_resources SET state = 'deleted', version = 'deleted', seen_at = ?3 WHERE type = ?1 AND id = ?2",
            params![kind.as_str(), id, now],
        )?;
    }
    Ok(patient)
}

fn active_numbers(tx: &Transaction<'_>, patient_id: i64) -> Result<BTreeSet<String>, StoreError> {
    let mut q = tx.prepare_cached("SELECT number FROM contact_points WHERE patient_id = ?1 AND active = 1")?;
    let set = q.query_map([patient_id], |r| r.get(0))?.collect::<Result<BTreeSet<String>, _>>()?;
    Ok(set)
}

fn name_key(name: &str) -> String {
    name.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// Makes the CareDesk patient of FHIR Patient `fhir_id` from its stored
/// records (the Patient and the live RelatedPersons pointing at it), as
/// import run `run` of its own (see the module's rule).
pub fn apply_fhir_patient(
    tx: &Transaction<'_>,
    fhir_id: &str,
    run: &ImportRun,
    now: &str,
) -> Result<PatientApply, StoreError> {
    let mut out = PatientApply::default();
    let row: Option<(String, Option<String>)> = tx
        .query_row("SELECT state, record FROM fhir_resources WHERE type = 'Patient' AND id = ?1", [fhir_id], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    // A RelatedPerson of a Patient not (yet) read waits for its Patient.
    let Some((state, record)) = row else {
        return Ok(out);
    };
    let status = FhirStatus::parse(&state).unwrap_or(FhirStatus::Active);
    let existing: Option<(i64, String, Option<i64>, Option<String>)> = tx
        .query_row("SELECT id, name, ecm_patient_id, fhir_status FROM patients WHERE fhir_id = ?1", [fhir_id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .optional()?;
    if status == FhirStatus::Deleted {
        if let Some((id, _, _, was)) = existing {
            out.patient_id = Some(id);
            if was.as_deref() != Some("deleted") {
                tx.execute(
                    "UPDATE patients SET fhir_status = 'deleted', updated_at = ?2 WHERE id = ?1",
                    params![id, now],
                )?;
                out.changed = true;
                out.deactivated = was.as_deref() != Some("inactive");
            }
        }
        return Ok(out);
    }
    let patient: RosterPatient = record
        .as_deref()
        .and_then(|r| serde_json::from_str(r).ok())
        .ok_or_else(|| StoreError::Io(format!("the stored record of Patient/{fhir_id} cannot be read")))?;
    let mut phones: Vec<ContactPointInput> = patient.numbers.iter().map(ContactPointInput::from).collect();
    let mut q = tx.prepare_cached(
        "SELECT record FROM fhir_resources WHERE type = 'RelatedPerson' AND patient = ?1 AND state = 'active' ORDER BY id",
    )?;
    let related = q.query_map([fhir_id], |r| r.get::<_, Option<String>>(0))?.collect::<Result<Vec<_>, _>>()?;
    for rp in related.iter().flatten().filter_map(|r| serde_json::from_str::<RosterRelatedPerson>(r).ok()) {
        for n in &rp.numbers {
            if !phones.iter().any(|p| p.number == n.number) {
                phones.push(ContactPointInput::from(n));
            }
        }
    }
    // A patient the server gave an ECM id, held by another patient: the
    // ECM id is left out (the other patient keeps it), and said.
    let mut ecm = patient.ecm_patient_id;
    let existing_id = existing.as_ref().map(|e| e.0);
    let mut adopted: Option<(i64, String, Option<i64>, Option<String>)> = None;
    if let Some(n) = ecm {
        let holder: Option<(i64, Option<String>, String, Option<String>)> = tx
            .query_row(
                "SELECT id, fhir_id, name, fhir_status FROM patients WHERE ecm_patient_id = ?1 AND id IS NOT ?2",
                params![n, existing_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?;
        match holder {
            // A patient of the CSV or staff with this ECM id, not yet the
            // server's: it becomes this FHIR patient.
            Some((id, None, name, status)) if existing.is_none() => adopted = Some((id, name, Some(n), status)),
            Some(_) => {
                out.problem = Some(format!("its ECM id {n} belongs to another patient in CareDesk; it was left out"));
                ecm = None;
            }
            None => {}
        }
    }
    let status_str = status.as_str();
    let key = name_key(&patient.name);
    match existing.or(adopted) {
        None => {
            if phones.is_empty() {
                out.without_numbers = true;
                return Ok(out);
            }
            tx.execute(
                "INSERT INTO patients (ecm_patient_id, fhir_id, name, name_key, fhir_status, time_zone, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?7, ?6, ?6)",
                params![ecm, fhir_id, patient.name, key, status_str, now, patient.time_zone],
            )?;
            let id = tx.last_insert_rowid();
            merge_numbers(tx, id, &phones, run, now)?;
            out.patient_id = Some(id);
            out.created = true;
            out.changed = true;
            out.numbers_added = phones.len();
            out.deactivated = !status.messageable();
        }
        Some((id, name, old_ecm, old_status)) => {
            let before = active_numbers(tx, id)?;
            let ecm = ecm.or(old_ecm);
            tx.execute(
                // A zone the server gives is the server's; none keeps one staff set.
                "UPDATE patients SET fhir_id = ?2, name = ?3, name_key = ?4, ecm_patient_id = ?5, fhir_status = ?6,
                    time_zone = COALESCE(?8, time_zone), updated_at = ?7 WHERE id = ?1",
                params![id, fhir_id, patient.name, key, ecm, status_str, now, patient.time_zone],
            )?;
            merge_numbers(tx, id, &phones, run, now)?;
            let after = active_numbers(tx, id)?;
            out.patient_id = Some(id);
            out.numbers_added = after.difference(&before).count();
            out.numbers_removed = before.difference(&after).count();
            let was = old_status.as_deref().and_then(FhirStatus::parse);
            let was_messageable = was.is_none_or(FhirStatus::messageable);
            out.deactivated = was_messageable && !status.messageable();
            out.reactivated = !was_messageable && status.messageable();
            out.changed = name != patient.name
                || ecm != old_ecm
                || was != Some(status)
                || out.numbers_added + out.numbers_removed > 0;
        }
    }
    Ok(out)
}

#[cfg(test)]
#[path = "fhir_roster_tests.rs"]
mod tests;
