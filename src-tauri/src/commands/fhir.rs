//! Settings' FHIR section and the status bar's FHIR state: the link's
//! state, "Check connection" and "Pull now". The pull itself runs in the
//! engine (progress comes as `sync://event`s), never in a command.

use caredesk_core::{
    engine::fhir_sync::{self, PullProgress, SyncStatus},
    gateways::fhir::check::ServerCheck,
};
use tauri::State;

use crate::{error::UiError, state::AppState};

/// The FHIR link as Settings and the status bar show it.
#[derive(Debug, serde::Serialize, ts_rs::TS)]
pub struct FhirView {
    /// What the store keeps: the server, the last pulls, the roster, the write queue.
    pub status: SyncStatus,
    /// A pull running now, and how far it has come.
    pub pulling: Option<PullProgress>,
    /// Why the last pull could not run or stopped (cleared when one finishes).
    pub last_error: Option<String>,
}

#[tauri::command]
pub async fn fhir_status(state: State<'_, AppState>) -> Result<FhirView, UiError> {
    let tracker = state.sync_tracker();
    state
        .with_desk(move |desk| {
            Ok(FhirView {
                status: fhir_sync::status(desk)?,
                pulling: tracker.fhir_pulling.clone(),
                last_error: tracker.fhir_error.clone(),
            })
        })
        .await
}

/// The server's CapabilityStatement against what CareDesk needs, and a
/// small search of each type the roster reads. Rejects with the reason when
/// the server cannot be used at all (not configured, unreachable, token
/// refused).
#[tauri::command]
pub async fn fhir_check(state: State<'_, AppState>) -> Result<ServerCheck, UiError> {
    state.lock().require_unlocked()?;
    let desk = state.desk()?;
    Ok(fhir_sync::check(&desk).await?)
}

/// Asks the engine for a pull now (`full`: everything, not only what
/// changed); its progress and end come as events.
#[tauri::command]
pub async fn fhir_pull(state: State<'_, AppState>, full: bool) -> Result<(), UiError> {
    let configured = state.with_desk(|desk| Ok(desk.setting(caredesk_core::desk::fhir::BASE_URL)?.is_some())).await?;
    if !configured {
        return Err(UiError::from(caredesk_core::rules::error::CoreError::from(
            caredesk_core::desk::setup_error::GatewayConfigError::FhirNotConfigured,
        )));
    }
    state.pull_fhir_now(full);
    Ok(())
}
