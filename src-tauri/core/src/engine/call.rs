//! Placing a call. A call goes straight to ECM (calls are not queued): the
//! call and its audit entry are recorded first, then ECM is asked, then its
//! answer and the PRTF activity are recorded. The desk's lock is never held
//! across the network call.

use std::sync::Mutex;

use crate::{
    desk::lock,
    desk::Desk,
    engine::recipient::{self, OTHER_NUMBER_AUDIT},
    engine::routes::Gateways,
    rules::error::{CoreError, Result},
    rules::redact,
    store::{now_rfc3339, NewActivity, Route, StoreError},
};

#[derive(Debug, Clone, PartialEq, serde::Serialize, ts_rs::TS)]
pub struct CallOutcome {
    pub call_id: i64,
    pub patient_id: i64,
    pub to: String,
    pub status: String,
    pub server_id: Option<String>,
    pub error: Option<String>,
    pub error_code: Option<String>,
}

/// Places a call through ECM and waits for its answer. `to` must be one of
/// the patient's numbers unless `other_number` confirms another one.
pub async fn place_call(
    desk: &Mutex<Desk>,
    gateways: &Gateways,
    patient_ref: &str,
    to: Option<&str>,
    other_number: bool,
) -> Result<CallOutcome> {
    let (patient, to, call_id) = {
        let d = lock(desk)?;
        let patient = d.patient(patient_ref)?;
        let chosen = recipient::choose(&patient, to, other_number, d.region())?;
        let to = chosen.number;
        if patient.ecm_patient_id.is_none() {
            return Err(CoreError::InvalidMessage(format!(
                "{} has no ECM patient id; calls go through ECM",
                patient.name
            )));
        }
        gateways.route_status(Route::Ecm).map_err(CoreError::from)?;
        // The call and its audit entry: one transaction.
        let id = d.db().atomically(|c| {
            let id = d.db().insert_call(patient.id, to.as_str())?;
            d.db().set_call_placed_by(id, &d.sender_name())?;
            let mut detail = format!("call {id} to {}", redact::phone(to.as_str()));
            if chosen.other {
                detail.push_str(&format!(" ({OTHER_NUMBER_AUDIT})"));
            }
            d.db().audit_on(c, &d.actor(), "call.place", Some(patient.id), &detail)?;
            Ok::<_, StoreError>(id)
        })?;
        (patient, to, id)
    };
    tracing::info!(call_id, to = %redact::phone(to.as_str()), "placing call");
    let result = gateways.ecm()?.call(patient.ecm_patient_id.unwrap_or_default(), to.as_str()).await;
    let d = lock(desk)?;
    match result {
        Ok(resp) => {
            let performed = d.actor_ids();
            let activity = NewActivity {
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
            };
            // The call's result and its PRTF activity: one transaction.
            d.db().atomically(|c| {
                d.db().mark_call_placed(
                    call_id,
                    resp.call.id,
                    resp.call.twilio_sid.as_deref(),
                    resp.call.from.as_deref(),
                    &resp.call.status,
                )?;
                crate::store::insert_activity_on(c, &activity).map(|_| ())
            })?;
            Ok(CallOutcome {
                call_id,
                patient_id: patient.id,
                to: to.to_string(),
                status: resp.call.status,
                server_id: resp.call.id.map(|id| id.to_string()),
                error: None,
                error_code: None,
            })
        }
        Err(e) => {
            let (code, message) = (e.code().to_string(), e.to_string());
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
