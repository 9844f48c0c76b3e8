//! Tauri commands: each takes the state, makes one core call, maps the error.

pub mod activity;
pub mod app;
pub mod campaigns;
pub mod consent;
pub mod credentials;
pub mod fhir;
pub mod lock;
pub mod messaging;
pub mod patients;
pub mod presence;
pub mod servers;
pub mod settings;
pub mod sync;
pub mod team;
pub mod templates;
pub mod threads;

#[cfg(test)]
mod tests {
    /// The commands that answer while the window is locked; none returns PHI.
    const OPEN_WHILE_LOCKED: &[&str] = &[
        "app_info",
        "sync_now",
        "lock_status",
        "set_unlock_passphrase",
        "unlock",
        "lock_now",
        "report_activity",
        "leave_presence",
    ];

    const SOURCES: &[(&str, &str)] = &[
        ("activity", include_str!("activity.rs")),
        ("app", include_str!("app.rs")),
        ("credentials", include_str!("credentials.rs")),
        ("lock", include_str!("lock.rs")),
        ("messaging", include_str!("messaging.rs")),
        ("patients", include_str!("patients.rs")),
        ("presence", include_str!("presence.rs")),
        ("servers", include_str!("servers.rs")),
        ("settings", include_str!("settings.rs")),
        ("sync", include_str!("sync.rs")),
        ("team", include_str!("team.rs")),
        ("threads", include_str!("threads.rs")),
    ];

    /// Every command's name and body (up to the next command).
    fn commands() -> Vec<(String, String)> {
        let mut out = vec![];
        for (_, src) in SOURCES {
            for chunk in src.split("#[tauri::command]").skip(1) {
                let name = chunk.split("fn ").nth(1).and_then(|r| r.split(['(', '<']).next()).unwrap_or("");
                out.push((name.trim().to_string(), chunk.to_string()));
            }
        }
        out
    }

    #[test]
    fn every_command_but_the_lock_screens_is_refused_while_locked() {
        let all = commands();
        assert!(all.len() >= 29, "found {} commands", all.len());
        let build = include_str!("../../build.rs");
        for (name, body) in &all {
            assert!(build.contains(&format!("\"{name}\"")), "{name} is missing from build.rs");
            if OPEN_WHILE_LOCKED.contains(&name.as_str()) {
                continue;
            }
            let guarded = body.contains(".with_desk(") || body.contains("require_unlocked()");
            assert!(guarded, "command {name} does not check the lock (with_desk or lock().require_unlocked())");
        }
    }

    #[test]
    fn a_locked_desk_refuses_with_code_locked() {
        let dir = tempfile::tempdir().unwrap();
        let desk = caredesk_core::desk::Desk::open(caredesk_core::desk::DeskOptions {
            data_dir: Some(dir.path().to_path_buf()),
            keyring: caredesk_core::desk::KeyringChoice::Given(caredesk_core::desk::secrets::memory_store()),
        })
        .unwrap();
        let state = crate::state::AppState::from_desk(desk);
        let listing = |s: crate::state::AppState| {
            tauri::async_runtime::block_on(s.with_desk(|d| Ok(d.db().thread_listing("", 10)?)))
        };
        assert_eq!(listing(state.clone()).unwrap_err().code, "locked", "a started app is locked");
        state.lock().unlocked();
        assert!(listing(state.clone()).is_ok());
        state.lock().lock();
        assert_eq!(listing(state.clone()).unwrap_err().code, "locked");
        assert!(tauri::async_runtime::block_on(state.with_desk_while_locked(|d| Ok(d.actor()))).is_ok());
    }
}
