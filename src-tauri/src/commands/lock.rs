//! The lock screen: first-start setup of the unlock passphrase, unlocking,
//! "Lock now", the UI's input reports and the passphrase change in Settings.
//! These are the only commands besides `app_info` and `sync_now` that answer
//! while locked, and none of them returns PHI.

use caredesk_core::{desk::secrets::Secret, desk::unlock, desk::unlock::UnlockError, rules::error::CoreError};
use tauri::State;

use crate::{desk_lock::LockView, error::UiError, state::AppState};

async fn passphrase_set(state: &AppState) -> Result<bool, UiError> {
    state.with_desk_while_locked(|desk| Ok(unlock::has_passphrase(desk.credentials())?)).await
}

#[tauri::command]
pub async fn lock_status(state: State<'_, AppState>) -> Result<LockView, UiError> {
    let set = passphrase_set(&state).await?;
    Ok(state.lock().view(set))
}

/// First start: sets the passphrase (refused once one is set) and unlocks.
#[tauri::command]
pub async fn set_unlock_passphrase(state: State<'_, AppState>, passphrase: String) -> Result<LockView, UiError> {
    let passphrase = Secret::new(passphrase);
    let _turn = state.lock().turn().await?;
    state
        .with_desk_while_locked(move |desk| Ok(unlock::set_first_passphrase(desk.credentials(), &passphrase)?))
        .await?;
    state.lock().unlocked();
    Ok(state.lock().view(true))
}

/// Unlocks with the passphrase; a wrong one makes the next try wait (1 s, 2 s … 30 s).
#[tauri::command]
pub async fn unlock(state: State<'_, AppState>, passphrase: String) -> Result<LockView, UiError> {
    let passphrase = Secret::new(passphrase);
    let _turn = state.lock().turn().await?;
    let right = state
        .with_desk_while_locked(move |desk| Ok(unlock::verify_passphrase(desk.credentials(), &passphrase)?))
        .await?;
    if !right {
        return Err(state.lock().failed());
    }
    state.lock().unlocked();
    Ok(state.lock().view(true))
}

#[tauri::command]
pub fn lock_now(state: State<'_, AppState>) {
    state.lock().lock();
}

/// Input in the window (sent throttled); answers whether the desk is locked,
/// so a UI whose timer fell behind locks too.
#[tauri::command]
pub fn report_activity(state: State<'_, AppState>) -> bool {
    state.lock().activity();
    state.is_locked()
}

/// Settings: a new passphrase, with the current one (a wrong one waits as at the lock screen).
#[tauri::command]
pub async fn change_unlock_passphrase(state: State<'_, AppState>, current: String, new: String) -> Result<(), UiError> {
    state.lock().require_unlocked()?;
    let (current, new) = (Secret::new(current), Secret::new(new));
    let _turn = state.lock().turn().await?;
    let changed = state
        .with_desk(move |desk| match unlock::change_passphrase(desk.credentials(), &current, &new) {
            Err(UnlockError::Wrong) => Ok(false),
            other => other.map(|()| true).map_err(CoreError::from),
        })
        .await?;
    if !changed {
        return Err(state.lock().failed());
    }
    Ok(())
}
