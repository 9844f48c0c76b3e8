use caredesk_core::import::{ImportProgress, ImportSummary};
use tauri::{ipc::Channel, State};

use crate::{error::UiError, state::AppState};

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
