//! Consent invitations (spec 002): Invite sends a number the clinic's
//! invitation text (purpose, how often, "Msg & data rates may apply", how to
//! opt out); a START reply opts the number in (`store::consent`) and owes it
//! the welcome text, which [`queue_welcomes`] queues exactly once.
//!
//! Both go through the outbox like any text (checked, audited, quiet hours
//! and test mode applied). The invitation and its record, and the welcome and
//! its "done" mark, are each written in one transaction.

use std::sync::Mutex;

use crate::{
    desk::{lock, Desk},
    engine::outbox::{enqueue_unmatched_reply, enqueue_with, Enqueued, Hold, SmsRequest},
    engine::recipient,
    rules::clinic_zone,
    rules::error::{CoreError, Result},
    rules::merge,
    rules::redact,
    store::consent_invites::{ConsentState, NumberConsent},
};

/// The content block of the invitation (`consent.invitation_text`).
pub const INVITATION_SETTING: &str = "consent.invitation_text";
/// The content block of the welcome text (`consent.welcome_text`; `off`: none).
pub const WELCOME_SETTING: &str = "consent.welcome_text";

/// What was sent.
#[derive(Debug, Clone, PartialEq, serde::Serialize, ts_rs::TS)]
pub struct Invitation {
    pub sent: Enqueued,
    /// The invited number's consent now (invited).
    pub consent: NumberConsent,
}

/// The consent of each of a patient's numbers (an id or `ecm:ID`).
pub fn patient_consents(d: &Desk, patient: &str) -> Result<Vec<NumberConsent>> {
    let p = d.patient(patient)?;
    let zone = clinic_zone::zone(d.setting(clinic_zone::SETTING)?.as_deref());
    let mut out = Vec::new();
    for phone in p.phones.iter().filter(|ph| ph.active) {
        if !out.iter().any(|c: &NumberConsent| c.number == phone.number) {
            out.push(d.db().number_consent(&phone.number, zone)?);
        }
    }
    Ok(out)
}

/// The setting's text merged with the patient's fields (or the clinic's
/// alone, for a number that is no patient's).
fn content(d: &Desk, setting: &str, patient: Option<&str>) -> Result<Option<String>> {
    let Some(text) = d.setting(setting)?.filter(|t| !t.trim().is_empty() && !t.trim().eq_ignore_ascii_case("off"))
    else {
        return Ok(None);
    };
    let values = match patient {
        Some(p) => d.merge_values(p, &Default::default())?,
        None => [("clinic_name".to_string(), d.setting("clinic.name")?.unwrap_or_default())]
            .into_iter()
            .filter(|(_, v)| !v.is_empty())
            .collect(),
    };
    let merged = merge::merge(&text, &values).map_err(|e| CoreError::InvalidMessage(format!("{setting}: {e}")))?;
    Ok(Some(merged.text))
}

/// Sends `patient` the invitation at `to` (default: their preferred
/// number). Refused for a number that opted out (it may text START itself)
/// or is opted in already.
pub fn invite(desk: &Mutex<Desk>, patient: &str, to: Option<&str>) -> Result<Invitation> {
    let d = lock(desk)?;
    let p = d.patient(patient)?;
    let chosen = recipient::choose(&p, to, false, d.region())?;
    let zone = clinic_zone::zone(d.setting(clinic_zone::SETTING)?.as_deref());
    let now = d.db().number_consent(chosen.number.as_str(), zone)?;
    match now.state {
        ConsentState::OptedOut => return Err(CoreError::OptedOut { number: chosen.number.to_string() }),
        ConsentState::OptedIn => {
            return Err(CoreError::InvalidMessage(format!(
                "{} opted in already{}: no invitation is needed",
                redact::phone(chosen.number.as_str()),
                now.since.as_deref().map(|s| format!(" ({})", &s[..s.len().min(10)])).unwrap_or_default()
            )))
        }
        ConsentState::NotAsked | ConsentState::Invited => {}
    }
    let text = content(&d, INVITATION_SETTING, Some(&p.id.to_string()))?.ok_or_else(|| {
        CoreError::InvalidMessage(format!("{INVITATION_SETTING} is empty: write the invitation first"))
    })?;
    let req = SmsRequest {
        patient: p.id.to_string(),
        to: Some(chosen.number.to_string()),
        text,
        via: None,
        other_number: false,
    };
    let actor = d.actor();
    let sent = d.db().atomically(|_| -> Result<Enqueued> {
        let sent = enqueue_with(&d, &req, Hold::default())?;
        d.db().record_invitation(chosen.number.as_str(), Some(p.id), sent.message_id, &actor)?;
        d.db().audit(&actor, "consent.invite", Some(p.id), &format!("message {}", sent.message_id))?;
        Ok(sent)
    })?;
    tracing::info!(message_id = sent.message_id, to = %redact::phone(chosen.number.as_str()), "consent invitation queued");
    let consent = d.db().number_consent(chosen.number.as_str(), zone)?;
    Ok(Invitation { sent, consent })
}

/// What [`queue_welcomes`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct WelcomeReport {
    pub queued: usize,
    /// Not sent, with why (opted out again meanwhile, no welcome text set).
    pub skipped: usize,
}

/// Queues the welcome texts owed to numbers that opted in by START, each
/// once: the welcome and its "done" mark commit together, and a welcome
/// another process queued meanwhile is left alone.
pub fn queue_welcomes(desk: &Mutex<Desk>) -> Result<WelcomeReport> {
    let mut report = WelcomeReport::default();
    let d = lock(desk)?;
    for w in d.db().pending_welcomes(50)? {
        let patient = d.db().patients_with_number(&w.number)?.first().map(|id| id.to_string());
        let text = content(&d, WELCOME_SETTING, patient.as_deref())?;
        let done = d.db().atomically(|_| -> Result<Option<bool>> {
            // The transaction holds the write lock: a welcome still pending
            // here is this process's to queue.
            if !d.db().welcome_pending(w.id)? {
                return Ok(None);
            }
            let Some(text) = &text else {
                d.db().finish_welcome(w.id, None, Some("no welcome text set"))?;
                return Ok(Some(false));
            };
            let sent = match &patient {
                Some(p) => enqueue_with(
                    &d,
                    &SmsRequest {
                        patient: p.clone(),
                        to: Some(w.number.clone()),
                        text: text.clone(),
                        via: None,
                        other_number: false,
                    },
                    Hold::default(),
                ),
                None => enqueue_unmatched_reply(&d, &w.number, text, Hold::default()),
            };
            match sent {
                Ok(sent) => {
                    d.db().finish_welcome(w.id, Some(sent.message_id), None)?;
                    Ok(Some(true))
                }
                Err(CoreError::OptedOut { .. }) => {
                    d.db().finish_welcome(w.id, None, Some("opted out again before the welcome went"))?;
                    Ok(Some(false))
                }
                Err(e) => Err(e),
            }
        })?;
        match done {
            Some(true) => report.queued += 1,
            Some(false) => report.skipped += 1,
            None => {}
        }
    }
    Ok(report)
}
