//! The send-time collision check's question: what did other members send
//! to this patient since this coordinator started writing? Answered from
//! this desk's working copy, so it is as current as the team's log here
//! (usually within a second of the colleague's send).

use rusqlite::params;
use serde::Serialize;

use crate::store::{Database, StoreError};

/// The most texts the check shows.
pub const MAX_COLLEAGUE_SENDS: usize = 5;

/// A text another member sent to the patient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ColleagueSend {
    pub message_id: i64,
    /// The member's display name (as the team names them now).
    pub sent_by: String,
    /// The member's role.
    pub sent_by_role: String,
    pub text: String,
    /// RFC 3339 UTC, on the sending desk's clock.
    pub at: String,
}

impl Database {
    /// Texts to `patient_id` sent after `since` (RFC 3339) by a member other
    /// than `my_role`, newest first, at most [`MAX_COLLEAGUE_SENDS`]. Texts
    /// that failed are not sends; texts of this member's other desks are
    /// not a colleague's. Nothing on a desk alone (no text has a role).
    pub fn team_colleague_sends(
        &self,
        patient_id: i64,
        since: &str,
        my_role: &str,
    ) -> Result<Vec<ColleagueSend>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT m.id, COALESCE(t.display_name, m.sent_by, m.sent_by_role), m.sent_by_role, m.body, m.created_at
               FROM messages m LEFT JOIN team_members t ON t.role = m.sent_by_role
              WHERE m.patient_id = ?1 AND m.direction = 'outbound' AND m.state <> 'failed'
                AND m.sent_by_role IS NOT NULL AND m.sent_by_role <> ?3
                AND julianday(m.created_at) > julianday(?2)
              ORDER BY julianday(m.created_at) DESC, m.id DESC LIMIT ?4",
        )?;
        let rows = stmt.query_map(params![patient_id, since, my_role, MAX_COLLEAGUE_SENDS as i64], |r| {
            Ok(ColleagueSend {
                message_id: r.get(0)?,
                sent_by: r.get(1)?,
                sent_by_role: r.get(2)?,
                text: r.get(3)?,
                at: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

#[cfg(test)]
mod tests {
    use rusqlite::params;

    use crate::store::{test_db, test_patient, Database};

    fn sent(db: &Database, patient: i64, role: Option<&str>, body: &str, at: &str, state: &str) {
        db.conn()
            .execute(
                "INSERT INTO messages (patient_id, direction, route, from_number, to_number, body, state, created_at,
                    updated_at, sent_by, sent_by_role)
                 VALUES (?1, 'outbound', 'his', 'CLINIC', '+18055550100', ?2, ?3, ?4, ?4, ?5, ?6)",
                params![patient, body, state, at, role.map(|r| format!("{r}'s old name")), role],
            )
            .unwrap();
    }

    #[test]
    fn only_colleagues_texts_after_the_start_count_newest_first() {
        let (_d, db) = test_db();
        db.team_join("ana", "2026-01-01T00:00:00Z").unwrap();
        db.set_team_members(&[("ben".into(), "Ben Ortiz".into())]).unwrap();
        let p = test_patient(&db, "Ana Lopez");
        let other = test_patient(&db, "Cy");
        let since = "2026-03-01T10:00:00.000000Z";
        sent(&db, p, Some("ben"), "before I started", "2026-03-01T09:59:59.000000Z", "sent");
        sent(&db, p, Some("ben"), "Your appointment is at 3", "2026-03-01T10:00:12.000000Z", "sent");
        sent(&db, p, Some("cy"), "a later one, in another format", "2026-03-01T10:00:30Z", "queued");
        sent(&db, p, Some("ben"), "refused by the server", "2026-03-01T10:00:40.000000Z", "failed");
        sent(&db, p, Some("ana"), "mine, from my other desk", "2026-03-01T10:00:50.000000Z", "sent");
        sent(&db, p, None, "a desk alone's", "2026-03-01T10:00:55.000000Z", "sent");
        sent(&db, other, Some("ben"), "another patient", "2026-03-01T10:01:00.000000Z", "sent");

        let found = db.team_colleague_sends(p, since, "ana").unwrap();
        let seen: Vec<(&str, &str)> = found.iter().map(|s| (s.sent_by.as_str(), s.text.as_str())).collect();
        assert_eq!(
            seen,
            [("cy's old name", "a later one, in another format"), ("Ben Ortiz", "Your appointment is at 3")],
            "the team's name for a member when known"
        );
        assert!(db.team_colleague_sends(p, "2026-03-01T10:01:00Z", "ana").unwrap().is_empty());
    }
}
