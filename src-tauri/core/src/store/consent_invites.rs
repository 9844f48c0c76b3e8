//! Consent invitations (spec 002), the welcome text an opt-in earns, and
//! staff's review of replies flagged as possible revocations: what a
//! number's consent is, with its dates.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use rusqlite::{params, Connection, OptionalExtension};

use super::{now_rfc3339, Database, StoreError};
use crate::rules::business_days::add_business_days;

/// The FCC's deadline to honour a revocation, in business days.
pub const REVOCATION_DUE_BUSINESS_DAYS: u32 = 10;

/// Where a number's consent to texts stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum ConsentState {
    /// Never invited, never opted in or out by keyword: texts may go (the
    /// clinic's own relationship), but campaigns can ask first.
    NotAsked,
    /// Sent an invitation it has not answered yet.
    Invited,
    /// Opted in (START, or back in after STOP).
    OptedIn,
    /// Opted out: nothing is sent to it.
    OptedOut,
}

/// A number's consent, with its dates (RFC 3339 UTC).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct NumberConsent {
    pub number: String,
    pub state: ConsentState,
    /// When it became opted in or out (the last change).
    pub since: Option<String>,
    /// The last invitation sent to it.
    pub invited_at: Option<String>,
    /// A reply flagged as a possible revocation, not yet reviewed.
    pub revocation: Option<PendingRevocation>,
}

/// A reply the engine flagged as a possible revocation of consent, waiting
/// for staff: campaigns skip the number until it is resolved.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct PendingRevocation {
    pub message_id: i64,
    pub number: String,
    pub patient_id: Option<i64>,
    pub patient_name: Option<String>,
    /// What the patient wrote (shown as text).
    pub text: String,
    pub received_at: String,
    /// The last day to honour it (YYYY-MM-DD, the clinic's calendar): ten
    /// business days after it came.
    pub due: String,
}

/// Staff's decision on a flagged reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum RevocationResolution {
    /// It was a revocation: the number is opted out.
    OptedOut,
    /// It was not (a question, another matter): texts may go on.
    NotRevocation,
}

impl RevocationResolution {
    pub fn as_str(self) -> &'static str {
        match self {
            RevocationResolution::OptedOut => "opted_out",
            RevocationResolution::NotRevocation => "not_revocation",
        }
    }
}

/// A welcome text to queue: the number that opted in by the reply `source`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingWelcome {
    pub id: i64,
    pub number: String,
    pub source_message_id: i64,
}

/// Flagged replies staff have not reviewed, whose number has not opted out
/// and whose consent has not changed since (a STOP honoured it; a START
/// after it said otherwise).
const PENDING_REVOCATIONS: &str = "
    SELECT m.id, m.from_number, m.patient_id, p.name, m.body, m.created_at
      FROM messages m LEFT JOIN patients p ON p.id = m.patient_id
     WHERE m.direction = 'inbound' AND m.flagged = 'revocation'
       AND NOT EXISTS (SELECT 1 FROM revocation_reviews r WHERE r.message_id = m.id)
       AND NOT EXISTS (SELECT 1 FROM sms_consent c WHERE c.number = m.from_number AND c.state = 'opted_out')
       AND NOT EXISTS (SELECT 1 FROM consent_log l WHERE l.number = m.from_number AND l.at > m.created_at)";

impl Database {
    /// Where `number`'s consent stands; `zone` dates a pending revocation.
    pub fn number_consent(&self, number: &str, zone: Tz) -> Result<NumberConsent, StoreError> {
        let consent: Option<(String, String)> = self
            .conn
            .query_row("SELECT state, updated_at FROM sms_consent WHERE number = ?1", [number], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        let invitation: Option<(String, Option<String>)> = self
            .conn
            .query_row(
                "SELECT invited_at, answered_at FROM consent_invitations WHERE number = ?1 ORDER BY invited_at DESC, id DESC LIMIT 1",
                [number],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let state = match (consent.as_ref().map(|c| c.0.as_str()), &invitation) {
            (Some("opted_out"), _) => ConsentState::OptedOut,
            (Some("opted_in"), _) => ConsentState::OptedIn,
            (_, Some((_, None))) => ConsentState::Invited,
            _ => ConsentState::NotAsked,
        };
        let revocation = self.pending_revocations_where("AND m.from_number = ?1", [number], zone)?.into_iter().next();
        Ok(NumberConsent {
            number: number.to_string(),
            state,
            since: consent.map(|c| c.1),
            invited_at: invitation.map(|i| i.0),
            revocation,
        })
    }

    /// Records an invitation carried by message `message_id`, in the
    /// caller's transaction (the one that queues it).
    pub fn record_invitation(
        &self,
        number: &str,
        patient_id: Option<i64>,
        message_id: i64,
        by: &str,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO consent_invitations (number, patient_id, message_id, invited_at, invited_by)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![number, patient_id, message_id, now_rfc3339(), by],
        )?;
        Ok(())
    }

    /// Whether `number` was invited and has not answered.
    pub(super) fn has_open_invitation(conn: &Connection, number: &str) -> Result<bool, StoreError> {
        Ok(conn
            .query_row(
                "SELECT 1 FROM consent_invitations WHERE number = ?1 AND answered_at IS NULL LIMIT 1",
                [number],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    /// An opt-in by the reply `message_id`: open invitations answered and a
    /// welcome text owed, in the transaction that stores the reply.
    pub(super) fn opted_in_by_reply(conn: &Connection, number: &str, message_id: i64) -> Result<(), StoreError> {
        let now = now_rfc3339();
        conn.execute(
            "UPDATE consent_invitations SET answered_at = ?2, answer_message_id = ?3
              WHERE number = ?1 AND answered_at IS NULL",
            params![number, now, message_id],
        )?;
        conn.execute(
            "INSERT OR IGNORE INTO consent_welcomes (number, source_message_id, created_at) VALUES (?1, ?2, ?3)",
            params![number, message_id, now],
        )?;
        Ok(())
    }

    /// Whether the welcome `id` is still to queue.
    pub fn welcome_pending(&self, id: i64) -> Result<bool, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT done_at IS NULL FROM consent_welcomes WHERE id = ?1", [id], |r| r.get(0))
            .optional()?
            .unwrap_or(false))
    }

    /// Welcome texts owed and not yet queued, oldest first.
    pub fn pending_welcomes(&self, limit: usize) -> Result<Vec<PendingWelcome>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, number, source_message_id FROM consent_welcomes WHERE done_at IS NULL ORDER BY id LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit as i64], |r| {
            Ok(PendingWelcome { id: r.get(0)?, number: r.get(1)?, source_message_id: r.get(2)? })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Marks a welcome done: queued as `message_id`, or `skipped` with why.
    /// Call it in the transaction that queues it. `false`: it was done
    /// already (another worker), and the caller's transaction must roll back.
    pub fn finish_welcome(&self, id: i64, message_id: Option<i64>, skipped: Option<&str>) -> Result<bool, StoreError> {
        Ok(self.conn.execute(
            "UPDATE consent_welcomes SET message_id = ?2, skipped = ?3, done_at = ?4 WHERE id = ?1 AND done_at IS NULL",
            params![id, message_id, skipped, now_rfc3339()],
        )? == 1)
    }

    /// Flagged replies waiting for staff, oldest first, each with its due date.
    pub fn pending_revocations(&self, zone: Tz) -> Result<Vec<PendingRevocation>, StoreError> {
        self.pending_revocations_where("", [], zone)
    }

    /// Whether `number` has a flagged reply staff have not resolved (and
    /// has not opted out since): campaigns skip it.
    pub fn revocation_pending(&self, number: &str) -> Result<bool, StoreError> {
        let sql = format!("SELECT EXISTS ({PENDING_REVOCATIONS} AND m.from_number = ?1)");
        Ok(self.conn.prepare_cached(&sql)?.query_row([number], |r| r.get(0))?)
    }

    fn pending_revocations_where<P: rusqlite::Params>(
        &self,
        and: &str,
        p: P,
        zone: Tz,
    ) -> Result<Vec<PendingRevocation>, StoreError> {
        let sql = format!("{PENDING_REVOCATIONS} {and} ORDER BY m.created_at, m.id");
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(p, |r| {
            let received_at: String = r.get(5)?;
            Ok(PendingRevocation {
                message_id: r.get(0)?,
                number: r.get(1)?,
                patient_id: r.get(2)?,
                patient_name: r.get(3)?,
                text: r.get(4)?,
                due: due_date(&received_at, zone),
                received_at,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Staff's decision on the flagged reply `message_id`, with the number
    /// opted out when it was a revocation, audited, in one transaction.
    /// `false`: it was not a pending flagged reply (resolved already).
    pub fn resolve_revocation(
        &self,
        message_id: i64,
        resolution: RevocationResolution,
        actor: &str,
    ) -> Result<bool, StoreError> {
        self.atomically(|conn| {
            let sql = format!("{PENDING_REVOCATIONS} AND m.id = ?1");
            let found: Option<(String, Option<i64>)> =
                conn.query_row(&sql, [message_id], |r| Ok((r.get(1)?, r.get(2)?))).optional()?;
            let Some((number, patient_id)) = found else { return Ok(false) };
            conn.execute(
                "INSERT INTO revocation_reviews (message_id, resolution, resolved_at, resolved_by) VALUES (?1, ?2, ?3, ?4)",
                params![message_id, resolution.as_str(), now_rfc3339(), actor],
            )?;
            if resolution == RevocationResolution::OptedOut {
                self.set_consent(&number, false, "staff", Some(message_id), actor, "revocation reviewed by staff")?;
            }
            let detail = format!(
                "message {message_id} from {}: {}",
                crate::rules::redact::phone(&number),
                resolution.as_str()
            );
            self.audit_on(conn, actor, "consent.revocation_review", patient_id, &detail)?;
            Ok(true)
        })
    }
}

/// Ten business days after the clinic day a reply came (YYYY-MM-DD).
fn due_date(received_at: &str, zone: Tz) -> String {
    let at = DateTime::parse_from_rfc3339(received_at).map(|t| t.with_timezone(&Utc)).unwrap_or_else(|_| Utc::now());
    add_business_days(at.with_timezone(&zone).date_naive(), REVOCATION_DUE_BUSINESS_DAYS).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::consent::{classify, Keyword};
    use crate::store::{test_db, NewOutbound, Route};

    const N: &str = "+18055550100";

    fn la() -> Tz {
        "America/Los_Angeles".parse().unwrap()
    }

    /// An inbound message from `from`, stored with its consent effect as the inbox does.
    fn reply(db: &Database, from: &str, text: &str) -> i64 {
        let keyword = classify(text);
        db.conn()
            .execute(
                "INSERT INTO messages (direction, route, from_number, to_number, body, state, created_at, updated_at, flagged)
                 VALUES ('inbound', 'his', ?1, 'HOSP', ?2, 'received', ?3, ?3, ?4)",
                params![from, text, now_rfc3339(), keyword.flag()],
            )
            .unwrap();
        let id = db.conn().last_insert_rowid();
        db.apply_keyword(id, from, keyword, text).unwrap();
        id
    }

    fn invite(db: &Database, number: &str) -> i64 {
        let m = NewOutbound {
            patient_id: None,
            route: Route::His,
            from: String::new(),
            to: number.into(),
            intended_to: None,
            body: "Reply START".into(),
            external_key: None,
            is_test: false,
        };
        db.atomically(|_| -> Result<i64, StoreError> {
            let ids = db.enqueue_sms(&m, "dana", "queued", None, chrono::Utc::now())?;
            db.record_invitation(number, None, ids.message_id, "dana")?;
            Ok(ids.message_id)
        })
        .unwrap()
    }

    #[test]
    fn an_invited_number_that_replies_start_is_opted_in_once_with_one_welcome_owed() {
        let (_d, db) = test_db();
        assert_eq!(db.number_consent(N, la()).unwrap().state, ConsentState::NotAsked);
        invite(&db, N);
        let c = db.number_consent(N, la()).unwrap();
        assert_eq!(c.state, ConsentState::Invited);
        assert!(c.invited_at.is_some());
        let start = reply(&db, N, "Start");
        let c = db.number_consent(N, la()).unwrap();
        assert_eq!(c.state, ConsentState::OptedIn);
        assert!(c.since.is_some());
        let answered: Option<i64> =
            db.conn().query_row("SELECT answer_message_id FROM consent_invitations", [], |r| r.get(0)).unwrap();
        assert_eq!(answered, Some(start));
        let owed = db.pending_welcomes(10).unwrap();
        assert_eq!(owed, vec![PendingWelcome { id: owed[0].id, number: N.into(), source_message_id: start }]);
        // A second START changes nothing and owes nothing more.
        reply(&db, N, "START");
        assert_eq!(db.pending_welcomes(10).unwrap().len(), 1);
        assert!(db.finish_welcome(owed[0].id, None, Some("test")).unwrap());
        assert!(!db.finish_welcome(owed[0].id, None, Some("test")).unwrap(), "done once");
        assert!(!db.welcome_pending(owed[0].id).unwrap());
        assert!(db.pending_welcomes(10).unwrap().is_empty());
    }

    #[test]
    fn yes_opts_in_only_an_invited_or_opted_out_number_and_start_any() {
        let (_d, db) = test_db();
        reply(&db, N, "Yes");
        assert_eq!(db.number_consent(N, la()).unwrap().state, ConsentState::NotAsked, "a Yes to a reminder");
        assert!(db.pending_welcomes(10).unwrap().is_empty());
        invite(&db, N);
        reply(&db, N, "yes");
        assert_eq!(db.number_consent(N, la()).unwrap().state, ConsentState::OptedIn);
        let other = "+18055550102";
        reply(&db, other, "START");
        assert_eq!(db.number_consent(other, la()).unwrap().state, ConsentState::OptedIn, "START opts in unasked");
        assert_eq!(db.pending_welcomes(10).unwrap().len(), 2);
        reply(&db, other, "STOP");
        assert_eq!(db.number_consent(other, la()).unwrap().state, ConsentState::OptedOut);
    }

    #[test]
    fn a_flagged_revocation_waits_for_review_with_its_due_date_until_resolved() {
        let (_d, db) = test_db();
        let msg = reply(&db, N, "please stop texting me");
        assert_eq!(classify("please stop texting me"), Keyword::RevocationLike);
        let pending = db.pending_revocations(la()).unwrap();
        assert_eq!(pending.len(), 1);
        assert_eq!((pending[0].message_id, pending[0].text.as_str()), (msg, "please stop texting me"));
        let received = DateTime::parse_from_rfc3339(&pending[0].received_at).unwrap().with_timezone(&la()).date_naive();
        assert_eq!(pending[0].due, add_business_days(received, 10).to_string());
        assert!(db.revocation_pending(N).unwrap());
        assert!(db.number_consent(N, la()).unwrap().revocation.is_some());
        assert!(db.resolve_revocation(msg, RevocationResolution::OptedOut, "dana").unwrap());
        assert!(!db.resolve_revocation(msg, RevocationResolution::NotRevocation, "dana").unwrap(), "once");
        assert!(!db.revocation_pending(N).unwrap());
        assert_eq!(db.number_consent(N, la()).unwrap().state, ConsentState::OptedOut);
        let audited: i64 = db
            .conn()
            .query_row("SELECT count(*) FROM audit_log WHERE action = 'consent.revocation_review'", [], |r| r.get(0))
            .unwrap();
        assert_eq!(audited, 1);
    }

    #[test]
    fn a_revocation_judged_otherwise_lets_texts_go_on_and_a_stop_settles_one() {
        let (_d, db) = test_db();
        let msg = reply(&db, N, "stop texting my old number, use my new one");
        assert!(db.resolve_revocation(msg, RevocationResolution::NotRevocation, "dana").unwrap());
        assert!(!db.revocation_pending(N).unwrap());
        assert_ne!(db.number_consent(N, la()).unwrap().state, ConsentState::OptedOut);
        let other = "+18055550102";
        reply(&db, other, "take me off your list");
        assert!(db.revocation_pending(other).unwrap());
        reply(&db, other, "STOP");
        assert!(!db.revocation_pending(other).unwrap(), "the keyword honoured it");
        assert!(db.pending_revocations(la()).unwrap().is_empty());
    }
}
