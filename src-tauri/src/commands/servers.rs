//! Settings' server tools: sender numbers, connection checks, the test message.

use caredesk_core::{
    engine::connection_check::{self, ConnectionCheck, SenderNumber, Service},
    store::Route,
};
use tauri::State;

use crate::{error::UiError, state::AppState};

#[tauri::command]
pub async fn list_sender_numbers(state: State<'_, AppState>) -> Result<Vec<SenderNumber>, UiError> {
    state.lock().require_unlocked()?;
    let gateways = state.gateways().await?;
    Ok(connection_check::sender_numbers(&gateways).await?)
}

/// Resolves with `ok: false` and the reason when the server cannot be used.
#[tauri::command]
pub async fn check_connection(state: State<'_, AppState>, service: Service) -> Result<ConnectionCheck, UiError> {
    state.lock().require_unlocked()?;
    let gateways = match state.gateways().await {
        Ok(g) => g,
        Err(e) => return Ok(ConnectionCheck { service, ok: false, message: e.message, elapsed_ms: 0 }),
    };
    Ok(connection_check::check(&gateways, service).await)
}

/// The spec-002 test message to any number; resolves with what the server said.
#[tauri::command]
pub async fn send_test_message(state: State<'_, AppState>, to: String, via: Option<String>) -> Result<String, UiError> {
    state.lock().require_unlocked()?;
    let gateways = state.gateways().await?;
    let desk = state.desk()?;
    let route = via.as_deref().and_then(Route::parse);
    Ok(caredesk_core::engine::test_sms::send_test_sms(&desk, &gateways, &to, route).await?)
}
