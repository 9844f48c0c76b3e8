//! Tells the UI (`lock://changed`) when the backend locked the desk by
//! itself: the idle timeout passed with no input reported.

use std::time::Duration;

use tauri::Emitter;

use crate::state::AppState;

/// `lock://changed`, read by the UI's `platform/events.ts`; the payload is `{ locked }`.
pub const LOCK_EVENT: &str = "lock://changed";

/// `lock://changed`'s payload.
#[derive(Clone, serde::Serialize, ts_rs::TS)]
pub struct LockChanged {
    pub locked: bool,
}

/// Checks the lock every second for the life of the app.
pub fn watch<R: tauri::Runtime>(app: tauri::AppHandle<R>, state: AppState) {
    tauri::async_runtime::spawn(async move {
        let mut ticker = tokio::time::interval(Duration::from_secs(1));
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let mut was = state.is_locked();
        loop {
            ticker.tick().await;
            let locked = state.is_locked();
            if locked != was {
                if locked {
                    // A locked desk is in no thread: the team hears it left.
                    state.set_presence(None);
                }
                let _ = app.emit(LOCK_EVENT, LockChanged { locked });
                was = locked;
            }
        }
    });
}
