//! Desktop notifications for new replies. A notice never carries the text or
//! the number, and names the patient only when `notifications.show_names` is
//! on and the desk is unlocked (see `caredesk_core::engine::replies`); clicking it
//! brings the window up and asks the UI (`notification://open`) to open that
//! thread.

use std::sync::{
    atomic::{AtomicUsize, Ordering},
    Arc,
};

use caredesk_core::engine::replies::{ReplyNotice, ThreadTarget};
use tauri::{Emitter, Manager};

/// `notification://open`, read by the UI's `platform/events.ts`.
pub const OPEN_THREAD_EVENT: &str = "notification://open";

/// Notifications still waiting for a click; past this, new ones are shown
/// without a click action so no thread waits forever.
const MAX_WAITING: usize = 8;

static WAITING: AtomicUsize = AtomicUsize::new(0);

/// Brings the main window to the front.
pub fn focus_main<R: tauri::Runtime>(app: &tauri::AppHandle<R>) {
    if let Some(w) = app.get_webview_window("main") {
        let _ = w.unminimize();
        let _ = w.show();
        let _ = w.set_focus();
    }
}

/// Shows `notices`; errors (no notification service) are logged, not raised.
pub fn show<R: tauri::Runtime>(app: &tauri::AppHandle<R>, notices: Vec<ReplyNotice>) {
    for notice in notices {
        let app = app.clone();
        let mut n = notify_rust::Notification::new();
        n.appname("CareDesk").summary(&notice.title).body(&notice.body).auto_icon();
        let clickable = WAITING.load(Ordering::Relaxed) < MAX_WAITING;
        if clickable {
            n.action("default", "Open");
        }
        // Showing talks to D-Bus and waiting for the click blocks: a thread each.
        let waiting = Arc::new(());
        let _ = std::thread::Builder::new().name("notification".into()).spawn(move || {
            let _keep = waiting;
            match n.show() {
                Ok(handle) if clickable => {
                    #[cfg(all(unix, not(target_os = "macos")))]
                    {
                        WAITING.fetch_add(1, Ordering::Relaxed);
                        handle.wait_for_action(|action| {
                            if action == "default" || action == "Open" {
                                open(&app, notice.target.as_ref());
                            }
                        });
                        WAITING.fetch_sub(1, Ordering::Relaxed);
                    }
                    #[cfg(not(all(unix, not(target_os = "macos"))))]
                    drop(handle);
                }
                Ok(_) => {}
                Err(e) => tracing::info!(error = %e, "desktop notification not shown"),
            }
        });
    }
}

fn open<R: tauri::Runtime>(app: &tauri::AppHandle<R>, target: Option<&ThreadTarget>) {
    focus_main(app);
    // A locked window opens no thread: the lock screen stays.
    if app.state::<crate::state::AppState>().is_locked() {
        return;
    }
    if let Some(t) = target {
        let _ = app.emit(OPEN_THREAD_EVENT, t);
    }
}
