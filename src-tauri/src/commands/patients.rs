use caredesk_core::{
    desk::people::PatientForm,
    records::import::{ImportProgress, ImportSummary},
    store::PatientView,
};
use tauri::{ipc::Channel, State};

use crate::{error::UiError, state::AppState};

#[tauri::command]
pub async fn import_patients(
    state: State<'_, AppState>,
    file_name: String,
    content: String,
    on_progress: Channel<ImportProgress>,
) -> Result<ImportSummary, UiError> {
    // In chunks, the desk let go between them: the engine and the UI's
    // reads go on during a large import.
    state.lock().require_unlocked()?;
    let desk = state.desk()?;
    tauri::async_runtime::spawn_blocking(move || {
        caredesk_core::records::import::shared::import_patients(&desk, &file_name, &content, &mut |p| {
            let _ = on_progress.send(p);
        })
        .map_err(UiError::from)
    })
    .await
    .map_err(|e| UiError::internal(format!("background task failed: {e}")))?
}

/// Adds a patient as staff enter them (checked and audited); returns it.
#[tauri::command]
pub async fn add_patient(state: State<'_, AppState>, form: PatientForm) -> Result<PatientView, UiError> {
    state.with_desk(move |desk| desk.add_patient(&form)).await
}

/// Edits a patient: name, ECM id, and the numbers the form lists (added,
/// changed, made inactive, consent); returns the patient as they are now.
#[tauri::command]
pub async fn edit_patient(
    state: State<'_, AppState>,
    patient_id: i64,
    form: PatientForm,
) -> Result<PatientView, UiError> {
    state.with_desk(move |desk| desk.edit_patient(patient_id, &form)).await
}
