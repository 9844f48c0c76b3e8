//! One outbox row at a time: claim it (committed), send it, record the
//! answer (committed). The desk's lock is taken only around database work.

use crate::store::outbox::{Claim, Final, Reschedule};
use std::{sync::Mutex, time::Duration};

use chrono::{DateTime, Utc};
use rand::Rng;

use super::{
    policy::{disposition, Disposition},
    reconcile, DrainReport, Policy, SendLimiter, Target, Targets, ECM_UNCERTAIN,
};
use crate::{
    desk::lock,
    desk::Desk,
    engine::inbox_sync::clock,
    gateways::ecm::{error::EcmError, wire::TwilioCode},
    gateways::his::{
        error::HisError,
        wire::{sender_for_wire, SendSmsRequest},
    },
    rules::error::{CoreError, Result},
    rules::phone::E164,
    rules::redact,
    sandbox::{self, magic},
    store::{now_rfc3339, outbox::OutboxItem, Accepted, NewActivity, Route},
};

/// What became of one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Done {
    Accepted,
    /// The gateway refused it.
    Refused,
    /// Refused before any attempt (opted out, given up, no route for it).
    Stopped,
    Retrying,
    Ambiguous,
    Uncertain,
    /// An ambiguous send found on the server and adopted.
    Reconciled,
    /// An ambiguous send not found on the server: pending again.
    NotFound,
    /// The check could not reach the server: still ambiguous.
    CheckFailed,
    /// Put off without an attempt (no gateway for it yet).
    Deferred,
    /// Its sender is at its rate; a slot frees up after this.
    Throttled(Duration),
    /// Its route is paused: the server refused CareDesk's credentials.
    Paused,
    /// Outside its recipient's quiet hours: held until the window opens.
    Held,
    /// Another worker has it, or it is not due.
    Busy,
}

impl DrainReport {
    pub(crate) fn count(&mut self, done: Done) {
        match done {
            Done::Accepted => {
                self.attempted += 1;
                self.accepted += 1;
            }
            Done::Refused => {
                self.attempted += 1;
                self.failed += 1;
            }
            Done::Stopped => self.failed += 1,
            Done::Retrying => {
                self.attempted += 1;
                self.retrying += 1;
            }
            Done::Ambiguous => {
                self.attempted += 1;
                self.ambiguous += 1;
            }
            Done::Uncertain => {
                self.attempted += 1;
                self.uncertain += 1;
            }
            Done::Reconciled => self.reconciled += 1,
            Done::NotFound => self.retrying += 1,
            Done::Throttled(_) => self.throttled += 1,
            Done::Paused => self.paused += 1,
            Done::Held => self.held += 1,
            Done::CheckFailed | Done::Deferred | Done::Busy => {}
        }
    }
}

pub(crate) struct Worker<'a> {
    pub desk: &'a Mutex<Desk>,
    pub targets: Targets<'a>,
    pub limiter: &'a SendLimiter,
    pub policy: &'a Policy,
    /// The Outgoing list the checks of this drain share.
    pub lists: reconcile::ListCache,
    /// How long this drain has waited for send slots in place (nanoseconds).
    pub slot_waited: std::sync::atomic::AtomicU64,
}

/// A send slot this close is waited for in place, not by a turn of the
/// engine's loop: each turn would add its own time to every text's spacing,
/// and the rate would fall short of `sms.rate_per_sec`.
const WAIT_FOR_SLOT: Duration = Duration::from_millis(100);

/// The last moments before a send slot, spent asking for it rather than asleep.
const SLOT_SPIN: Duration = Duration::from_millis(2);

/// At most this much of one drain goes to waiting for slots in place, so a
/// cycle's other work (delivery states, the inbox) is never held up long.
const SLOT_WAITING_PER_DRAIN: Duration = Duration::from_secs(2);

/// A failed attempt, as the worker records it.
struct Failure {
    disposition: Disposition,
    code: &'static str,
    text: String,
    opted_out: bool,
}

impl From<&HisError> for Failure {
    fn from(e: &HisError) -> Failure {
        Failure { disposition: disposition(e), code: e.code(), text: e.to_string(), opted_out: false }
    }
}

/// What a paused route's messages say while they wait.
fn waiting_note(route: Route, reason: &str) -> String {
    let server = match route {
        Route::His => "the hospital SMS server",
        Route::Ecm => "the ECM Communications API",
    };
    format!("waiting: {server} refused CareDesk's credentials, so nothing is sent by this route until they are replaced ({reason})")
}

impl From<&EcmError> for Failure {
    fn from(e: &EcmError) -> Failure {
        Failure {
            disposition: disposition(e),
            code: e.code(),
            text: e.to_string(),
            opted_out: e.twilio_code() == Some(TwilioCode::OptedOut),
        }
    }
}

impl Target<'_> {
    /// The hospital number or sender name to send from. A sandbox standing
    /// in for the real server (test mode) only knows its own numbers, so a
    /// real sender is replaced by the sandbox's number.
    fn his_sender(&self) -> Result<String> {
        let from = self.gw.his_from()?.to_string();
        if self.stand_in && !sandbox::hospital_numbers().iter().any(|n| n.number == sender_for_wire(&from)) {
            return Ok(magic::HOSPITAL_NUMBER.to_string());
        }
        Ok(from)
    }
}

/// The rate limiter's key of a sender.
fn sender_key(route: Route, from: &str) -> String {
    match route {
        Route::His => format!("his:{}", sender_for_wire(from)),
        Route::Ecm => "ecm".to_string(),
    }
}

pub(crate) fn after(now: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    now + chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

impl Worker<'_> {
    /// Whether to wait `wait` for a send slot here (counted against this
    /// drain's share of waiting).
    fn may_wait_for_slot(&self, wait: Duration) -> bool {
        use std::sync::atomic::Ordering;
        let waited = Duration::from_nanos(self.slot_waited.load(Ordering::Relaxed));
        if wait > WAIT_FOR_SLOT || waited + wait > SLOT_WAITING_PER_DRAIN {
            return false;
        }
        self.slot_waited.fetch_add(wait.as_nanos() as u64, Ordering::Relaxed);
        true
    }

    pub async fn process(&self, item: OutboxItem) -> Result<Done> {
        let id = item.outbox_id;
        let done = match item.state.as_str() {
            "pending" => self.attempt(item).await,
            "ambiguous" => reconcile::check(self, item).await,
            _ => Ok(Done::Busy),
        };
        if let Ok(mut d) = self.desk.lock() {
            d.drop_claim(id);
        }
        done
    }

    /// Whether the message has waited longer than the policy allows.
    pub fn expired(&self, item: &OutboxItem, now: DateTime<Utc>) -> bool {
        // From when it could first go: a text sent later or held for quiet
        // hours starts its time in the outbox then.
        [Some(item.created_at.as_str()), item.hold_until.as_deref()]
            .into_iter()
            .flatten()
            .filter_map(crate::store::outbox::parse_ts)
            .max()
            .is_some_and(|from| after(from, self.policy.give_up_after) <= now)
    }

    pub fn gave_up(&self, item: &OutboxItem) -> String {
        let hours = self.policy.give_up_after.as_secs_f64() / 3600.0;
        format!(
            "CareDesk stopped trying after {hours:.0} h in the outbox; send it again if it is still needed. Last error: {}",
            item.last_error.as_deref().unwrap_or("none")
        )
    }

    async fn attempt(&self, item: OutboxItem) -> Result<Done> {
        let now = Utc::now();
        let retry_at = after(now, self.policy.retry_delay(item.attempts + 1));
        let Some(target) = self.targets.for_message(item.is_test) else {
            let reason = "test mode is on and no sandbox is running to answer it; it waits in the outbox (nothing goes to the real servers)";
            lock(self.desk)?.db().defer(item.outbox_id, reason, retry_at, now)?;
            return Ok(Done::Deferred);
        };
        {
            let d = lock(self.desk)?;
            let refuse = |code: &str, message: &str| {
                d.db().record_final(item.outbox_id, Claim::Unclaimed, Final::Failed, code, message, now)
            };
            if self.expired(&item, now) {
                refuse("outbox_gave_up", &self.gave_up(&item))?;
                return Ok(Done::Stopped);
            }
            for number in [item.intended(), item.to.as_str()] {
                if d.db().is_opted_out(number)? {
                    let why = CoreError::OptedOut { number: number.to_string() }.to_string();
                    refuse("opted_out", &why)?;
                    return Ok(Done::Stopped);
                }
            }
            if item.route == Route::Ecm && item.ecm_patient_id.is_none() {
                refuse(
                    "no_ecm_patient_id",
                    "the patient has no ECM patient id, so the ECM route cannot reach them; send via his",
                )?;
                return Ok(Done::Stopped);
            }
            // Quiet hours, checked again now: a retry after backoff, an undo
            // hold that ran into the evening, a campaign text.
            let quiet = match super::enqueue::quiet_window(&d)? {
                Some(w) => Some((w, super::enqueue::recipient_zone(&d, item.patient_time_zone.as_deref())?)),
                None => None,
            };
            if let Some(opens) = super::hold::at_claim(now, quiet, item.urgent_reason.is_some()) {
                if d.db().hold_for_quiet_hours(item.outbox_id, opens, now)? {
                    tracing::info!(message_id = item.message_id, until = %opens, "outside quiet hours: held");
                    return Ok(Done::Held);
                }
                return Ok(Done::Busy);
            }
            if let Err(e) = target.gw.route_status(item.route) {
                d.db().defer(item.outbox_id, &e.to_string(), retry_at, now)?;
                return Ok(Done::Deferred);
            }
            // A paused route sends one message now and then, to see whether
            // the server takes the credentials again; the rest wait.
            if !target.stand_in {
                if let Some(pause) = d.db().route_pause(item.route)? {
                    let next_probe = after(now, self.policy.pause_probe);
                    if !d.db().take_route_probe(item.route, now, next_probe)? {
                        let due = crate::store::outbox::parse_ts(&pause.next_probe).unwrap_or(next_probe);
                        d.db().defer(item.outbox_id, &waiting_note(item.route, &pause.reason), due.max(now), now)?;
                        return Ok(Done::Paused);
                    }
                }
            }
        }
        let from = match item.route {
            Route::His => match target.his_sender() {
                Ok(from) => from,
                Err(e) => {
                    lock(self.desk)?.db().defer(item.outbox_id, &e.to_string(), retry_at, now)?;
                    return Ok(Done::Deferred);
                }
            },
            Route::Ecm => String::new(),
        };
        let key = sender_key(item.route, &from);
        if let Err(wait) = self.limiter.try_acquire(&key) {
            if !self.may_wait_for_slot(wait) {
                return Ok(Done::Throttled(wait));
            }
            // Asleep until just before the slot, then asking until it is
            // free: a sleep wakes a little late, and a late start would push
            // every later slot back by as much (the limiter gives no credit).
            tokio::time::sleep(wait.saturating_sub(SLOT_SPIN)).await;
            let give_up = std::time::Instant::now() + SLOT_SPIN * 4;
            loop {
                match self.limiter.try_acquire(&key) {
                    Ok(()) => break,
                    Err(wait) if wait <= SLOT_SPIN * 2 && std::time::Instant::now() < give_up => {
                        tokio::task::yield_now().await
                    }
                    Err(wait) => return Ok(Done::Throttled(wait)),
                }
            }
        }
        let token = rand::rng().random::<i64>();
        {
            let mut d = lock(self.desk)?;
            if !d.db().claim_attempt(item.outbox_id, token, &from, now, after(now, self.policy.lease))? {
                return Ok(Done::Busy);
            }
            d.hold_claim(item.outbox_id, token);
        }
        tracing::info!(
            message_id = item.message_id,
            attempt = item.attempts + 1,
            route = item.route.as_str(),
            to = %redact::phone(&item.to),
            test = item.is_test,
            "sending SMS"
        );
        match item.route {
            Route::His => {
                let request = SendSmsRequest::new(
                    &from,
                    &E164::from_trusted(item.to.clone()),
                    item.body.clone(),
                    item.external_key,
                );
                let answer = match target.gw.his() {
                    Ok(his) => his.send_sms(&request).await.map_err(|e| Failure::from(&e)),
                    Err(e) => Err(Failure {
                        disposition: Disposition::Retry,
                        code: "not_configured",
                        text: e.to_string(),
                        opted_out: false,
                    }),
                };
                match answer {
                    Ok(data) => {
                        let accepted = Accepted {
                            state: "sent".into(),
                            server_state: Some("Accepted".into()),
                            his_id: Some(data.id),
                            server_created_at: data.created_at.map(|t| t.to_wire()),
                            ..Default::default()
                        };
                        if !target.stand_in {
                            let d = lock(self.desk)?;
                            clock::learn(d.db(), |row| {
                                clock::learn_from_answer(row, data.created_at.as_ref(), &data.stamp)
                            })?;
                        }
                        self.accepted(&item, &accepted, None, &now_rfc3339())?;
                        Ok(Done::Accepted)
                    }
                    Err(f) => self.failed(&item, token, f),
                }
            }
            Route::Ecm => {
                let patient = item.ecm_patient_id.unwrap_or_default();
                if target.stand_in {
                    if let Some(s) = target.gw.sandbox() {
                        s.register_ecm_patient(patient);
                    }
                }
                let answer = match target.gw.ecm() {
                    Ok(ecm) => ecm.send_sms(patient, &item.to, &item.body).await.map_err(|e| Failure::from(&e)),
                    Err(e) => Err(Failure {
                        disposition: Disposition::Retry,
                        code: "not_configured",
                        text: e.to_string(),
                        opted_out: false,
                    }),
                };
                match answer {
                    Ok(resp) => {
                        let accepted = Accepted {
                            state: "sent".into(),
                            server_state: Some(resp.sms.status.clone()),
                            ecm_sms_id: resp.sms.id,
                            twilio_sid: resp.sms.twilio_sid.clone(),
                            from: resp.sms.from.clone(),
                            server_created_at: resp.sms.created_at.clone(),
                            ..Default::default()
                        };
                        let at = resp.sms.created_at.clone().unwrap_or_else(now_rfc3339);
                        self.accepted(&item, &accepted, resp.activity.as_ref(), &at)?;
                        Ok(Done::Accepted)
                    }
                    Err(f) => self.failed(&item, token, f),
                }
            }
        }
    }

    /// Records an acceptance and, for a real message, its activity and event
    /// (spec 004, for PRTF reporting; test messages have none).
    pub fn accepted(
        &self,
        item: &OutboxItem,
        accepted: &Accepted,
        activity: Option<&crate::gateways::ecm::wire::Activity>,
        occurred_at: &str,
    ) -> Result<()> {
        let d = lock(self.desk)?;
        let performed = d.actor_ids();
        let id_or = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_else(|| performed.clone());
        let new = NewActivity {
            ecm_activity_id: activity.map(|a| a.id),
            activity_type: "sms",
            direction: "outbound",
            status: activity.map(|a| a.status.clone()).unwrap_or_else(|| "created".into()),
            patient_id: item.patient_id,
            performed_by_id: id_or(activity.and_then(|a| a.performed_by_id)),
            assigned_to_id: id_or(activity.and_then(|a| a.assigned_to_id)),
            text_message_id: Some(item.message_id),
            voice_call_id: None,
            occurred_at: occurred_at.to_string(),
        };
        // The result and its activity: one transaction.
        let activity = (!item.is_test).then_some(&new);
        d.db().record_accepted(item.outbox_id, item.message_id, accepted, activity, Utc::now())?;
        if d.db().resume_route(item.route)? {
            tracing::info!(
                route = item.route.as_str(),
                "the server took CareDesk's credentials again: the route resumes"
            );
        }
        tracing::info!(message_id = item.message_id, server_state = ?accepted.server_state, "SMS accepted");
        Ok(())
    }

    fn failed(&self, item: &OutboxItem, token: i64, f: Failure) -> Result<Done> {
        let now = Utc::now();
        let attempts = item.attempts + 1;
        let d = lock(self.desk)?;
        let db = d.db();
        tracing::warn!(message_id = item.message_id, attempt = attempts, code = f.code, disposition = ?f.disposition, "SMS attempt failed");
        Ok(match (f.disposition, item.route) {
            (Disposition::Pause, route) => {
                db.pause_route(route, f.code, &f.text, after(now, self.policy.pause_probe), now)?;
                db.reschedule(
                    item.outbox_id,
                    token,
                    Reschedule::Paused,
                    &waiting_note(route, &f.text),
                    after(now, self.policy.pause_probe),
                    now,
                )?;
                tracing::warn!(
                    route = route.as_str(),
                    code = f.code,
                    "the server refused CareDesk's credentials: the route is paused, its messages wait"
                );
                Done::Paused
            }
            (Disposition::Refuse, _) => {
                db.record_final(item.outbox_id, Claim::Held(token), Final::Failed, f.code, &f.text, now)?;
                if f.opted_out {
                    db.set_consent(
                        &item.to,
                        false,
                        "ecm_21610",
                        Some(item.message_id),
                        &d.actor(),
                        "ECM refused the SMS: Twilio 21610 (opted out)",
                    )?;
                }
                Done::Refused
            }
            (Disposition::Retry, _) if self.expired(item, now) => {
                let item = OutboxItem { last_error: Some(f.text), ..item.clone() };
                db.record_final(
                    item.outbox_id,
                    Claim::Held(token),
                    Final::Failed,
                    "outbox_gave_up",
                    &self.gave_up(&item),
                    now,
                )?;
                Done::Refused
            }
            (Disposition::Retry, _) => {
                db.reschedule(
                    item.outbox_id,
                    token,
                    Reschedule::Retry,
                    &f.text,
                    after(now, self.policy.retry_delay(attempts)),
                    now,
                )?;
                Done::Retrying
            }
            (Disposition::Ambiguous, Route::His) => {
                let wait = self.policy.retry_delay(attempts).max(self.policy.settle);
                let note = format!(
                    "{}. It may have been sent: CareDesk checks the hospital SMS server's sent messages before any new attempt",
                    f.text
                );
                db.reschedule(item.outbox_id, token, Reschedule::Check, &note, after(now, wait), now)?;
                Done::Ambiguous
            }
            (Disposition::Ambiguous, Route::Ecm) => {
                db.record_final(
                    item.outbox_id,
                    Claim::Held(token),
                    Final::Uncertain,
                    f.code,
                    &format!("{ECM_UNCERTAIN} ({})", f.text),
                    now,
                )?;
                Done::Uncertain
            }
        })
    }
}
