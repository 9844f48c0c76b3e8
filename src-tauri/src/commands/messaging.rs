use caredesk_core::{
    engine::call::{self, CallOutcome},
    engine::outbox::{self, Enqueued, Withdrawn},
    engine::send::{self, SendOptions, SmsOutcome, SmsRequest},
    store::Route,
};
use tauri::State;

use crate::{error::UiError, state::AppState};

// A command's arguments are its IPC contract, named as the UI sends them.
#[allow(clippy::too_many_arguments)]
#[tauri::command]
pub async fn send_sms(
    state: State<'_, AppState>,
    patient_id: i64,
    to: Option<String>,
    text: String,
    via: Option<String>,
    other_number: Option<bool>,
    at: Option<String>,
    urgent: Option<String>,
) -> Result<SmsOutcome, UiError> {
    // The app's sends wait out the undo delay in the outbox (and, sent
    // later, until their time: `at` is a local time in the clinic's zone);
    // the engine sends them.
    let (undo_delay, at) = state
        .with_desk(move |desk| {
            let at = at.filter(|a| !a.trim().is_empty()).map(|a| outbox::send_at(desk, &a)).transpose()?;
            Ok((outbox::undo_delay(desk)?, at))
        })
        .await?;
    let gateways = state.gateways().await?;
    let desk = state.desk()?;
    let req = SmsRequest {
        patient: patient_id.to_string(),
        to,
        text,
        via: via.as_deref().and_then(Route::parse),
        other_number: other_number.unwrap_or(false),
    };
    let options = SendOptions { undo_delay, at, urgent, ..Default::default() };
    let outcome = send::send_sms_with(&desk, &gateways, req, options).await?;
    state.sync_now();
    Ok(outcome)
}

/// A reply to an unmatched number from the Unmatched inbox: through the
/// outbox with the undo delay like any send, audited as such.
#[tauri::command]
pub async fn reply_unmatched(state: State<'_, AppState>, number: String, text: String) -> Result<SmsOutcome, UiError> {
    let undo_delay = state.with_desk(|desk| outbox::undo_delay(desk)).await?;
    let gateways = state.gateways().await?;
    let desk = state.desk()?;
    let options = SendOptions { undo_delay, ..Default::default() };
    let outcome = send::reply_to_unmatched(&desk, &gateways, &number, &text, options).await?;
    state.sync_now();
    Ok(outcome)
}

/// Undo send: the text back out of the outbox, if no worker took it yet.
#[tauri::command]
pub async fn undo_send(state: State<'_, AppState>, message_id: i64) -> Result<Withdrawn, UiError> {
    state.with_desk(move |desk| outbox::undo_send(desk, message_id)).await
}

/// Retry: a failed text no server accepted, sent again as a new one (after the undo delay).
#[tauri::command]
pub async fn retry_message(state: State<'_, AppState>, message_id: i64) -> Result<Enqueued, UiError> {
    let queued = state
        .with_desk(move |desk| {
            let delay = outbox::undo_delay(desk)?;
            outbox::retry_message(desk, message_id, delay)
        })
        .await?;
    state.sync_now();
    Ok(queued)
}

#[tauri::command]
pub async fn place_call(
    state: State<'_, AppState>,
    patient_id: i64,
    to: Option<String>,
    other_number: Option<bool>,
) -> Result<CallOutcome, UiError> {
    state.lock().require_unlocked()?;
    let gateways = state.gateways().await?;
    let desk = state.desk()?;
    let other_number = other_number.unwrap_or(false);
    Ok(call::place_call(&desk, &gateways, &patient_id.to_string(), to.as_deref(), other_number).await?)
}
