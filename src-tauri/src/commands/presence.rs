//! Presence: the window says which thread this member is in (viewing or
//! writing), and reads who else is where. The presence task announces it to
//! the team (`caredesk_core::engine::team::presence`); changes reach the
//! window as `team://presence`.

use caredesk_core::engine::team::presence::{Here, PresenceEntry};
use tauri::State;

use crate::{error::UiError, state::AppState};

/// This member is in a patient's thread, reading or writing.
#[tauri::command]
pub async fn announce_presence(state: State<'_, AppState>, patient_id: i64, writing: bool) -> Result<(), UiError> {
    state.lock().require_unlocked()?;
    state.set_presence(Some(Here { patient_id, writing }));
    Ok(())
}

/// This member left the thread. Answered while locked too: it names nothing.
#[tauri::command]
pub async fn leave_presence(state: State<'_, AppState>) -> Result<(), UiError> {
    state.set_presence(None);
    Ok(())
}

/// Who else is in which thread now.
#[tauri::command]
pub async fn team_presence(state: State<'_, AppState>) -> Result<Vec<PresenceEntry>, UiError> {
    state.lock().require_unlocked()?;
    Ok(state.presence())
}
