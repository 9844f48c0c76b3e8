//! The outbox's state changes: claims, and what an attempt or a check
//! records. Each is one transaction.

use chrono::{DateTime, Utc};
use rusqlite::{params, ToSql};

use super::{ts, RELEASED, UNCLAIMED};
use crate::store::{Accepted, Database, StoreError};

impl Database {
    /// In-flight rows whose worker is gone: every one (`all`, at startup,
    /// before this process sends anything) or those whose claim ran out.
    /// They may have reached the server. A hospital SMS server row becomes
    /// ambiguous (checked against the server before any retry); an ECM row,
    /// which cannot be checked, becomes uncertain with `ecm_note`. A check
    /// whose worker is gone only has its claim released. Returns how many
    /// in-flight rows changed.
    pub fn void_in_flight(&self, all: bool, ecm_note: &str, now: DateTime<Utc>) -> Result<usize, StoreError> {
        let stale = "(:all OR claimed_until IS NULL OR claimed_until <= :now)";
        Ok(self.void_claims(stale, &[(":all", &all)], ecm_note, now)?.0)
    }

    /// Releases this process's claim `token` on a row whose work was cut
    /// short, as [`Database::void_in_flight`] does for a dead worker. False
    /// when the claim is no longer held.
    pub fn release_claim(
        &self,
        outbox_id: i64,
        token: i64,
        ecm_note: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let held = "(id = :id AND claim_token = :token)";
        let (voided, released) = self.void_claims(held, &[(":id", &outbox_id), (":token", &token)], ecm_note, now)?;
        Ok(voided + released == 1)
    }

    /// The claims `which` selects (SQL over `outbox`, with its named
    /// parameters in `extra`; `:now` and `:note` are given): in-flight rows
    /// become ambiguous or, for ECM, uncertain; ambiguous rows being checked
    /// are released. Returns (in-flight rows changed, checks released).
    fn void_claims(
        &self,
        which: &str,
        extra: &[(&str, &dyn ToSql)],
        ecm_note: &str,
        now: DateTime<Utc>,
    ) -> Result<(usize, usize), StoreError> {
        let now = ts(now);
        let in_flight = format!("state = 'in_flight' AND {which}");
        let tx = self.conn.unchecked_transaction()?;
        let mut all: Vec<(&str, &dyn ToSql)> = vec![(":now", &now), (":note", &ecm_note)];
        all.extend_from_slice(extra);
        let run = |sql: String| -> Result<usize, StoreError> { Ok(tx.execute(&sql, used(&sql, &all).as_slice())?) };
        run(format!(
            "UPDATE messages SET state = 'uncertain', error_code = 'ecm_interrupted', error_message = :note,
                    updated_at = :now
              WHERE route = 'ecm' AND id IN (SELECT message_id FROM outbox WHERE {in_flight})"
        ))?;
        let ecm = run(format!(
            "UPDATE outbox SET state = 'failed', claim_token = NULL, claimed_until = NULL, last_error = :note,
                    updated_at = :now
              WHERE {in_flight}
                AND EXISTS (SELECT 1 FROM messages m WHERE m.id = outbox.message_id AND m.route = 'ecm')"
        ))?;
        let his = run(format!(
            "UPDATE outbox SET state = 'ambiguous',
                    ambiguous_since = COALESCE(ambiguous_since, sent_at, created_at),
                    claim_token = NULL, claimed_until = NULL, next_attempt_at = :now, updated_at = :now,
                    last_error = 'CareDesk stopped while sending it; it checks the hospital SMS server before any retry'
              WHERE {in_flight}"
        ))?;
        // A check of an ambiguous send (a look at the server's list) only
        // needs its claim released: it stays ambiguous and is checked again.
        let checks = run(format!(
            "UPDATE outbox SET claim_token = NULL, claimed_until = NULL, updated_at = :now
              WHERE state = 'ambiguous' AND claim_token IS NOT NULL AND {which}"
        ))?;
        tx.commit()?;
        Ok((ecm + his, checks))
    }

    /// Claims a pending row for a send attempt: `in_flight`, one more
    /// attempt, `sent_at` now; the message becomes `sending`, from `from`
    /// (kept as it was when empty). False when the row is not pending, not
    /// due, held (its undo delay has not passed), or claimed by another
    /// worker.
    pub fn claim_attempt(
        &self,
        outbox_id: i64,
        token: i64,
        from: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let (now, until) = (ts(now), ts(until));
        self.transition(Transition {
            outbox: "state = 'in_flight', attempts = attempts + 1, sent_at = :now, claim_token = :token,
                     claimed_until = :until",
            guard: &format!("state = 'pending' AND next_attempt_at <= :now AND {UNCLAIMED} AND {RELEASED}"),
            message: Some("state = 'sending', from_number = CASE WHEN :from = '' THEN from_number ELSE :from END"),
            params: &[(":id", &outbox_id), (":token", &token), (":now", &now), (":until", &until), (":from", &from)],
        })
    }

    /// A pending row about to be claimed outside its recipient's quiet
    /// hours: it waits, unclaimed, until `opens` (`hold_reason`
    /// quiet_hours). False when it is no longer pending or someone claimed it.
    pub fn hold_for_quiet_hours(
        &self,
        outbox_id: i64,
        opens: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let (opens, now) = (ts(opens), ts(now));
        let changed = self.conn.execute(
            &format!(
                "UPDATE outbox SET hold_until = :opens, hold_reason = 'quiet_hours', next_attempt_at = :opens,
                        updated_at = :now
                  WHERE id = :id AND state = 'pending' AND {UNCLAIMED}"
            ),
            rusqlite::named_params! { ":id": outbox_id, ":opens": opens, ":now": now },
        )?;
        Ok(changed == 1)
    }

    /// Claims an ambiguous row to check it against the server; it stays
    /// ambiguous. False when it is not ambiguous, not due, or claimed.
    pub fn claim_check(
        &self,
        outbox_id: i64,
        token: i64,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let (now, until) = (ts(now), ts(until));
        self.transition(Transition {
            outbox: "claim_token = :token, claimed_until = :until",
            guard: &format!("state = 'ambiguous' AND next_attempt_at <= :now AND {UNCLAIMED}"),
            message: None,
            params: &[(":id", &outbox_id), (":token", &token), (":now", &now), (":until", &until)],
        })
    }

    /// The gateway accepted the message (or the check found it on the
    /// server): the message takes the answer and the row is done. Recorded
    /// whatever became of the claim. A server id another message already
    /// holds is left out rather than losing the acceptance. The send's PRTF
    /// `activity` (none for a test message) commits with it.
    pub fn record_accepted(
        &self,
        outbox_id: i64,
        message_id: i64,
        a: &Accepted,
        activity: Option<&crate::store::NewActivity>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let now = ts(now);
        let tx = self.conn.unchecked_transaction()?;
        let update = |his_id: Option<i64>, ecm_sms_id: Option<i64>| {
            tx.execute(
                "UPDATE messages SET state = ?2, server_state = ?3, his_id = ?4, ecm_sms_id = ?5, twilio_sid = ?6,
                        from_number = COALESCE(?7, from_number), server_created_at = ?8, error_code = NULL,
                        error_message = NULL, updated_at = ?9
                  WHERE id = ?1",
                params![
                    message_id,
                    a.state,
                    a.server_state,
                    his_id,
                    ecm_sms_id,
                    a.twilio_sid,
                    a.from,
                    a.server_created_at,
                    now
                ],
            )
        };
        match update(a.his_id, a.ecm_sms_id) {
            Err(rusqlite::Error::SqliteFailure(f, _)) if f.code == rusqlite::ErrorCode::ConstraintViolation => {
                tracing::error!(
                    message_id,
                    "the server id of an accepted message is already recorded for another message; kept without it"
                );
                update(None, None)?;
            }
            other => {
                other?;
            }
        }
        tx.execute(
            "UPDATE outbox SET state = 'done', claim_token = NULL, claimed_until = NULL, last_error = NULL, updated_at = ?2
              WHERE id = ?1",
            params![outbox_id, now],
        )?;
        if let Some(activity) = activity {
            crate::store::insert_activity_on(&tx, activity)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The message did not go and will not be tried again: the row ends
    /// `failed` and the message takes `outcome` (`failed`: refused for good or
    /// given up; `uncertain`: it may have gone and CareDesk cannot find out,
    /// as with ECM) with the reason. Under `claim`: the worker's token, or
    /// [`Claim::Unclaimed`] for a pending or ambiguous row nobody holds (its
    /// recipient opted out, it cannot go by its route).
    pub fn record_final(
        &self,
        outbox_id: i64,
        claim: Claim,
        outcome: Final,
        code: &str,
        message: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let now = ts(now);
        let held = format!("state IN ('pending', 'ambiguous') AND {UNCLAIMED}");
        let (guard, token) = match claim {
            Claim::Held(token) => (HELD, Some(token)),
            Claim::Unclaimed => (held.as_str(), None),
        };
        self.transition(Transition {
            outbox: "state = 'failed', claim_token = NULL, claimed_until = NULL, last_error = :message",
            guard,
            message: Some("state = :state, error_code = :code, error_message = :message"),
            params: &[
                (":id", &outbox_id),
                (":token", &token),
                (":state", &outcome.message_state()),
                (":code", &code),
                (":message", &message),
                (":now", &now),
            ],
        })
    }

    /// The attempt ended without an answer to keep, and the row waits for
    /// `next` under the claim `token`, released: [`Reschedule::Retry`] (a
    /// transient failure: pending, the message `queued`),
    /// [`Reschedule::Check`] (it may have reached the server: ambiguous, to
    /// be checked; the message stays `sending`), [`Reschedule::Paused`] (the
    /// route's server refused the credentials: nothing was sent, so the
    /// attempt does not count; pending, `queued`) or [`Reschedule::NotFound`]
    /// (the check found nothing on the server: pending, `queued`, a new
    /// attempt may go). `note` says why it waits.
    pub fn reschedule(
        &self,
        outbox_id: i64,
        token: i64,
        how: Reschedule,
        note: &str,
        next: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let (now, next) = (ts(now), ts(next));
        let (state, message_state) = how.states();
        let uncount = if how == Reschedule::Paused { ", attempts = max(attempts - 1, 0)" } else { "" };
        self.transition(Transition {
            outbox: &format!(
                "state = :state, next_attempt_at = :next, last_error = :error, checks = 0,
                 ambiguous_since = CASE WHEN :state = 'ambiguous' THEN COALESCE(ambiguous_since, sent_at)
                                        ELSE ambiguous_since END,
                 claim_token = NULL, claimed_until = NULL{uncount}"
            ),
            guard: HELD,
            message: Some("state = :message_state"),
            params: &[
                (":id", &outbox_id),
                (":token", &token),
                (":state", &state),
                (":message_state", &message_state),
                (":next", &next),
                (":error", &note),
                (":now", &now),
            ],
        })
    }

    /// The check could not reach the server: still ambiguous, checked again
    /// at `next`. Only under the claim `token`.
    pub fn record_check_failed(
        &self,
        outbox_id: i64,
        token: i64,
        last_error: &str,
        next: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let (now, next) = (ts(now), ts(next));
        self.transition(Transition {
            outbox: "checks = checks + 1, next_attempt_at = :next, last_error = :error, claim_token = NULL,
                     claimed_until = NULL",
            guard: HELD,
            message: None,
            params: &[
                (":id", &outbox_id),
                (":token", &token),
                (":next", &next),
                (":error", &last_error),
                (":now", &now),
            ],
        })
    }

    /// Puts off a pending or ambiguous row nobody has claimed, without
    /// counting an attempt (its gateway is not set up, test mode has no
    /// sandbox, a twin is in flight).
    pub fn defer(
        &self,
        outbox_id: i64,
        reason: &str,
        next: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let (now, next) = (ts(now), ts(next));
        self.transition(Transition {
            outbox: "next_attempt_at = :next, last_error = :reason",
            guard: &format!("state IN ('pending', 'ambiguous') AND {UNCLAIMED}"),
            message: None,
            params: &[(":id", &outbox_id), (":next", &next), (":reason", &reason), (":now", &now)],
        })
    }

    /// Carries out one transition: the outbox row `:id` changes only when
    /// `guard` holds, and then (in the same transaction) its message too.
    /// True when the row changed. `updated_at` is set on both.
    fn transition(&self, t: Transition<'_>) -> Result<bool, StoreError> {
        let tx = self.conn.unchecked_transaction()?;
        let sql = format!("UPDATE outbox SET {}, updated_at = :now WHERE id = :id AND {}", t.outbox, t.guard);
        let changed = tx.execute(&sql, used(&sql, t.params).as_slice())? == 1;
        if let (true, Some(message)) = (changed, t.message) {
            let sql = format!(
                "UPDATE messages SET {message}, updated_at = :now WHERE id = (SELECT message_id FROM outbox WHERE id = :id)"
            );
            tx.execute(&sql, used(&sql, t.params).as_slice())?;
        }
        tx.commit()?;
        Ok(changed)
    }
}

/// One change of an outbox row (and of its message when the row changed).
struct Transition<'a> {
    /// The outbox row's `SET` list.
    outbox: &'a str,
    /// When the row may change, beside `id = :id`.
    guard: &'a str,
    /// The message's `SET` list, if it changes too.
    message: Option<&'a str>,
    /// Named parameters; each statement takes those it names.
    params: &'a [(&'a str, &'a dyn ToSql)],
}

/// The parameters `sql` names (SQLite refuses unused named parameters).
fn used<'a>(sql: &str, params: &'a [(&'a str, &'a dyn ToSql)]) -> Vec<(&'a str, &'a dyn ToSql)> {
    params.iter().filter(|(name, _)| sql.contains(name)).copied().collect()
}

/// The row is held under the worker's claim token.
const HELD: &str = "claim_token = :token";

/// Whose row a final outcome is recorded on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// The worker's claim token.
    Held(i64),
    /// A pending or ambiguous row nobody holds.
    Unclaimed,
}

/// How a message ends when its row fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Final {
    /// Refused for good, or given up: it did not go.
    Failed,
    /// It may have gone, and CareDesk cannot find out.
    Uncertain,
}

impl Final {
    fn message_state(self) -> &'static str {
        match self {
            Final::Failed => "failed",
            Final::Uncertain => "uncertain",
        }
    }
}

/// Why an attempted row waits again (see [`Database::reschedule`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reschedule {
    Retry,
    Check,
    Paused,
    NotFound,
}

impl Reschedule {
    /// The row's state and the message's.
    fn states(self) -> (&'static str, &'static str) {
        match self {
            Reschedule::Check => ("ambiguous", "sending"),
            Reschedule::Retry | Reschedule::Paused | Reschedule::NotFound => ("pending", "queued"),
        }
    }
}
