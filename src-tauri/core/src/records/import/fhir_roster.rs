//! FHIR R4 roster: a Bundle of Patient and RelatedPerson resources, or a
//! single Patient or RelatedPerson (spec 000). SMS numbers are telecoms with
//! `system: "sms"`, on the Patient, in `Patient.contact[].telecom` (a contact
//! with name and relationship) and on RelatedPersons that point at a Patient.

use std::collections::HashMap;

use rusqlite::OptionalExtension;

use super::{ImportError, ParsedRow};
use crate::{
    records::fhir::{self, Bundle, Patient, RelatedPerson},
    rules::phone::{normalize, Region},
    store::{ContactPointInput, Database, PatientInput, PhoneKind},
};

/// What a FHIR roster is read with besides the file.
#[derive(Debug, Clone)]
pub struct FhirOptions {
    /// `fhir.ecm_identifier_system`: the identifier system of the ECM id.
    pub ecm_identifier_system: Option<String>,
    /// Telecoms whose `period.end` is before this have ended.
    pub now: chrono::DateTime<chrono::Utc>,
}

pub fn parse(
    content: &str,
    region: Region,
    db: &Database,
    options: &FhirOptions,
) -> Result<Vec<ParsedRow>, ImportError> {
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
                let parsed = serde_json::from_value::<Patient>(value)
                    .map_err(|e| format!("Patient is malformed: {e}"))
                    .and_then(|p| patient_input(&p, region, options));
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
        let result = serde_json::from_value::<RelatedPerson>(value)
            .map_err(|e| format!("RelatedPerson is malformed: {e}"))
            .and_then(|rp| related_contacts(&rp, region, options.now).map(|c| (rp, c)));
        let (rp, contacts) = match result {
            Ok(v) => v,
            Err(e) => {
                rows.push((row, Err(e)));
                continue;
            }
        };
        let target = rp
            .patient
            .as_ref()
            .and_then(|r| r.reference.as_deref())
            .map(|r| r.trim_start_matches("Patient/").to_string());
        let Some(target) = target else {
            rows.push((row, Err("RelatedPerson has no patient reference".into())));
            continue;
        };
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
            Some(name) => rows
                .push((row, Ok(PatientInput { ecm_patient_id: None, fhir_id: Some(target), name, phones: contacts }))),
            None => rows.push((
                row,
                Err(format!("RelatedPerson refers to Patient/{target}, which is neither in this file nor imported")),
            )),
        }
    }
    Ok(rows)
}

fn patient_input(p: &Patient, region: Region, options: &FhirOptions) -> Result<PatientInput, String> {
    let name = fhir::preferred_name(&p.name).ok_or("Patient has no name")?;
    let ecm_patient_id = match fhir::ecm_patient_id(&p.identifier, options.ecm_identifier_system.as_deref()) {
        None => None,
        Some(Ok(n)) => Some(n),
        Some(Err(v)) => return Err(format!("ECM identifier {v:?} is not a whole number")),
    };
    let mut phones = Vec::new();
    for value in fhir::sms_numbers(&p.telecom, options.now) {
        let number = normalize(&value, region).map_err(|e| format!("Patient.telecom: {e}"))?;
        phones.push(ContactPointInput { number, kind: PhoneKind::Patient, name: None, relationship: None });
    }
    for (i, c) in p.contact.iter().enumerate() {
        for value in fhir::sms_numbers(&c.telecom, options.now) {
            let number = normalize(&value, region).map_err(|e| format!("Patient.contact[{i}].telecom: {e}"))?;
            phones.push(ContactPointInput {
                number,
                kind: PhoneKind::Contact,
                name: c.name.as_ref().and_then(|n| n.display()),
                relationship: c.relationship.iter().find_map(|r| r.display()),
            });
        }
    }
    if phones.is_empty() {
        return Err(format!(
            "Patient {name:?} has no current telecom with system \"sms\" (ended and use: old numbers are left out)"
        ));
    }
    Ok(PatientInput { ecm_patient_id, fhir_id: p.id.clone(), name, phones })
}

fn related_contacts(
    rp: &RelatedPerson,
    region: Region,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<ContactPointInput>, String> {
    let numbers = fhir::sms_numbers(&rp.telecom, now);
    if numbers.is_empty() {
        return Err("RelatedPerson has no current telecom with system \"sms\"".into());
    }
    numbers
        .iter()
        .map(|v| {
            Ok(ContactPointInput {
                number: normalize(v, region).map_err(|e| format!("RelatedPerson.telecom: {e}"))?,
                kind: PhoneKind::Contact,
                name: fhir::preferred_name(&rp.name),
                relationship: rp.relationship.iter().find_map(|r| r.display()),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_db;

    fn configured() -> FhirOptions {
        FhirOptions { ecm_identifier_system: Some("urn:caredesk:ecm-patient-id".into()), now: chrono::Utc::now() }
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
        let rows = parse(BUNDLE, Region::default(), &db, &configured()).unwrap();
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
        assert!(parse(one, Region::default(), &db, &configured()).unwrap()[0].1.is_ok());
        assert!(matches!(
            parse("{\"resourceType\":\"Observation\"}", Region::default(), &db, &configured()),
            Err(ImportError::Fhir(_))
        ));
        assert!(matches!(parse("not json", Region::default(), &db, &configured()), Err(ImportError::Fhir(_))));
        let orphan = r#"{"resourceType":"RelatedPerson","patient":{"reference":"Patient/zz"},"telecom":[{"system":"sms","value":"+14155550100"}]}"#;
        assert!(parse(orphan, Region::default(), &db, &configured()).unwrap()[0]
            .1
            .as_ref()
            .unwrap_err()
            .contains("Patient/zz"));
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
        let unset = FhirOptions { ecm_identifier_system: None, now: chrono::Utc::now() };
        let rows = parse(patient, Region::default(), &db, &unset).unwrap();
        let ana = rows[0].1.as_ref().unwrap();
        assert_eq!(ana.ecm_patient_id, None, "no system configured: no ECM id from identifiers");
        let numbers: Vec<&str> = ana.phones.iter().map(|p| p.number.as_str()).collect();
        assert_eq!(numbers, ["+18055550112"], "the old and the ended numbers are left out");
        let rows = parse(patient, Region::default(), &db, &configured()).unwrap();
        assert_eq!(rows[0].1.as_ref().unwrap().ecm_patient_id, Some(123));

        let ended_only = r#"{"resourceType":"Patient","name":[{"text":"Gone"}],
          "telecom":[{"system":"sms","value":"+18055550113","use":"old"}]}"#;
        let e = parse(ended_only, Region::default(), &db, &configured()).unwrap()[0].1.clone().unwrap_err();
        assert!(e.contains("current"), "{e}");
    }
}
