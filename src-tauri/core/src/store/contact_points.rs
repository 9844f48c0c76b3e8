//! A patient's numbers as imports list them. One import run makes the
//! numbers it lists the patient's current ones, in the order it lists them
//! (the patient's own numbers first within a row); numbers it does not list
//! stay in the history, inactive: never a default recipient, shown as no
//! longer used. A number listed again becomes current again. Several rows
//! of one run (one per contact) add to the patient's current numbers.
//! Numbers staff added or linked in the app are theirs, not the roster's:
//! an import that does not list them leaves them as they are.

use rusqlite::{params, OptionalExtension, Transaction};

use super::{
    patients::{ContactPointInput, PhoneKind},
    StoreError,
};
use crate::rules::phone;

/// One import: the numbers it lists are current, the others history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRun(String);

impl ImportRun {
    pub fn new() -> ImportRun {
        ImportRun(uuid::Uuid::new_v4().to_string())
    }
}

impl Default for ImportRun {
    fn default() -> Self {
        ImportRun::new()
    }
}

/// Stores `phones` as patient `patient_id`'s current numbers after those
/// `run` listed before, and marks every number `run` has not listed inactive.
pub(super) fn merge_numbers(
    tx: &Transaction<'_>,
    patient_id: i64,
    phones: &[ContactPointInput],
    run: &ImportRun,
    now: &str,
) -> Result<(), StoreError> {
    let mut next: i64 = tx.query_row(
        "SELECT count(*) FROM contact_points WHERE patient_id = ?1 AND import_run = ?2",
        params![patient_id, run.0],
        |r| r.get(0),
    )?;
    let mut listed =
        tx.prepare_cached("SELECT rank FROM contact_points WHERE patient_id = ?1 AND number = ?2 AND import_run = ?3")?;
    let mut upsert = tx.prepare_cached(
        "INSERT INTO contact_points (patient_id, kind, name, relationship, number, digits, national, rank, active,
                                     import_run, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 1, ?9, ?10, ?10)
         ON CONFLICT(patient_id, number) DO UPDATE SET kind = excluded.kind, name = excluded.name,
            relationship = excluded.relationship, rank = excluded.rank, active = 1, source = 'import',
            import_run = excluded.import_run, updated_at = excluded.updated_at",
    )?;
    let mut ordered: Vec<&ContactPointInput> = phones.iter().collect();
    ordered.sort_by_key(|p| p.kind != PhoneKind::Patient);
    for p in ordered {
        let seen: Option<i64> =
            listed.query_row(params![patient_id, p.number.as_str(), run.0], |r| r.get(0)).optional()?;
        let rank = match seen {
            Some(rank) => rank,
            None => {
                next += 1;
                next - 1
            }
        };
        upsert.execute(params![
            patient_id,
            p.kind.as_str(),
            p.name,
            p.relationship,
            p.number.as_str(),
            p.number.digits(),
            phone::national_digits(&p.number),
            rank,
            run.0,
            now
        ])?;
    }
    tx.execute(
        "UPDATE contact_points SET active = 0, updated_at = ?3
         WHERE patient_id = ?1 AND active = 1 AND import_run IS NOT ?2 AND source = 'import'",
        params![patient_id, run.0, now],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        rules::phone::{normalize, Region},
        store::{test_db, upsert_patient_in, Database, PatientInput},
    };

    fn ana(numbers: &[(&str, PhoneKind)]) -> PatientInput {
        PatientInput {
            ecm_patient_id: Some(123),
            fhir_id: None,
            name: "Ana Lopez".into(),
            phones: numbers
                .iter()
                .map(|(n, kind)| ContactPointInput {
                    number: normalize(n, Region::default()).unwrap(),
                    kind: *kind,
                    name: None,
                    relationship: None,
                })
                .collect(),
            time_zone: None,
        }
    }

    /// One import of `rows` (each a patient input of the same patient).
    fn import(db: &mut Database, rows: &[PatientInput]) -> i64 {
        let run = ImportRun::new();
        let tx = db.conn_mut().transaction().unwrap();
        let mut id = 0;
        for r in rows {
            id = upsert_patient_in(&tx, r, &run).unwrap().id;
        }
        tx.commit().unwrap();
        id
    }

    fn numbers(db: &Database, id: i64) -> Vec<(String, bool)> {
        db.patient(id).unwrap().unwrap().phones.into_iter().map(|p| (p.number, p.active)).collect()
    }

    const OLD: &str = "+18055550100";
    const NEW: &str = "+18055550111";
    const SON: &str = "+18055550101";

    #[test]
    fn a_reimport_makes_its_numbers_current_in_its_order_and_keeps_the_rest_inactive() {
        let (_d, mut db) = test_db();
        let id = import(&mut db, &[ana(&[(OLD, PhoneKind::Patient), (SON, PhoneKind::Contact)])]);
        assert_eq!(numbers(&db, id), [(OLD.into(), true), (SON.into(), true)]);

        // The patient changed phones: the new number first, the old one kept but inactive.
        import(&mut db, &[ana(&[(NEW, PhoneKind::Patient), (SON, PhoneKind::Contact)])]);
        assert_eq!(numbers(&db, id), [(NEW.into(), true), (SON.into(), true), (OLD.into(), false)]);
        assert_eq!(db.patients_with_number(OLD).unwrap(), Vec::<i64>::new(), "replies from it are not hers by number");
        assert_eq!(db.patients_with_number(NEW).unwrap(), [id]);

        // Several rows of one import add up (one row per contact); none undoes another.
        import(
            &mut db,
            &[ana(&[(NEW, PhoneKind::Patient)]), ana(&[(NEW, PhoneKind::Patient), (SON, PhoneKind::Contact)])],
        );
        assert_eq!(numbers(&db, id), [(NEW.into(), true), (SON.into(), true), (OLD.into(), false)]);

        // Listed again, in another order: current again, in that order.
        import(&mut db, &[ana(&[(SON, PhoneKind::Contact), (OLD, PhoneKind::Patient)])]);
        assert_eq!(numbers(&db, id), [(OLD.into(), true), (SON.into(), true), (NEW.into(), false)]);
    }
}
