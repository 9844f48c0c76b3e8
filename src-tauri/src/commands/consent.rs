//! Consent invitations (spec 002) and the review of flagged replies: each
//! number's consent in the thread header, Invite, and the review list.

use caredesk_core::{
    engine::consent_invites::{self, Invitation},
    rules::clinic_zone,
    rules::error::CoreError,
    store::consent_invites::{NumberConsent, PendingRevocation, RevocationResolution},
};
use tauri::State;

use crate::{error::UiError, state::AppState};

/// Each of a patient's numbers: not asked, invited, opted in or out, with dates.
#[tauri::command]
pub async fn patient_consents(state: State<'_, AppState>, patient_id: i64) -> Result<Vec<NumberConsent>, UiError> {
    state.with_desk(move |desk| consent_invites::patient_consents(desk, &patient_id.to_string())).await
}

/// Sends the invitation to `to` (default: the patient's preferred number).
#[tauri::command]
pub async fn invite_patient(
    state: State<'_, AppState>,
    patient_id: i64,
    to: Option<String>,
) -> Result<Invitation, UiError> {
    state.lock().require_unlocked()?;
    let desk = state.desk()?;
    let invited = tauri::async_runtime::spawn_blocking(move || {
        consent_invites::invite(&desk, &patient_id.to_string(), to.as_deref())
    })
    .await
    .map_err(|e| UiError::internal(format!("the invitation task failed: {e}")))??;
    state.sync_now();
    Ok(invited)
}

/// Flagged replies waiting for staff, oldest first, with their due dates.
#[tauri::command]
pub async fn pending_revocations(state: State<'_, AppState>) -> Result<Vec<PendingRevocation>, UiError> {
    state
        .with_desk(|desk| {
            let zone = clinic_zone::zone(desk.setting(clinic_zone::SETTING)?.as_deref());
            Ok(desk.db().pending_revocations(zone)?)
        })
        .await
}

/// Staff's decision on a flagged reply (audited); rejects one already resolved.
#[tauri::command]
pub async fn resolve_revocation(
    state: State<'_, AppState>,
    message_id: i64,
    resolution: RevocationResolution,
) -> Result<(), UiError> {
    state
        .with_desk(move |desk| {
            if desk.db().resolve_revocation(message_id, resolution, &desk.actor())? {
                Ok(())
            } else {
                Err(CoreError::InvalidMessage(format!(
                    "message {message_id} is not waiting for review any more (resolved already, or its number opted out)"
                )))
            }
        })
        .await
}
