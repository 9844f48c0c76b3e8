//! Sending an SMS and placing a call: check, record, hand to the gateway,
//! record the answer. The desk's lock is never held across a network call.

use std::sync::Mutex;

use rand::Rng;

use crate::{
    desk::Desk,
    ecm::error::EcmError,
    ecm::wire::TwilioCode,
    error::{CoreError, Result},
    gateways::Gateways,
    his::{error::HisError, wire::SendSmsRequest},
    phone::{self, E164},
    redact,
    store::{now_rfc3339, Accepted, NewActivity, NewOutbound, PatientView, Route},
};

/// The longest text CareDesk sends: ten concatenated GSM-7 segments.
pub const MAX_TEXT_CHARS: usize = 1530;

#[derive(Debug, Clone)]
pub struct SmsRequest {
    /// CareDesk id (`12`) or ECM id (`ecm:123`).
    pub patient: String,
    /// A number of the patient's; default: the preferred SMS number.
    pub to: Option<String>,
    pub text: String,
    pub via: Option<Route>,
}

/// What became of a send.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SmsOutcome {
    pub message_id: i64,
    pub patient_id: i64,
    pub route: Route,
    pub to: String,
    /// sent / queued (accepted), failed (refused), uncertain (may have gone)
    pub state: String,
    pub server_id: Option<String>,
    pub error: Option<String>,
    pub error_code: Option<String>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CallOutcome {
    pub call_id: i64,
    pub patient_id: i64,
    pub to: String,
    pub status: String,
    pub server_id: Option<String>,
    pub error: Option<String>,
    pub error_code: Option<String>,
}

fn lock(desk: &Mutex<Desk>) -> Result<std::sync::MutexGuard<'_, Desk>> {
    desk.lock().map_err(|_| CoreError::Io("the desk lock was poisoned by an earlier failure; restart CareDesk".into()))
}

/// Checks a text before anything is stored or sent.
pub fn check_text(text: &str) -> Result<()> {
    if text.trim().is_empty() {
        return Err(CoreError::InvalidMessage("the message is empty".into()));
    }
    let n = text.chars().count();
    if n > MAX_TEXT_CHARS {
        return Err(CoreError::InvalidMessage(format!(
            "the message is too long: {n} characters, at most {MAX_TEXT_CHARS}"
        )));
    }
    Ok(())
}

/// The recipient: `to` normalized, or the patient's preferred number.
fn recipient(desk: &Desk, patient: &PatientView, to: Option<&str>) -> Result<E164> {
    match to {
        Some(t) => Ok(phone::normalize(t, desk.region())?),
        None => patient
            .phones
            .first()
            .map(|p| E164::from_trusted(p.number.clone()))
            .ok_or_else(|| CoreError::InvalidMessage(format!("{} has no phone number", patient.name))),
    }
}

fn actor_ids(desk: &Desk) -> String {
    desk.setting("user.ecm_user_id").ok().flatten().unwrap_or_else(|| desk.actor())
}

/// Sends one SMS now and waits for the gateway's answer.
pub async fn send_sms(desk: &Mutex<Desk>, gateways: &Gateways, req: SmsRequest) -> Result<SmsOutcome> {
    check_text(&req.text)?;
    let route = req.via.unwrap_or(gateways.default_route);
    let (patient, to, message_id, external_key, from) = {
        let d = lock(desk)?;
        let patient = d.patient(&req.patient)?;
        let to = recipient(&d, &patient, req.to.as_deref())?;
        if d.db().is_opted_out(to.as_str())? {
            return Err(CoreError::OptedOut { number: to.to_string() });
        }
        if route == Route::Ecm && patient.ecm_patient_id.is_none() {
            return Err(CoreError::InvalidMessage(format!(
                "{} has no ECM patient id, so the ECM route cannot reach them; send via his",
                patient.name
            )));
        }
        gateways.route_status(route).map_err(CoreError::Gateway)?;
        let from = match route {
            Route::His => gateways.his_from()?.to_string(),
            Route::Ecm => String::new(),
        };
        let external_key = rand::rng().random_range(1..(1i64 << 53));
        let id = d.db().insert_outbound(&NewOutbound {
            patient_id: patient.id,
            route,
            from: from.clone(),
            to: to.to_string(),
            intended_to: None,
            body: req.text.clone(),
            external_key,
            is_test: false,
        })?;
        d.db().audit(
            &d.actor(),
            "sms.send",
            Some(patient.id),
            &format!("message {id} via {} to {}", route.as_str(), redact::phone(to.as_str())),
        )?;
        (patient, to, id, external_key, from)
    };
    tracing::info!(message_id, route = route.as_str(), to = %redact::phone(to.as_str()), text = %redact::text(&req.text), "sending SMS");

    let mut ecm_activity: Option<(crate::ecm::wire::Activity, Option<String>)> = None;
    let answer: std::result::Result<Accepted, (String, String, bool, Option<TwilioCode>)> = match route {
        Route::His => {
            let body = SendSmsRequest {
                id: None,
                from: from.clone(),
                to: to.wire_digits().to_string(),
                text: req.text.clone(),
                external_key,
            };
            gateways
                .his()?
                .send_sms(&body)
                .await
                .map(|data| Accepted {
                    state: "sent".into(),
                    server_state: Some("Accepted".into()),
                    his_id: Some(data.id),
                    server_created_at: Some(data.created_at.to_wire()),
                    ..Default::default()
                })
                .map_err(|e: HisError| (e.code().to_string(), e.to_string(), e.may_have_been_accepted(), None))
        }
        Route::Ecm => {
            let ecm_id = patient.ecm_patient_id.unwrap_or_default();
            match gateways.ecm()?.send_sms(ecm_id, to.as_str(), &req.text).await {
                Ok(resp) => {
                    ecm_activity = resp.activity.clone().map(|a| (a, resp.sms.created_at.clone()));
                    Ok(Accepted {
                        state: resp.sms.status.clone(),
                        server_state: Some(resp.sms.status.clone()),
                        ecm_sms_id: Some(resp.sms.id),
                        twilio_sid: resp.sms.twilio_sid.clone(),
                        from: resp.sms.from.clone(),
                        server_created_at: resp.sms.created_at.clone(),
                        ..Default::default()
                    })
                }
                Err(e) => Err(ecm_failure(&e)),
            }
        }
    };

    let mut d = lock(desk)?;
    let outcome = match answer {
        Ok(acc) => {
            // Record the acceptance first: it is the fact that must never be lost.
            d.db().mark_accepted(message_id, &acc)?;
            let performed = actor_ids(&d);
            let (activity, occurred_at) = match ecm_activity {
                Some((a, at)) => (Some(a), at.unwrap_or_else(now_rfc3339)),
                None => (None, now_rfc3339()),
            };
            d.db_mut().insert_activity(&NewActivity {
                ecm_activity_id: activity.as_ref().map(|a| a.id),
                activity_type: "sms",
                direction: "outbound",
                status: activity.as_ref().map(|a| a.status.clone()).unwrap_or_else(|| "created".into()),
                patient_id: Some(patient.id),
                performed_by_id: activity
                    .as_ref()
                    .and_then(|a| a.performed_by_id)
                    .map(|v| v.to_string())
                    .unwrap_or_else(|| performed.clone()),
                assigned_to_id: activity
                    .as_ref()
                    .and_then(|a| a.assigned_to_id)
                    .map(|v| v.to_string())
                    .unwrap_or(performed),
                text_message_id: Some(message_id),
                voice_call_id: None,
                occurred_at,
            })?;
            SmsOutcome {
                message_id,
                patient_id: patient.id,
                route,
                to: to.to_string(),
                state: acc.state.clone(),
                server_id: acc.his_id.or(acc.ecm_sms_id).map(|v| v.to_string()),
                error: None,
                error_code: None,
            }
        }
        Err((code, message, ambiguous, twilio)) => {
            if ambiguous {
                d.db().mark_failed(
                    message_id,
                    &code,
                    &format!("{message} (it may have been sent: check before sending again)"),
                )?;
                d.db()
                    .conn()
                    .execute("UPDATE messages SET state = 'uncertain' WHERE id = ?1", [message_id])
                    .map_err(crate::store::StoreError::from)?;
            } else {
                d.db().mark_failed(message_id, &code, &message)?;
            }
            if twilio == Some(TwilioCode::OptedOut) {
                let actor = d.actor();
                d.db().set_consent(
                    to.as_str(),
                    false,
                    "ecm_21610",
                    Some(message_id),
                    &actor,
                    "ECM refused the SMS: Twilio 21610 (opted out)",
                )?;
            }
            SmsOutcome {
                message_id,
                patient_id: patient.id,
                route,
                to: to.to_string(),
                state: if ambiguous { "uncertain".into() } else { "failed".into() },
                server_id: None,
                error: Some(message),
                error_code: Some(code),
            }
        }
    };
    Ok(outcome)
}

fn ecm_failure(e: &EcmError) -> (String, String, bool, Option<TwilioCode>) {
    (e.code().to_string(), e.to_string(), e.may_have_been_accepted(), e.twilio_code())
}

/// Places a call through ECM and waits for its answer.
pub async fn place_call(
    desk: &Mutex<Desk>,
    gateways: &Gateways,
    patient_ref: &str,
    to: Option<&str>,
) -> Result<CallOutcome> {
    let (patient, to, call_id) = {
        let d = lock(desk)?;
        let patient = d.patient(patient_ref)?;
        let to = recipient(&d, &patient, to)?;
        if patient.ecm_patient_id.is_none() {
            return Err(CoreError::InvalidMessage(format!(
                "{} has no ECM patient id; calls go through ECM",
                patient.name
            )));
        }
        gateways.route_status(Route::Ecm).map_err(CoreError::Gateway)?;
        let id = d.db().insert_call(patient.id, to.as_str())?;
        d.db().audit(
            &d.actor(),
            "call.place",
            Some(patient.id),
            &format!("call {id} to {}", redact::phone(to.as_str())),
        )?;
        (patient, to, id)
    };
    tracing::info!(call_id, to = %redact::phone(to.as_str()), "placing call");
    let result = gateways.ecm()?.call(patient.ecm_patient_id.unwrap_or_default(), to.as_str()).await;
    let mut d = lock(desk)?;
    match result {
        Ok(resp) => {
            d.db().mark_call_placed(
                call_id,
                resp.call.id,
                resp.call.twilio_sid.as_deref(),
                resp.call.from.as_deref(),
                &resp.call.status,
            )?;
            let performed = actor_ids(&d);
            d.db_mut().insert_activity(&NewActivity {
                ecm_activity_id: resp.activity.as_ref().map(|a| a.id),
                activity_type: "call",
                direction: "outbound",
                status: resp.activity.as_ref().map(|a| a.status.clone()).unwrap_or_else(|| "created".into()),
                patient_id: Some(patient.id),
                performed_by_id: resp
                    .activity
                    .as_ref()
                    .and_then(|a| a.performed_by_id)
                    .map(|v| v.to_string())
                    .unwrap_or_else(|| performed.clone()),
                assigned_to_id: resp
                    .activity
                    .as_ref()
                    .and_then(|a| a.assigned_to_id)
                    .map(|v| v.to_string())
                    .unwrap_or(performed),
                text_message_id: None,
                voice_call_id: Some(call_id),
                occurred_at: resp.call.created_at.clone().unwrap_or_else(now_rfc3339),
            })?;
            Ok(CallOutcome {
                call_id,
                patient_id: patient.id,
                to: to.to_string(),
                status: resp.call.status,
                server_id: Some(resp.call.id.to_string()),
                error: None,
                error_code: None,
            })
        }
        Err(e) => {
            let (code, message, _, _) = ecm_failure(&e);
            d.db().mark_call_failed(call_id, &message)?;
            Ok(CallOutcome {
                call_id,
                patient_id: patient.id,
                to: to.to_string(),
                status: "failed".into(),
                server_id: None,
                error: Some(message),
                error_code: Some(code),
            })
        }
    }
}
