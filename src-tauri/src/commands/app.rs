use tauri::State;

use crate::{error::UiError, state::AppState};

#[derive(Debug, serde::Serialize)]
pub struct AppInfo {
    pub version: &'static str,
    pub data_dir: String,
    pub mode: &'static str,
    pub user_name: String,
    pub patient_count: i64,
}

#[tauri::command]
pub async fn app_info(state: State<'_, AppState>) -> Result<AppInfo, UiError> {
    state
        .with_desk(|desk| {
            Ok(AppInfo {
                version: env!("CARGO_PKG_VERSION"),
                data_dir: desk.data_dir().display().to_string(),
                mode: if desk.setting("his.base_url")?.is_none()
                    && desk.setting("ecm.base_url")?.is_none()
                {
                    "sandbox"
                } else {
                    "real"
                },
                user_name: desk.actor(),
                patient_count: desk
                    .db()
                    .patient_count()
                    .map_err(caredesk_core::CoreError::from)?,
            })
        })
        .await
}
