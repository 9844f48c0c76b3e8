//! Taking a text back before it leaves (Undo send), and which failed texts
//! may be sent again (Retry).

use chrono::{DateTime, Utc};
use rusqlite::{named_params, OptionalExtension};

use super::{ts, UNCLAIMED};
use crate::store::{Database, Route, StoreError};

/// A failed outbound text that no server accepted: refused for good (or by
/// CareDesk: opted out, no route), never `uncertain` (it may have gone) and
/// with no server id. SQL over `messages`.
pub(super) const RETRYABLE: &str = "direction = 'outbound' AND state = 'failed'
    AND his_id IS NULL AND ecm_sms_id IS NULL
    AND EXISTS (SELECT 1 FROM outbox o WHERE o.message_id = messages.id AND o.state = 'failed')";

/// An undone text, for the composer.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
pub struct Withdrawn {
    pub message_id: i64,
    pub patient_id: Option<i64>,
    pub text: String,
    /// The patient's number it was for (not an override number).
    pub to: String,
    pub via: Route,
}

/// What [`Database::withdraw_unsent`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Withdraw {
    /// Taken out of the outbox and deleted, with its audit entry.
    Done(Withdrawn),
    /// A worker has claimed or tried it (its outbox state says how far it
    /// got): it may be on its way, so it stays.
    TooLate { state: String },
    /// No outbound text with this id is in the outbox.
    NotFound,
}

impl Database {
    /// Undo send: deletes a text that is still waiting in the outbox,
    /// never tried and not claimed, with its outbox row, and audits it, in
    /// one immediate transaction. The check is the `DELETE` itself, so a
    /// worker's claim (which needs the row pending) and the undo cannot
    /// both succeed. The text is deleted rather than kept: it never left
    /// CareDesk, and a kept row would show as a text in every list; the
    /// audit log keeps that it was queued and undone.
    pub fn withdraw_unsent(&self, message_id: i64, actor: &str, now: DateTime<Utc>) -> Result<Withdraw, StoreError> {
        let now = ts(now);
        self.atomically(|c| {
            let deleted = c.execute(
                &format!(
                    "DELETE FROM outbox WHERE message_id = :id AND state = 'pending' AND attempts = 0
                        AND claim_token IS NULL AND {UNCLAIMED}"
                ),
                named_params! { ":id": message_id, ":now": now },
            )?;
            if deleted != 1 {
                let state: Option<String> = c
                    .query_row("SELECT state FROM outbox WHERE message_id = ?1", [message_id], |r| r.get(0))
                    .optional()?;
                return Ok(match state {
                    Some(state) => Withdraw::TooLate { state },
                    None => Withdraw::NotFound,
                });
            }
            let (patient_id, text, to, intended, route): (Option<i64>, String, String, Option<String>, String) = c
                .query_row(
                    "SELECT patient_id, body, to_number, intended_to, route FROM messages WHERE id = ?1",
                    [message_id],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
                )?;
            c.execute("DELETE FROM messages WHERE id = ?1", [message_id])?;
            self.audit_on(
                c,
                actor,
                "sms.undo",
                patient_id,
                &format!("message {message_id}: undone before sending; nothing reached a server"),
            )?;
            Ok(Withdraw::Done(Withdrawn {
                message_id,
                patient_id,
                text,
                to: intended.unwrap_or(to),
                via: Route::parse(&route).unwrap_or(Route::His),
            }))
        })
    }

    /// Whether `message_id` is a failed text no server accepted, not yet
    /// retried: what Retry may send again.
    pub fn is_retryable(&self, message_id: i64) -> Result<bool, StoreError> {
        Ok(self.conn.query_row(
            &format!("SELECT EXISTS (SELECT 1 FROM messages WHERE id = ?1 AND retried_as IS NULL AND {RETRYABLE})"),
            [message_id],
            |r| r.get(0),
        )?)
    }
}
