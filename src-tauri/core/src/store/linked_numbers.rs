//! A number staff linked from the Unmatched inbox is one of the patient's
//! numbers: a contact of the patient (relationship "unknown" unless staff
//! say who it is), textable and callable like any number on file, listed
//! in the thread header, the To list and `patients list`. Links made before
//! schema 12 become numbers in its migration ([`backfill`]).

use rusqlite::{params, Connection, OptionalExtension, Transaction};

use super::{patients::PhoneKind, StoreError};
use crate::rules::phone::{self, Region, E164};

/// The relationship of a linked number when staff did not say.
pub const UNKNOWN_RELATIONSHIP: &str = "unknown";

/// Who a linked number belongs to, as staff say in the link dialog.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, ts_rs::TS)]
pub struct LinkContact {
    /// The person's name (a son, a caregiver); none: a contact.
    #[serde(default)]
    pub name: Option<String>,
    /// Their relationship to the patient; none: "unknown".
    #[serde(default)]
    pub relationship: Option<String>,
}

/// What a link did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Linked {
    /// Unmatched texts (and replies to them) moved to the patient's thread.
    pub moved: usize,
    /// The number became (or was again) one of the patient's current numbers;
    /// false when it was already, or is not a phone number (a sender name).
    pub number_added: bool,
}

/// `number` as E.164 when it is one (a stored number is E.164 or the raw
/// `+digits` a server sent).
pub(super) fn as_e164(number: &str) -> Option<E164> {
    phone::normalize(number, Region::default()).ok().filter(|n| n.as_str() == number)
}

fn clean(v: Option<&str>) -> Option<String> {
    v.map(str::trim).filter(|s| !s.is_empty()).map(String::from)
}

/// Makes `number` one of `patient_id`'s current numbers, as a contact from a
/// link, at `at`. A number the patient already has current is left as it
/// is; an inactive one is current again when `reactivate` says so. Returns
/// whether the number was added or made current.
pub(super) fn add_linked_number(
    conn: &Connection,
    patient_id: i64,
    number: &E164,
    contact: &LinkContact,
    at: &str,
    reactivate: impl FnOnce(&str) -> bool,
) -> Result<bool, StoreError> {
    let existing: Option<(bool, String)> = conn
        .query_row(
            "SELECT active, updated_at FROM contact_points WHERE patient_id = ?1 AND number = ?2",
            params![patient_id, number.as_str()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    match existing {
        Some((true, _)) => Ok(false),
        Some((false, updated_at)) => {
            if !reactivate(&updated_at) {
                return Ok(false);
            }
            conn.execute(
                "UPDATE contact_points SET active = 1, source = 'link', updated_at = ?3
                  WHERE patient_id = ?1 AND number = ?2",
                params![patient_id, number.as_str(), at],
            )?;
            Ok(true)
        }
        None => {
            let relationship = clean(contact.relationship.as_deref()).unwrap_or_else(|| UNKNOWN_RELATIONSHIP.into());
            conn.execute(
                "INSERT INTO contact_points (patient_id, kind, name, relationship, number, digits, national, rank,
                                             active, source, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7,
                         (SELECT COALESCE(max(rank) + 1, 0) FROM contact_points WHERE patient_id = ?1),
                         1, 'link', ?8, ?8)",
                params![
                    patient_id,
                    PhoneKind::Contact.as_str(),
                    clean(contact.name.as_deref()),
                    relationship,
                    number.as_str(),
                    number.digits(),
                    phone::national_digits(number),
                    at
                ],
            )?;
            Ok(true)
        }
    }
}

/// The migration hook of schema 12: every number staff linked becomes the
/// patient's number, as [`add_linked_number`] makes one now. A number the
/// patient already had stays as it is, unless a re-import had made it
/// inactive before the link (the link is the newer word). Links to what is
/// not a phone number stay links only.
pub(crate) fn backfill(tx: &Transaction<'_>) -> Result<usize, StoreError> {
    let links: Vec<(String, i64, String)> = tx
        .prepare("SELECT number, patient_id, linked_at FROM number_links ORDER BY linked_at, number")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    let mut added = 0;
    for (number, patient_id, linked_at) in links {
        let Some(e164) = as_e164(&number) else { continue };
        let later = |updated_at: &str| updated_at <= linked_at.as_str();
        if add_linked_number(tx, patient_id, &e164, &LinkContact::default(), &linked_at, later)? {
            added += 1;
        }
    }
    Ok(added)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{migrations, Database};

    const LINKED: &str = "+18055550199";
    const DROPPED: &str = "+18055550150";
    const KEPT: &str = "+18055550151";

    /// A database at schema 11 (before this change) with a patient, her
    /// numbers as a re-import left them, and links staff made then.
    fn older_database() -> (tempfile::TempDir, std::path::PathBuf, i64) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let mut conn = Connection::open(&path).unwrap();
        crate::store::apply_key(&conn, &key()).unwrap();
        migrations::migrate_to(&mut conn, 11);
        conn.execute_batch(
            "INSERT INTO patients (id, name, name_key, created_at, updated_at) VALUES (7, 'Ana Lopez', 'ana lopez', 'x', 'x');
             INSERT INTO contact_points (patient_id, kind, number, digits, national, rank, active, created_at, updated_at)
             VALUES (7, 'patient', '+18055550100', '18055550100', '8055550100', 0, 1, 'x', '2024-01-01T00:00:00Z'),
                    (7, 'contact', '+18055550150', '18055550150', '8055550150', 1, 0, 'x', '2024-01-01T00:00:00Z'),
                    (7, 'contact', '+18055550151', '18055550151', '8055550151', 2, 0, 'x', '2024-09-01T00:00:00Z');
             INSERT INTO number_links (number, patient_id, linked_by, linked_at) VALUES
                ('+18055550199', 7, 'dana', '2024-06-01T00:00:00Z'),
                ('+18055550150', 7, 'dana', '2024-06-01T00:00:00Z'),
                ('+18055550151', 7, 'dana', '2024-06-01T00:00:00Z'),
                ('+999', 7, 'dana', '2024-06-01T00:00:00Z');",
        )
        .unwrap();
        (dir, path, 7)
    }

    fn key() -> crate::rules::secret::Secret {
        crate::rules::secret::Secret::new("ab".repeat(32))
    }

    #[test]
    fn the_migration_makes_earlier_links_the_patients_numbers() {
        let (_dir, path, ana) = older_database();
        let db = Database::open(&path, &key()).unwrap();
        let phones = db.patient(ana).unwrap().unwrap().phones;
        let listed: Vec<_> =
            phones.iter().map(|p| (p.number.as_str(), p.kind, p.relationship.as_deref(), p.active)).collect();
        assert_eq!(
            listed,
            [
                ("+18055550100", PhoneKind::Patient, None, true),
                // Dropped by a re-import, then linked: the link is newer, so current again.
                (DROPPED, PhoneKind::Contact, None, true),
                (LINKED, PhoneKind::Contact, Some(UNKNOWN_RELATIONSHIP), true),
                // Linked, then dropped by a later re-import: stays no longer used.
                (KEPT, PhoneKind::Contact, None, false),
            ]
        );
        // Searchable by its digits like any number, and replies from it are hers by number.
        assert_eq!(db.search_patients("805-555-0199", 5).unwrap().len(), 1);
        assert_eq!(db.patients_with_number(LINKED).unwrap(), [ana]);
        let source: String =
            db.conn().query_row("SELECT source FROM contact_points WHERE number = ?1", [LINKED], |r| r.get(0)).unwrap();
        assert_eq!(source, "link");
        // "+999" is no phone number: it stays a link only.
        assert_eq!(db.linked_patient("+999").unwrap(), Some(ana));
        assert!(!phones.iter().any(|p| p.number == "+999"));
    }
}
