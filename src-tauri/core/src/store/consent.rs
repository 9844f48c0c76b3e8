//! SMS consent per number, and the log of every change with its source.

use rusqlite::{params, OptionalExtension};

use super::{now_rfc3339, Database, StoreError};
use crate::rules::consent::{words, Keyword};

/// What [`Database::apply_keyword`] changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsentChange {
    Unchanged,
    OptedOut,
    OptedIn,
}

impl Database {
    /// Carries out a new inbound message's consent keyword for the sender's
    /// `number`. Call it inside the transaction that inserts message
    /// `message_id`, and only when the message is new. Flags are not set
    /// here: the message is stored with [`Keyword::flag`].
    pub fn apply_keyword(
        &self,
        message_id: i64,
        number: &str,
        keyword: Keyword,
        text: &str,
    ) -> Result<ConsentChange, StoreError> {
        // What the patient said, for the log: only built when consent changes.
        let said = || -> String { words(text).join(" ").to_uppercase() };
        match keyword {
            Keyword::OptOut => {
                let note = format!("replied {}", said());
                let changed = self.set_consent(number, false, "keyword", Some(message_id), "system", &note)?;
                Ok(if changed { ConsentChange::OptedOut } else { ConsentChange::Unchanged })
            }
            // START (or UNSTOP) opts any number in that is not already; a
            // plain YES only one that opted out or was invited, so every
            // "Yes" to a reminder does not write a consent record.
            Keyword::OptIn if self.opts_in(number, text)? => {
                let note = format!("replied {}", said());
                let changed = self.set_consent(number, true, "keyword", Some(message_id), "system", &note)?;
                if changed {
                    // The invitation answered and the welcome text owed, with the reply.
                    Database::opted_in_by_reply(&self.conn, number, message_id)?;
                }
                Ok(if changed { ConsentChange::OptedIn } else { ConsentChange::Unchanged })
            }
            _ => Ok(ConsentChange::Unchanged),
        }
    }

    /// Whether an opt-in keyword in `text` opts `number` in.
    fn opts_in(&self, number: &str, text: &str) -> Result<bool, StoreError> {
        let explicit = words(text).iter().any(|w| w == "start" || w == "unstop");
        Ok(explicit || self.is_opted_out(number)? || Database::has_open_invitation(&self.conn, number)?)
    }

    /// Records a consent change for `number` (E.164) and logs it. Returns
    /// whether the state changed.
    pub fn set_consent(
        &self,
        number: &str,
        opted_in: bool,
        source: &str,
        message_id: Option<i64>,
        actor: &str,
        note: &str,
    ) -> Result<bool, StoreError> {
        let new_state = if opted_in { "opted_in" } else { "opted_out" };
        // The state, its log and the audit entry: one transaction (a
        // savepoint in the caller's, when an inbound message's brings it).
        self.atomically(|conn| {
            let old: Option<String> =
                conn.query_row("SELECT state FROM sms_consent WHERE number = ?1", [number], |r| r.get(0)).optional()?;
            if old.as_deref() == Some(new_state) {
                return Ok(false);
            }
            let now = now_rfc3339();
            conn.execute(
            "INSERT INTO sms_consent (number, state, source, source_message_id, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(number) DO UPDATE SET state = excluded.state, source = excluded.source,
                source_message_id = excluded.source_message_id, updated_at = excluded.updated_at",
            params![number, new_state, source, message_id, now],
        )?;
            conn.execute(
                "INSERT INTO consent_log (number, old_state, new_state, source, source_message_id, note, actor, at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![number, old, new_state, source, message_id, note, actor, now],
            )?;
            let patient: Option<i64> = conn
                .query_row(
                    "SELECT patient_id FROM contact_points WHERE number = ?1 ORDER BY id LIMIT 1",
                    [number],
                    |r| r.get(0),
                )
                .optional()?;
            let detail = format!("{} {new_state} ({source})", crate::rules::redact::phone(number));
            self.audit_on(conn, actor, "consent.change", patient, &detail)?;
            Ok(true)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_db;
    use Keyword as K;

    #[test]
    fn opt_out_then_in_is_logged_once_each() {
        let (_d, db) = test_db();
        assert!(!db.is_opted_out("+18055550100").unwrap());
        assert!(db.set_consent("+18055550100", false, "keyword", None, "system", "STOP").unwrap());
        assert!(!db.set_consent("+18055550100", false, "keyword", None, "system", "STOP").unwrap());
        assert!(db.is_opted_out("+18055550100").unwrap());
        assert!(db.set_consent("+18055550100", true, "keyword", None, "system", "START").unwrap());
        let n: i64 = db.conn().query_row("SELECT count(*) FROM consent_log", [], |r| r.get(0)).unwrap();
        assert_eq!(n, 2);
    }

    #[test]
    fn apply_opts_out_once_and_back_in_only_after_an_opt_out() {
        let (_d, db) = crate::store::test_db();
        let n = "+18055550100";
        let log = |db: &Database| -> i64 {
            db.conn().query_row("SELECT count(*) FROM consent_log", [], |r| r.get(0)).unwrap()
        };
        assert_eq!(db.apply_keyword(1, n, K::OptIn, "Yes").unwrap(), ConsentChange::Unchanged);
        assert_eq!(log(&db), 0, "a Yes from a number that never opted out writes nothing");
        db.conn().execute_batch("PRAGMA foreign_keys = OFF").unwrap();
        assert_eq!(db.apply_keyword(1, n, K::OptOut, " stop! ").unwrap(), ConsentChange::OptedOut);
        assert!(db.is_opted_out(n).unwrap());
        assert_eq!(db.apply_keyword(2, n, K::OptOut, "STOP").unwrap(), ConsentChange::Unchanged);
        assert_eq!(db.apply_keyword(3, n, K::RevocationLike, "stop texting").unwrap(), ConsentChange::Unchanged);
        assert_eq!(db.apply_keyword(4, n, K::OptIn, "start").unwrap(), ConsentChange::OptedIn);
        assert!(!db.is_opted_out(n).unwrap());
        let (note, source, msg): (String, String, i64) = db
            .conn()
            .query_row("SELECT note, source, source_message_id FROM consent_log ORDER BY id LIMIT 1", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .unwrap();
        assert_eq!((note.as_str(), source.as_str(), msg), ("replied STOP", "keyword", 1));
        assert_eq!(log(&db), 2);
    }
}
