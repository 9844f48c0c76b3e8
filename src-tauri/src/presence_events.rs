//! Team mode's presence in the window: starts the presence task once the
//! desk is open, and tells the window (`team://presence`) who is in which
//! thread whenever that changes. Nothing is sent while the window is
//! locked (it asks again with `team_presence` once unlocked); locking says
//! "left" for this member.

use std::{sync::Arc, time::Duration};

use caredesk_core::engine::team::presence::{self, PresenceEntry};
use tauri::Emitter;

use crate::state::AppState;

/// `team://presence`, read by the UI's `platform/events.ts`.
pub const PRESENCE_EVENT: &str = "team://presence";

/// `team://presence`'s payload: everyone else in a thread now.
#[derive(Debug, Clone, serde::Serialize, ts_rs::TS)]
pub struct PresenceChanged {
    pub present: Vec<PresenceEntry>,
}

/// Starts the presence task when the desk opens.
pub fn start<R: tauri::Runtime>(app: tauri::AppHandle<R>, state: AppState) {
    tauri::async_runtime::spawn(async move {
        let desk = loop {
            match state.desk() {
                Ok(d) => break d,
                Err(_) => tokio::time::sleep(Duration::from_secs(2)).await,
            }
        };
        let window_state = state.clone();
        let on_change = Arc::new(move |present: Vec<PresenceEntry>| {
            if !window_state.is_locked() {
                let _ = app.emit(PRESENCE_EVENT, PresenceChanged { present });
            }
        });
        state.set_presence_task(presence::spawn(desk, on_change));
    });
}
