//! Recording a send in the outbox: a text to one of a patient's numbers
//! ([`enqueue_with`]), or a reply to an unmatched number from the
//! Unmatched inbox ([`enqueue_unmatched_reply`]). Both check the text and
//! the recipient's consent, apply test mode and the override number, and
//! write the message, its outbox row and its audit entry in one
//! transaction; from then on the worker sends them alike.

use std::{sync::Mutex, time::Duration};

use chrono::{DateTime, Utc};

use super::{actions, OutboxActionError};
use crate::{
    desk::lock,
    desk::Desk,
    engine::recipient::{self, OTHER_NUMBER_AUDIT},
    rules::error::{CoreError, Result},
    rules::phone::{self, E164},
    rules::redact,
    rules::sms_text::check_text,
    rules::{clinic_zone, quiet_hours},
    store::outbox::{ts as outbox_ts, HoldReason, HoldUntil},
    store::{NewOutbound, Route},
};

/// The window of `sms.quiet_hours` (default 08:00-21:00; `None` when off).
pub(crate) fn quiet_window(d: &Desk) -> Result<Option<quiet_hours::SendWindow>> {
    Ok(quiet_hours::from_setting(d.setting(quiet_hours::SETTING)?.as_deref()))
}

/// The zone a recipient's quiet hours follow: the patient's, else the clinic's.
pub(crate) fn recipient_zone(d: &Desk, patient_zone: Option<&str>) -> Result<chrono_tz::Tz> {
    let clinic = clinic_zone::zone(d.setting(clinic_zone::SETTING)?.as_deref());
    Ok(quiet_hours::recipient_zone(patient_zone, clinic))
}

/// When a text written at `now` may first go: its undo delay, its time to
/// send later, and the recipient's quiet hours (in `patient_zone`, else the
/// clinic's) unless `urgent` gives a reason.
fn release_hold(d: &Desk, now: DateTime<Utc>, hold: &Hold, patient_zone: Option<&str>) -> Result<Option<HoldUntil>> {
    if matches!(hold.urgent.as_deref().map(str::trim), Some("")) {
        return Err(CoreError::InvalidMessage("an urgent text inside quiet hours needs a reason".into()));
    }
    let window = quiet_window(d)?;
    let zone = recipient_zone(d, patient_zone)?;
    let release = super::hold::Release {
        undo_delay: chrono::Duration::from_std(hold.delay).unwrap_or_default(),
        at: hold.at,
        override_quiet_hours: hold.urgent.is_some(),
    };
    super::hold::plan(now, release, window.map(|w| (w, zone)))
}

/// A time to send later, written `YYYY-MM-DD HH:MM` (or with a `T`) in
/// the clinic's zone (`clinic.time_zone`, else this computer's), as an
/// instant: `caredesk send --at` and the composer's Send later.
pub fn send_at(d: &Desk, value: &str) -> Result<DateTime<Utc>> {
    let zone = clinic_zone::zone(d.setting(clinic_zone::SETTING)?.as_deref());
    clinic_zone::local_instant(value, zone).map_err(CoreError::InvalidMessage)
}

/// A text to send: to whom, what, by which route.
#[derive(Debug, Clone)]
pub struct SmsRequest {
    /// CareDesk id (`12`) or ECM id (`ecm:123`).
    pub patient: String,
    /// A number of the patient's; default: the preferred SMS number.
    pub to: Option<String>,
    pub text: String,
    pub via: Option<Route>,
    /// `to` is not one of the patient's numbers and staff confirmed it: sent,
    /// and the audit entry says another number was used.
    pub other_number: bool,
}

/// A send recorded in the outbox.
#[derive(Debug, Clone, PartialEq, serde::Serialize, ts_rs::TS)]
pub struct Enqueued {
    pub message_id: i64,
    /// `None` for a reply to an unmatched number.
    pub patient_id: Option<i64>,
    pub route: Route,
    /// The number it goes to: the override number when one is set.
    pub to: String,
    /// The patient's own number, when an override number reroutes it.
    pub intended_to: Option<String>,
    /// Test mode: it goes to the sandbox only.
    pub test: bool,
    pub external_key: i64,
}

/// Checks a send and records it: message `queued` and outbox row `pending`
/// with a new ExternalKey, in one transaction. Refused before anything is
/// stored: an empty or too long text, an unknown patient, a bad number, an
/// opted-out recipient (the patient's number, even with an override number),
/// the ECM route for a patient without an ECM id.
pub fn enqueue(desk: &Mutex<Desk>, req: SmsRequest) -> Result<Enqueued> {
    let d = lock(desk)?;
    enqueue_on(&d, &req)
}

fn enqueue_on(d: &Desk, req: &SmsRequest) -> Result<Enqueued> {
    enqueue_with(d, req, Hold::default())
}

/// How a send waits before the worker may take it.
#[derive(Debug, Clone, Default)]
pub struct Hold {
    /// The undo delay: not claimed before it has passed.
    pub delay: Duration,
    /// A Retry of this failed message (marked as retried with the new one).
    pub retry_of: Option<i64>,
    /// Send later: not before this instant.
    pub at: Option<DateTime<Utc>>,
    /// An urgent 1:1 text sent inside quiet hours: why (audited).
    pub urgent: Option<String>,
}

pub fn enqueue_with(d: &Desk, req: &SmsRequest, hold: Hold) -> Result<Enqueued> {
    check_text(&req.text)?;
    let route = match req.via {
        Some(r) => r,
        None => d.setting("sms.via")?.as_deref().and_then(Route::parse).unwrap_or(Route::His),
    };
    let patient = d.patient(&req.patient)?;
    let chosen = recipient::choose(&patient, req.to.as_deref(), req.other_number, d.region())?;
    if route == Route::Ecm && patient.ecm_patient_id.is_none() {
        return Err(CoreError::InvalidMessage(format!(
            "{} has no ECM patient id, so the ECM route cannot reach them; send via his",
            patient.name
        )));
    }
    let note = chosen.other.then(|| format!(" ({OTHER_NUMBER_AUDIT})"));
    let to =
        Addressee { patient_id: Some(patient.id), number: &chosen.number, time_zone: patient.time_zone.as_deref() };
    queue(d, route, to, &req.text, note.as_deref(), hold)
}

/// What the audit entry of a reply to an unmatched number adds.
pub const UNMATCHED_REPLY_AUDIT: &str = "reply to an unmatched number, not one of any patient's numbers";

/// Staff reply to an unmatched `number` (one that wrote and is in the
/// Unmatched inbox): checked like any send (text, opt-out, test mode, the
/// override number) and recorded in the outbox with no patient, marked and
/// audited as a reply to an unmatched number. It goes through the hospital
/// SMS server: ECM texts only its patients. A number that is a patient's now
/// is refused (reply from the patient's thread).
pub fn enqueue_unmatched_reply(d: &Desk, number: &str, text: &str, hold: Hold) -> Result<Enqueued> {
    check_text(text)?;
    let to = phone::normalize(number, d.region())?;
    if !d.db().has_unmatched_texts(to.as_str())? {
        return Err(CoreError::InvalidMessage(format!(
            "{} is not in the Unmatched inbox (no unmatched text from it), so there is nothing to reply to",
            redact::phone(to.as_str())
        )));
    }
    if !d.db().patients_with_number(to.as_str())?.is_empty() {
        return Err(CoreError::InvalidMessage(format!(
            "{} is one of a patient's numbers: link it, or reply from the patient's thread",
            redact::phone(to.as_str())
        )));
    }
    let to = Addressee { patient_id: None, number: &to, time_zone: None };
    queue(d, Route::His, to, text, Some(&format!(" ({UNMATCHED_REPLY_AUDIT})")), hold)
}

/// Whom a text goes to: the patient (none for an unmatched number), the
/// number, and the patient's time zone for quiet hours.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Addressee<'a> {
    pub patient_id: Option<i64>,
    pub number: &'a E164,
    pub time_zone: Option<&'a str>,
}

/// A checked send, ready to be written: the message, its audit detail,
/// its hold and its urgent reason.
#[derive(Debug, Clone)]
pub(crate) struct Outbound {
    pub new: NewOutbound,
    pub detail: String,
    pub held: Option<HoldUntil>,
    pub urgent: Option<String>,
}

/// Records a checked send (see [`outbound`]) with its audit entry.
fn queue(d: &Desk, route: Route, to: Addressee<'_>, text: &str, note: Option<&str>, hold: Hold) -> Result<Enqueued> {
    let now = Utc::now();
    let retry_of = hold.retry_of;
    let out = outbound(d, route, to, text, note, &hold, now)?;
    let (actor, sent_by) = (d.actor(), d.sender_name());
    let ids = match retry_of {
        None => {
            d.db().enqueue_sms_with(&out.new, &actor, &sent_by, &out.detail, out.held, out.urgent.as_deref(), now)?
        }
        Some(old) => d
            .db()
            .enqueue_retry(old, &out.new, &actor, &sent_by, &out.detail, out.held, now)?
            .ok_or(OutboxActionError::NotRetryable { message_id: old, reason: actions::RETRIED_OR_CHANGED })?,
    };
    Ok(enqueued(&out, ids))
}

/// What a send recorded in the outbox returns (and logs, without PHI).
pub(crate) fn enqueued(out: &Outbound, ids: crate::store::outbox::QueuedIds) -> Enqueued {
    let new = &out.new;
    tracing::info!(
        message_id = ids.message_id,
        route = new.route.as_str(),
        to = %redact::phone(&new.to),
        text = %redact::text(&new.body),
        test = new.is_test,
        unmatched_reply = new.patient_id.is_none(),
        external_key = ids.external_key,
        "SMS queued"
    );
    Enqueued {
        message_id: ids.message_id,
        patient_id: new.patient_id,
        route: new.route,
        to: new.to.clone(),
        intended_to: new.intended_to.clone(),
        test: new.is_test,
        external_key: ids.external_key,
    }
}

/// Checks a send to `to` (a patient's, or for no patient an unmatched
/// number): refuses an opted-out number, applies the override number and
/// test mode, plans its hold (undo delay, send later, quiet hours) and
/// writes its audit detail (`note` added to it). Nothing is stored.
pub(crate) fn outbound(
    d: &Desk,
    route: Route,
    to_whom: Addressee<'_>,
    text: &str,
    note: Option<&str>,
    hold: &Hold,
    now: DateTime<Utc>,
) -> Result<Outbound> {
    let (patient_id, intended) = (to_whom.patient_id, to_whom.number);
    if d.db().is_opted_out(intended.as_str())? {
        return Err(CoreError::OptedOut { number: intended.to_string() });
    }
    let override_number = match d.setting("sms.override_number")?.filter(|v| !v.trim().is_empty()) {
        Some(v) => Some(phone::normalize(&v, d.region())?),
        None => None,
    };
    let to = override_number.unwrap_or_else(|| intended.clone());
    if &to != intended && d.db().is_opted_out(to.as_str())? {
        return Err(CoreError::OptedOut { number: to.to_string() });
    }
    let test = d.setting("sms.test_mode")?.as_deref() == Some("true");
    let intended_to = (&to != intended).then(|| intended.to_string());
    let from = match route {
        Route::His => d.setting("his.from")?.unwrap_or_default(),
        Route::Ecm => String::new(),
    };
    let mut detail = format!("queued via {} to {}", route.as_str(), redact::phone(to.as_str()));
    if let Some(i) = &intended_to {
        detail.push_str(&format!(" (override number; intended for {})", redact::phone(i)));
    }
    detail.push_str(note.unwrap_or_default());
    if test {
        detail.push_str(" (test mode)");
    }
    if let Some(old) = hold.retry_of {
        detail.push_str(&format!(" (Retry of message {old})"));
    }
    if !hold.delay.is_zero() {
        detail.push_str(&format!(" (undo delay {} s)", hold.delay.as_secs()));
    }
    let held = release_hold(d, now, hold, to_whom.time_zone)?;
    match (held, hold.urgent.as_deref().map(str::trim)) {
        (_, Some(reason)) => detail.push_str(&format!(" (quiet hours overridden as urgent: {reason})")),
        (Some(h), None) if h.reason != HoldReason::Undo => {
            detail.push_str(&format!(" ({} until {})", h.reason.as_str(), outbox_ts(h.until)))
        }
        _ => {}
    }
    let new = NewOutbound {
        patient_id,
        route,
        from,
        to: to.to_string(),
        intended_to,
        body: text.to_string(),
        external_key: None,
        is_test: test,
    };
    let urgent = hold.urgent.as_deref().map(|r| r.trim().to_string());
    Ok(Outbound { new, detail, held, urgent })
}
