//! Templates: list and manage them, and merge one for a patient (the
//! composer's preview: text, segments, missing fields).

use caredesk_core::{desk::templates::TemplatePreview, store::templates::Template};
use tauri::State;

use crate::{error::UiError, state::AppState};

#[tauri::command]
pub async fn list_templates(state: State<'_, AppState>) -> Result<Vec<Template>, UiError> {
    state.with_desk(|desk| desk.templates()).await
}

#[tauri::command]
pub async fn add_template(state: State<'_, AppState>, name: String, text: String) -> Result<Template, UiError> {
    state.with_desk(move |desk| desk.add_template(&name, &text)).await
}

#[tauri::command]
pub async fn edit_template(state: State<'_, AppState>, name: String, text: String) -> Result<Template, UiError> {
    state.with_desk(move |desk| desk.edit_template(&name, &text)).await
}

#[tauri::command]
pub async fn remove_template(state: State<'_, AppState>, name: String) -> Result<(), UiError> {
    state.with_desk(move |desk| desk.remove_template(&name)).await
}

#[tauri::command]
pub async fn preview_template(
    state: State<'_, AppState>,
    patient_id: i64,
    name: String,
) -> Result<TemplatePreview, UiError> {
    state.with_desk(move |desk| desk.preview_template(&name, &patient_id.to_string(), &Default::default())).await
}
