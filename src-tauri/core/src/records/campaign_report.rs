//! A campaign's report as CSV, one row per recipient, in the order they
//! were listed: what a coordinator asked for (numbers included: the file
//! is theirs; CareDesk never logs it). Every cell spreadsheet-safe.

use crate::{
    desk::Desk, engine::campaign, records::export::spreadsheet_safe, rules::error::Result,
    store::campaigns::RecipientRow,
};

pub const HEADER: [&str; 9] =
    ["patient_id", "ecm_patient_id", "number", "state", "reason", "sent_at", "delivered", "answer", "replied"];

/// Every recipient of campaign `id`.
pub fn rows(desk: &Desk, id: i64) -> Result<Vec<RecipientRow>> {
    campaign::get(desk, id)?;
    Ok(desk.db().campaign_rows(id)?)
}

/// The report as CSV text.
pub fn csv(desk: &Desk, id: i64) -> Result<String> {
    Ok(to_csv(&rows(desk, id)?))
}

pub fn to_csv(rows: &[RecipientRow]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(HEADER);
    let opt = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
    let yes = |b: bool| if b { "yes" } else { "no" };
    for r in rows {
        let (patient, ecm) = (opt(r.patient_id), opt(r.ecm_patient_id));
        let cells = [
            patient.as_str(),
            ecm.as_str(),
            r.number.as_deref().unwrap_or_default(),
            r.state.as_str(),
            r.reason.as_deref().unwrap_or_default(),
            r.sent_at.as_deref().unwrap_or_default(),
            yes(r.delivered),
            r.answer.as_deref().unwrap_or_default(),
            yes(r.replied),
        ];
        let _ = w.write_record(cells.iter().map(|c| spreadsheet_safe(c).into_owned()));
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_row_per_recipient_and_numbers_are_not_formulas() {
        let row = RecipientRow {
            patient_id: Some(3),
            ecm_patient_id: Some(1001),
            number: Some("+18055550100".into()),
            state: "delivered".into(),
            reason: None,
            sent_at: Some("2026-06-10T15:00:00.000000Z".into()),
            delivered: true,
            answer: Some("confirm".into()),
            replied: true,
            message_id: Some(9),
        };
        let skipped = RecipientRow {
            patient_id: None,
            ecm_patient_id: Some(77),
            number: None,
            state: "skipped".into(),
            reason: Some("unknown_patient".into()),
            sent_at: None,
            delivered: false,
            answer: None,
            replied: false,
            message_id: None,
        };
        let text = to_csv(&[row, skipped]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], HEADER.join(","));
        assert_eq!(lines[1], "3,1001,'+18055550100,delivered,,2026-06-10T15:00:00.000000Z,yes,confirm,yes");
        assert_eq!(lines[2], ",77,,skipped,unknown_patient,,no,,no");
    }
}
