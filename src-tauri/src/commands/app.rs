use caredesk_core::engine::routes::Mode;
use tauri::State;

use crate::{error::UiError, state::AppState};

/// The app, its mode and its data directory, for the window at start (no PHI: it answers while locked).
#[derive(Debug, serde::Serialize, ts_rs::TS)]
pub struct AppInfo {
    pub version: &'static str,
    pub data_dir: String,
    pub mode: Mode,
    pub user_name: String,
    pub patient_count: i64,
    /// What the built-in sandbox does (who replies what), for the banner;
    /// empty with the real servers.
    pub sandbox_behaviours: Vec<caredesk_core::sandbox::demo::Behaviour>,
}

#[tauri::command]
pub async fn app_info(state: State<'_, AppState>) -> Result<AppInfo, UiError> {
    // Connecting first starts the sandbox (and seeds its demo roster) when no server is configured.
    let mode = match state.gateways().await {
        Ok(g) if g.mode == Mode::Sandbox => Mode::Sandbox,
        _ => Mode::Real,
    };
    let behaviours = if mode == Mode::Sandbox { caredesk_core::sandbox::demo::behaviours() } else { Vec::new() };
    // The startup probe answers while locked: it carries no PHI (the
    // sandbox's behaviours name only its fictional demo roster).
    state
        .with_desk_while_locked(move |desk| {
            Ok(AppInfo {
                version: env!("CARGO_PKG_VERSION"),
                data_dir: desk.data_dir().display().to_string(),
                mode,
                user_name: desk.actor(),
                patient_count: desk.db().patient_count().map_err(caredesk_core::rules::error::CoreError::from)?,
                sandbox_behaviours: behaviours,
            })
        })
        .await
}
