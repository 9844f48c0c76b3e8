//! The window title carries the unread total, so a coordinator sees new
//! replies from the task bar.

/// "CareDesk" or "CareDesk (3 unread)".
pub fn title(unread_total: i64) -> String {
    if unread_total > 0 {
        format!("CareDesk ({unread_total} unread)")
    } else {
        "CareDesk".into()
    }
}

pub fn set<R: tauri::Runtime>(app: &tauri::AppHandle<R>, unread_total: i64) {
    use tauri::Manager;
    if let Some(w) = app.get_webview_window("main") {
        let _ = w.set_title(&title(unread_total));
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn titles() {
        assert_eq!(super::title(0), "CareDesk");
        assert_eq!(super::title(3), "CareDesk (3 unread)");
    }
}
