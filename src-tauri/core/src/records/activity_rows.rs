//! The activity log's rows: every ECM activity with its event, and every
//! text or call that has none (not accepted, failed, uncertain, undone),
//! each with the status its message or call has now, who did it (a person's
//! name, "Patient (inbound)" or "CareDesk (automatic)") apart from their ECM
//! user id, and its time in the clinic's zone.

use chrono::{NaiveDate, TimeDelta};
use chrono_tz::Tz;
use rusqlite::params;

use crate::{
    rules::clinic_zone,
    store::{Database, StoreError},
};

pub const BY_PATIENT: &str = "Patient (inbound)";
pub const BY_CAREDESK: &str = "CareDesk (automatic)";

/// What an activity is about. Rows and filters keep it as text (the store's
/// and ECM's word); this is its set of values for the UI's types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
pub enum ActivityType {
    Sms,
    Call,
}

/// One activity (or a text or call without one), as the log and the export show it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, ts_rs::TS)]
pub struct ActivityRow {
    /// `None`: a text or call ECM has no activity for (never accepted).
    pub activity_id: Option<i64>,
    pub ecm_activity_id: Option<i64>,
    #[ts(as = "ActivityType")]
    pub activity_type: String,
    #[ts(as = "crate::store::Direction")]
    pub direction: String,
    /// Where the text or call stands now: sending, sent, delivered, failed,
    /// uncertain, undone, received (inbound), placing, placed.
    pub status: String,
    /// Why it failed or is uncertain (or what ECM answered a call).
    pub status_reason: Option<String>,
    /// The activity's status as ECM recorded it (`created`).
    pub ecm_status: Option<String>,
    pub patient_id: Option<i64>,
    pub ecm_patient_id: Option<i64>,
    pub patient_name: Option<String>,
    /// Who: the person's name when they acted, [`BY_PATIENT`] or [`BY_CAREDESK`].
    pub by: String,
    /// The ECM user id of the person who acted, when known.
    pub ecm_user_id: Option<String>,
    /// As recorded for ECM (spec 004), for PRTF reporting.
    pub performed_by_id: String,
    pub assigned_to_id: String,
    pub text_message_id: Option<i64>,
    pub voice_call_id: Option<i64>,
    pub event_id: Option<i64>,
    #[ts(as = "Option<ActivityType>")]
    pub event_type: Option<String>,
    /// The instant, in UTC (RFC 3339), or as stored when it does not parse.
    pub occurred_at: Option<String>,
    /// The same instant in the clinic zone, with its offset.
    pub occurred_at_local: Option<String>,
    /// The clinic day (YYYY-MM-DD) it counts on.
    pub clinic_day: Option<String>,
}

/// Which activities a report or the activity log holds: inclusive
/// `YYYY-MM-DD` clinic days (`clinic.time_zone`), the type, the patient.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(default)]
pub struct ActivityFilter {
    pub from: Option<String>,
    pub to: Option<String>,
    /// "sms" or "call"
    #[ts(as = "Option<ActivityType>")]
    pub activity_type: Option<String>,
    pub patient_id: Option<i64>,
}

/// Where a text or call stands, in one word, and why when it did not go.
pub fn status_of(
    kind: &str,
    direction: &str,
    state: Option<&str>,
    server_state: Option<&str>,
    error: Option<&str>,
) -> (String, Option<String>) {
    let reason = || error.map(str::to_string).or_else(|| server_state.map(str::to_string));
    if direction == "inbound" {
        return ("received".into(), None);
    }
    let Some(state) = state else { return ("unknown".into(), None) };
    if kind == "call" {
        return match state {
            "failed" => ("failed".into(), reason()),
            "initiating" => ("placing".into(), None),
            "busy" | "no-answer" | "canceled" => ("placed".into(), Some(state.replace('-', " "))),
            _ => ("placed".into(), None),
        };
    }
    let word = match state {
        "queued" | "sending" | "scheduled" | "pending" | "held" => "sending",
        "sent" | "accepted" | "enroute" | "submitted" => "sent",
        "delivered" | "seen" | "read" => "delivered",
        "failed" | "undelivered" | "rejected" | "expired" | "deleted" | "unsent" => "failed",
        "uncertain" => "uncertain",
        "undone" | "cancelled" | "canceled" | "withdrawn" => "undone",
        other => other,
    };
    let reason = matches!(word, "failed" | "uncertain").then(reason).flatten();
    (word.into(), reason)
}

fn is_ecm_user_id(v: &str) -> bool {
    !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit())
}

/// Who did it, and their ECM user id: the person recorded with the text or
/// call; for rows from before names were recorded, a name stored as the
/// performer; otherwise CareDesk itself.
pub fn by_of(direction: &str, person: Option<&str>, performed_by_id: &str) -> (String, Option<String>) {
    if direction == "inbound" {
        return (BY_PATIENT.into(), None);
    }
    let ecm = is_ecm_user_id(performed_by_id).then(|| performed_by_id.to_string());
    let name = person
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .or_else(|| Some(performed_by_id.trim()).filter(|p| !p.is_empty() && ecm.is_none() && *p != "system"));
    (name.map_or_else(|| BY_CAREDESK.to_string(), str::to_string), ecm)
}

const SELECT: &str = "
SELECT r.activity_id, r.ecm_activity_id, r.activity_type, r.direction, r.ecm_status, r.patient_id,
       p.ecm_patient_id, p.name, r.performed_by_id, r.assigned_to_id, r.text_message_id, r.voice_call_id,
       r.event_id, r.event_type, r.at,
       COALESCE(m.state, c.status), m.server_state, COALESCE(m.error_message, c.error_message), COALESCE(m.sent_by, c.placed_by)
  FROM (
    SELECT a.id AS activity_id, a.ecm_activity_id, a.activity_type, a.direction, a.status AS ecm_status,
           a.patient_id, a.performed_by_id, a.assigned_to_id, a.text_message_id, a.voice_call_id,
           e.id AS event_id, e.event_type, COALESCE(e.occurred_at, a.created_at) AS at
      FROM activities a LEFT JOIN events e ON e.activity_id = a.id
    UNION ALL
    SELECT NULL, NULL, 'sms', 'outbound', NULL, m.patient_id, '', '', m.id, NULL, NULL, NULL, m.created_at
      FROM messages m
     WHERE m.direction = 'outbound' AND m.is_test = 0
       AND NOT EXISTS (SELECT 1 FROM activities x WHERE x.text_message_id = m.id)
    UNION ALL
    SELECT NULL, NULL, 'call', c.direction, NULL, c.patient_id, '', '', NULL, c.id, NULL, NULL, c.created_at
      FROM calls c
     WHERE NOT EXISTS (SELECT 1 FROM activities x WHERE x.voice_call_id = c.id)
  ) r
  LEFT JOIN messages m ON m.id = r.text_message_id
  LEFT JOIN calls c ON c.id = r.voice_call_id
  LEFT JOIN patients p ON p.id = r.patient_id
 WHERE (?1 IS NULL OR substr(r.at, 1, 10) >= ?1) AND (?2 IS NULL OR substr(r.at, 1, 10) <= ?2)
   AND (?3 IS NULL OR r.activity_type = ?3) AND (?4 IS NULL OR r.patient_id = ?4)
 ORDER BY r.at, r.activity_id, r.text_message_id, r.voice_call_id";

fn day(v: &Option<String>) -> Option<NaiveDate> {
    v.as_deref().and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
}

/// Rows matching `filter`, oldest first, days taken in `tz`.
pub fn activities(db: &Database, filter: &ActivityFilter, tz: Tz) -> Result<Vec<ActivityRow>, StoreError> {
    let (from, to) = (day(&filter.from), day(&filter.to));
    // Stored times carry any offset: the SQL keeps a day either side, the
    // clinic days are then cut exactly.
    let widen = |d: Option<NaiveDate>, by: i64| d.map(|d| (d + TimeDelta::days(by)).to_string());
    let mut stmt = db.conn().prepare_cached(SELECT)?;
    let params = params![widen(from, -1), widen(to, 1), filter.activity_type, filter.patient_id];
    let rows = stmt.query_map(params, |r| {
        let direction: String = r.get(3)?;
        let kind: String = r.get(2)?;
        let performed_by_id: String = r.get(8)?;
        let state: Option<String> = r.get(15)?;
        let server_state: Option<String> = r.get(16)?;
        let error: Option<String> = r.get(17)?;
        let person: Option<String> = r.get(18)?;
        let at: Option<String> = r.get(14)?;
        let (status, status_reason) =
            status_of(&kind, &direction, state.as_deref(), server_state.as_deref(), error.as_deref());
        let (by, ecm_user_id) = by_of(&direction, person.as_deref(), &performed_by_id);
        let instant = at.as_deref().and_then(clinic_zone::instant);
        Ok(ActivityRow {
            activity_id: r.get(0)?,
            ecm_activity_id: r.get(1)?,
            activity_type: kind,
            direction,
            status,
            status_reason,
            ecm_status: r.get(4)?,
            patient_id: r.get(5)?,
            ecm_patient_id: r.get(6)?,
            patient_name: r.get(7)?,
            by,
            ecm_user_id,
            performed_by_id,
            assigned_to_id: r.get(9)?,
            text_message_id: r.get(10)?,
            voice_call_id: r.get(11)?,
            event_id: r.get(12)?,
            event_type: r.get(13)?,
            occurred_at: match instant {
                Some(t) => Some(t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
                None => at.clone(),
            },
            occurred_at_local: instant.map(|t| clinic_zone::local_time(t, tz)),
            clinic_day: instant
                .map(|t| clinic_zone::day_of(t, tz).to_string())
                .or_else(|| at.as_deref().and_then(|a| a.get(..10)).map(str::to_string)),
        })
    })?;
    let mut out = Vec::new();
    for row in rows {
        let row = row?;
        let d = day(&row.clinic_day);
        let after_from = from.is_none_or(|f| d.is_some_and(|d| d >= f));
        let before_to = to.is_none_or(|t| d.is_some_and(|d| d <= t));
        if after_from && before_to {
            out.push(row);
        }
    }
    // Local order: by instant (rows whose times carry other offsets sort right).
    out.sort_by_key(|r| r.occurred_at.as_deref().and_then(clinic_zone::instant));
    Ok(out)
}

#[cfg(test)]
#[path = "activity_rows_tests.rs"]
mod tests;
