//! The outbox's state changes: claims, and what an attempt or a check
//! records. Each is one transaction.

use chrono::{DateTime, Utc};
use rusqlite::{named_params, params};

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
        extra: &[(&str, &dyn rusqlite::ToSql)],
        ecm_note: &str,
        now: DateTime<Utc>,
    ) -> Result<(usize, usize), StoreError> {
        let now = ts(now);
        let in_flight = format!("state = 'in_flight' AND {which}");
        let tx = self.conn.unchecked_transaction()?;
        let run = |sql: String| -> Result<usize, StoreError> {
            let mut all: Vec<(&str, &dyn rusqlite::ToSql)> = vec![(":now", &now), (":note", &ecm_note)];
            all.extend_from_slice(extra);
            let used: Vec<(&str, &dyn rusqlite::ToSql)> =
                all.into_iter().filter(|(name, _)| sql.contains(name)).collect();
            Ok(tx.execute(&sql, used.as_slice())?)
        };
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
        let now = ts(now);
        let tx = self.conn.unchecked_transaction()?;
        let n = tx.execute(
            &format!(
                "UPDATE outbox SET state = 'in_flight', attempts = attempts + 1, sent_at = :now, claim_token = :token,
                        claimed_until = :until, updated_at = :now
                  WHERE id = :id AND state = 'pending' AND next_attempt_at <= :now AND {UNCLAIMED} AND {RELEASED}"
            ),
            named_params! { ":id": outbox_id, ":token": token, ":now": now, ":until": ts(until) },
        )?;
        if n == 1 {
            tx.execute(
                "UPDATE messages SET state = 'sending', from_number = CASE WHEN :from = '' THEN from_number ELSE :from END,
                        updated_at = :now
                  WHERE id = (SELECT message_id FROM outbox WHERE id = :id)",
                named_params! { ":id": outbox_id, ":from": from, ":now": now },
            )?;
        }
        tx.commit()?;
        Ok(n == 1)
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
        let n = self.conn.execute(
            &format!(
                "UPDATE outbox SET claim_token = :token, claimed_until = :until, updated_at = :now
                  WHERE id = :id AND state = 'ambiguous' AND next_attempt_at <= :now AND {UNCLAIMED}"
            ),
            named_params! { ":id": outbox_id, ":token": token, ":now": ts(now), ":until": ts(until) },
        )?;
        Ok(n == 1)
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

    /// The gateway refused the message for good (or CareDesk gave up): the
    /// message is `failed` with the reason. Only under the claim `token`.
    pub fn record_refused(
        &self,
        outbox_id: i64,
        token: i64,
        code: &str,
        message: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.finish(outbox_id, Some(token), "failed", code, message, now)
    }

    /// The message may or may not have gone and CareDesk cannot find out
    /// (ECM): the message is `uncertain` with the reason. Only under the
    /// claim `token`.
    pub fn record_uncertain(
        &self,
        outbox_id: i64,
        token: i64,
        code: &str,
        message: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.finish(outbox_id, Some(token), "uncertain", code, message, now)
    }

    /// Refuses a pending or ambiguous row nobody has claimed (its recipient
    /// opted out, it cannot go by its route): the message is `failed`.
    pub fn refuse_unclaimed(
        &self,
        outbox_id: i64,
        code: &str,
        message: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.finish(outbox_id, None, "failed", code, message, now)
    }

    fn finish(
        &self,
        outbox_id: i64,
        token: Option<i64>,
        message_state: &str,
        code: &str,
        message: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let now = ts(now);
        let tx = self.conn.unchecked_transaction()?;
        let n = tx.execute(
            &format!(
                "UPDATE outbox SET state = 'failed', claim_token = NULL, claimed_until = NULL, last_error = :message,
                        updated_at = :now
                  WHERE id = :id AND CASE WHEN :token IS NULL
                        THEN state IN ('pending', 'ambiguous') AND {UNCLAIMED}
                        ELSE claim_token = :token END"
            ),
            named_params! { ":id": outbox_id, ":token": token, ":message": message, ":now": now },
        )?;
        if n == 1 {
            tx.execute(
                "UPDATE messages SET state = :state, error_code = :code, error_message = :message, updated_at = :now
                  WHERE id = (SELECT message_id FROM outbox WHERE id = :id)",
                named_params! { ":id": outbox_id, ":state": message_state, ":code": code, ":message": message, ":now": now },
            )?;
        }
        tx.commit()?;
        Ok(n == 1)
    }

    /// A transient failure: the row is pending again, due at `next`, and
    /// the message `queued`. Only under the claim `token`.
    pub fn record_retry(
        &self,
        outbox_id: i64,
        token: i64,
        last_error: &str,
        next: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.reschedule(outbox_id, token, "pending", last_error, next, now)
    }

    /// The attempt may have reached the server: the row is ambiguous, to be
    /// checked at `next`; the message stays `sending`. Only under the claim
    /// `token`.
    pub fn record_ambiguous(
        &self,
        outbox_id: i64,
        token: i64,
        last_error: &str,
        next: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.reschedule(outbox_id, token, "ambiguous", last_error, next, now)
    }

    /// The route's server refused the credentials: nothing was sent, so the
    /// attempt does not count; the row is pending, due at `next`, with
    /// `note` saying why it waits, and the message `queued`. Only under the
    /// claim `token`.
    pub fn record_paused(
        &self,
        outbox_id: i64,
        token: i64,
        note: &str,
        next: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let done = self.reschedule(outbox_id, token, "pending", note, next, now)?;
        if done {
            self.conn.execute("UPDATE outbox SET attempts = max(attempts - 1, 0) WHERE id = ?1", [outbox_id])?;
        }
        Ok(done)
    }

    /// The check found nothing on the server: the row is pending, due at
    /// once (a new attempt may go). Only under the claim `token`.
    pub fn record_not_found(
        &self,
        outbox_id: i64,
        token: i64,
        note: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.reschedule(outbox_id, token, "pending", note, now, now)
    }

    fn reschedule(
        &self,
        outbox_id: i64,
        token: i64,
        state: &str,
        last_error: &str,
        next: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let now = ts(now);
        let tx = self.conn.unchecked_transaction()?;
        let n = tx.execute(
            "UPDATE outbox SET state = :state, next_attempt_at = :next, last_error = :error, checks = 0,
                    ambiguous_since = CASE WHEN :state = 'ambiguous' THEN COALESCE(ambiguous_since, sent_at)
                                           ELSE ambiguous_since END,
                    claim_token = NULL, claimed_until = NULL, updated_at = :now
              WHERE id = :id AND claim_token = :token",
            named_params! { ":id": outbox_id, ":token": token, ":state": state, ":next": ts(next), ":error": last_error, ":now": now },
        )?;
        if n == 1 {
            let message_state = if state == "pending" { "queued" } else { "sending" };
            tx.execute(
                "UPDATE messages SET state = :state, updated_at = :now WHERE id = (SELECT message_id FROM outbox WHERE id = :id)",
                named_params! { ":id": outbox_id, ":state": message_state, ":now": now },
            )?;
        }
        tx.commit()?;
        Ok(n == 1)
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
        let n = self.conn.execute(
            "UPDATE outbox SET checks = checks + 1, next_attempt_at = :next, last_error = :error, claim_token = NULL,
                    claimed_until = NULL, updated_at = :now
              WHERE id = :id AND claim_token = :token",
            named_params! { ":id": outbox_id, ":token": token, ":next": ts(next), ":error": last_error, ":now": ts(now) },
        )?;
        Ok(n == 1)
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
        let n = self.conn.execute(
            &format!(
                "UPDATE outbox SET next_attempt_at = :next, last_error = :reason, updated_at = :now
                  WHERE id = :id AND state IN ('pending', 'ambiguous') AND {UNCLAIMED}"
            ),
            named_params! { ":id": outbox_id, ":next": ts(next), ":reason": reason, ":now": ts(now) },
        )?;
        Ok(n == 1)
    }
}
