//! Messages, calls, and the ECM activities and events recorded for them.

use rusqlite::{params, Connection, OptionalExtension};

use super::{now_rfc3339, Database, StoreError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
pub enum Route {
    His,
    Ecm,
}

/// Which way a text or call went. The store keeps it as text; this is its
/// set of values for the UI's types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Inbound,
    Outbound,
}

impl Route {
    pub fn as_str(self) -> &'static str {
        match self {
            Route::His => "his",
            Route::Ecm => "ecm",
        }
    }
    pub fn parse(s: &str) -> Option<Route> {
        match s.trim().to_ascii_lowercase().as_str() {
            "his" => Some(Route::His),
            "ecm" => Some(Route::Ecm),
            _ => None,
        }
    }
}

/// An outbound SMS about to be handed to a gateway.
#[derive(Debug, Clone)]
pub struct NewOutbound {
    /// `None`: a reply to an unmatched number (marked `unmatched_reply`).
    pub patient_id: Option<i64>,
    pub route: Route,
    pub from: String,
    pub to: String,
    pub intended_to: Option<String>,
    pub body: String,
    /// The HIS ExternalKey; `None`: the next of the data directory's sequence.
    pub external_key: Option<i64>,
    pub is_test: bool,
}

/// Inserts an outbound message in `state` (inside the caller's transaction,
/// if any); returns its id and ExternalKey.
pub(super) fn insert_outbound_row(
    conn: &rusqlite::Connection,
    m: &NewOutbound,
    state: &str,
    sent_by: Option<&str>,
    now: &str,
) -> Result<(i64, i64), StoreError> {
    let key = match m.external_key {
        Some(k) => k,
        None => super::external_keys::next_key(conn)?,
    };
    conn.execute(
        "INSERT INTO messages (patient_id, direction, route, from_number, to_number, intended_to, body, state,
                               external_key, is_test, unmatched_reply, created_at, updated_at, sent_by, sent_by_role)
         VALUES (?1, 'outbound', ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?1 IS NULL, ?10, ?10, ?11, (SELECT value FROM team_state
                 WHERE key = 'role' AND EXISTS (SELECT 1 FROM team_state WHERE key = 'joined')))",
        params![
            m.patient_id,
            m.route.as_str(),
            m.from,
            m.to,
            m.intended_to,
            m.body,
            state,
            key.to_string(),
            m.is_test,
            now,
            sent_by
        ],
    )?;
    Ok((conn.last_insert_rowid(), key))
}

/// What the gateway answered for an accepted SMS.
#[derive(Debug, Clone, Default)]
pub struct Accepted {
    pub state: String,
    pub server_state: Option<String>,
    pub his_id: Option<i64>,
    pub ecm_sms_id: Option<i64>,
    pub twilio_sid: Option<String>,
    pub from: Option<String>,
    pub server_created_at: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewActivity {
    pub ecm_activity_id: Option<i64>,
    pub activity_type: &'static str,
    pub direction: &'static str,
    pub status: String,
    pub patient_id: Option<i64>,
    pub performed_by_id: String,
    pub assigned_to_id: String,
    pub text_message_id: Option<i64>,
    pub voice_call_id: Option<i64>,
    pub occurred_at: String,
}

impl Database {
    /// Test fixture: an outbound row as a gateway would have seen it (the app
    /// records sends through the outbox, `store::outbox`).
    #[cfg(test)]
    pub fn insert_outbound(&self, m: &NewOutbound) -> Result<i64, StoreError> {
        Ok(insert_outbound_row(&self.conn, m, "sending", None, &now_rfc3339())?.0)
    }

    #[cfg(test)]
    pub fn mark_accepted(&self, id: i64, a: &Accepted) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE messages SET state = ?2, server_state = ?3, his_id = ?4, ecm_sms_id = ?5, twilio_sid = ?6,
                    from_number = COALESCE(?7, from_number), server_created_at = ?8, error_code = NULL, error_message = NULL,
                    updated_at = ?9
             WHERE id = ?1",
            params![id, a.state, a.server_state, a.his_id, a.ecm_sms_id, a.twilio_sid, a.from, a.server_created_at, now_rfc3339()],
        )?;
        Ok(())
    }

    pub fn insert_call(&self, patient_id: i64, to: &str) -> Result<i64, StoreError> {
        let now = now_rfc3339();
        self.conn.execute(
            "INSERT INTO calls (patient_id, direction, to_number, status, created_at, updated_at, placed_by_role)
             VALUES (?1, 'outbound', ?2, 'initiating', ?3, ?3, (SELECT value FROM team_state
                     WHERE key = 'role' AND EXISTS (SELECT 1 FROM team_state WHERE key = 'joined')))",
            params![patient_id, to, now],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Names the person who placed a call, for the activity log.
    pub fn set_call_placed_by(&self, id: i64, person: &str) -> Result<(), StoreError> {
        self.conn.execute("UPDATE calls SET placed_by = ?1 WHERE id = ?2", params![person, id])?;
        Ok(())
    }

    pub fn mark_call_placed(
        &self,
        id: i64,
        ecm_call_id: Option<i64>,
        twilio_sid: Option<&str>,
        from: Option<&str>,
        status: &str,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE calls SET ecm_call_id = ?2, twilio_sid = ?3, from_number = ?4, status = ?5, updated_at = ?6 WHERE id = ?1",
            params![id, ecm_call_id, twilio_sid, from, status, now_rfc3339()],
        )?;
        Ok(())
    }

    pub fn mark_call_failed(&self, id: i64, message: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE calls SET status = 'failed', error_message = ?2, updated_at = ?3 WHERE id = ?1",
            params![id, message, now_rfc3339()],
        )?;
        Ok(())
    }

    /// Records an activity and its event (spec 004) in one transaction. An
    /// ECM activity id already recorded keeps its first record (ECM ids are
    /// unique, so a repeat is the same activity); this one is then stored
    /// without the ECM id rather than lost.
    pub fn insert_activity(&mut self, a: &NewActivity) -> Result<i64, StoreError> {
        let tx = self.conn.transaction()?;
        let id = insert_activity_on(&tx, a)?;
        tx.commit()?;
        Ok(id)
    }

    /// Whether SMS to `number` is refused because it opted out.
    pub fn is_opted_out(&self, number: &str) -> Result<bool, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT state = 'opted_out' FROM sms_consent WHERE number = ?1", [number], |r| {
                r.get::<_, bool>(0)
            })
            .optional()?
            .unwrap_or(false))
    }
}

/// [`Database::insert_activity`] on `conn`, inside the caller's transaction
/// (a send's recorded result, so the PRTF activity commits with it).
pub(crate) fn insert_activity_on(tx: &Connection, a: &NewActivity) -> Result<i64, StoreError> {
    let known: bool = match a.ecm_activity_id {
        Some(id) => {
            tx.query_row("SELECT count(*) > 0 FROM activities WHERE ecm_activity_id = ?1", [id], |r| r.get(0))?
        }
        None => false,
    };
    let ecm_activity_id = if known { None } else { a.ecm_activity_id };
    tx.execute(
        "INSERT INTO activities (ecm_activity_id, activity_type, direction, status, patient_id, performed_by_id,
                                     assigned_to_id, text_message_id, voice_call_id, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            ecm_activity_id,
            a.activity_type,
            a.direction,
            a.status,
            a.patient_id,
            a.performed_by_id,
            a.assigned_to_id,
            a.text_message_id,
            a.voice_call_id,
            a.occurred_at
        ],
    )?;
    let activity_id = tx.last_insert_rowid();
    tx.execute(
        "INSERT INTO events (event_type, occurred_at, patient_id, activity_id) VALUES (?1, ?2, ?3, ?4)",
        params![a.activity_type, a.occurred_at, a.patient_id, activity_id],
    )?;
    Ok(activity_id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{test_db, test_patient, ThreadItemKind};

    #[test]
    fn outbound_then_accepted_shows_in_thread_with_call() {
        let (_d, mut db) = test_db();
        let p = test_patient(&db, "A");
        let m = NewOutbound {
            patient_id: Some(p),
            route: Route::His,
            from: "CAREDESK".into(),
            to: "+18055550100".into(),
            intended_to: None,
            body: "Hi".into(),
            external_key: Some(42),
            is_test: false,
        };
        let id = db.insert_outbound(&m).unwrap();
        db.mark_accepted(id, &Accepted { state: "sent".into(), his_id: Some(7), ..Default::default() }).unwrap();
        let c = db.insert_call(p, "+18055550100").unwrap();
        db.mark_call_placed(c, Some(9), Some("CA1"), Some("+18059876543"), "queued").unwrap();
        db.insert_activity(&NewActivity {
            ecm_activity_id: Some(790),
            activity_type: "call",
            direction: "outbound",
            status: "created".into(),
            patient_id: Some(p),
            performed_by_id: "101".into(),
            assigned_to_id: "101".into(),
            text_message_id: None,
            voice_call_id: Some(c),
            occurred_at: now_rfc3339(),
        })
        .unwrap();
        let t = db.thread(p, 50).unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!(
            (t[0].kind, t[0].state.as_str(), t[0].server_id.as_deref()),
            (ThreadItemKind::Sms, "sent", Some("7"))
        );
        assert_eq!((t[1].kind, t[1].state.as_str()), (ThreadItemKind::Call, "queued"));
        let events: i64 = db.conn().query_row("SELECT count(*) FROM events", [], |r| r.get(0)).unwrap();
        assert_eq!(events, 1);
    }

    #[test]
    fn external_keys_are_unique() {
        let (_d, db) = test_db();
        let p = test_patient(&db, "A");
        let m = NewOutbound {
            patient_id: Some(p),
            route: Route::His,
            from: "x".into(),
            to: "+18055550100".into(),
            intended_to: None,
            body: "Hi".into(),
            external_key: Some(1),
            is_test: false,
        };
        db.insert_outbound(&m).unwrap();
        assert!(db.insert_outbound(&m).is_err());
    }
}
