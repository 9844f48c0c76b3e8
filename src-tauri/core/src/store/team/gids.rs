//! A patient's team id and back: what presence announces (a patient's gid,
//! never a name) and what a desk shows it as (its local id).

use rusqlite::OptionalExtension;

use crate::store::{Database, StoreError};

impl Database {
    /// The patient's team id (`None` before the desk joined a team).
    pub fn team_patient_gid(&self, patient_id: i64) -> Result<Option<String>, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT gid FROM patients WHERE id = ?1")?
            .query_row([patient_id], |r| r.get(0))
            .optional()?
            .flatten())
    }

    /// The local id of the patient with this team id, if this desk has them.
    pub fn team_patient_id(&self, gid: &str) -> Result<Option<i64>, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT id FROM patients WHERE gid = ?1")?
            .query_row([gid], |r| r.get(0))
            .optional()?)
    }
}
