//! The status bar: where the background sync stands, and "Sync now".

use caredesk_core::{engine::inbox_sync, engine::routes::GatewayPlan};
use tauri::State;

use crate::{error::UiError, state::AppState};

/// Where the background sync stands, for the status bar. Times are RFC 3339 UTC.
#[derive(Debug, serde::Serialize, ts_rs::TS)]
pub struct SyncView {
    pub mode: caredesk_core::engine::routes::Mode,
    pub test_mode: bool,
    pub override_number: Option<String>,
    pub syncing: bool,
    pub last_sync: Option<String>,
    pub next_sync: Option<String>,
    pub last_error: Option<String>,
    pub interval_secs: u64,
    /// Routes whose server refused CareDesk's credentials: their messages wait.
    pub paused: Vec<caredesk_core::store::RoutePause>,
    /// Messages from the hospital SMS server that could not be read (skipped, kept).
    pub unreadable: Vec<caredesk_core::store::UnreadableMessage>,
    /// Team mode: connected or offline, changes waiting, the log position
    /// applied (`None`: team mode is off).
    #[ts(optional = nullable)]
    pub team: Option<caredesk_core::engine::team::TeamSyncStatus>,
}

#[tauri::command]
pub async fn sync_status(state: State<'_, AppState>) -> Result<SyncView, UiError> {
    let tracker = state.sync_tracker();
    state
        .with_desk(move |desk| {
            let plan = GatewayPlan::from_desk(desk)?;
            let overview = inbox_sync::overview(desk.db())?;
            let status = overview.incoming;
            let interval_secs: u64 =
                desk.setting("sync.interval_secs")?.and_then(|v| v.parse().ok()).unwrap_or(10).max(1);
            let rfc = |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            let next_sync = status
                .next_try
                .clone()
                .or_else(|| tracker.last_cycle_end.map(|t| rfc(t + chrono::Duration::seconds(interval_secs as i64))));
            let last_error = status
                .last_error
                .clone()
                .or_else(|| (!tracker.last_errors.is_empty()).then(|| tracker.last_errors.join("; ")));
            Ok(SyncView {
                mode: plan.mode,
                test_mode: desk.setting("sms.test_mode")?.as_deref() == Some("true"),
                override_number: desk.setting("sms.override_number")?,
                syncing: tracker.syncing,
                last_sync: status.last_success,
                next_sync,
                last_error,
                interval_secs,
                paused: overview.paused,
                unreadable: overview.unreadable,
                team: tracker.team.clone(),
            })
        })
        .await
}

#[tauri::command]
pub fn sync_now(state: State<'_, AppState>) {
    state.sync_now();
}
