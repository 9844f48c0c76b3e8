//! Sending an SMS. It goes through the durable [`outbox`]: checked,
//! recorded, then sent (and retried, or checked against the server) by the
//! outbox worker while [`send_sms`] waits for the answer. The desk's lock is
//! never held across a network call. Calls are in [`crate::engine::call`].

use std::{sync::Mutex, time::Duration};

pub use crate::engine::outbox::SmsRequest;
pub use crate::rules::sms_text::{check_text, MAX_TEXT_CHARS};
use crate::{
    desk::lock,
    desk::Desk,
    engine::outbox::{self, Policy, SendLimiter, Targets},
    engine::routes::Gateways,
    rules::error::{CoreError, Result},
    store::{
        outbox::{HoldReason, OutboxItem},
        Route,
    },
};

/// Where a send stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum SendStatus {
    /// The gateway took it.
    Accepted,
    /// The gateway refused it for good, or CareDesk did (opted out, gave up): `error` says why.
    Refused,
    /// In the outbox, not tried yet (waiting for its turn at the sender's rate).
    Queued,
    /// A transient failure: tried again at `next_attempt_at`; `error` is the last one.
    Retrying,
    /// It may have reached the hospital SMS server: CareDesk checks the
    /// server's sent messages before any retry, so it is never sent twice.
    Checking,
    /// It may have gone (ECM) and CareDesk cannot find out: check the
    /// patient's ECM activity before sending again.
    Uncertain,
}

/// What became of a send.
#[derive(Debug, Clone, PartialEq, serde::Serialize, ts_rs::TS)]
pub struct SmsOutcome {
    pub message_id: i64,
    /// `None` for a reply to an unmatched number.
    pub patient_id: Option<i64>,
    pub route: Route,
    /// The number it goes to (the override number, if one is set).
    pub to: String,
    /// The patient's own number, when an override number rerouted it.
    pub intended_to: Option<String>,
    /// Test mode: answered by the sandbox, never by a real server.
    pub test: bool,
    pub status: SendStatus,
    /// The message's state: queued, sending, sent (accepted), ..., failed, uncertain.
    pub state: String,
    pub server_id: Option<String>,
    /// Why it was refused or is uncertain; for queued, retrying and
    /// checking, the last error.
    pub error: Option<String>,
    /// Stable code of a refusal or uncertainty.
    pub error_code: Option<String>,
    pub attempts: u32,
    /// When it is tried or checked next (queued, retrying, checking).
    pub next_attempt_at: Option<String>,
    /// The other process that sends for this data directory (the app,
    /// `caredesk sync`), when this one handed the message to it.
    pub handed_to: Option<String>,
    /// Queued within its undo delay: no worker takes it before this time
    /// (RFC 3339 UTC), and Undo can still take it back.
    pub hold_until: Option<String>,
    /// Why it waits until `hold_until`: undo, scheduled, quiet_hours.
    pub hold_reason: Option<crate::store::outbox::HoldReason>,
}

/// How long [`send_sms`] waits for the gateway's answer by default.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(60);

/// How [`send_sms_with`] sends.
#[derive(Debug, Clone)]
pub struct SendOptions<'a> {
    /// The process's limiter (the app's, shared with the engine); `None`
    /// makes one from `sms.rate_per_sec` for this send.
    pub limiter: Option<&'a SendLimiter>,
    /// A sandbox that answers test-mode messages when `gateways` are the
    /// real servers; `None` starts one for this send if it is needed.
    pub test_gateways: Option<&'a Gateways>,
    /// The longest wait for an answer; the message stays in the outbox
    /// after it (an HTTP request under way is not cut short).
    pub wait: Duration,
    /// `None`: the default policy with the desk's settings.
    pub policy: Option<Policy>,
    /// The undo delay (the app's `sms.undo_seconds`): the message waits in
    /// the outbox this long before any worker may take it, and the send
    /// returns at once, queued with its `hold_until` (the engine sends it).
    /// Zero: sent now, as the CLI does.
    pub undo_delay: Duration,
    /// Send later: the message waits in the outbox until then (its undo
    /// and cancel stay possible) and the send returns at once.
    pub at: Option<chrono::DateTime<chrono::Utc>>,
    /// An urgent text inside quiet hours: why (audited).
    pub urgent: Option<String>,
}

impl Default for SendOptions<'_> {
    fn default() -> Self {
        SendOptions {
            limiter: None,
            test_gateways: None,
            wait: DEFAULT_WAIT,
            policy: None,
            undo_delay: Duration::ZERO,
            at: None,
            urgent: None,
        }
    }
}

/// Checks, records in the outbox, and sends one SMS, waiting up to
/// [`DEFAULT_WAIT`] for the gateway's answer.
pub async fn send_sms(desk: &Mutex<Desk>, gateways: &Gateways, req: SmsRequest) -> Result<SmsOutcome> {
    send_sms_with(desk, gateways, req, SendOptions::default()).await
}

/// [`send_sms`] with a shared limiter, a test-mode sandbox and a wait.
/// Errors before anything is stored (bad text, patient or number, opted
/// out, route not configured) are `Err`; everything after is in the
/// outcome: accepted, refused (why), queued or retrying (when, last error),
/// being checked, or uncertain.
pub async fn send_sms_with(
    desk: &Mutex<Desk>,
    gateways: &Gateways,
    req: SmsRequest,
    options: SendOptions<'_>,
) -> Result<SmsOutcome> {
    let route = req.via.unwrap_or(gateways.default_route);
    send_queued(desk, gateways, route, options, |d, hold| {
        outbox::enqueue_with(d, &SmsRequest { via: Some(route), ..req }, hold)
    })
    .await
}

/// Staff reply to an unmatched number from the Unmatched inbox (see
/// [`outbox::enqueue_unmatched_reply`]): through the hospital SMS server,
/// by the outbox like every send, waiting as [`send_sms_with`] does.
pub async fn reply_to_unmatched(
    desk: &Mutex<Desk>,
    gateways: &Gateways,
    number: &str,
    text: &str,
    options: SendOptions<'_>,
) -> Result<SmsOutcome> {
    send_queued(desk, gateways, Route::His, options, |d, hold| outbox::enqueue_unmatched_reply(d, number, text, hold))
        .await
}

/// Checks the route, records the send with `enqueue` (given the undo
/// hold) and sends it or leaves it to the engine.
async fn send_queued(
    desk: &Mutex<Desk>,
    gateways: &Gateways,
    route: Route,
    options: SendOptions<'_>,
    enqueue: impl FnOnce(&Desk, outbox::Hold) -> Result<outbox::Enqueued>,
) -> Result<SmsOutcome> {
    let targets = Targets::new(gateways).with_test(options.test_gateways)?;
    let (queued, own_limiter, policy) = {
        let d = lock(desk)?;
        let policy = options.policy.clone().unwrap_or_else(|| Policy::from_desk(&d));
        let test = d.setting("sms.test_mode")?.as_deref() == Some("true");
        if !test {
            // A route that is not set up fails now rather than waiting in the outbox.
            gateways.route_status(route).map_err(CoreError::from)?;
        }
        let hold =
            outbox::Hold { delay: options.undo_delay, at: options.at, urgent: options.urgent.clone(), retry_of: None };
        let queued = enqueue(&d, hold)?;
        // Held (undo delay, a time to send later, quiet hours): the engine sends it.
        if d.db().outbox_item(queued.message_id)?.and_then(|i| i.hold_until).is_some() {
            drop(d);
            return sms_outcome(desk, queued.message_id);
        }
        let own_limiter = match options.limiter {
            Some(_) => None,
            None => Some(SendLimiter::from_desk(&d)?),
        };
        (queued, own_limiter, policy)
    };
    let limiter = options.limiter.or(own_limiter.as_ref()).expect("one of the two is set");
    let deadline = tokio::time::Instant::now() + options.wait;
    let handed_to = match outbox::take_sending(desk)? {
        None => None,
        Some(holder) => {
            // Another process sends for this data directory: it sends this
            // one too. Wait for it, or for its lock (it may end first).
            tracing::info!(holder = %holder, "the message was handed to the sending process");
            if !wait_for_holder(desk, queued.message_id, deadline).await? {
                return sms_outcome(desk, queued.message_id).map(|o| SmsOutcome { handed_to: Some(holder.0), ..o });
            }
            Some(holder.0)
        }
    };
    let wait = deadline.saturating_duration_since(tokio::time::Instant::now());
    if queued.test && !targets.serves_test() {
        let sandbox = outbox::start_test_gateways(desk).await?;
        let targets = targets.with_test(Some(&sandbox))?;
        let driven = outbox::drive(desk, targets, limiter, &policy, queued.message_id, wait).await;
        sandbox.shutdown().await;
        driven?;
    } else {
        outbox::drive(desk, targets, limiter, &policy, queued.message_id, wait).await?;
    }
    sms_outcome(desk, queued.message_id).map(|o| SmsOutcome { handed_to, ..o })
}

/// Waits until the sending process has finished with `message_id`
/// (`false`), or this process became the sender (`true`: it sends it
/// itself), or `deadline`.
async fn wait_for_holder(desk: &Mutex<Desk>, message_id: i64, deadline: tokio::time::Instant) -> Result<bool> {
    loop {
        let state = lock(desk)?.db().outbox_item(message_id)?.map(|i| i.state);
        if !matches!(state.as_deref(), Some(s) if s != "done" && s != "failed") {
            return Ok(false);
        }
        if outbox::take_sending(desk)?.is_none() {
            return Ok(true);
        }
        if tokio::time::Instant::now() >= deadline {
            return Ok(false);
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// What became of a message sent through the outbox, so far.
pub fn sms_outcome(desk: &Mutex<Desk>, message_id: i64) -> Result<SmsOutcome> {
    let item = lock(desk)?
        .db()
        .outbox_item(message_id)?
        .ok_or_else(|| CoreError::InvalidMessage(format!("message {message_id} is not in the outbox")))?;
    Ok(SmsOutcome::from_item(&item))
}

impl SmsOutcome {
    fn from_item(item: &OutboxItem) -> SmsOutcome {
        let status = match (item.state.as_str(), item.message_state.as_str()) {
            ("done", _) => SendStatus::Accepted,
            ("failed", "uncertain") => SendStatus::Uncertain,
            ("failed", _) => SendStatus::Refused,
            ("ambiguous", _) => SendStatus::Checking,
            ("in_flight", _) if item.ambiguous_since.is_some() => SendStatus::Checking,
            ("pending", _) if item.attempts > 0 => SendStatus::Retrying,
            _ => SendStatus::Queued,
        };
        let (error, error_code) = match status {
            SendStatus::Accepted => (None, None),
            SendStatus::Refused | SendStatus::Uncertain => (item.error_message.clone(), item.error_code.clone()),
            _ => (item.last_error.clone(), None),
        };
        let waiting = matches!(status, SendStatus::Queued | SendStatus::Retrying | SendStatus::Checking);
        let held = status == SendStatus::Queued && item.attempts == 0 && item.hold_until.is_some();
        SmsOutcome {
            message_id: item.message_id,
            patient_id: item.patient_id,
            route: item.route,
            to: item.to.clone(),
            intended_to: item.intended_to.clone(),
            test: item.is_test,
            status,
            state: item.message_state.clone(),
            server_id: item.server_id.clone(),
            error,
            error_code,
            attempts: item.attempts,
            next_attempt_at: waiting.then(|| item.next_attempt_at.clone()),
            handed_to: None,
            hold_until: held.then(|| item.hold_until.clone()).flatten(),
            hold_reason: held.then_some(item.hold_reason).flatten(),
        }
    }

    /// One sentence for the coordinator.
    pub fn describe(&self) -> String {
        let to = match &self.intended_to {
            Some(i) => format!("{} (override number; meant for {i})", self.to),
            None => self.to.clone(),
        };
        let test = if self.test { " [test mode: answered by the sandbox]" } else { "" };
        let via = self.route.as_str();
        let error = self.error.as_deref().unwrap_or("no details");
        let next = self.next_attempt_at.as_deref().unwrap_or("soon");
        let text = match self.status {
            SendStatus::Accepted => format!(
                "accepted by {via}: message {} to {to}, server id {}",
                self.message_id,
                self.server_id.as_deref().unwrap_or("-")
            ),
            SendStatus::Refused => format!("not sent: {error}"),
            SendStatus::Queued if self.hold_reason == Some(HoldReason::Scheduled) => {
                format!("scheduled: message {} to {to} goes out by {via} at {next} (`caredesk outbox cancel {}` cancels it)", self.message_id, self.message_id)
            }
            SendStatus::Queued if self.hold_reason == Some(HoldReason::QuietHours) => format!(
                "held for quiet hours: message {} to {to} goes out by {via} when they end, at {next} (`caredesk outbox cancel {}` cancels it)",
                self.message_id, self.message_id
            ),
            SendStatus::Queued => match self.error.as_deref() {
                Some(why) => format!("queued: message {} to {to} goes out by {via} at {next}; {why}", self.message_id),
                None => format!("queued: message {} to {to} goes out by {via} at {next}", self.message_id),
            },
            SendStatus::Retrying => format!(
                "not sent yet: message {} to {to} is retried at {next} (attempt {} failed: {error})",
                self.message_id, self.attempts
            ),
            SendStatus::Checking => format!(
                "unknown yet whether message {} to {to} was sent; CareDesk checks the hospital SMS server before any retry, so it is not sent twice ({error})",
                self.message_id
            ),
            SendStatus::Uncertain => format!("unknown whether it was sent: {error}"),
        };
        let handed = match &self.handed_to {
            Some(h) => format!(" (handed to {h}, which sends for this data directory)"),
            None => String::new(),
        };
        format!("{text}{test}{handed}")
    }
}
