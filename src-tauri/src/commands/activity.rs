//! The activity log: filtered activities with per-day counts, and its CSV export.

use caredesk_core::{
    activity_log::{ActivityLog, ExportResult},
    export::ActivityFilter,
};
use tauri::State;

use crate::{error::UiError, state::AppState};

#[tauri::command]
pub async fn activity_log(state: State<'_, AppState>, filter: ActivityFilter) -> Result<ActivityLog, UiError> {
    state.with_desk(move |desk| desk.activity_log(&filter)).await
}

#[tauri::command]
pub async fn export_activities(
    state: State<'_, AppState>,
    filter: ActivityFilter,
    path: Option<std::path::PathBuf>,
) -> Result<ExportResult, UiError> {
    state.with_desk(move |desk| desk.export_activities_csv(&filter, path.as_deref())).await
}
