//! CSV roster: a header row, then one row per patient or per contact, columns
//! in any order: `ecm_patient_id,name,phone,contact_name,contact_relationship,contact_phone`.
//! Several rows for the same patient (one per contact) merge.

use super::{ImportError, ParsedRow};
use crate::{
    rules::phone::{normalize, Region},
    store::{ContactPointInput, PatientInput, PhoneKind},
};

const COLUMNS: [&str; 6] = ["ecm_patient_id", "name", "phone", "contact_name", "contact_relationship", "contact_phone"];
/// An optional column: the patient's time zone (IANA name), for quiet hours.
const TIME_ZONE: &str = "time_zone";

pub fn parse(content: &str, region: Region) -> Result<Vec<ParsedRow>, ImportError> {
    let content = content.strip_prefix('\u{feff}').unwrap_or(content);
    let mut reader = csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(content.as_bytes());
    let headers = reader.headers().map_err(|e| ImportError::Csv(e.to_string()))?.clone();
    let col = |name: &str| headers.iter().position(|h| h.trim().eq_ignore_ascii_case(name));
    let mut idx: Vec<Option<usize>> = COLUMNS.iter().map(|c| col(c)).collect();
    idx.push(col(TIME_ZONE));
    if idx[1].is_none() {
        return Err(ImportError::MissingColumn("name"));
    }
    if idx[2].is_none() && idx[5].is_none() {
        return Err(ImportError::MissingColumn("phone"));
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let (line, result) = match record {
            Ok(r) => {
                let line = r.position().map(|p| p.line() as usize).unwrap_or(0);
                let get = |i: usize| idx[i].and_then(|c| r.get(c)).map(str::trim).filter(|s| !s.is_empty());
                (line, row_to_patient(&get, region))
            }
            Err(e) => {
                let line = e.position().map(|p| p.line() as usize).unwrap_or(0);
                (line, Err(format!("unreadable CSV row: {e}")))
            }
        };
        rows.push((line, result));
    }
    Ok(rows)
}

fn row_to_patient<'a>(get: &dyn Fn(usize) -> Option<&'a str>, region: Region) -> Result<PatientInput, String> {
    let name = get(1).ok_or("the name is empty")?;
    let ecm_patient_id = match get(0) {
        None => None,
        Some(v) => match v.parse::<i64>() {
            Ok(n) if n > 0 => Some(n),
            _ => return Err(format!("ecm_patient_id {v:?} is not a positive whole number")),
        },
    };
    let mut phones = Vec::new();
    if let Some(p) = get(2) {
        let number = normalize(p, region).map_err(|e| format!("phone: {e}"))?;
        phones.push(ContactPointInput { number, kind: PhoneKind::Patient, name: None, relationship: None });
    }
    match get(5) {
        Some(p) => {
            let number = normalize(p, region).map_err(|e| format!("contact_phone: {e}"))?;
            phones.push(ContactPointInput {
                number,
                kind: PhoneKind::Contact,
                name: get(3).map(String::from),
                relationship: get(4).map(String::from),
            });
        }
        None if get(3).is_some() || get(4).is_some() => {
            return Err("a contact is named but contact_phone is empty".into())
        }
        None => {}
    }
    if phones.is_empty() {
        return Err("the row has no phone number".into());
    }
    let time_zone = match get(6) {
        None => None,
        Some(z) => Some(
            z.parse::<chrono_tz::Tz>()
                .map(|tz| tz.name().to_string())
                .map_err(|_| format!("time_zone {z:?} is not a time zone name like America/Chicago"))?,
        ),
    };
    Ok(PatientInput { ecm_patient_id, fhir_id: None, name: name.to_string(), phones, time_zone })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_us(s: &str) -> Vec<ParsedRow> {
        parse(s, Region::default()).unwrap()
    }

    /// The README and the import dialog offer `examples/roster.csv`: it
    /// must import cleanly, with every column and a merged contact row.
    #[test]
    fn the_shipped_example_roster_reads_without_errors() {
        let sample = include_str!("../../../../../examples/roster.csv");
        let header: Vec<&str> = sample.lines().next().unwrap().split(',').collect();
        assert_eq!(header, COLUMNS);
        let rows = parse_us(sample);
        assert_eq!(rows.len(), 5);
        for (line, r) in &rows {
            assert!(r.is_ok(), "line {line}: {r:?}");
        }
        let with_contact = rows.iter().filter_map(|(_, r)| r.as_ref().ok()).filter(|p| p.phones.len() == 2).count();
        assert_eq!(with_contact, 2);
    }

    #[test]
    fn columns_in_any_order_with_contacts() {
        let rows = parse_us("name,phone,ecm_patient_id,contact_phone,contact_name,contact_relationship\nAna Lopez,(805) 555-0100,123,805-555-0101,Luis Lopez,son\n");
        let (line, p) = &rows[0];
        let p = p.as_ref().unwrap();
        assert_eq!(*line, 2);
        assert_eq!(p.ecm_patient_id, Some(123));
        assert_eq!(p.phones.len(), 2);
        assert_eq!(p.phones[1].relationship.as_deref(), Some("son"));
        assert_eq!(p.phones[1].number.as_str(), "+18055550101");
    }

    #[test]
    fn bad_rows_name_their_line_and_reason() {
        let rows = parse_us("ecm_patient_id,name,phone\n1,Ok Person,8055550100\n2,,8055550100\nx,Bad Id,8055550100\n4,Bad Phone,12345\n5,No Phone,\n");
        let errs: Vec<(usize, String)> =
            rows.iter().filter_map(|(l, r)| r.as_ref().err().map(|e| (*l, e.clone()))).collect();
        assert_eq!(errs.len(), 4);
        assert_eq!(errs[0].0, 3);
        assert!(errs[0].1.contains("name"));
        assert!(errs[1].1.contains("\"x\""));
        assert!(errs[2].1.contains("\"12345\""));
        assert!(errs[3].1.contains("no phone"));
    }

    #[test]
    fn missing_columns_fail_the_file() {
        assert!(matches!(
            parse("ecm_patient_id,phone\n1,8055550100\n", Region::default()),
            Err(ImportError::MissingColumn("name"))
        ));
        assert!(matches!(
            parse("name,ecm_patient_id\nA,1\n", Region::default()),
            Err(ImportError::MissingColumn("phone"))
        ));
    }
}
