use caredesk_core::{
    desk::secrets::{Secret, SecretName},
    desk::CredentialView,
    rules::error::CoreError,
};
use tauri::State;

use crate::{error::UiError, state::AppState};

#[tauri::command]
pub async fn credential_status(state: State<'_, AppState>) -> Result<Vec<CredentialView>, UiError> {
    state.with_desk(|desk| desk.credential_status()).await
}

/// Stores a secret in the OS keyring. It is never sent back to the UI.
#[tauri::command]
pub async fn set_credential(state: State<'_, AppState>, name: String, secret: String) -> Result<(), UiError> {
    let secret = Secret::new(secret);
    state
        .with_desk(move |desk| {
            let name: SecretName = name.parse().map_err(CoreError::from)?;
            desk.set_credential(name, &secret)
        })
        .await?;
    state.reset_gateways_if_real().await;
    Ok(())
}

#[tauri::command]
pub async fn delete_credential(state: State<'_, AppState>, name: String) -> Result<(), UiError> {
    state
        .with_desk(move |desk| {
            let name: SecretName = name.parse().map_err(CoreError::from)?;
            desk.delete_credential(name).map(|_| ())
        })
        .await?;
    state.reset_gateways_if_real().await;
    Ok(())
}
