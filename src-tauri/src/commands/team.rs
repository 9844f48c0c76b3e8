//! Team mode's thread commands: assign a thread, add an internal note,
//! close and reopen it, and read its team state. Each is one core call
//! (`Desk::assign_thread` …); the team sync is woken to push it at once.

use caredesk_core::{
    desk::team_threads::AssignTo,
    store::team::{Note, TeamThread, ThreadStatus},
};
use tauri::State;

use crate::{error::UiError, state::AppState};

/// A patient's thread as the team shares it, with its internal notes.
#[derive(Debug, serde::Serialize, ts_rs::TS)]
pub struct TeamThreadView {
    pub thread: TeamThread,
    pub notes: Vec<Note>,
}

#[tauri::command]
pub async fn assign_thread(state: State<'_, AppState>, patient_id: i64, to: AssignTo) -> Result<TeamThread, UiError> {
    let thread = state.with_desk(move |desk| desk.assign_thread(&patient_id.to_string(), &to)).await?;
    state.sync_now();
    Ok(thread)
}

#[tauri::command]
pub async fn add_note(state: State<'_, AppState>, patient_id: i64, text: String) -> Result<Note, UiError> {
    let note = state.with_desk(move |desk| desk.add_note(&patient_id.to_string(), &text)).await?;
    state.sync_now();
    Ok(note)
}

#[tauri::command]
pub async fn close_thread(state: State<'_, AppState>, patient_id: i64) -> Result<TeamThread, UiError> {
    let thread =
        state.with_desk(move |desk| desk.set_thread_status(&patient_id.to_string(), ThreadStatus::Closed)).await?;
    state.sync_now();
    Ok(thread)
}

#[tauri::command]
pub async fn reopen_thread(state: State<'_, AppState>, patient_id: i64) -> Result<TeamThread, UiError> {
    let thread =
        state.with_desk(move |desk| desk.set_thread_status(&patient_id.to_string(), ThreadStatus::Open)).await?;
    state.sync_now();
    Ok(thread)
}

#[tauri::command]
pub async fn team_thread(state: State<'_, AppState>, patient_id: i64) -> Result<TeamThreadView, UiError> {
    state
        .with_desk(move |desk| {
            let id = patient_id.to_string();
            Ok(TeamThreadView { thread: desk.team_thread(&id)?, notes: desk.thread_notes(&id)? })
        })
        .await
}
