//! Team mode's thread commands: assign a thread, add an internal note,
//! close and reopen it, read its team state, who is on the team, and what
//! colleagues sent since this coordinator started writing. Each is one core
//! call (`Desk::assign_thread` …); the team sync is woken to push changes at
//! once.

use caredesk_core::{
    desk::team_threads::AssignTo,
    desk::team_view::TeamView,
    store::team::{ColleagueSend, Note, TeamThread, ThreadStatus},
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

/// This desk's member and the team's members (`me` is null on a desk alone).
#[tauri::command]
pub async fn team_view(state: State<'_, AppState>) -> Result<TeamView, UiError> {
    state.with_desk(|desk| desk.team_view()).await
}

/// Texts other members sent to the patient after `since` (RFC 3339: when
/// this coordinator started writing), newest first: the send-time check.
#[tauri::command]
pub async fn colleague_sends(
    state: State<'_, AppState>,
    patient_id: i64,
    since: String,
) -> Result<Vec<ColleagueSend>, UiError> {
    state.with_desk(move |desk| desk.colleague_sends(patient_id, &since)).await
}
