use caredesk_core::{
    send::{self, CallOutcome, SmsOutcome, SmsRequest},
    store::Route,
};
use tauri::State;

use crate::{error::UiError, state::AppState};

#[tauri::command]
pub async fn send_sms(
    state: State<'_, AppState>,
    patient_id: i64,
    to: Option<String>,
    text: String,
    via: Option<String>,
    other_number: Option<bool>,
) -> Result<SmsOutcome, UiError> {
    state.lock().require_unlocked()?;
    let gateways = state.gateways().await?;
    let desk = state.desk()?;
    let req = SmsRequest {
        patient: patient_id.to_string(),
        to,
        text,
        via: via.as_deref().and_then(Route::parse),
        other_number: other_number.unwrap_or(false),
    };
    let outcome = send::send_sms(&desk, &gateways, req).await?;
    state.sync_now();
    Ok(outcome)
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
    Ok(send::place_call(&desk, &gateways, &patient_id.to_string(), to.as_deref(), other_number).await?)
}
