//! What a coordinator does to a text after Send: Undo (within the undo
//! delay, before any worker has taken it) and Retry (a failed text no
//! server accepted).

use std::time::Duration;

use chrono::Utc;

use super::{enqueue_unmatched_reply, enqueue_with, Enqueued, Hold};
pub use crate::store::outbox::Withdrawn;
use crate::{desk::Desk, engine::outbox::SmsRequest, rules::error::Result, store::outbox::Withdraw};

/// Why Retry refuses a text that was retried meanwhile.
pub(crate) const RETRIED_OR_CHANGED: &str = "it was retried already (or its state changed meanwhile)";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutboxActionError {
    /// A worker has claimed or tried the text: it may be on its way.
    #[error("message {message_id} is already being sent ({state}), so it can no longer be undone")]
    TooLateToUndo { message_id: i64, state: String },
    #[error("message {message_id} is not a text waiting in the outbox")]
    NotInOutbox { message_id: i64 },
    /// Retry sends again only what surely did not go.
    #[error("message {message_id} cannot be retried: {reason}")]
    NotRetryable { message_id: i64, reason: &'static str },
}

impl crate::rules::error::CodedError for OutboxActionError {
    fn code(&self) -> crate::rules::error::ErrorCode {
        match self {
            OutboxActionError::TooLateToUndo { .. } => crate::rules::error::ErrorCode::TooLateToUndo,
            OutboxActionError::NotInOutbox { .. } => crate::rules::error::ErrorCode::NotFound,
            OutboxActionError::NotRetryable { .. } => crate::rules::error::ErrorCode::NotRetryable,
        }
    }
}

/// The undo delay after Send: `sms.undo_seconds` (0: none).
pub fn undo_delay(d: &Desk) -> Result<Duration> {
    let secs = d.setting("sms.undo_seconds")?.and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    Ok(Duration::from_secs(secs))
}

/// Undo send: takes a text out of the outbox, if no worker has claimed or
/// tried it, and deletes it (audited); returns its text, number and route
/// for the composer. Too late (claimed, tried, sent): a typed error, and
/// the text goes out as usual.
pub fn undo_send(d: &Desk, message_id: i64) -> Result<Withdrawn> {
    match d.db().withdraw_unsent(message_id, &d.actor(), Utc::now())? {
        Withdraw::Done(w) => {
            tracing::info!(message_id, "SMS undone before sending");
            Ok(w)
        }
        Withdraw::TooLate { state } => Err(OutboxActionError::TooLateToUndo { message_id, state }.into()),
        Withdraw::NotFound => Err(OutboxActionError::NotInOutbox { message_id }.into()),
    }
}

/// Retry: sends a failed text again, as a new message (new ExternalKey,
/// new outbox row, waiting `delay` like any Send) to the same number by the
/// same route; the failed one is marked as retried, in the same
/// transaction. Checked again like a new send (opt-out, numbers on file).
/// Refused (typed) for anything a server accepted or may have (ECM
/// uncertain), still in the outbox, or already retried.
pub fn retry_message(d: &Desk, message_id: i64, delay: Duration) -> Result<Enqueued> {
    let not = |reason: &'static str| OutboxActionError::NotRetryable { message_id, reason };
    let item = d.db().outbox_item(message_id)?.ok_or_else(|| not("it was not sent through the outbox"))?;
    if item.message_state == "uncertain" {
        return Err(
            not("it may have been sent (check the patient's ECM activity); send it anew if it did not arrive").into()
        );
    }
    if item.state == "done" || item.server_id.is_some() {
        return Err(not("a server accepted it").into());
    }
    if item.state != "failed" {
        return Err(not("it has not failed: it is still in the outbox").into());
    }
    if !d.db().is_retryable(message_id)? {
        return Err(not(RETRIED_OR_CHANGED).into());
    }
    let hold = Hold { delay, retry_of: Some(message_id), ..Hold::default() };
    let queued = match item.patient_id {
        Some(patient) => {
            let req = SmsRequest {
                patient: patient.to_string(),
                to: Some(item.intended().to_string()),
                text: item.body.clone(),
                via: Some(item.route),
                other_number: false,
            };
            enqueue_with(d, &req, hold)?
        }
        // A reply to an unmatched number: again to that number, checked as one.
        None => enqueue_unmatched_reply(d, item.intended(), &item.body, hold)?,
    };
    tracing::info!(message_id, retry = queued.message_id, "failed SMS retried");
    Ok(queued)
}
