//! FHIR R4 roster: a Bundle of Patient and RelatedPerson resources, or a
//! single Patient or RelatedPerson (spec 000). SMS numbers are telecoms with
//! `system: "sms"`, on the Patient, in `Patient.contact[].telecom` (a contact
//! with name and relationship) and on RelatedPersons that point at a Patient.

use std::collections::HashMap;

use rusqlite::OptionalExtension;

use super::{ImportError, ParsedRow};
use crate::{
    rules::fhir::{
        resources::Bundle,
        roster::{self, Mapped, RosterOptions},
    },
    store::{ContactPointInput, Database, PatientInput},
};

/// What a FHIR roster is read with besides the file: the same options as
/// the FHIR server's roster sync.
pub type FhirOptions = RosterOptions;

pub fn parse(content: &str, db: &Database, options: &FhirOptions) -> Result<Vec<ParsedRow>, ImportError> {
    let root: serde_json::Value = serde_json::from_str(content).map_err(|e| ImportError::Fhir(e.to_string()))?;
    let resources: Vec<(usize, serde_json::Value)> = match root.get("resourceType").and_then(|v| v.as_str()) {
        Some("Bundle") => {
            let bundle: Bundle = serde_json::from_value(root).map_err(|e| ImportError::Fhir(e.to_string()))?;
            bundle.entry.into_iter().enumerate().filter_map(|(i, e)| e.resource.map(|r| (i + 1, r))).collect()
        }
        Some("Patient") | Some("RelatedPerson") => vec![(1, root)],
        Some(other) => return Err(ImportError::Fhir(format!("resourceType is {other:?}"))),
        None => return Err(ImportError::Fhir("there is no resourceType".into())),
    };

    let mut rows: Vec<ParsedRow> = Vec::new();
    let mut by_fhir_id: HashMap<String, usize> = HashMap::new();
    let mut related: Vec<(usize, serde_json::Value)> = Vec::new();
    for (row, value) in resources {
        match value.get("resourceType").and_then(|v| v.as_str()) {
            Some("Patient") => {
                let parsed = roster::patient(&value, options).and_then(whole).and_then(patient_input);
                if let Ok(p) = &parsed {
                    if let Some(id) = &p.fhir_id {
                        by_fhir_id.insert(id.clone(), rows.len());
                    }
                }
                rows.push((row, parsed));
            }
            Some("RelatedPerson") => related.push((row, value)),
            // Other resources in a Bundle (Practitioner, Encounter...) are not roster rows.
            _ => {}
        }
    }
    for (row, value) in related {
        let rp = match roster::related_person(&value, options).and_then(whole) {
            Ok(rp) if rp.numbers.is_empty() => {
                rows.push((row, Err("RelatedPerson has no current telecom with system \"sms\"".into())));
                continue;
            }
            Ok(rp) => rp,
            Err(e) => {
                rows.push((row, Err(e)));
                continue;
            }
        };
        let contacts: Vec<ContactPointInput> = rp.numbers.iter().map(ContactPointInput::from).collect();
        let target = rp.patient;
        if let Some(&i) = by_fhir_id.get(&target) {
            if let Ok(p) = &mut rows[i].1 {
                p.phones.extend(contacts);
                continue;
            }
        }
        let existing = db
            .conn()
            .query_row("SELECT name FROM patients WHERE fhir_id = ?1", [&target], |r| r.get::<_, String>(0))
            .optional()
            .map_err(crate::store::StoreError::from)?;
        match existing {
            Some(name) => rows.push((
                row,
                Ok(PatientInput {
                    ecm_patient_id: None,
                    fhir_id: Some(target),
                    name,
                    phones: contacts,
                    time_zone: None,
                }),
            )),
            None => rows.push((
                row,
                Err(format!("RelatedPerson refers to Patient/{target}, which is neither in this file nor imported")),
            )),
        }
    }
    Ok(rows)
}

/// A file's row is imported whole or not at all: anything unreadable in the
/// resource rejects it, with the reason.
fn whole<T>(mapped: Mapped<T>) -> Result<T, String> {
    match mapped.problems.is_empty() {
        true => Ok(mapped.value),
        false => Err(mapped.problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")),
    }
}

fn patient_input(p: roster::RosterPatient) -> Result<PatientInput, String> {
    if p.numbers.is_empty() {
        return Err(format!(
            "Patient {:?} has no current telecom with system \"sms\" (ended and use: old numbers are left out)",
            p.name
        ));
    }
    Ok(PatientInput {
        ecm_patient_id: p.ecm_patient_id,
        fhir_id: p.id,
        name: p.name,
        phones: p.numbers.iter().map(ContactPointInput::from).collect(),
        time_zone: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{rules::phone::Region, store::test_db};

    fn configured() -> FhirOptions {
        FhirOptions {
            region: Region::default(),
            ecm_identifier_system: Some("urn:caredesk:ecm-patient-id".into()),
            use_phone_numbers: false,
            now: chrono::Utc::now(),
        }
    }

    const BUNDLE: &str = r#"{
      "resourceType": "Bundle", "type": "collection",
      "entry": [
        {"resource": {"resourceType": "Patient", "id": "p1",
          "identifier": [{"system": "urn:caredesk:ecm-patient-id", "value": "123"}],
          "name": [{"use": "official", "given": ["Ana"], "family": "Lopez"}],
          "telecom": [{"system": "email", "value": "a@example.org"}, {"system": "sms", "value": "+18055550100"}],
          "contact": [{"relationship": [{"coding": [{"code": "C", "display": "Emergency Contact"}], "text": "son"}],
                       "name": {"text": "Luis Lopez"},
                       "telecom": [{"system": "sms", "value": "(805) 555-0101"}]}]}},
        {"resource": {"resourceType": "RelatedPerson", "id": "r1", "patient": {"reference": "Patient/p1"},
          "relationship": [{"text": "caregiver"}], "name": [{"text": "Maria Diaz"}],
          "telecom": [{"system": "sms", "value": "805-555-0102"}]}},
        {"resource": {"resourceType": "Patient", "id": "p2", "name": [{"text": "No Sms"}],
          "telecom": [{"system": "phone", "value": "+18055550103"}]}},
        {"resource": {"resourceType": "Practitioner", "id": "dr"}}
      ]}"#;

    #[test]
    fn bundle_with_contacts_and_related_person() {
        let (_d, db) = test_db();
        let rows = parse(BUNDLE, &db, &configured()).unwrap();
        assert_eq!(rows.len(), 2);
        let ana = rows[0].1.as_ref().unwrap();
        assert_eq!((ana.name.as_str(), ana.ecm_patient_id), ("Ana Lopez", Some(123)));
        let nums: Vec<&str> = ana.phones.iter().map(|p| p.number.as_str()).collect();
        assert_eq!(nums, ["+18055550100", "+18055550101", "+18055550102"]);
        assert_eq!(ana.phones[1].relationship.as_deref(), Some("son"));
        assert_eq!(ana.phones[2].name.as_deref(), Some("Maria Diaz"));
        let (row, err) = (&rows[1].0, rows[1].1.as_ref().unwrap_err());
        assert_eq!(*row, 3);
        assert!(err.contains("sms"), "{err}");
    }

    #[test]
    fn single_patient_and_bad_input() {
        let (_d, db) = test_db();
        let one = r#"{"resourceType":"Patient","name":[{"text":"Solo"}],"telecom":[{"system":"sms","value":"+14155550100"}]}"#;
        assert!(parse(one, &db, &configured()).unwrap()[0].1.is_ok());
        assert!(matches!(parse("{\"resourceType\":\"Observation\"}", &db, &configured()), Err(ImportError::Fhir(_))));
        assert!(matches!(parse("not json", &db, &configured()), Err(ImportError::Fhir(_))));
        let orphan = r#"{"resourceType":"RelatedPerson","patient":{"reference":"Patient/zz"},"telecom":[{"system":"sms","value":"+14155550100"}]}"#;
        assert!(parse(orphan, &db, &configured()).unwrap()[0].1.as_ref().unwrap_err().contains("Patient/zz"));
    }

    #[test]
    fn ecm_ids_only_from_the_configured_system_and_only_current_numbers() {
        let (_d, db) = test_db();
        let patient = r#"{"resourceType":"Patient","name":[{"text":"Ana"}],
          "identifier":[{"system":"https://attacker.example/ecm","value":"999"},
                        {"system":"urn:caredesk:ecm-patient-id","value":"123"}],
          "telecom":[{"system":"sms","value":"+18055550110","use":"old"},
                     {"system":"sms","value":"+18055550111","period":{"end":"2020-01-01T00:00:00Z"}},
                     {"system":"sms","value":"+18055550112","period":{"start":"2020-01-01","end":"2999-01-01"}}]}"#;
        let unset = FhirOptions { ecm_identifier_system: None, ..configured() };
        let rows = parse(patient, &db, &unset).unwrap();
        let ana = rows[0].1.as_ref().unwrap();
        assert_eq!(ana.ecm_patient_id, None, "no system configured: no ECM id from identifiers");
        let numbers: Vec<&str> = ana.phones.iter().map(|p| p.number.as_str()).collect();
        assert_eq!(numbers, ["+18055550112"], "the old and the ended numbers are left out");
        let rows = parse(patient, &db, &configured()).unwrap();
        assert_eq!(rows[0].1.as_ref().unwrap().ecm_patient_id, Some(123));

        let ended_only = r#"{"resourceType":"Patient","name":[{"text":"Gone"}],
          "telecom":[{"system":"sms","value":"+18055550113","use":"old"}]}"#;
        let e = parse(ended_only, &db, &configured()).unwrap()[0].1.clone().unwrap_err();
        assert!(e.contains("current"), "{e}");
    }
}
