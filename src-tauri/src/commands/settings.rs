use caredesk_core::desk::SettingView;
use tauri::State;

use crate::{error::UiError, state::AppState};

#[tauri::command]
pub async fn get_settings(state: State<'_, AppState>) -> Result<Vec<SettingView>, UiError> {
    state.with_desk(|desk| desk.settings()).await
}

/// Sets a setting; `null` unsets it.
#[tauri::command]
pub async fn set_setting(state: State<'_, AppState>, key: String, value: Option<String>) -> Result<(), UiError> {
    state
        .with_desk(move |desk| match value {
            Some(v) => desk.set_setting(&key, &v).map(|_| ()),
            None => desk.unset_setting(&key).map(|_| ()),
        })
        .await?;
    // Server settings may have changed: reconnect on next use.
    state.reset_gateways().await;
    Ok(())
}
