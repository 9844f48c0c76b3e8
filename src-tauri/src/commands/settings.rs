use caredesk_core::desk::SettingView;
use tauri::State;

use crate::{error::UiError, state::AppState};

#[tauri::command]
pub async fn get_settings(state: State<'_, AppState>) -> Result<Vec<SettingView>, UiError> {
    state.with_desk(|desk| desk.settings()).await
}

/// Sets a setting; `null` unsets it.
#[tauri::command]
pub async fn set_setting(state: State<'_, AppState>, key: String, value: Option<String>) -> Result<(), UiError> {
    let reconnect = changes_gateways(&key);
    let idle = key == "security.idle_lock_minutes";
    let minutes = state
        .with_desk(move |desk| {
            match value {
                Some(v) => desk.set_setting(&key, &v).map(|_| ())?,
                None => desk.unset_setting(&key).map(|_| ())?,
            }
            if idle {
                return desk.setting(&key);
            }
            Ok(None)
        })
        .await?;
    if idle {
        state.lock().set_minutes(minutes.as_deref());
    }
    // Server settings changed: reconnect on next use. Others (poll interval,
    // rate, test mode…) are read live, and the sandbox keeps its state.
    if reconnect {
        state.reset_gateways().await;
    }
    Ok(())
}

/// Whether a setting is part of how the gateways connect.
fn changes_gateways(key: &str) -> bool {
    ["servers.", "his.", "ecm.", "http.", "sandbox.", "sms.via"].iter().any(|p| key.starts_with(p))
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_server_settings_reconnect() {
        for key in ["servers.mode", "his.from", "his.azure.tenant", "ecm.base_url", "http.timeout_secs", "sms.via"] {
            assert!(super::changes_gateways(key), "{key}");
        }
        for key in ["sync.interval_secs", "sms.rate_per_sec", "sms.test_mode", "user.name", "export.dir"] {
            assert!(!super::changes_gateways(key), "{key}");
        }
    }
}
