//! The durable outbox: no SMS a coordinator sends is lost or sent twice.
//!
//! - [`enqueue`] checks a send and records it (message `queued`, outbox row
//!   `pending`, a unique ExternalKey) in one transaction. From then on it
//!   survives closing the app, a crash or an outage.
//! - [`drain`] is one step of the worker, called by the engine's loop: it
//!   sends the rows that are due, at most `sms.rate_per_sec` per sender
//!   ([`SendLimiter`]), and checks the ambiguous ones. Each state change is
//!   committed before the next network call; the desk's lock is never held
//!   across one.
//! - A transient failure is retried after a capped, jittered exponential
//!   backoff ([`Policy`]); a permanent one stops at once with its reason.
//! - A send that may have reached the hospital SMS server (timeout, reset,
//!   5xx, unreadable answer) is *ambiguous*: before any new attempt the
//!   worker looks for it in the server's Outgoing list, and adopts it when
//!   found ([`reconcile`]). An ECM send in that state cannot be checked (ECM
//!   has no list): it becomes *uncertain* and is never resent automatically.
//! - Test mode (`sms.test_mode`) sends only to a sandbox ([`Targets`]); an
//!   override number (`sms.override_number`) receives every SMS, and the
//!   message keeps the patient's number in `intended_to`.

mod actions;
pub(crate) mod enqueue;
pub mod hold;
pub mod limiter;
pub mod matching;
pub mod policy;
pub mod reconcile;
mod worker;

#[cfg(test)]
mod tests;

use std::{sync::Mutex, time::Duration};

use chrono::Utc;

pub use crate::store::outbox::OutboxEntry;
pub use actions::{retry_message, undo_delay, undo_send, OutboxActionError, Withdrawn};
pub use enqueue::{
    enqueue, enqueue_unmatched_reply, enqueue_with, send_at, Enqueued, Hold, SmsRequest, UNMATCHED_REPLY_AUDIT,
};
pub use limiter::SendLimiter;
pub use policy::{Disposition, Policy};

use crate::{
    desk::lock,
    desk::Desk,
    engine::routes::{GatewayConfigError, GatewayPlan, Gateways, Mode},
    rules::error::{CoreError, Result},
    sandbox::SandboxOptions,
};

/// The reason an interrupted ECM send is left uncertain.
pub const ECM_UNCERTAIN: &str = "ECM may have sent it; check the patient's ECM activity before sending again";

/// What one [`drain`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct DrainReport {
    /// Sends handed to a gateway.
    pub attempted: usize,
    /// Sends the gateway accepted.
    pub accepted: usize,
    /// Sends refused for good (or given up).
    pub failed: usize,
    /// Transient failures, and checks that found nothing: tried again later.
    pub retrying: usize,
    /// Sends that may have reached the hospital SMS server: checked before any retry.
    pub ambiguous: usize,
    /// ECM sends that may have gone: a person has to check.
    pub uncertain: usize,
    /// Ambiguous sends found on the hospital SMS server and adopted.
    pub reconciled: usize,
    /// Due rows skipped because their sender is at its rate.
    pub throttled: usize,
    /// Rows waiting because their route is paused (its server refused
    /// CareDesk's credentials).
    pub paused: usize,
    /// Rows that came due outside their recipient's quiet hours: they wait
    /// for the window's opening.
    pub held: usize,
    /// When something may be done next (0: at once), for the engine's sleep.
    pub next_in_ms: Option<u64>,
}

/// Which gateways the worker may use: the configured ones, and for test-mode
/// messages a sandbox. A test message goes to the live gateways only when
/// they are the sandbox, else to `test`, which must be a sandbox too; with
/// neither it waits in the outbox. So nothing in test mode reaches a real
/// server, whatever mode the app's gateways are in.
#[derive(Debug, Clone, Copy)]
pub struct Targets<'a> {
    live: &'a Gateways,
    test: Option<&'a Gateways>,
}

/// A gateway chosen for one message.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Target<'a> {
    pub gw: &'a Gateways,
    /// A sandbox standing in for real servers (test mode).
    pub stand_in: bool,
}

impl<'a> Targets<'a> {
    pub fn new(live: &'a Gateways) -> Targets<'a> {
        Targets { live, test: None }
    }

    /// Adds the sandbox that answers test-mode messages; refuses gateways
    /// that are not a sandbox.
    pub fn with_test(self, test: Option<&'a Gateways>) -> Result<Targets<'a>> {
        if let Some(t) = test {
            if t.mode != Mode::Sandbox {
                return Err(CoreError::from(GatewayConfigError::Invalid(
                    "test-mode messages go only to the sandbox, not to real servers".into(),
                )));
            }
        }
        Ok(Targets { test, ..self })
    }

    /// Whether a test-mode message has somewhere to go.
    pub fn serves_test(&self) -> bool {
        self.for_message(true).is_some()
    }

    pub(crate) fn for_message(&self, is_test: bool) -> Option<Target<'a>> {
        match (is_test, self.live.mode, self.test) {
            (false, _, _) => Some(Target { gw: self.live, stand_in: false }),
            (true, Mode::Sandbox, _) => Some(Target { gw: self.live, stand_in: false }),
            (true, Mode::Real, Some(t)) if t.mode == Mode::Sandbox => Some(Target { gw: t, stand_in: true }),
            (true, Mode::Real, _) => None,
        }
    }
}

/// Starts a sandbox to answer test-mode messages when the configured
/// servers are real (call inside a tokio runtime; shut it down with
/// [`Gateways::shutdown`]). It has both routes, no simulated replies and no
/// control API (what it holds are real patients' numbers and texts).
pub async fn start_test_gateways(desk: &Mutex<Desk>) -> Result<Gateways> {
    let mut plan = GatewayPlan::from_desk(&*lock(desk)?)?;
    plan.mode = Mode::Sandbox;
    plan.connect(SandboxOptions { replies: false, control_token: None, ..SandboxOptions::default() }).await
}

/// Messages not yet accepted or refused, oldest first (empty when none):
/// waiting, retrying, being checked, or uncertain.
pub fn pending(desk: &Mutex<Desk>) -> Result<Vec<OutboxEntry>> {
    Ok(lock(desk)?.db().outbox_entries()?)
}

/// At startup, before the first [`drain`]: rows left in flight by a crash or
/// a closed app may have reached the server. Hospital SMS server rows become
/// ambiguous (checked before any retry), ECM rows uncertain. Returns how
/// many. (Rows whose claim ran out are treated the same way by every drain.)
pub fn recover(desk: &Mutex<Desk>) -> Result<usize> {
    let n = lock(desk)?.db().void_in_flight(true, ECM_UNCERTAIN, Utc::now())?;
    if n > 0 {
        tracing::warn!(rows = n, "sends interrupted by a crash or a closed app: checking them before any retry");
    }
    Ok(n)
}

/// Whether this process sends for its data directory: takes the sender
/// lock when it is free, and the first time recovers the sends a process
/// that ended left in flight ([`recover`]). `Some(holder)` when another
/// live process sends: what is queued goes out through it.
pub fn take_sending(desk: &Mutex<Desk>) -> Result<Option<crate::desk::data_dir_lock::Holder>> {
    let newly = match lock(desk)?.claim_sending()? {
        crate::desk::Sending::Ours { newly } => newly,
        crate::desk::Sending::Elsewhere(holder) => return Ok(Some(holder)),
    };
    if newly {
        recover(desk)?;
    }
    Ok(None)
}

/// Releases the outbox claims this process holds, when its work was cut
/// short (Ctrl+C, SIGTERM, the app closing mid-send): a send under way may
/// have reached the server, so a hospital SMS server row becomes ambiguous
/// (checked before any retry) and an ECM row uncertain; a check under way
/// is simply released. Nothing waits out a lease. Returns how many.
pub fn release_claims(desk: &Mutex<Desk>) -> Result<usize> {
    let mut d = lock(desk)?;
    let claims = d.take_claims();
    let mut released = 0;
    for (outbox_id, token) in claims {
        if d.db().release_claim(outbox_id, token, ECM_UNCERTAIN, Utc::now())? {
            released += 1;
        }
    }
    if released > 0 {
        tracing::warn!(rows = released, "stopped with messages in hand: they are checked before any retry");
    }
    Ok(released)
}

/// One step of the worker: processes up to `max` due rows (sends and checks
/// of ambiguous sends) with the default [`Policy`]. Test-mode messages go to
/// `gateways` only if they are the sandbox; see [`drain_with`].
pub async fn drain(desk: &Mutex<Desk>, gateways: &Gateways, limiter: &SendLimiter, max: usize) -> Result<DrainReport> {
    drain_with(desk, Targets::new(gateways), limiter, max, &Policy::default()).await
}

/// [`drain`] with a sandbox for test-mode messages and a given policy.
pub async fn drain_with(
    desk: &Mutex<Desk>,
    targets: Targets<'_>,
    limiter: &SendLimiter,
    max: usize,
    policy: &Policy,
) -> Result<DrainReport> {
    let worker =
        worker::Worker { desk, targets, limiter, policy, lists: Default::default(), slot_waited: Default::default() };
    let now = Utc::now();
    let items = {
        let d = lock(desk)?;
        d.db().void_in_flight(false, ECM_UNCERTAIN, now)?;
        d.db().due_outbox(now, max)?
    };
    let full = items.len() >= max;
    let mut report = DrainReport::default();
    let mut soonest: Option<Duration> = None;
    let mut throttled = Vec::new();
    for item in items {
        let id = item.outbox_id;
        let done = worker.process(item).await?;
        if let worker::Done::Throttled(wait) = done {
            soonest = Some(soonest.map_or(wait, |s| s.min(wait)));
            throttled.push(id);
        }
        report.count(done);
    }
    // Rows left out by `max` are due at once; throttled rows when a slot frees.
    let next_due =
        if full { Some(crate::store::now_rfc3339()) } else { lock(desk)?.db().next_outbox_due(&throttled)? };
    let due_in = next_due
        .as_deref()
        .and_then(crate::store::outbox::parse_ts)
        .map(|t| (t - Utc::now()).to_std().unwrap_or(Duration::ZERO));
    report.next_in_ms = match (soonest, due_in) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
    .map(|d| d.as_millis() as u64);
    Ok(report)
}

/// Works on one message until it is accepted or refused, or `wait` runs out
/// (an HTTP request under way is not cut short).
pub(crate) async fn drive(
    desk: &Mutex<Desk>,
    targets: Targets<'_>,
    limiter: &SendLimiter,
    policy: &Policy,
    message_id: i64,
    wait: Duration,
) -> Result<()> {
    let deadline = tokio::time::Instant::now() + wait;
    let worker =
        worker::Worker { desk, targets, limiter, policy, lists: Default::default(), slot_waited: Default::default() };
    loop {
        let now = Utc::now();
        let item = {
            let d = lock(desk)?;
            d.db().void_in_flight(false, ECM_UNCERTAIN, now)?;
            d.db().outbox_item(message_id)?
        };
        let Some(item) = item else { return Ok(()) };
        let pause = match item.state.as_str() {
            "done" | "failed" => return Ok(()),
            "in_flight" => Duration::from_millis(20),
            _ => match crate::store::outbox::parse_ts(&item.next_attempt_at).filter(|due| *due > now) {
                Some(due) => (due - now).to_std().unwrap_or(Duration::ZERO),
                None => match worker.process(item).await? {
                    worker::Done::Throttled(w) => w,
                    worker::Done::Busy => Duration::from_millis(20),
                    _ => Duration::ZERO,
                },
            },
        };
        let now = tokio::time::Instant::now();
        if now >= deadline || (!pause.is_zero() && now + pause > deadline) {
            return Ok(());
        }
        if !pause.is_zero() {
            tokio::time::sleep(pause).await;
        }
    }
}
