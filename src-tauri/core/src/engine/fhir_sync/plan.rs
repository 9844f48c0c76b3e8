//! The pure step of a pull: one page of resources, against the versions
//! already stored, becomes the records to store (each new version once) and
//! the patients to make again; nothing here reads or writes anything.

use std::collections::{BTreeSet, HashMap};

use sha2::{Digest, Sha256};

use crate::{
    gateways::fhir::page::PageEntry,
    rules::fhir::roster::{self, RosterOptions, Version},
    store::{fhir_roster::StoredVersion, FhirKind, FhirRecord, FhirStatus},
};

/// One record to store.
#[derive(Debug, Clone, PartialEq)]
pub struct Put {
    pub id: String,
    /// What identifies this version (see [`version_key`]).
    pub version: String,
    pub last_updated: Option<String>,
    pub record: FhirRecord,
}

/// What one page asks of the store.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PagePlan {
    pub puts: Vec<Put>,
    /// The Patients (FHIR ids) whose CareDesk patient is made again: those
    /// of every record stored, and the one a RelatedPerson moved away from.
    pub patients: BTreeSet<String>,
    /// Resources seen again at the version already stored.
    pub unchanged: usize,
    /// Resources of the page that cannot be roster entries, and numbers
    /// that could not be read, each with its reference and the reason.
    pub problems: Vec<String>,
    /// The latest `meta.lastUpdated` of the page's resources of `kind`.
    pub newest: Option<chrono::DateTime<chrono::Utc>>,
}

/// What identifies a version of a resource: `meta.versionId`, else
/// `meta.lastUpdated`, else a digest of the resource itself.
pub fn version_key(version: &Version, resource: &serde_json::Value) -> String {
    version.key().unwrap_or_else(|| {
        let digest = Sha256::digest(resource.to_string().as_bytes());
        format!("d:{}", hex::encode(&digest[..16]))
    })
}

/// An instant as a server writes `meta.lastUpdated`, read.
pub fn instant(s: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_rfc3339(s.trim()).ok().map(|t| t.with_timezone(&chrono::Utc))
}

/// Plans one page of a search of `kind`. `stored` holds the versions the
/// store has of the page's ids (see `Database::fhir_versions`).
pub fn plan_page(
    kind: FhirKind,
    entries: &[PageEntry],
    stored: &HashMap<String, StoredVersion>,
    options: &RosterOptions,
) -> PagePlan {
    let mut plan = PagePlan::default();
    for entry in entries.iter().filter(|e| e.resource_type == kind.as_str()) {
        let reference = format!("{}/{}", entry.resource_type, entry.id);
        let version = Version::of(
            serde_json::from_value::<crate::rules::fhir::resources::Meta>(
                entry.resource.get("meta").cloned().unwrap_or_default(),
            )
            .ok()
            .as_ref(),
        );
        if let Some(at) = version.last_updated.as_deref().and_then(instant) {
            plan.newest = Some(plan.newest.map_or(at, |n| n.max(at)));
        }
        let key = version_key(&version, &entry.resource);
        let known = stored.get(&entry.id);
        if known.is_some_and(|k| k.version == key && k.state != FhirStatus::Deleted) {
            plan.unchanged += 1;
            continue;
        }
        let mapped = match kind {
            FhirKind::Patient => roster::patient(&entry.resource, options).map(|m| {
                let mut p = m.value;
                p.id = Some(entry.id.clone());
                (FhirRecord::Patient(p), m.problems)
            }),
            FhirKind::RelatedPerson => roster::related_person(&entry.resource, options).map(|m| {
                let mut r = m.value;
                r.id = Some(entry.id.clone());
                (FhirRecord::RelatedPerson(r), m.problems)
            }),
        };
        let (record, problems) = match mapped {
            Ok(v) => v,
            Err(reason) => {
                plan.problems.push(format!("{reference}: {reason}; skipped"));
                continue;
            }
        };
        // Without the value: a report reaches the screen and the store.
        plan.problems.extend(problems.iter().map(|p| format!("{reference}: {}; left out", p.without_value())));
        if let Some(patient) = record.patient() {
            plan.patients.insert(patient.to_string());
        }
        if let Some(old) = known.filter(|k| Some(k.patient.as_str()) != record.patient()) {
            plan.patients.insert(old.patient.clone());
        }
        plan.puts.push(Put { id: entry.id.clone(), version: key, last_updated: version.last_updated, record });
    }
    plan
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::rules::phone::Region;

    fn options() -> RosterOptions {
        RosterOptions {
            region: Region::default(),
            ecm_identifier_system: None,
            use_phone_numbers: false,
            now: chrono::Utc::now(),
        }
    }

    fn entry(index: usize, resource: serde_json::Value) -> PageEntry {
        PageEntry {
            index,
            resource_type: resource["resourceType"].as_str().unwrap().into(),
            id: resource["id"].as_str().unwrap().into(),
            included: false,
            resource,
        }
    }

    fn patient(id: &str, version: &str, at: &str) -> PageEntry {
        entry(
            0,
            json!({"resourceType": "Patient", "id": id, "meta": {"versionId": version, "lastUpdated": at},
                   "name": [{"text": "Pat"}], "telecom": [{"system": "sms", "value": "+18055550100"}]}),
        )
    }

    fn stored(version: &str, state: FhirStatus, patient: &str) -> StoredVersion {
        StoredVersion { version: version.into(), state, patient: patient.into() }
    }

    #[test]
    fn a_version_already_stored_is_not_stored_again() {
        let entries = [patient("a", "1", "2026-12-01T10:00:00Z"), patient("b", "2", "2026-12-01T10:00:05.5+02:00")];
        // (what is stored, what is put, unchanged)
        type Case = (Vec<(&'static str, StoredVersion)>, Vec<&'static str>, usize);
        let cases: [Case; 4] = [
            (vec![], vec!["a", "b"], 0),
            (vec![("a", stored("v:1", FhirStatus::Active, "a"))], vec!["b"], 1),
            (
                vec![("a", stored("v:1", FhirStatus::Inactive, "a")), ("b", stored("v:1", FhirStatus::Active, "b"))],
                vec!["b"],
                1,
            ),
            // Deleted, then back on the server at the same version: stored again.
            (
                vec![("a", stored("v:1", FhirStatus::Deleted, "a")), ("b", stored("v:2", FhirStatus::Active, "b"))],
                vec!["a"],
                1,
            ),
        ];
        for (known, want, unchanged) in cases {
            let known: HashMap<String, StoredVersion> = known.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
            let plan = plan_page(FhirKind::Patient, &entries, &known, &options());
            assert_eq!(plan.puts.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(), want, "{known:?}");
            assert_eq!(plan.unchanged, unchanged, "{known:?}");
            assert_eq!(plan.newest, instant("2026-12-01T10:00:00Z"), "the latest instant, whatever the offset");
        }
    }

    #[test]
    fn a_bad_resource_is_reported_and_the_rest_of_the_page_planned() {
        let entries = [
            entry(
                0,
                json!({"resourceType": "Patient", "id": "nameless", "telecom": [{"system": "sms", "value": "+18055550100"}]}),
            ),
            entry(
                1,
                json!({"resourceType": "Patient", "id": "odd", "name": [{"text": "Odd"}],
                            "telecom": [{"system": "sms", "value": "not a number"}, {"system": "sms", "value": "+18055550101"}]}),
            ),
            entry(2, json!({"resourceType": "Patient", "id": "ok", "name": [{"text": "Ok"}]})),
            entry(3, json!({"resourceType": "RelatedPerson", "id": "r1", "patient": {"reference": "Patient/ok"}})),
        ];
        let plan = plan_page(FhirKind::Patient, &entries, &HashMap::new(), &options());
        assert_eq!(plan.puts.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(), ["odd", "ok"]);
        assert_eq!(plan.patients.iter().map(String::as_str).collect::<Vec<_>>(), ["odd", "ok"]);
        assert_eq!(plan.problems.len(), 2, "{:?}", plan.problems);
        assert!(plan.problems[0].starts_with("Patient/nameless: Patient has no name; skipped"), "{:?}", plan.problems);
        assert!(plan.problems[1].starts_with("Patient/odd: Patient.telecom"), "{:?}", plan.problems);
        assert!(
            !plan.problems[1].contains("Odd") && !plan.problems[1].contains("not a number\""),
            "{:?}",
            plan.problems
        );
        // Versions without versionId or lastUpdated are told apart by content.
        assert!(plan.puts[0].version.starts_with("d:"), "{}", plan.puts[0].version);
    }

    #[test]
    fn a_related_person_that_moved_makes_both_patients_again() {
        let rp = entry(
            0,
            json!({"resourceType": "RelatedPerson", "id": "r1", "meta": {"versionId": "2"},
            "patient": {"reference": "Patient/new"}, "telecom": [{"system": "sms", "value": "+18055550120"}]}),
        );
        let known: HashMap<String, StoredVersion> =
            [("r1".to_string(), stored("v:1", FhirStatus::Active, "old"))].into_iter().collect();
        let plan = plan_page(FhirKind::RelatedPerson, &[rp], &known, &options());
        assert_eq!(plan.patients.iter().map(String::as_str).collect::<Vec<_>>(), ["new", "old"]);
    }
}
