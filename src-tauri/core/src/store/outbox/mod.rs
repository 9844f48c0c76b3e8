//! The outbox: outbound SMS that no gateway has accepted or refused yet, and
//! every step of their delivery. Each function is one transaction, committed
//! before it returns, so the worker's next network step always starts from
//! a recorded state.
//!
//! A worker *claims* a row (a random token and a time limit) before it acts
//! on it, and records the result only if its claim still holds: two workers
//! (the app's engine and a `send` waiting for its message, or two processes)
//! never send the same row twice. Acceptance is the exception: it is a fact,
//! recorded whatever happened to the claim.

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{params, OptionalExtension, Row};

mod transitions;
mod undo;

pub use transitions::{Claim, Final, Reschedule};
pub use undo::{Withdraw, Withdrawn};

#[cfg(test)]
mod tests;

use super::{Database, NewOutbound, Route, StoreError};

/// Why a text waits in the outbox until its `hold_until`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum HoldReason {
    /// The undo delay after Send.
    Undo,
    /// Send later: a time the coordinator chose.
    Scheduled,
    /// Written outside the recipient's quiet hours: it waits for the window.
    QuietHours,
}

impl HoldReason {
    pub fn as_str(self) -> &'static str {
        match self {
            HoldReason::Undo => "undo",
            HoldReason::Scheduled => "scheduled",
            HoldReason::QuietHours => "quiet_hours",
        }
    }

    pub fn parse(s: &str) -> Option<HoldReason> {
        [HoldReason::Undo, HoldReason::Scheduled, HoldReason::QuietHours].into_iter().find(|r| r.as_str() == s)
    }
}

/// Until when and why a new outbox row waits before any worker may claim it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HoldUntil {
    pub until: DateTime<Utc>,
    pub reason: HoldReason,
}

impl HoldUntil {
    /// The undo delay's hold.
    pub fn undo(until: DateTime<Utc>) -> HoldUntil {
        HoldUntil { until, reason: HoldReason::Undo }
    }
}

/// The outbox and message ids of an enqueued SMS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueuedIds {
    pub message_id: i64,
    pub outbox_id: i64,
    pub external_key: i64,
}

/// An outbox row joined with its message: what the worker needs to act.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxItem {
    pub outbox_id: i64,
    pub message_id: i64,
    /// pending, in_flight, ambiguous, done, failed
    pub state: String,
    pub attempts: u32,
    pub checks: u32,
    pub next_attempt_at: String,
    pub sent_at: Option<String>,
    pub ambiguous_since: Option<String>,
    pub last_error: Option<String>,
    pub created_at: String,
    pub patient_id: Option<i64>,
    pub ecm_patient_id: Option<i64>,
    pub route: Route,
    pub from: String,
    pub to: String,
    pub intended_to: Option<String>,
    pub body: String,
    pub external_key: i64,
    pub is_test: bool,
    /// The message's state: queued, sending, sent, ..., failed, uncertain.
    pub message_state: String,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    /// HIS Id or ECM sms id, once accepted.
    pub server_id: Option<String>,
    /// Not claimed before this time (the undo delay after Send, a time
    /// chosen to send later, the end of quiet hours).
    pub hold_until: Option<String>,
    /// Why it waits until `hold_until`.
    pub hold_reason: Option<HoldReason>,
    /// The patient's time zone (quiet hours follow it), when the roster has one.
    pub patient_time_zone: Option<String>,
    /// An urgent 1:1 text: the reason it may go inside quiet hours.
    pub urgent_reason: Option<String>,
}

impl OutboxItem {
    /// The number the patient owns: the intended recipient when an override
    /// number rerouted the message, else the recipient.
    pub fn intended(&self) -> &str {
        self.intended_to.as_deref().unwrap_or(&self.to)
    }
}

/// A message not yet accepted or refused, for `caredesk outbox`.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct OutboxEntry {
    pub message_id: i64,
    pub patient_id: Option<i64>,
    /// The number the SMS goes to (the override number, if one is set).
    pub to: String,
    /// The patient's own number, when an override number rerouted it.
    pub intended_to: Option<String>,
    pub route: Route,
    /// pending (waiting or retrying), in_flight (being sent), ambiguous
    /// (may have gone: being checked before any retry), uncertain (may have
    /// gone; a person has to check)
    pub state: String,
    pub test: bool,
    pub attempts: i64,
    pub last_error: Option<String>,
    /// When it is tried or checked next; none for uncertain.
    pub next_attempt_at: Option<String>,
    pub created_at: String,
    /// Not sent before this time, while no worker has taken it.
    pub hold_until: Option<String>,
    /// Why it waits: undo, scheduled (send later) or quiet_hours.
    pub hold_reason: Option<HoldReason>,
}

/// A timestamp as the store writes it: RFC 3339 UTC with microseconds, so
/// text order is time order.
pub fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

pub fn parse_ts(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s).ok().map(|t| t.with_timezone(&Utc))
}

/// How long a colleague's text with no server Id yet holds up the check of
/// an identical one ([`Database::in_flight_twins`]).
pub const COLLEAGUE_TWIN_WINDOW: chrono::TimeDelta = chrono::TimeDelta::hours(2);

const ITEM_SELECT: &str = "
    SELECT o.id, o.message_id, o.state, o.attempts, o.checks, o.next_attempt_at, o.sent_at, o.ambiguous_since,
           o.last_error, o.created_at,
           m.patient_id, p.ecm_patient_id, m.route, m.from_number, m.to_number, m.intended_to, m.body,
           m.external_key, m.is_test, m.state, m.error_code, m.error_message,
           COALESCE(CAST(m.his_id AS TEXT), CAST(m.ecm_sms_id AS TEXT)), o.hold_until, o.hold_reason,
           p.time_zone, o.urgent_reason
      FROM outbox o
      JOIN messages m ON m.id = o.message_id
      LEFT JOIN patients p ON p.id = m.patient_id";

fn item(r: &Row<'_>) -> rusqlite::Result<OutboxItem> {
    let route: String = r.get(12)?;
    let key: Option<String> = r.get(17)?;
    Ok(OutboxItem {
        outbox_id: r.get(0)?,
        message_id: r.get(1)?,
        state: r.get(2)?,
        attempts: r.get(3)?,
        checks: r.get(4)?,
        next_attempt_at: r.get(5)?,
        sent_at: r.get(6)?,
        ambiguous_since: r.get(7)?,
        last_error: r.get(8)?,
        created_at: r.get(9)?,
        patient_id: r.get(10)?,
        ecm_patient_id: r.get(11)?,
        route: Route::parse(&route).unwrap_or(Route::His),
        from: r.get(13)?,
        to: r.get(14)?,
        intended_to: r.get(15)?,
        body: r.get(16)?,
        external_key: key.and_then(|k| k.parse().ok()).unwrap_or_default(),
        is_test: r.get(18)?,
        message_state: r.get(19)?,
        error_code: r.get(20)?,
        error_message: r.get(21)?,
        server_id: r.get(22)?,
        hold_until: r.get(23)?,
        hold_reason: r.get::<_, Option<String>>(24)?.as_deref().and_then(HoldReason::parse),
        patient_time_zone: r.get(25)?,
        urgent_reason: r.get(26)?,
    })
}

/// The row is free to claim: nobody's claim is still running.
const UNCLAIMED: &str = "(claimed_until IS NULL OR claimed_until <= :now)";

/// The row's undo delay has passed (or it has none).
const RELEASED: &str = "(hold_until IS NULL OR hold_until <= :now)";

impl Database {
    /// Records a new outbound SMS as `queued` with its `pending` outbox row,
    /// due at once (or at `hold_until`, the end of its undo delay: not
    /// claimed before), and the audit entry: one transaction. The
    /// ExternalKey is the next of the sequence unless `m` gives one; a given
    /// key already used fails (and stores nothing).
    pub fn enqueue_sms(
        &self,
        m: &NewOutbound,
        actor: &str,
        audit_detail: &str,
        hold: Option<HoldUntil>,
        now: DateTime<Utc>,
    ) -> Result<QueuedIds, StoreError> {
        self.enqueue_sms_by(m, actor, actor, audit_detail, hold, now)
    }

    /// [`Database::enqueue_sms`], naming the person who sent it for the
    /// activity log (`sent_by`) apart from the audit entry's actor.
    pub fn enqueue_sms_by(
        &self,
        m: &NewOutbound,
        actor: &str,
        sent_by: &str,
        audit_detail: &str,
        hold: Option<HoldUntil>,
        now: DateTime<Utc>,
    ) -> Result<QueuedIds, StoreError> {
        self.enqueue_sms_with(m, actor, sent_by, audit_detail, hold, None, now)
    }

    /// [`Database::enqueue_sms_by`] for a text that may carry an urgent
    /// override of quiet hours (`urgent`: the reason).
    #[allow(clippy::too_many_arguments)]
    pub fn enqueue_sms_with(
        &self,
        m: &NewOutbound,
        actor: &str,
        sent_by: &str,
        audit_detail: &str,
        hold: Option<HoldUntil>,
        urgent: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<QueuedIds, StoreError> {
        // Its own transaction, or a savepoint of the caller's: a send and
        // what it stands for (a consent invitation, a welcome text, a
        // campaign's recipient) commit together.
        self.atomically(|conn| {
            let ids = self.enqueue_on(conn, m, actor, sent_by, audit_detail, hold, now)?;
            if let Some(reason) = urgent {
                conn.execute("UPDATE outbox SET urgent_reason = ?2 WHERE id = ?1", params![ids.outbox_id, reason])?;
            }
            Ok(ids)
        })
    }

    /// [`Database::enqueue_sms_by`] for a Retry of the failed message
    /// `retry_of`, which is marked as retried by the new one in the same
    /// transaction. `None` (nothing stored) when `retry_of` is not, or no
    /// longer, a failed outbound text no server accepted that was not
    /// retried already.
    #[allow(clippy::too_many_arguments)]
    pub fn enqueue_retry(
        &self,
        retry_of: i64,
        m: &NewOutbound,
        actor: &str,
        sent_by: &str,
        audit_detail: &str,
        hold: Option<HoldUntil>,
        now: DateTime<Utc>,
    ) -> Result<Option<QueuedIds>, StoreError> {
        let tx = self.conn.unchecked_transaction()?;
        let ids = self.enqueue_on(&tx, m, actor, sent_by, audit_detail, hold, now)?;
        let marked = tx.execute(
            &format!(
                "UPDATE messages SET retried_as = ?2 WHERE id = ?1 AND retried_as IS NULL AND {}",
                undo::RETRYABLE
            ),
            params![retry_of, ids.message_id],
        )?;
        if marked != 1 {
            return Ok(None); // dropping `tx` rolls the new message back
        }
        tx.commit()?;
        Ok(Some(ids))
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn enqueue_on(
        &self,
        tx: &rusqlite::Connection,
        m: &NewOutbound,
        actor: &str,
        sent_by: &str,
        audit_detail: &str,
        hold: Option<HoldUntil>,
        now: DateTime<Utc>,
    ) -> Result<QueuedIds, StoreError> {
        let hold = hold.filter(|h| h.until > now);
        let (reason, hold) = (hold.map(|h| h.reason.as_str()), hold.map(|h| ts(h.until)));
        let now = ts(now);
        let (message_id, external_key) = super::messages::insert_outbound_row(tx, m, "queued", Some(sent_by), &now)?;
        // Due when the hold ends, so the worker's sleep wakes for it; the
        // claim checks `hold_until` itself whatever becomes of the due time.
        tx.execute(
            "INSERT INTO outbox (message_id, state, attempts, next_attempt_at, hold_until, hold_reason, created_at, updated_at)
             VALUES (?1, 'pending', 0, COALESCE(?3, ?2), ?3, ?4, ?2, ?2)",
            params![message_id, now, hold, reason],
        )?;
        let outbox_id = tx.last_insert_rowid();
        self.audit_on(tx, actor, "sms.send", m.patient_id, &format!("message {message_id}: {audit_detail}"))?;
        Ok(QueuedIds { message_id, outbox_id, external_key })
    }

    /// The outbox row of a message, if it went through the outbox.
    pub fn outbox_item(&self, message_id: i64) -> Result<Option<OutboxItem>, StoreError> {
        let sql = format!("{ITEM_SELECT} WHERE o.message_id = ?1");
        Ok(self.conn.prepare_cached(&sql)?.query_row([message_id], item).optional()?)
    }

    /// Rows to work on now: pending (to send) or ambiguous (to check), due
    /// and not claimed, the longest waiting first.
    pub fn due_outbox(&self, now: DateTime<Utc>, limit: usize) -> Result<Vec<OutboxItem>, StoreError> {
        let sql = format!(
            "{ITEM_SELECT}
              WHERE o.state IN ('pending', 'ambiguous') AND o.next_attempt_at <= ?1
                AND (o.claimed_until IS NULL OR o.claimed_until <= ?1)
                AND (o.hold_until IS NULL OR o.hold_until <= ?1)
              ORDER BY o.next_attempt_at, o.id LIMIT ?2"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![ts(now), limit as i64], item)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The earliest time a pending or ambiguous row falls due, leaving out
    /// the rows `skip` (those waiting for a rate-limit slot).
    pub fn next_outbox_due(&self, skip: &[i64]) -> Result<Option<String>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, next_attempt_at FROM outbox WHERE state IN ('pending', 'ambiguous')
              ORDER BY next_attempt_at, id LIMIT ?1",
        )?;
        let mut rows = stmt.query([skip.len() as i64 + 1])?;
        while let Some(r) = rows.next()? {
            if !skip.contains(&r.get::<_, i64>(0)?) {
                return Ok(Some(r.get(1)?));
            }
        }
        Ok(None)
    }

    /// The server times of the latest hospital SMS server acceptances,
    /// newest first; Send SMS answers carry the server's UTC offset.
    pub fn recent_his_server_times(&self, limit: usize) -> Result<Vec<String>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT server_created_at FROM messages
              WHERE route = 'his' AND direction = 'outbound' AND his_id IS NOT NULL AND server_created_at IS NOT NULL
              ORDER BY id DESC LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit as i64], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Whether a message already holds this hospital SMS server Id.
    pub fn his_id_taken(&self, his_id: i64) -> Result<bool, StoreError> {
        Ok(self.conn.query_row("SELECT EXISTS (SELECT 1 FROM messages WHERE his_id = ?1)", [his_id], |r| r.get(0))?)
    }

    /// Other texts being sent now to `to` with the same words: until they
    /// have their answer, a message found on the server might be theirs.
    /// Those of this desk's outbox that are in flight, and in team mode a
    /// colleague's (a text the team's log brought, with no outbox row here)
    /// whose server Id this desk has not heard yet, from the last
    /// [`COLLEAGUE_TWIN_WINDOW`] (a colleague's desk that never came back
    /// cannot hold a check up forever): the check before a retry never
    /// adopts a colleague's identical text as its own.
    pub fn in_flight_twins(&self, outbox_id: i64, to: &str, body: &str) -> Result<i64, StoreError> {
        Ok(self.conn.query_row(
            "SELECT (SELECT count(*) FROM outbox o JOIN messages m ON m.id = o.message_id
                      WHERE o.state = 'in_flight' AND o.id <> ?1 AND m.direction = 'outbound' AND m.to_number = ?2
                        AND m.body = ?3)
                  + (SELECT count(*) FROM messages m
                      WHERE m.gid IS NOT NULL AND m.direction = 'outbound' AND m.route = 'his' AND m.to_number = ?2
                        AND m.body = ?3 AND m.his_id IS NULL AND m.created_at >= ?4
                        AND m.state IN ('queued', 'sending', 'sent', 'enroute', 'accepted', 'uncertain')
                        AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.message_id = m.id))",
            params![
                outbox_id,
                to,
                body,
                (chrono::Utc::now() - COLLEAGUE_TWIN_WINDOW).to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
            ],
            |r| r.get(0),
        )?)
    }

    /// Messages not yet accepted or refused: open outbox rows, then those
    /// left uncertain, oldest first.
    pub fn outbox_entries(&self) -> Result<Vec<OutboxEntry>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT o.message_id, m.patient_id, m.to_number, m.intended_to, m.route,
                    CASE WHEN o.state = 'failed' THEN 'uncertain' ELSE o.state END,
                    m.is_test, o.attempts, o.last_error,
                    CASE WHEN o.state = 'failed' THEN NULL ELSE o.next_attempt_at END, o.created_at,
                    CASE WHEN o.state = 'pending' AND o.attempts = 0 THEN o.hold_until END,
                    CASE WHEN o.state = 'pending' AND o.attempts = 0 THEN o.hold_reason END
               FROM outbox o JOIN messages m ON m.id = o.message_id
              WHERE o.state IN ('pending', 'in_flight', 'ambiguous')
                 OR (o.state = 'failed' AND m.state = 'uncertain')
              ORDER BY o.created_at, o.id",
        )?;
        let rows = stmt.query_map([], |r| {
            let route: String = r.get(4)?;
            Ok(OutboxEntry {
                message_id: r.get(0)?,
                patient_id: r.get(1)?,
                to: r.get(2)?,
                intended_to: r.get(3)?,
                route: Route::parse(&route).unwrap_or(Route::His),
                state: r.get(5)?,
                test: r.get(6)?,
                attempts: r.get(7)?,
                last_error: r.get(8)?,
                next_attempt_at: r.get(9)?,
                created_at: r.get(10)?,
                hold_until: r.get(11)?,
                hold_reason: r.get::<_, Option<String>>(12)?.as_deref().and_then(HoldReason::parse),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}
