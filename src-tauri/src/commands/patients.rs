use caredesk_core::{
    import::{ImportProgress, ImportSummary},
    store::PatientView,
};
use tauri::{ipc::Channel, State};

use crate::{error::UiError, state::AppState};

/// The most rows the patient column shows at once; search narrows it.
const LIST_LIMIT: usize = 500;

#[tauri::command]
pub async fn list_patients(state: State<'_, AppState>, query: Option<String>) -> Result<Vec<PatientView>, UiError> {
    state.with_desk(move |desk| desk.patients(query.as_deref().unwrap_or(""), LIST_LIMIT)).await
}

#[tauri::command]
pub async fn import_patients(
    state: State<'_, AppState>,
    file_name: String,
    content: String,
    on_progress: Channel<ImportProgress>,
) -> Result<ImportSummary, UiError> {
    state
        .with_desk(move |desk| {
            desk.import_patients(&file_name, &content, &mut |p| {
                let _ = on_progress.send(p);
            })
        })
        .await
}
