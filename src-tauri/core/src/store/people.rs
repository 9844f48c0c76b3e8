//! Patients and numbers as staff enter them in the app or the CLI (the
//! checks are in [`crate::desk::people`]). Each write runs on the caller's
//! connection, inside the transaction that also writes its audit entry.
//! Numbers are never deleted: a number staff no longer want texted is made
//! inactive, so its history and consent stay attached.

use rusqlite::{params, Connection, OptionalExtension};

use super::{patients::PhoneKind, Database, StoreError};
use crate::rules::phone::{self, E164};

/// A patient's own fields as staff enter them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffPatient {
    pub name: String,
    pub ecm_patient_id: Option<i64>,
}

/// One number of a patient as staff enter it (checked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffNumber {
    pub number: E164,
    pub kind: PhoneKind,
    pub name: Option<String>,
    pub relationship: Option<String>,
    /// Current (textable without confirming another number), or no longer used.
    pub active: bool,
}

/// What [`put_number`] changed, for the audit entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NumberChange {
    Added,
    /// What changed: "kind changed", "contact name changed", "relationship
    /// changed", "current again", "no longer used".
    Changed(Vec<&'static str>),
    Unchanged,
}

fn name_key(name: &str) -> String {
    name.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

impl Database {
    /// The patient (id and name) with ECM id `ecm`, other than `except`.
    pub fn ecm_id_holder(&self, ecm: i64, except: Option<i64>) -> Result<Option<(i64, String)>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT id, name FROM patients WHERE ecm_patient_id = ?1 AND id IS NOT ?2",
                params![ecm, except],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }
}

/// A new patient; returns its id.
pub(crate) fn insert_patient(conn: &Connection, p: &StaffPatient, now: &str) -> Result<i64, StoreError> {
    conn.execute(
        "INSERT INTO patients (ecm_patient_id, name, name_key, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4)",
        params![p.ecm_patient_id, p.name, name_key(&p.name), now],
    )?;
    Ok(conn.last_insert_rowid())
}

/// Sets a patient's name and ECM id; returns what changed ("name", "ECM id").
pub(crate) fn update_patient(
    conn: &Connection,
    id: i64,
    p: &StaffPatient,
    now: &str,
) -> Result<Vec<&'static str>, StoreError> {
    let (name, ecm): (String, Option<i64>) =
        conn.query_row("SELECT name, ecm_patient_id FROM patients WHERE id = ?1", [id], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
    let mut changed = vec![];
    if name != p.name {
        changed.push("name");
    }
    if ecm != p.ecm_patient_id {
        changed.push("ECM id");
    }
    if !changed.is_empty() {
        conn.execute(
            "UPDATE patients SET name = ?2, name_key = ?3, ecm_patient_id = ?4, updated_at = ?5 WHERE id = ?1",
            params![id, p.name, name_key(&p.name), p.ecm_patient_id, now],
        )?;
    }
    Ok(changed)
}

/// Adds `n` to the patient's numbers, or sets the fields of the number the
/// patient has. A number staff make current is theirs from then on
/// (`source = 'staff'`): a re-import that does not list it leaves it current.
pub(crate) fn put_number(
    conn: &Connection,
    patient_id: i64,
    n: &StaffNumber,
    now: &str,
) -> Result<NumberChange, StoreError> {
    type Row = (String, Option<String>, Option<String>, bool);
    let existing: Option<Row> = conn
        .query_row(
            "SELECT kind, name, relationship, active FROM contact_points WHERE patient_id = ?1 AND number = ?2",
            params![patient_id, n.number.as_str()],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    let Some((kind, name, relationship, active)) = existing else {
        conn.execute(
            "INSERT INTO contact_points (patient_id, kind, name, relationship, number, digits, national, rank,
                                         active, source, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7,
                     (SELECT COALESCE(max(rank) + 1, 0) FROM contact_points WHERE patient_id = ?1),
                     ?8, 'staff', ?9, ?9)",
            params![
                patient_id,
                n.kind.as_str(),
                n.name,
                n.relationship,
                n.number.as_str(),
                n.number.digits(),
                phone::national_digits(&n.number),
                n.active,
                now
            ],
        )?;
        return Ok(NumberChange::Added);
    };
    let mut changed = vec![];
    if kind != n.kind.as_str() {
        changed.push("kind changed");
    }
    if name != n.name {
        changed.push("contact name changed");
    }
    if relationship != n.relationship {
        changed.push("relationship changed");
    }
    if active != n.active {
        changed.push(if n.active { "current again" } else { "no longer used" });
    }
    if changed.is_empty() {
        return Ok(NumberChange::Unchanged);
    }
    conn.execute(
        "UPDATE contact_points SET kind = ?3, name = ?4, relationship = ?5, active = ?6,
                source = iif(?6 AND NOT active, 'staff', source), updated_at = ?7
          WHERE patient_id = ?1 AND number = ?2",
        params![patient_id, n.number.as_str(), n.kind.as_str(), n.name, n.relationship, n.active, now],
    )?;
    Ok(NumberChange::Changed(changed))
}

/// Orders a patient's numbers as every list shows them: current ones first,
/// the patient's own before contacts', each in its order so far. The first
/// is the default recipient.
pub(crate) fn rank_numbers(conn: &Connection, patient_id: i64) -> Result<(), StoreError> {
    conn.execute(
        "UPDATE contact_points SET rank = (
             SELECT n FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY active DESC, kind <> 'patient', rank, id) - 1 AS n
                              FROM contact_points WHERE patient_id = ?1) o
              WHERE o.id = contact_points.id)
          WHERE patient_id = ?1",
        [patient_id],
    )?;
    Ok(())
}
