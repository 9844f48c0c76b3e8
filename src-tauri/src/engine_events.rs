//! What the app does when the background engine reports: keep the status
//! bar's view, refresh the window title, raise notifications for new
//! replies, and tell the UI (`sync://event`).

use caredesk_core::engine::EngineEvent;
use tauri::{Emitter, Manager};

use crate::{notifications, state::AppState, sync_tracker::UiSyncEvent, window_title};

/// `sync://event`, read by the UI's `platform/events.ts`.
pub const SYNC_EVENT: &str = "sync://event";

pub fn handle<R: tauri::Runtime>(app: &tauri::AppHandle<R>, event: EngineEvent) {
    let state = app.state::<AppState>().inner().clone();
    state.record_engine_event(&event);
    if matches!(
        event,
        EngineEvent::CycleStarted
            | EngineEvent::FhirPullProgress { .. }
            | EngineEvent::FhirPullFinished { .. }
            | EngineEvent::FhirPullFailed { .. }
            | EngineEvent::FhirWritesFinished { .. }
    ) {
        let _ = app.emit(SYNC_EVENT, UiSyncEvent::of(&event, 0));
        return;
    }
    let app = app.clone();
    // Database work stays off the engine's task and the UI thread.
    tauri::async_runtime::spawn_blocking(move || {
        let (unread, notices) = state
            .desk()
            .ok()
            .and_then(|d| {
                let desk = d.lock().ok()?;
                Some((desk.db().unread_total().unwrap_or(0), state.new_reply_notices(&desk)))
            })
            .unwrap_or_default();
        window_title::set(&app, unread);
        let focused = app.get_webview_window("main").and_then(|w| w.is_focused().ok()).unwrap_or(false);
        if !focused && !notices.is_empty() {
            notifications::show(&app, notices);
        }
        let _ = app.emit(SYNC_EVENT, UiSyncEvent::of(&event, unread));
    });
}

/// After staff read a thread: the title follows at once.
pub fn refresh_title<R: tauri::Runtime>(app: &tauri::AppHandle<R>, unread_total: i64) {
    window_title::set(app, unread_total);
}
