//! Patients and their phone contact points.

use std::collections::HashMap;

use rusqlite::{params, OptionalExtension, Transaction};

use super::{
    contact_points::{merge_numbers, ImportRun},
    now_rfc3339, Database, StoreError,
};
use crate::rules::phone::E164;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
pub enum PhoneKind {
    Patient,
    Contact,
}

impl PhoneKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PhoneKind::Patient => "patient",
            PhoneKind::Contact => "contact",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ContactPointInput {
    pub number: E164,
    pub kind: PhoneKind,
    pub name: Option<String>,
    pub relationship: Option<String>,
}

impl From<&crate::rules::fhir::roster::RosterNumber> for ContactPointInput {
    fn from(n: &crate::rules::fhir::roster::RosterNumber) -> Self {
        use crate::rules::fhir::roster::NumberOwner;
        ContactPointInput {
            number: n.number.clone(),
            kind: match n.owner {
                NumberOwner::Patient => PhoneKind::Patient,
                NumberOwner::Contact => PhoneKind::Contact,
            },
            name: n.name.clone(),
            relationship: n.relationship.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct PatientInput {
    pub ecm_patient_id: Option<i64>,
    pub fhir_id: Option<String>,
    pub name: String,
    pub phones: Vec<ContactPointInput>,
    /// The patient's time zone (IANA name), when the source gives one;
    /// `None` keeps the stored one.
    pub time_zone: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UpsertOutcome {
    pub id: i64,
    pub created: bool,
}

/// A patient as the CLI's `patients list --json` and the UI show it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, ts_rs::TS)]
#[ts(rename = "Patient")]
pub struct PatientView {
    pub id: i64,
    pub name: String,
    pub ecm_patient_id: Option<i64>,
    /// The Patient's id on the clinic's FHIR server, when it came from one
    /// (a pull, or a FHIR file with ids).
    pub fhir_id: Option<String>,
    /// For a patient the FHIR server manages: active, inactive (`active:
    /// false` or deceased) or deleted. Inactive and deleted patients are not
    /// texted or called. `null` for patients the server does not manage.
    pub fhir_status: Option<super::fhir_roster::FhirStatus>,
    pub phones: Vec<PhoneView>,
    /// The patient's own time zone (IANA name): quiet hours follow it.
    /// `null`: the clinic's zone.
    pub time_zone: Option<String>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, ts_rs::TS)]
#[ts(rename = "Phone")]
pub struct PhoneView {
    pub number: String,
    pub kind: PhoneKind,
    pub name: Option<String>,
    pub relationship: Option<String>,
    pub opted_out: bool,
    /// Listed by the latest import that listed the patient. An inactive
    /// number is history: the patient no longer uses it, so it is never
    /// chosen by default nor sent to without confirming another number.
    pub active: bool,
}

pub(crate) fn name_key(name: &str) -> String {
    name.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// How the patient search reads what was typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum PatientMatch {
    /// Nothing typed.
    All,
    /// `ecm:123`.
    Ecm(i64),
    /// Digits (and phone punctuation): a number's digits or national digits
    /// start with them, or they are an ECM id.
    Digits(String),
    /// A name, matched at the start of any word.
    Name(String),
}

/// The order of search results.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PatientOrder {
    Name,
    /// Latest message or call first; patients without any after, by name.
    Activity,
}

impl PatientMatch {
    pub(super) fn parse(query: &str) -> PatientMatch {
        let q = query.trim();
        if q.is_empty() {
            PatientMatch::All
        } else if let Some(ecm) = q.strip_prefix("ecm:").and_then(|s| s.trim().parse::<i64>().ok()) {
            PatientMatch::Ecm(ecm)
        } else if q.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c)) && q.chars().any(|c| c.is_ascii_digit())
        {
            PatientMatch::Digits(q.chars().filter(|c| c.is_ascii_digit()).collect())
        } else {
            PatientMatch::Name(name_key(q))
        }
    }
}

/// [`upsert_patient_in`] as an import of its own: the numbers of `input`
/// are the patient's current ones, any others inactive.
pub fn upsert_patient(tx: &Transaction<'_>, input: &PatientInput) -> Result<UpsertOutcome, StoreError> {
    upsert_patient_in(tx, input, &ImportRun::new())
}

/// Inserts or updates a patient and merges its numbers, inside `tx`, as
/// part of import `run` (see [`super::contact_points`]).
///
/// Identity, in order: the ECM patient id, the FHIR id, then the same name
/// with a number in common. Numbers are merged, never dropped, so a number's
/// consent history stays attached; those `run` does not list are inactive.
pub fn upsert_patient_in(
    tx: &Transaction<'_>,
    input: &PatientInput,
    run: &ImportRun,
) -> Result<UpsertOutcome, StoreError> {
    let now = now_rfc3339();
    let key = name_key(&input.name);
    let mut existing: Option<i64> = None;
    if let Some(ecm) = input.ecm_patient_id {
        existing = tx.query_row("SELECT id FROM patients WHERE ecm_patient_id = ?1", [ecm], |r| r.get(0)).optional()?;
    }
    if existing.is_none() {
        if let Some(fhir) = &input.fhir_id {
            existing = tx.query_row("SELECT id FROM patients WHERE fhir_id = ?1", [fhir], |r| r.get(0)).optional()?;
        }
    }
    if existing.is_none() && input.ecm_patient_id.is_none() && input.fhir_id.is_none() {
        for p in &input.phones {
            existing = tx
                .query_row(
                    "SELECT p.id FROM patients p JOIN contact_points c ON c.patient_id = p.id
                     WHERE p.name_key = ?1 AND c.number = ?2 AND p.ecm_patient_id IS NULL AND p.fhir_id IS NULL LIMIT 1",
                    params![key, p.number.as_str()],
                    |r| r.get(0),
                )
                .optional()?;
            if existing.is_some() {
                break;
            }
        }
    }
    let (id, created) = match existing {
        Some(id) => {
            tx.execute(
                "UPDATE patients SET name = ?2, name_key = ?3,
                    ecm_patient_id = COALESCE(?4, ecm_patient_id), fhir_id = COALESCE(?5, fhir_id), updated_at = ?6,
                    time_zone = COALESCE(?7, time_zone)
                 WHERE id = ?1",
                params![id, input.name, key, input.ecm_patient_id, input.fhir_id, now, input.time_zone],
            )?;
            (id, false)
        }
        None => {
            tx.execute(
                "INSERT INTO patients (ecm_patient_id, fhir_id, name, name_key, created_at, updated_at, time_zone)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6)",
                params![input.ecm_patient_id, input.fhir_id, input.name, key, now, input.time_zone],
            )?;
            (tx.last_insert_rowid(), true)
        }
    };
    merge_numbers(tx, id, &input.phones, run, &now)?;
    Ok(UpsertOutcome { id, created })
}

impl Database {
    pub fn patient_count(&self) -> Result<i64, StoreError> {
        Ok(self.conn.query_row("SELECT count(*) FROM patients", [], |r| r.get(0))?)
    }

    /// Finds a patient by CareDesk id (`12`) or ECM id (`ecm:123`).
    pub fn resolve_patient(&self, reference: &str) -> Result<Option<i64>, StoreError> {
        let r = reference.trim();
        let found = if let Some(ecm) = r.strip_prefix("ecm:") {
            let Ok(ecm) = ecm.trim().parse::<i64>() else {
                return Ok(None);
            };
            self.conn.query_row("SELECT id FROM patients WHERE ecm_patient_id = ?1", [ecm], |r| r.get(0)).optional()?
        } else {
            let Ok(id) = r.parse::<i64>() else {
                return Ok(None);
            };
            self.conn.query_row("SELECT id FROM patients WHERE id = ?1", [id], |r| r.get(0)).optional()?
        };
        Ok(found)
    }

    /// Sets (or with `None` clears) a patient's time zone; false when no
    /// such patient. The caller checks the name.
    pub fn set_patient_time_zone(&self, id: i64, zone: Option<&str>, actor: &str) -> Result<bool, StoreError> {
        let tx = self.conn.unchecked_transaction()?;
        let n = tx.execute(
            "UPDATE patients SET time_zone = ?2, updated_at = ?3 WHERE id = ?1",
            params![id, zone, now_rfc3339()],
        )?;
        if n == 1 {
            let detail = format!("time zone {}", zone.unwrap_or("cleared (the clinic's)"));
            self.audit_on(&tx, actor, "patient.time_zone", Some(id), &detail)?;
        }
        tx.commit()?;
        Ok(n == 1)
    }

    pub fn patient(&self, id: i64) -> Result<Option<PatientView>, StoreError> {
        Ok(self.patients_by_ids(&[id])?.into_iter().next())
    }

    /// Patients matching what a person typed: a name (prefix of any word),
    /// a phone number in any format (prefix of its digits, national or
    /// international), or an ECM id (`123` or `ecm:123`). Empty lists all.
    pub fn search_patients(&self, query: &str, limit: usize) -> Result<Vec<PatientView>, StoreError> {
        let (ids, _) = self.matching_patient_ids(&PatientMatch::parse(query), PatientOrder::Name, limit)?;
        self.patients_by_ids(&ids)
    }

    /// The patients with these ids, in this order (unknown ids skipped,
    /// repeats once). Three statements whatever the count: the patient
    /// column shows a hundred at a time.
    pub fn patients_by_ids(&self, ids: &[i64]) -> Result<Vec<PatientView>, StoreError> {
        let list = id_list(ids);
        let mut found: HashMap<i64, PatientView> = HashMap::with_capacity(ids.len());
        let mut p = self.conn.prepare_cached(
            "SELECT id, name, ecm_patient_id, fhir_id, fhir_status, time_zone FROM patients
             WHERE id IN (SELECT value FROM json_each(?1))",
        )?;
        let rows = p.query_map([&list], |r| {
            Ok(PatientView {
                id: r.get(0)?,
                name: r.get(1)?,
                ecm_patient_id: r.get(2)?,
                fhir_id: r.get(3)?,
                fhir_status: r.get::<_, Option<String>>(4)?.as_deref().and_then(super::fhir_roster::FhirStatus::parse),
                phones: vec![],
                time_zone: r.get(5)?,
            })
        })?;
        for view in rows {
            let view = view?;
            found.insert(view.id, view);
        }
        let mut ph = self.conn.prepare_cached(
            "SELECT c.patient_id, c.number, c.kind, c.name, c.relationship, COALESCE(s.state = 'opted_out', 0), c.active
             FROM contact_points c LEFT JOIN sms_consent s ON s.number = c.number
             WHERE c.patient_id IN (SELECT value FROM json_each(?1)) ORDER BY c.patient_id, c.active DESC, c.rank, c.id",
        )?;
        let mut rows = ph.query([&list])?;
        while let Some(r) = rows.next()? {
            let kind: String = r.get(2)?;
            if let Some(view) = found.get_mut(&r.get::<_, i64>(0)?) {
                view.phones.push(PhoneView {
                    number: r.get(1)?,
                    kind: if kind == "patient" { PhoneKind::Patient } else { PhoneKind::Contact },
                    name: r.get(3)?,
                    relationship: r.get(4)?,
                    opted_out: r.get(5)?,
                    active: r.get(6)?,
                });
            }
        }
        Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
    }
}

/// Ids as a JSON array, for `json_each(?)`: one statement for a list.
pub(super) fn id_list(ids: &[i64]) -> String {
    let mut out = String::with_capacity(ids.len() * 7 + 2);
    out.push('[');
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&id.to_string());
    }
    out.push(']');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::phone::{normalize, Region};
    use crate::store::test_db;

    fn cp(n: &str, kind: PhoneKind, name: Option<&str>, rel: Option<&str>) -> ContactPointInput {
        ContactPointInput {
            number: normalize(n, Region::default()).unwrap(),
            kind,
            name: name.map(Into::into),
            relationship: rel.map(Into::into),
        }
    }

    fn ana() -> PatientInput {
        PatientInput {
            ecm_patient_id: Some(123),
            fhir_id: None,
            name: "Ana Lopez".into(),
            phones: vec![
                cp("(805) 555-0101", PhoneKind::Contact, Some("Luis Lopez"), Some("son")),
                cp("805-555-0100", PhoneKind::Patient, None, None),
            ],
            time_zone: None,
        }
    }

    fn bo() -> PatientInput {
        PatientInput {
            ecm_patient_id: Some(9),
            fhir_id: None,
            name: "Bo Chen".into(),
            phones: vec![cp("+14155550199", PhoneKind::Patient, None, None)],
            time_zone: None,
        }
    }

    fn upsert(db: &mut Database, p: &PatientInput) -> UpsertOutcome {
        let tx = db.conn_mut().transaction().unwrap();
        let o = upsert_patient(&tx, p).unwrap();
        tx.commit().unwrap();
        o
    }

    #[test]
    fn upsert_is_idempotent_and_orders_patient_number_first() {
        let (_d, mut db) = test_db();
        let a = upsert(&mut db, &ana());
        let b = upsert(&mut db, &ana());
        assert!(a.created && !b.created && a.id == b.id);
        let v = db.patient(a.id).unwrap().unwrap();
        assert_eq!(v.phones.len(), 2);
        assert_eq!(v.phones[0].number, "+18055550100");
        assert_eq!(v.phones[1].relationship.as_deref(), Some("son"));
    }

    #[test]
    fn search_by_name_phone_and_ecm_id() {
        let (_d, mut db) = test_db();
        let id = upsert(&mut db, &ana()).id;
        upsert(&mut db, &bo());
        let ids = |q: &str| db.search_patients(q, 50).unwrap().iter().map(|p| p.id).collect::<Vec<_>>();
        assert_eq!(ids("lop"), vec![id]);
        assert_eq!(ids("ANA"), vec![id]);
        assert_eq!(ids("(805) 555-01"), vec![id]);
        assert_eq!(ids("1805555"), vec![id]);
        assert_eq!(ids("ecm:123"), vec![id]);
        assert_eq!(ids("123"), vec![id]);
        assert_eq!(ids("").len(), 2);
        assert!(ids("%").is_empty());
        assert!(ids("zed").is_empty());
    }

    #[test]
    fn patients_by_ids_keeps_the_order_asked_and_skips_unknown_ids() {
        let (_d, mut db) = test_db();
        let a = upsert(&mut db, &ana()).id;
        let b = upsert(&mut db, &bo()).id;
        let got = db.patients_by_ids(&[b, 999, a, b]).unwrap();
        assert_eq!(got.iter().map(|p| p.id).collect::<Vec<_>>(), vec![b, a]);
        assert_eq!(got[0].phones.len(), 1);
        assert_eq!(
            got[1].phones.iter().map(|p| p.number.as_str()).collect::<Vec<_>>(),
            vec!["+18055550100", "+18055550101"]
        );
        assert!(db.patients_by_ids(&[]).unwrap().is_empty());
        assert_eq!(id_list(&[3, -1, 20]), "[3,-1,20]");
    }

    #[test]
    fn resolve_patient_reference() {
        let (_d, mut db) = test_db();
        let id = upsert(&mut db, &ana()).id;
        assert_eq!(db.resolve_patient("ecm:123").unwrap(), Some(id));
        assert_eq!(db.resolve_patient(&id.to_string()).unwrap(), Some(id));
        assert_eq!(db.resolve_patient("ecm:999").unwrap(), None);
        assert_eq!(db.resolve_patient("nope").unwrap(), None);
    }
}
